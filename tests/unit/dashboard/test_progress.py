"""Live figures of a run read from its folder: counts, rate, ETA, telemetry, torn lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.run_folders import make_run_folder
from vlmhyperbench.core import (
    AnswerRecord,
    DatasetSpec,
    ErrorInfo,
    Manifest,
    PluginRef,
    PromptSpec,
    RunDir,
    RunSpec,
    StageInfo,
    Timings,
    this_process,
)
from vlmhyperbench.dashboard import open_index
from vlmhyperbench.dashboard._progress import ProgressTracker, answers_per_s
from vlmhyperbench.dashboard.db import Run


def _run_dir(tmp_path: Path, n_samples: int = 10, status: str = "running", stage: str = "infer") -> RunDir:
    spec = RunSpec(
        experiment="exp",
        run_id="r1",
        task="vqa",
        dataset=DatasetSpec(path="/d", layout="jsonl", fingerprint="sha256:1", n_samples=n_samples),
        backend=PluginRef(name="openai"),
        model="m",
        prompts=PromptSpec(user="Q"),
        metrics=[PluginRef(name="anls")],
        aggregators=["general"],
    )
    run_dir = RunDir(tmp_path / "exp" / "r1")
    run_dir.root.mkdir(parents=True)
    run_dir.write_spec(spec)
    stages = {stage: StageInfo(status="running")} if stage else {}
    run_dir.write_manifest(
        Manifest(experiment="exp", run_id="r1", status=status, spec=spec, stages=stages, owner=this_process())  # type: ignore[arg-type]
    )
    return run_dir


def _answer(sample_id: str, end: float, ok: bool = True, performance: dict | None = None) -> AnswerRecord:
    return AnswerRecord(
        sample_id=sample_id,
        answer="a" if ok else None,
        error=None if ok else ErrorInfo(kind="http", message="500", status=500),
        timings=Timings(started_at=end - 0.5, latency_s=0.5),
        extra={"performance": performance} if performance else {},
    )


def _append(run_dir: RunDir, *records: AnswerRecord) -> None:
    with run_dir.answers_appender() as appender:
        for record in records:
            appender.append(record)


def test_counts_rate_and_eta_follow_the_growing_answers_file(tmp_path: Path) -> None:
    run_dir = _run_dir(tmp_path, n_samples=10)
    tracker = ProgressTracker()
    first = tracker.read(run_dir)
    assert (first.status, first.stage, first.total, first.done, first.eta_s) == (
        "running",
        "infer",
        10,
        0,
        None,
    )
    _append(run_dir, *(_answer(f"s{i}", 100.0 + i) for i in range(4)))  # one answer a second
    second = tracker.read(run_dir)
    assert (second.answered, second.failed) == (4, 0)
    assert second.rate_per_s == pytest.approx(4 / 3.5)  # first sent at 99.5, last received at 103
    assert second.eta_s == pytest.approx(6 / (4 / 3.5))
    _append(run_dir, _answer("s4", 104.0, ok=False))
    third = tracker.read(run_dir)
    assert (third.answered, third.failed, third.done) == (4, 1, 5)
    _append(run_dir, _answer("s4", 105.0))  # a retry that succeeded is not a failure any more
    assert (tracker.read(run_dir).answered, tracker.read(run_dir).failed) == (5, 0)


def test_a_half_written_last_line_waits_for_the_next_read(tmp_path: Path) -> None:
    run_dir = _run_dir(tmp_path)
    tracker = ProgressTracker()
    line = _answer("s0", 100.0).model_dump_json().encode()
    with run_dir.answers.open("ab") as fh:
        fh.write(line[:20])
    assert tracker.read(run_dir).done == 0
    with run_dir.answers.open("ab") as fh:
        fh.write(line[20:] + b"\n")
    assert tracker.read(run_dir).done == 1


def test_a_replaced_answers_file_is_read_again_from_its_start(tmp_path: Path) -> None:
    run_dir = _run_dir(tmp_path)
    tracker = ProgressTracker()
    _append(run_dir, _answer("s0", 100.0), _answer("s1", 101.0))
    assert tracker.read(run_dir).done == 2
    run_dir.answers.unlink()
    _append(run_dir, _answer("s9", 100.0))
    assert tracker.read(run_dir).done == 1


def test_latest_telemetry_comes_from_the_wrappers_measurements(tmp_path: Path) -> None:
    run_dir = _run_dir(tmp_path)
    _append(
        run_dir,
        _answer("s0", 100.0, performance={"latency_s": 0.5, "gpu_memory_used_bytes": 1000}),
        _answer(
            "s1",
            102.0,
            performance={
                "latency_s": 0.5,
                "gpu_memory_used_bytes": 3000,
                "peak_vram_bytes": 7,
                "rss_bytes": 5_000_000,
                "cpu_percent": 150.0,
            },
        ),
        _answer("s2", 101.0, performance={"latency_s": 0.5, "gpu_memory_used_bytes": 2000}),
    )
    telemetry = ProgressTracker().read(run_dir).telemetry
    assert telemetry is not None
    assert (telemetry.gpu_memory_used_bytes, telemetry.peak_vram_bytes, telemetry.at) == (3000, 7, 102.0)
    assert (telemetry.rss_bytes, telemetry.cpu_percent) == (5_000_000, 150.0)


def test_a_finished_run_has_no_eta_and_reads_as_finished(tmp_path: Path) -> None:
    run_dir = _run_dir(tmp_path, n_samples=2, status="completed", stage="")
    _append(run_dir, _answer("s0", 100.0), _answer("s1", 101.0))
    progress = ProgressTracker().read(run_dir)
    assert progress.finished and progress.eta_s is None and progress.public()["done"] == 2


def test_a_corrupt_manifest_is_reported_not_raised(tmp_path: Path) -> None:
    run_dir = _run_dir(tmp_path)
    run_dir.manifest.write_text("{not json")
    progress = ProgressTracker().read(run_dir)
    assert progress.status == "unknown" and progress.error and "manifest.json" in progress.error


def test_answers_per_s_counts_answers_over_first_sent_to_last_received() -> None:
    assert answers_per_s([(10.0, 11.0), (10.5, 12.0), (13.0, 14.0)]) == pytest.approx(3 / 4)
    assert answers_per_s([]) is None
    assert answers_per_s([(10.0, 10.0)]) is None


def test_the_live_rate_is_the_run_pages_answers_per_s(tmp_path: Path) -> None:
    """One definition: the live line and the index's figure agree on the same folder, with
    failed requests, a retried sample and an answer served from a cache among the answers."""
    runs = tmp_path / "runs"
    run_dir = make_run_folder(runs / "exp", "r1", n=120, fail_every=5, status="running")
    base = run_dir.read_spec()
    failed = next(r for r in run_dir.read_answers() if not r.ok)
    first = next(r for r in run_dir.read_answers() if r.ok)
    assert first.timings is not None and base.dataset.n_samples == 120
    end = first.timings.started_at + 200
    _append(
        run_dir,
        failed.model_copy(
            update={"answer": "retried", "error": None, "timings": Timings(started_at=end, latency_s=1.0)}
        ),
        first.model_copy(update={"extra": {"cached": True}}),  # served from a cache: not timed
    )
    index = open_index(runs, f"sqlite:///{tmp_path / 'index.sqlite'}")
    index.refresh()
    with index.session() as session:
        run = session.query(Run).one()
        indexed = run.samples_per_s
    index.close()
    live = ProgressTracker().read(run_dir).rate_per_s
    assert indexed is not None and live == pytest.approx(indexed)
