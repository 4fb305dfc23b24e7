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

from tests.factories import run_vlmhb
from tests.support.wheels import make_project, make_wheel

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


def _vlmhb(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_vlmhb(*args, env=env, timeout=900)


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
        report = (root / run / "report" / "report.md").read_text()
        assert f"vlmhb-probe {version}" in report and infer_env["id"] in report
        assert Path(infer_env["venv"], ".vlmhb-complete").exists()
    assert venvs["r1"] != venvs["r2"]
    # the probe is in neither this interpreter nor the orchestrator's view
    assert subprocess.run([sys.executable, "-c", "import vlmhb_probe"], capture_output=True).returncode != 0

    bad = json.loads((root / "r-bad" / "manifest.json").read_text())
    assert bad["status"] == "failed"
    assert "vlmhb-probe==9.9.9" in bad["stages"]["infer"]["error"]
    assert "could not resolve the run's environment" in bad["stages"]["infer"]["error"]

    # a second run of the experiment reuses the cached environments and re-asks nothing
    built = Path(venvs["r1"], "requirements.lock").stat().st_mtime_ns  # written by a build only
    used = Path(venvs["r1"], ".vlmhb-complete").stat().st_mtime_ns  # touched by every use
    lines = (root / "r1" / "answers.jsonl").read_text().count("\n")
    again = _vlmhb("run", str(config), "--run", "r1")
    assert again.returncode == 0, again.stdout[-2000:]
    assert Path(venvs["r1"], "requirements.lock").stat().st_mtime_ns == built
    assert Path(venvs["r1"], ".vlmhb-complete").stat().st_mtime_ns > used  # for `executors prune`
    assert (root / "r1" / "answers.jsonl").read_text().count("\n") == lines


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_package_registry_git_source_in_prod_and_editable_checkout_in_dev(
    tmp_path: Path, tiny_dataset: Path, shared_cache: Path
) -> None:
    entry_points = {"vlmhyperbench.backends": {"probe": "vlmhb_probe"}}
    repo = make_project(
        tmp_path / "probe-repo",
        "vlmhb-probe",
        "3.0.0",
        PROBE,
        module="vlmhb_probe",
        entry_points=entry_points,
    )
    _git("init", "-q", cwd=repo)
    _git("add", ".", cwd=repo)
    _git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "probe 3.0.0", cwd=repo)
    _git("tag", "v3.0.0", cwd=repo)
    checkout = make_project(
        tmp_path / "probe-checkout",
        "vlmhb-probe",
        "3.1.0.dev0",
        PROBE,
        module="vlmhb_probe",
        entry_points=entry_points,
    )
    packages = tmp_path / "packages"  # beside the experiment file: read without being named
    packages.mkdir()
    (packages / "vlmhb-probe.yaml").write_text(
        f"description: the probe backend\nsource: {{git: {{url: 'file://{repo}', ref: v3.0.0}}}}\n"
    )
    (packages / "vlmhb-probe.dev.yaml").write_text(
        f"source: {{local: {{path: '{checkout}', editable: true}}}}\n"
    )
    config = {
        "name": "reg",
        "executor": {"kind": "venv"},
        "models": [{"name": "probe-git", "backend": "probe", "packages": ["vlmhb-probe"]}],
        "runs": [
            {
                "name": "r",
                "task": "vqa",
                "dataset": str(tiny_dataset),
                "model": "probe-git",
                "metrics": ["cer"],
            }
        ],
    }
    path = tmp_path / "experiment.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")

    def answers(out: Path) -> set[str]:
        lines = (out / "reg" / "r" / "answers.jsonl").read_text().splitlines()
        return {json.loads(line)["answer"] for line in lines}

    prod = _vlmhb("run", str(path), "--output-dir", str(tmp_path / "prod"), env={"RUN_MODE": "prod"})
    assert prod.returncode == 0, prod.stdout[-3000:] + prod.stderr[-3000:]
    assert answers(tmp_path / "prod") == {"probe 3.0.0"}
    manifest = json.loads((tmp_path / "prod" / "reg" / "r" / "manifest.json").read_text())
    [item] = manifest["spec"]["environment"]["install"]["infer"]
    assert item["source"] == "git" and item["requirement"] == f"vlmhb-probe @ git+file://{repo}@v3.0.0"

    dev = _vlmhb("run", str(path), "--output-dir", str(tmp_path / "dev"), env={"RUN_MODE": "dev"})
    assert dev.returncode == 0, dev.stdout[-3000:] + dev.stderr[-3000:]
    assert answers(tmp_path / "dev") == {"probe 3.1.0.dev0"}
    manifest = json.loads((tmp_path / "dev" / "reg" / "r" / "manifest.json").read_text())
    assert manifest["spec"]["environment"]["run_mode"] == "dev"
    env = manifest["environments"][manifest["stages"]["infer"]["environment"]]
    assert env["packages"]["vlmhb-probe"] == "3.1.0.dev0"
    # dev mode installs the checkout editable: an edit shows in the next run without a rebuild
    module = checkout / "vlmhb_probe.py"
    module.write_text(module.read_text().replace('"probe "', '"edited probe "'))
    again = _vlmhb(
        "run", str(path), "--output-dir", str(tmp_path / "dev"), "--fresh", env={"RUN_MODE": "dev"}
    )
    assert again.returncode == 0, again.stdout[-3000:]
    assert answers(tmp_path / "dev") == {"edited probe 3.1.0.dev0"}
