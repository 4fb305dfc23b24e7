"""The default ``local`` executor: each stage in a subprocess; crashes and kills fail only that run.

Against the scripted OpenAI server: a stage killed with SIGKILL mid-inference marks the
run failed with the reason and its log tail, keeps every answer already written, and
the next ``vlmhb run`` resumes from them.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml

from tests.factories import run_vlmhb, write_experiment
from vlmhyperbench.core import RunDir
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


@pytest.mark.parametrize("executor", ["local", "inline"])
def test_the_report_written_by_run_describes_the_finished_run(
    tmp_path: Path, tiny_dataset: Path, openai_server, executor: str
) -> None:
    config = write_experiment(tmp_path / "e.yaml", tiny_dataset, base_url=openai_server.url)
    result = run_experiment(config, output_dir=tmp_path / "runs", executor=executor)
    assert result.ok
    report_dir = result.runs[0].run_dir / "report"
    report = json.loads((report_dir / "report.json").read_text())
    assert report["status"] == "completed"
    assert {name: s["status"] for name, s in report["stages"].items()} == {
        "infer": "completed",
        "evaluate": "completed",
        "report": "completed",
    }
    assert "running" not in (report_dir / "report.md").read_text()
    assert "running" not in (report_dir / "report.html").read_text()


def _wait_for_answers(out: Path, n: int, timeout: float = 60) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = list(out.glob("exp/*/answers.jsonl"))
        if found and found[0].read_text().count("\n") >= n:
            return found[0]
        time.sleep(0.05)
    raise AssertionError("no answer was written")


@pytest.mark.parametrize("whole_group", [True, False], ids=["kill-group", "kill-vlmhb-only"])
def test_killing_vlmhb_stops_its_stage_and_the_run_reads_interrupted(
    tmp_path: Path, tiny_dataset: Path, openai_server, whole_group: bool
) -> None:
    openai_server.first_token_delay = 0.6
    config = write_experiment(tmp_path / "e.yaml", tiny_dataset, base_url=openai_server.url, concurrency=1)
    out = tmp_path / "runs"
    argv = [sys.executable, "-m", "vlmhyperbench", "run", str(config), "--output-dir", str(out)]
    orchestrator = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    answers = _wait_for_answers(out, 1)
    child = _stage_child(orchestrator.pid, "infer")
    assert child is not None
    if whole_group:
        os.killpg(orchestrator.pid, signal.SIGKILL)
    else:
        orchestrator.send_signal(signal.SIGKILL)
    orchestrator.wait(timeout=10)
    child.wait(timeout=20)  # the stage ended with its parent (psutil raises TimeoutExpired otherwise)
    written = answers.read_text()
    time.sleep(2 * openai_server.first_token_delay + 0.5)
    assert answers.read_text() == written, "the stage went on answering after vlmhb was killed"
    assert written.count("\n") < 3
    run_dir = RunDir(answers.parent)
    manifest = run_dir.read_manifest()
    assert manifest.status == "interrupted"
    assert manifest.stages["infer"].status == "interrupted"
    log = (answers.parent / "logs" / "infer.log").read_text()
    assert "Traceback" not in log and "ExceptionGroup" not in log

    report = run_vlmhb("report", str(out / "exp"))
    assert report.returncode == 0, report.stderr
    assert json.loads((answers.parent / "report" / "report.json").read_text())["status"] == "interrupted"

    openai_server.first_token_delay = 0.0
    resumed = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert resumed.returncode == 0, resumed.stdout[-2000:]
    assert run_dir.read_manifest().status == "completed"
    assert answers.read_text().count("\n") == 3


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


def test_logs_of_runs_going_side_by_side_in_one_process_do_not_mix(
    tmp_path: Path, tiny_dataset: Path, openai_server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="vlmhyperbench")
    openai_server.first_token_delay = 0.3
    config = write_experiment(tmp_path / "e.yaml", tiny_dataset, base_url=openai_server.url, concurrency=1)
    raw = yaml.safe_load(config.read_text())
    raw["runs"].append({**raw["runs"][0], "name": "r2"})
    raw["jobs"] = 2
    config.write_text(yaml.safe_dump(raw), encoding="utf-8")
    result = run_experiment(config, output_dir=tmp_path / "runs", executor="inline")
    assert result.ok
    infer = [_manifest(r.run_dir)["stages"]["infer"] for r in result.runs]
    assert infer[1]["started_at"] < infer[0]["finished_at"]  # the two inferences overlapped
    for run, other in (("r1", "r2"), ("r2", "r1")):
        log = (tmp_path / "runs" / "exp" / run / "logs" / "infer.log").read_text()
        assert f"run {run}: stage infer started" in log
        assert f"run {other}:" not in log, log


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
