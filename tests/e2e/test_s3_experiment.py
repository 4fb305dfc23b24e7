"""Experiments with ``output_dir: s3://`` and ``dataset: s3://`` against a real S3 server (moto_server).

The runs use the local executor (each stage a ``vlmhb stage`` process) and the scripted
OpenAI-compatible server; the bucket is inspected with boto3 directly.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.factories import TINY_SAMPLES, make_jsonl_dataset, run_vlmhb
from tests.support.openai_server import ScriptedOpenAIServer
from tests.support.s3_server import S3Server
from vlmhyperbench.orchestrator import run_experiment
from vlmhyperbench.storage import S3Url, filesystem


def _upload(local: Path, url: str) -> str:
    filesystem().put(str(local) + "/", S3Url(url).path + "/", recursive=True)
    return url


def _config(path: Path, *, dataset: str, output_dir: str, server: ScriptedOpenAIServer, **run: Any) -> Path:
    config = {
        "name": "exp",
        "output_dir": output_dir,
        "runs": [
            {
                "name": "r1",
                "task": "vqa",
                "dataset": dataset,
                "model": {
                    "backend": "openai",
                    "options": {
                        "base_url": server.url,
                        "model": "scripted-vlm",
                        "backoff_base_s": 0.01,
                        "timeout_s": 5,
                    },
                },
                "metrics": ["anls", "exact_match"],
                "concurrency": 1,
                **run,
            }
        ],
    }
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def _bucket_answers(server: S3Server, url: str) -> list[dict[str, Any]]:
    target = S3Url(url)
    objects = server.objects(target.bucket, f"{target.key}/answers.segments/")
    return [json.loads(line) for key in sorted(objects) for line in objects[key].decode().splitlines()]


def _answer_all(server: ScriptedOpenAIServer) -> None:
    server.answers = {sid: answer for sid, _, _, _, answer, _ in TINY_SAMPLES}


def test_an_experiment_runs_on_s3_like_on_disk(
    s3_env: str, s3_server: S3Server, openai_server: ScriptedOpenAIServer, tmp_path: Path
) -> None:
    _answer_all(openai_server)
    openai_server.answers["s-003"] = "wrong"
    dataset = _upload(make_jsonl_dataset(tmp_path / "tiny"), f"{s3_env}/datasets/tiny")
    config = _config(
        tmp_path / "exp.yaml", dataset=dataset, output_dir=f"{s3_env}/results", server=openai_server
    )

    result = run_experiment(config)
    assert result.ok and result.url == f"{s3_env}/results/exp"
    bucket = S3Url(s3_env).bucket
    stored = s3_server.objects(bucket, "results/exp/")
    for name in (
        "r1/run_spec.json",
        "r1/manifest.json",
        "r1/metrics/metrics.json",
        "r1/report/report.md",
        "comparison.md",
    ):
        assert f"results/exp/{name}" in stored, name
    assert json.loads(stored["results/exp/r1/manifest.json"])["status"] == "completed"
    spec = json.loads(stored["results/exp/r1/run_spec.json"])
    assert spec["dataset"]["url"] == dataset and Path(spec["dataset"]["path"]).name == "tiny"
    answers = _bucket_answers(s3_server, f"{s3_env}/results/exp/r1")
    assert sorted(a["sample_id"] for a in answers) == ["s-001", "s-002", "s-003"]

    # the same experiment on disk scores the same
    openai_server.clear(requests=True)
    _answer_all(openai_server)
    openai_server.answers["s-003"] = "wrong"
    local = run_experiment(config, output_dir=tmp_path / "local")
    on_disk = json.loads((local.root / "r1" / "metrics" / "metrics.json").read_text())
    in_bucket = json.loads(stored["results/exp/r1/metrics/metrics.json"])
    assert on_disk["aggregates"] == in_bucket["aggregates"]

    # no credential anywhere: the bucket, the mirror, the logs
    secrets = [os.environ["AWS_SECRET_ACCESS_KEY"], os.environ["AWS_ACCESS_KEY_ID"]]
    for key, data in s3_server.objects(bucket).items():
        assert not any(s.encode() in data for s in secrets), key
    for path in result.root.rglob("*"):
        if path.is_file():
            assert not any(s.encode() in path.read_bytes() for s in secrets), path


def test_a_run_resumes_from_the_bucket_on_a_machine_with_an_empty_mirror(
    s3_env: str,
    s3_server: S3Server,
    openai_server: ScriptedOpenAIServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _answer_all(openai_server)
    openai_server.fail_with(500, sample_ids={"s-002"})
    dataset = _upload(make_jsonl_dataset(tmp_path / "tiny"), f"{s3_env}/datasets/tiny")
    config = _config(
        tmp_path / "exp.yaml", dataset=dataset, output_dir=f"{s3_env}/results", server=openai_server
    )
    first = run_vlmhb("infer", str(config))
    assert first.returncode == 0, first.stderr
    assert sorted(
        a["sample_id"] for a in _bucket_answers(s3_server, f"{s3_env}/results/exp/r1") if a["answer"]
    ) == [
        "s-001",
        "s-003",
    ]

    monkeypatch.setenv("VLMHB_CACHE_DIR", str(tmp_path / "another-machine"))
    openai_server.clear(requests=True)
    _answer_all(openai_server)
    second = run_vlmhb("run", str(config))
    assert second.returncode == 0, second.stdout + second.stderr
    assert openai_server.requested_sample_ids == ["s-002"]  # nothing answered is asked again
    answers = _bucket_answers(s3_server, f"{s3_env}/results/exp/r1")
    assert sorted(a["sample_id"] for a in answers if a["answer"]) == ["s-001", "s-002", "s-003"]
    assert f"stored in {s3_env}/results/exp" in second.stdout

    # --fresh moves the old objects aside in the bucket as well, and starts again
    openai_server.clear(requests=True)
    _answer_all(openai_server)
    fresh = run_vlmhb("run", str(config), "--fresh")
    assert fresh.returncode == 0, fresh.stderr
    assert sorted(openai_server.requested_sample_ids) == ["s-001", "s-002", "s-003"]
    assert len(_bucket_answers(s3_server, f"{s3_env}/results/exp/r1")) == 3
    folders = {k.split("/")[2] for k in s3_server.objects(S3Url(s3_env).bucket, "results/exp/")}
    assert any(f.startswith("r1.old-") for f in folders)


def test_report_from_any_machine(
    s3_env: str,
    s3_server: S3Server,
    openai_server: ScriptedOpenAIServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _answer_all(openai_server)
    dataset = _upload(make_jsonl_dataset(tmp_path / "tiny"), f"{s3_env}/datasets/tiny")
    config = _config(
        tmp_path / "exp.yaml", dataset=dataset, output_dir=f"{s3_env}/results", server=openai_server
    )
    assert run_experiment(config).ok
    client = s3_server.client()
    bucket = S3Url(s3_env).bucket
    client.delete_object(Bucket=bucket, Key="results/exp/r1/report/report.md")
    client.delete_object(Bucket=bucket, Key="results/exp/comparison.md")

    monkeypatch.setenv("VLMHB_CACHE_DIR", str(tmp_path / "laptop"))
    done = run_vlmhb("report", f"{s3_env}/results/exp")
    assert done.returncode == 0, done.stderr
    assert f"pushed the reports to {s3_env}/results/exp" in done.stdout
    stored = s3_server.objects(bucket, "results/exp/")
    assert "results/exp/r1/report/report.md" in stored and "results/exp/comparison.md" in stored
    assert (tmp_path / "laptop").is_dir()

    one = run_vlmhb("report", f"{s3_env}/results/exp/r1")
    assert one.returncode == 0, one.stderr
    missing = run_vlmhb("report", f"{s3_env}/nothing-here")
    assert missing.returncode == 2 and "holds no run folder" in missing.stderr + missing.stdout


def test_bad_locations_fail_before_anything_starts(
    s3_env: str,
    s3_server: S3Server,
    openai_server: ScriptedOpenAIServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _answer_all(openai_server)
    local_data = str(make_jsonl_dataset(tmp_path / "tiny"))
    config = _config(
        tmp_path / "exp.yaml",
        dataset=local_data,
        output_dir="s3://no-such-bucket-42/results",
        server=openai_server,
    )
    missing = run_vlmhb("run", str(config))
    out = missing.stdout + missing.stderr
    assert missing.returncode == 2 and "s3://no-such-bucket-42/results/exp" in out and "does not exist" in out
    assert "output_dir" in out and "Traceback" not in out
    validate = run_vlmhb("validate", str(config))
    assert validate.returncode == 2 and "does not exist" in validate.stdout + validate.stderr

    flag = run_vlmhb(
        "run", str(config), "--output-dir", f"{s3_env}/elsewhere", env=s3_server.env(denied=True)
    )
    assert (
        flag.returncode == 2
        and "denied" in flag.stdout + flag.stderr
        and "--output-dir" in flag.stdout + flag.stderr
        and f"{s3_env}/elsewhere/exp" in flag.stdout + flag.stderr  # the URL kept whole, not s3:/
    )

    bad_dataset = _config(
        tmp_path / "d.yaml",
        dataset="s3://no-such-bucket-42/tiny",
        output_dir=str(tmp_path / "runs"),
        server=openai_server,
    )
    failed = run_vlmhb("run", str(bad_dataset))
    out = failed.stdout + failed.stderr
    assert failed.returncode == 2 and "s3://no-such-bucket-42/tiny" in out and "runs[0].dataset" in out
    assert openai_server.requests == []  # nothing started


_KILL_SAMPLES = [
    (f"k-{i:02d}", "form", "q", f"question {i}", f"answer {i}", [f"line {i}"]) for i in range(12)
]


def test_a_killed_run_resumes_with_every_answer_once(
    s3_env: str,
    s3_server: S3Server,
    openai_server: ScriptedOpenAIServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    openai_server.answers = {sid: answer for sid, _, _, _, answer, _ in _KILL_SAMPLES}
    openai_server.first_token_delay = 0.4
    dataset = _upload(make_jsonl_dataset(tmp_path / "k", samples=_KILL_SAMPLES), f"{s3_env}/datasets/k")
    config = _config(
        tmp_path / "exp.yaml", dataset=dataset, output_dir=f"{s3_env}/results", server=openai_server
    )
    run_url = f"{s3_env}/results/exp/r1"
    env = {**os.environ, "VLMHB_S3_SEGMENT_ANSWERS": "2", "VLMHB_S3_SEGMENT_SECONDS": "60"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "vlmhyperbench", "run", str(config)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 90
    while len(_bucket_answers(s3_server, run_url)) < 4 and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the orchestrator and its stage process, mid-inference
    proc.wait()
    kept = {a["sample_id"] for a in _bucket_answers(s3_server, run_url)}
    assert 4 <= len(kept) < 12

    monkeypatch.setenv("VLMHB_CACHE_DIR", str(tmp_path / "second-worker"))
    openai_server.clear(requests=True)
    openai_server.answers = {sid: answer for sid, _, _, _, answer, _ in _KILL_SAMPLES}
    resumed = run_vlmhb("run", str(config), timeout=180)
    assert resumed.returncode == 0, resumed.stderr
    asked = openai_server.requested_sample_ids
    assert set(asked) == {sid for sid, *_ in _KILL_SAMPLES} - kept and len(asked) == len(set(asked))
    final = _bucket_answers(s3_server, run_url)
    assert sorted(a["sample_id"] for a in final) == sorted(sid for sid, *_ in _KILL_SAMPLES)  # each once
