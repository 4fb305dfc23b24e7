"""The default ``local`` executor: each stage in a subprocess; crashes and kills fail only that run.

Against the scripted OpenAI server: a stage killed with SIGKILL mid-inference marks the
run failed with the reason and its log tail, keeps every answer already written, and
the next ``vlmhb run`` resumes from them.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml

from tests.factories import run_vlmhb, write_experiment
from vlmhyperbench.orchestrator import run_experiment

pytestmark = pytest.mark.slow


def _manifest(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text())


def test_each_stage_runs_in_its_own_process(tmp_path: Path, tiny_dataset: Path, openai_server) -> None:
    config = write_experiment(tmp_path / "e.yaml", tiny_dataset, base_url=openai_server.url)
    result = run_experiment(config, output_dir=tmp_path / "runs")
    assert result.ok
    run_dir = result.runs[0].run_dir
    manifest = _manifest(run_dir)
    environments = {manifest["stages"][s]["environment"] for s in ("infer", "evaluate", "report")}
    assert len(environments) == 1  # the same interpreter each time
    env = manifest["environments"][environments.pop()]
    assert env["executor"] == "local" and env["install"] is None
    assert env["python"] and "vlmhyperbench" in env["packages"]
    assert (run_dir / "logs" / "infer.console.log").exists()
    answers = [json.loads(line) for line in (run_dir / "answers.jsonl").read_text().splitlines()]
    assert {a["env"] for a in answers} == {env["id"]}


def test_inline_executor_records_its_environment_too(
    tmp_path: Path, tiny_dataset: Path, openai_server
) -> None:
    config = write_experiment(tmp_path / "e.yaml", tiny_dataset, base_url=openai_server.url)
    result = run_experiment(config, output_dir=tmp_path / "runs", executor="inline")
    assert result.ok
    manifest = _manifest(result.runs[0].run_dir)
    [env] = manifest["environments"].values()
    assert env["executor"] == "inline"
    assert not (result.runs[0].run_dir / "logs" / "infer.console.log").exists()


def _stage_child(parent: int, stage: str) -> psutil.Process | None:
    for child in psutil.Process(parent).children(recursive=True):
        try:
            if "stage" in child.cmdline() and stage in child.cmdline():
                return child
        except psutil.NoSuchProcess:
            continue
    return None


def test_killed_stage_fails_the_run_keeps_answers_and_resumes(
    tmp_path: Path, tiny_dataset: Path, openai_server
) -> None:
    openai_server.first_token_delay = 0.8
    config = write_experiment(tmp_path / "e.yaml", tiny_dataset, base_url=openai_server.url, concurrency=1)
    out = tmp_path / "runs"
    argv = [sys.executable, "-m", "vlmhyperbench", "run", str(config), "--output-dir", str(out)]
    orchestrator = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    answers = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = list(out.glob("exp/*/answers.jsonl"))
        if found and found[0].read_text().count("\n") >= 1:
            answers = found[0]
            break
        time.sleep(0.05)
    assert answers is not None, "no answer was written"
    child = _stage_child(orchestrator.pid, "infer")
    assert child is not None
    child.send_signal(signal.SIGKILL)
    output, _ = orchestrator.communicate(timeout=60)
    assert orchestrator.returncode == 1, output
    run_dir = answers.parent
    manifest = _manifest(run_dir)
    assert manifest["status"] == "failed"
    assert manifest["stages"]["infer"]["status"] == "failed"
    assert "killed by SIGKILL" in manifest["stages"]["infer"]["error"]
    assert "evaluate" not in manifest["stages"]
    kept = answers.read_text().count("\n")
    assert 1 <= kept < 3
    answered = {json.loads(line)["sample_id"] for line in answers.read_text().splitlines()}

    openai_server.clear(requests=True)
    resumed = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert resumed.returncode == 0, resumed.stdout[-2000:]
    assert not answered & set(openai_server.requested_sample_ids)  # answered samples were not asked again
    assert _manifest(run_dir)["status"] == "completed"
    assert answers.read_text().count("\n") == 3


def test_runs_go_in_parallel_and_local_never_installs(
    tmp_path: Path, tiny_dataset: Path, openai_server
) -> None:
    openai_server.first_token_delay = 0.5
    config = write_experiment(tmp_path / "e.yaml", tiny_dataset, base_url=openai_server.url, concurrency=1)
    raw = yaml.safe_load(config.read_text())
    second = {**raw["runs"][0], "name": "r2", "requirements": ["vlmhb-not-installed==1.0"]}
    raw["runs"].append(second)
    raw["jobs"] = 2
    config.write_text(yaml.safe_dump(raw), encoding="utf-8")
    result = run_experiment(config, output_dir=tmp_path / "runs")
    assert result.ok
    infer = [_manifest(r.run_dir)["stages"]["infer"] for r in result.runs]
    assert infer[1]["started_at"] < infer[0]["finished_at"]  # the two inferences overlapped
    manifest = _manifest(result.runs[1].run_dir)
    env = manifest["environments"][manifest["stages"]["infer"]["environment"]]
    assert env["unsatisfied"] == ["vlmhb-not-installed==1.0 (not installed)"]
    assert env["install"] is None


def test_validate_checks_each_runs_executor(tmp_path: Path, tiny_dataset: Path) -> None:
    config = {
        "name": "v",
        "runs": [
            {"name": "ok", "task": "vqa", "dataset": str(tiny_dataset), "model": "tesseract-eng"},
            {
                "name": "bad-mount",
                "task": "vqa",
                "dataset": str(tiny_dataset),
                "model": "tesseract-eng",
                "executor": {
                    "kind": "venv",
                    "mounts": [{"source": str(tmp_path / "nowhere"), "target": "/x"}],
                },
            },
        ],
    }
    path = tmp_path / "e.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    done = run_vlmhb("validate", str(path))
    assert done.returncode == 2
    assert "1 of 2 runs ready" in done.stdout
    assert (
        "run bad-mount: executor.mounts[0].source" in done.stderr and "nowhere does not exist" in done.stderr
    )
