"""Live figures of a run, read from its folder while it goes.

A run writes all a watcher needs: ``run_spec.json`` holds the number of samples
(``dataset.n_samples``), ``manifest.json`` its status and the stage that is running (written
atomically at each stage's start and end), and ``answers.jsonl`` grows by one flushed line per
answer, each carrying its timings and, behind ``vlmhb serve``, the wrapper's measurements
(``extra.performance``). `ProgressTracker` reads ``answers.jsonl`` from where it stopped last
time, so a poll costs what was appended since; a half-written last line waits for the next
poll. Nothing is written anywhere.

The figures are read here rather than from the dashboard's index because they must be fresh
within a second and cost nothing when the index lags; the index is for the run's results.
Both give a run's speed by one definition, `answers_per_s`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from ..core import AnswerRecord, RunDir, UserError, experiment_runs

__all__ = ["ProgressTracker", "RunProgress", "Telemetry", "answers_per_s"]

logger = logging.getLogger(__name__)

FINISHED = frozenset({"completed", "failed", "interrupted"})
"""Manifest statuses after which a run's figures no longer change."""


class Telemetry(BaseModel):
    """The latest measurements the serving side sent with an answer (``extra.performance``)."""

    model_config = ConfigDict(frozen=True)

    at: float | None = None
    """Unix time the answer finished."""
    gpu_memory_used_bytes: int | None = None
    """NVML memory in use on every GPU together (``vlmhb serve``'s watchdog)."""
    peak_vram_bytes: int | None = None
    """torch's peak allocation over the request's batch."""
    rss_bytes: int | None = None
    """Resident memory of the serving process."""
    cpu_percent: float | None = None
    """CPU use of the serving process (100 = one core)."""
    output_tokens_per_s: float | None = None
    ttft_s: float | None = None
    latency_s: float | None = None


class RunProgress(BaseModel):
    """What the run page and the experiments page show while a run goes."""

    model_config = ConfigDict(frozen=True)

    experiment: str
    run_id: str
    status: str
    """The manifest's status (``pending``, ``running``, ``completed``, ``failed``, ``interrupted``);
    ``unknown`` when the folder has no readable manifest yet."""
    stage: str = ""
    """The stage running now ("" when none)."""
    total: int = 0
    """Samples of the run (``run_spec.json``: ``dataset.n_samples``)."""
    answered: int = 0
    """Samples with an answer."""
    failed: int = 0
    """Samples whose latest request failed (requested again when the run is resumed)."""
    rate_per_s: float | None = None
    """The run's speed so far (`answers_per_s`), as the run page's and leaderboard's answers/s."""
    eta_s: float | None = None
    """Seconds left at that speed; None when the run is not inferring or no speed is known."""
    telemetry: Telemetry | None = None
    error: str | None = None
    """Why the folder could not be read (a corrupt manifest or spec)."""

    @property
    def done(self) -> int:
        """Samples answered or failed."""
        return self.answered + self.failed

    @property
    def finished(self) -> bool:
        """Whether the run ended (completed, failed or interrupted)."""
        return self.status in FINISHED

    @property
    def key(self) -> str:
        """``<experiment>/<run_id>``: the run's name across experiments."""
        return f"{self.experiment}/{self.run_id}"

    def public(self) -> dict[str, Any]:
        """The figures as sent to the browser (the model plus ``done``, ``finished``, ``key``)."""
        return {**self.model_dump(), "done": self.done, "finished": self.finished, "key": self.key}


