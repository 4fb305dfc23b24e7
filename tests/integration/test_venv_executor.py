"""Real isolation through the ``venv`` executor: two runs, two versions of one package.

The package ``vlmhb-probe`` (built here as two wheels) is a backend plugin that answers
with its own installed version. Each run's model requires another version; each run
gets its own uv-built environment, and its answers and manifest show its version.
Nothing is mocked: uv resolves (vlmhyperbench's own dependencies from PyPI, the probe
from a local wheels folder), builds and caches the environments.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.wheels import make_wheel

pytestmark = pytest.mark.slow

PROBE = '''
from importlib.metadata import version

from vlmhyperbench.backends import GenerationResult, ModelBackend, register_backend


@register_backend("probe")
class ProbeBackend(ModelBackend):
    """Answers every request with the installed version of this package."""

    async def generate(self, request):
        return GenerationResult(text="probe " + version("vlmhb-probe"))
'''


@pytest.fixture
def shared_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One environment cache for the whole test session (all xdist workers)."""
    cache = tmp_path_factory.getbasetemp().parent / "vlmhb-cache"
    monkeypatch.setenv("VLMHB_CACHE_DIR", str(cache))
    return cache


@pytest.fixture
def probe_wheels(tmp_path: Path) -> Path:
    wheels = tmp_path / "wheels"
    for version in ("1.0.0", "2.0.0"):
        make_wheel(
            wheels,
            "vlmhb-probe",
            version,
            PROBE,
            module="vlmhb_probe",
            entry_points={"vlmhyperbench.backends": {"probe": "vlmhb_probe"}},
        )
    return wheels


def _experiment(tmp_path: Path, dataset: Path, wheels: Path, extra_runs: list[dict] | None = None) -> Path:
    config = {
        "name": "iso",
        "output_dir": str(tmp_path / "runs"),
        "executor": {"kind": "venv", "wheels": str(wheels)},
        "models": [
            {"name": "probe-one", "backend": "probe", "requirements": ["vlmhb-probe==1.0.0"]},
            {"name": "probe-two", "backend": "probe", "requirements": ["vlmhb-probe==2.0.0"]},
        ],
        "runs": [
            {"name": "r1", "task": "vqa", "dataset": str(dataset), "model": "probe-one", "metrics": ["cer"]},
            {"name": "r2", "task": "vqa", "dataset": str(dataset), "model": "probe-two", "metrics": ["cer"]},
            *(extra_runs or []),
        ],
    }
    path = tmp_path / "experiment.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def _vlmhb(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vlmhyperbench", *args],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_two_runs_get_their_own_version_of_one_package(
    tmp_path: Path, tiny_dataset: Path, probe_wheels: Path, shared_cache: Path
) -> None:
    unresolvable = {
        "name": "r-bad",
        "task": "vqa",
        "dataset": str(tiny_dataset),
        "model": {"name": "probe-one"},
        "requirements": ["vlmhb-probe==9.9.9"],
        "metrics": ["cer"],
    }
    config = _experiment(tmp_path, tiny_dataset, probe_wheels, [unresolvable])
    done = _vlmhb("run", str(config))
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]  # r-bad fails, the others go on
    root = tmp_path / "runs" / "iso"
    venvs = {}
    for run, version in (("r1", "1.0.0"), ("r2", "2.0.0")):
        manifest = json.loads((root / run / "manifest.json").read_text())
        assert manifest["status"] == "completed", manifest["stages"]
        infer_env = manifest["environments"][manifest["stages"]["infer"]["environment"]]
        assert infer_env["executor"] == "venv"
        assert infer_env["packages"]["vlmhb-probe"] == version
        assert infer_env["install"]["returncode"] == 0
        assert "vlmhb-probe==" + version in " ".join(infer_env["install"]["command"])
        assert manifest["registry"]["backend:probe"].startswith("vlmhb_probe:ProbeBackend")
        eval_env = manifest["environments"][manifest["stages"]["evaluate"]["environment"]]
        assert "vlmhb-probe" not in eval_env["packages"]  # evaluation has only what it needs
        answers = [json.loads(line) for line in (root / run / "answers.jsonl").read_text().splitlines()]
        assert answers and {a["answer"] for a in answers} == {f"probe {version}"}
        assert {a["env"] for a in answers} == {infer_env["id"]}
        venvs[run] = infer_env["venv"]
        assert Path(infer_env["venv"], ".vlmhb-complete").exists()
    assert venvs["r1"] != venvs["r2"]
    # the probe is in neither this interpreter nor the orchestrator's view
    assert subprocess.run([sys.executable, "-c", "import vlmhb_probe"], capture_output=True).returncode != 0

    bad = json.loads((root / "r-bad" / "manifest.json").read_text())
    assert bad["status"] == "failed"
    assert "vlmhb-probe==9.9.9" in bad["stages"]["infer"]["error"]
    assert (
        "cannot be resolved" in bad["stages"]["infer"]["error"]
        or "resolve" in bad["stages"]["infer"]["error"]
    )

    # a second run of the experiment reuses the cached environments and re-asks nothing
    stamp = Path(venvs["r1"], ".vlmhb-complete").stat().st_mtime_ns
    lines = (root / "r1" / "answers.jsonl").read_text().count("\n")
    again = _vlmhb("run", str(config), "--run", "r1")
    assert again.returncode == 0, again.stdout[-2000:]
    assert Path(venvs["r1"], ".vlmhb-complete").stat().st_mtime_ns == stamp
    assert (root / "r1" / "answers.jsonl").read_text().count("\n") == lines