@dataclass
class _AnswersTail:
    """What was read of one ``answers.jsonl`` so far."""

    offset: int = 0
    ok: dict[str, bool] = field(default_factory=dict)
    """Sample id → whether it has an answer (a success wins over earlier failures)."""
    spans: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Sample id → (request sent, answer received) of its answer, for the answered samples
    whose answer was not served from a cache (the ones `answers_per_s` counts)."""
    telemetry: Telemetry | None = None
    bad_lines: int = 0


def answers_per_s(spans: Iterable[tuple[float, float]]) -> float | None:
    """A run's speed: answers per second from the first request sent to the last answer received.

    Args:
        spans: (sent, received) Unix times of each answered sample's answer, answers served
            from a cache and failed requests left out.

    Returns:
        The number of spans over that wall time; None without two distinct instants. Every
        time in between counts, requests in flight or not (a resumed run's pause too).
    """
    starts, ends = [], []
    for start, end in spans:
        starts.append(start)
        ends.append(end)
    wall = max(ends) - min(starts) if ends else 0.0
    return len(ends) / wall if wall > 0 else None


def _finish_time(record: AnswerRecord) -> float | None:
    timings = record.timings
    return None if timings is None else timings.started_at + timings.latency_s


def _telemetry(record: AnswerRecord) -> Telemetry | None:
    performance = record.extra.get("performance")
    if not isinstance(performance, dict):
        return None
    fields = {k: performance.get(k) for k in Telemetry.model_fields if k != "at"}
    try:
        return Telemetry(at=_finish_time(record), **fields)
    except ValidationError:
        return None


class ProgressTracker:
    """Reads runs' live figures; keeps each ``answers.jsonl``'s read position between calls."""

    def __init__(self) -> None:
        self._tails: dict[Path, _AnswersTail] = {}
        self._last: dict[Path, tuple[tuple[tuple[int, int], ...], RunProgress]] = {}
        self._lock = threading.Lock()

    def read(self, run_dir: RunDir) -> RunProgress:
        """The run's figures now (a run that ended and whose files did not change since the
        last call is not read again)."""
        stamp = tuple(_stamp(p) for p in (run_dir.run_spec, run_dir.manifest, run_dir.answers))
        with self._lock:
            last = self._last.get(run_dir.root)
            if last is not None and last[0] == stamp and last[1].finished:
                return last[1]
            progress = self._read(run_dir)
            self._last[run_dir.root] = (stamp, progress)
            return progress

    def scan(self, experiments: Iterable[Path]) -> list[RunProgress]:
        """The figures of every run of these experiment folders."""
        return [self.read(run_dir) for folder in experiments for run_dir in experiment_runs(folder)]

    def _read(self, run_dir: RunDir) -> RunProgress:
        experiment, run_id = run_dir.root.parent.name, run_dir.root.name
        try:
            spec = run_dir.read_spec()
            manifest = run_dir.read_manifest() if run_dir.manifest.exists() else None
        except UserError as exc:
            return RunProgress(experiment=experiment, run_id=run_id, status="unknown", error=exc.render())
        tail = self._tail(run_dir)
        status = manifest.status if manifest else "unknown"
        stages = manifest.stages if manifest else {}
        stage = next((name for name, info in stages.items() if info.status == "running"), "")
        answered = sum(tail.ok.values())
        failed = len(tail.ok) - answered
        total = spec.dataset.n_samples
        rate = answers_per_s(tail.spans.values())
        inferring = status == "running" and stage == "infer"
        left = max(0, total - answered - failed)
        return RunProgress(
            experiment=spec.experiment,
            run_id=spec.run_id,
            status=status,
            stage=stage,
            total=total,
            answered=answered,
            failed=failed,
            rate_per_s=rate,
            eta_s=left / rate if inferring and rate else (0.0 if inferring and not left else None),
            telemetry=tail.telemetry,
        )

    def _tail(self, run_dir: RunDir) -> _AnswersTail:
        path = run_dir.answers
        tail = self._tails.setdefault(run_dir.root, _AnswersTail())
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size < tail.offset:  # the file was replaced (--fresh moved the folder aside)
            tail = self._tails[run_dir.root] = _AnswersTail()
        if size == tail.offset:
            return tail
        with path.open("rb") as fh:
            fh.seek(tail.offset)
            chunk = fh.read(size - tail.offset)
        complete, _, _ = chunk.rpartition(b"\n")
        if not complete and not chunk.endswith(b"\n"):
            return tail  # only a half-written line so far
        tail.offset += len(complete) + 1
        for line in complete.split(b"\n"):
            if line.strip():
                self._add(tail, line)
        return tail

    @staticmethod
    def _add(tail: _AnswersTail, line: bytes) -> None:
        try:
            record = AnswerRecord.model_validate_json(line)
        except ValidationError:
            tail.bad_lines += 1
            return
        tail.ok[record.sample_id] = tail.ok.get(record.sample_id, False) or record.ok
        if record.ok and record.timings is not None and record.extra.get("cached") is not True:
            tail.spans[record.sample_id] = (record.timings.started_at, _finish_time(record) or 0.0)
        elif record.ok:  # a later answer without timings, or from a cache, replaces a timed one
            tail.spans.pop(record.sample_id, None)
        telemetry = _telemetry(record)
        if telemetry is not None and (
            tail.telemetry is None or (telemetry.at or 0) >= (tail.telemetry.at or 0)
        ):
            tail.telemetry = telemetry


def _stamp(path: Path) -> tuple[int, int]:
    """Changes when the file does: its modification time and size ((-1, -1) when absent)."""
    try:
        st = path.stat()
    except OSError:
        return (-1, -1)
    return (st.st_mtime_ns, st.st_size)
