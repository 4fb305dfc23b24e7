"""Filling the index from RUNS_DIR: a full rebuild, or an incremental refresh.

RUNS_DIR holds experiment folders, each holding run folders (`core.experiment_runs`); a
RUNS_DIR that is itself an experiment folder is indexed as one experiment. A refresh looks
at each run's files by mtime and size and reads only what changed: answers.jsonl from the
byte offset indexed last time (a half-written last line is left for the next pass),
metrics/metrics.json and metrics/samples.jsonl (or metrics_by_id.csv) when they changed.
A folder that cannot be read is recorded with its error, never stops the scan. Nothing is
ever written to RUNS_DIR.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..core import AnswerRecord, MetricsDir, RunDir, UserError, experiment_runs
from ..core.contracts import Manifest, RunSpec
from . import _ingest
from . import _sample_rows as _rows
from .db import Experiment, Index, MetricRow, Run, SampleRow, SampleScore

__all__ = ["RefreshResult", "clear", "experiment_dirs", "read_answer_at", "rebuild", "refresh"]

logger = logging.getLogger(__name__)

_ERR_SEP = "\n"


@dataclass
class RefreshResult:
    """What one pass did."""

    runs_seen: int = 0
    runs_changed: int = 0
    answers_added: int = 0
    corrupt: int = 0
    removed: int = 0
    duration_s: float = 0.0


def experiment_dirs(runs_dir: Path) -> list[Path]:
    """The experiment folders of ``runs_dir`` (folders holding run folders), in name order;
    ``runs_dir`` itself first when it holds run folders (it is then an experiment folder)."""
    if not runs_dir.is_dir():
        return []
    dirs = [p for p in sorted(runs_dir.iterdir()) if p.is_dir() and not p.name.startswith(".")]
    found = [p for p in dirs if experiment_runs(p)]
    if any((p / "run_spec.json").is_file() for p in dirs):
        found.insert(0, runs_dir)  # RUNS_DIR is itself an experiment folder
    return found


def refresh(index: Index) -> RefreshResult:
    """Bring the index up to date with its RUNS_DIR.

    Raises:
        IndexUnavailable: the database is gone or refuses a write.
    """
    with index.lock:
        started = time.perf_counter()
        result = RefreshResult()
        try:
            _refresh(index, result)
        except SQLAlchemyError as exc:
            raise index.unavailable(exc) from None
        result.duration_s = time.perf_counter() - started
        return result


def rebuild(index: Index) -> RefreshResult:
    """Forget everything indexed and index RUNS_DIR again."""
    clear(index)
    return refresh(index)


def clear(index: Index) -> None:
    """Forget everything indexed (the next refresh reads every run folder again).

    Raises:
        IndexUnavailable: the database is gone or refuses the write.
    """
    with index.lock:
        try:
            with Session(index.engine) as session:
                for table in (SampleScore, SampleRow, MetricRow, Run, Experiment):
                    session.execute(delete(table))
                session.commit()
        except SQLAlchemyError as exc:
            raise index.unavailable(exc) from None


def _refresh(index: Index, result: RefreshResult) -> None:
    seen_runs: set[int] = set()
    seen_experiments: set[int] = set()
    for exp_dir in experiment_dirs(index.runs_dir):
        name = exp_dir.name
        with Session(index.engine, expire_on_commit=False) as session:
            exp = session.scalar(select(Experiment).where(Experiment.name == name))
            if exp is None:
                exp = Experiment(name=name, path=str(exp_dir))
                session.add(exp)
            exp.mtime = _ingest.mtime(exp_dir)
            session.commit()
            seen_experiments.add(exp.id)
            known = dict(session.execute(select(Run.run_id, Run.id).where(Run.experiment_id == exp.id)).all())
        for run_dir in experiment_runs(exp_dir):
            run_id = run_dir.root.name
            with Session(index.engine, expire_on_commit=False) as session:
                run = session.get(Run, known[run_id]) if run_id in known else None
                if run is None:
                    run = Run(experiment_id=exp.id, experiment=name, run_id=run_id, path=str(run_dir.root))
                    session.add(run)
                    session.flush()
                changed, added = _index_run(session, run, run_dir)
                session.commit()
                seen_runs.add(run.id)
                result.runs_seen += 1
                result.runs_changed += changed
                result.answers_added += added
                result.corrupt += run.status == "corrupt"
    with Session(index.engine) as session:
        gone = [r for r in session.scalars(select(Run.id)) if r not in seen_runs]
        if gone:
            for table in (SampleScore, SampleRow, MetricRow):
                session.execute(delete(table).where(table.run_pk.in_(gone)))
            session.execute(delete(Run).where(Run.id.in_(gone)))
            result.removed = len(gone)
        session.execute(delete(Experiment).where(Experiment.id.not_in(seen_experiments or {-1})))
        session.commit()


def _errors(run: Run) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in (run.error or "").split(_ERR_SEP):
        key, _, message = line.partition(": ")
        if key:
            out[key] = f"{out[key]}; {message}" if key in out else message
    return out


def _set_errors(run: Run, errors: dict[str, str]) -> None:
    run.error = _ERR_SEP.join(f"{k}: {v}" for k, v in errors.items()) or None


def _one_line(exc: BaseException) -> str:
    return " — ".join(part.strip() for part in str(exc).splitlines() if part.strip())


def _index_run(session: Session, run: Run, run_dir: RunDir) -> tuple[bool, int]:
    """Update ``run`` from its folder; returns (whether anything changed, answers added)."""
    errors = _errors(run)
    spec_m = _ingest.mtime(run_dir.run_spec)
    manifest_m = _ingest.mtime(run_dir.manifest)
    metrics = MetricsDir(run_dir.metrics_dir)
    metrics_m = _ingest.mtime(metrics.summary_json)
    samples_src = metrics.samples_jsonl if metrics.samples_jsonl.exists() else metrics.by_id_csv
    samples_m = _ingest.mtime(samples_src)
    answers_size = _ingest.size(run_dir.answers)
    unchanged = (
        run.spec_mtime == spec_m
        and run.manifest_mtime == manifest_m
        and run.metrics_mtime == metrics_m
        and run.samples_mtime == samples_m
        and run.answers_size == answers_size
        and run.status != "running"  # an owner process that died turns it into interrupted
    )
    if unchanged and run.indexed_at:
        return False, 0
    spec: RunSpec | None = None
    if run.spec_mtime != spec_m or run.status == "corrupt" or not run.indexed_at:
        errors.pop("run_spec.json", None)
        try:
            spec = run_dir.read_spec()
        except UserError as exc:
            errors["run_spec.json"] = _one_line(exc)
        else:
            _apply_spec(run, spec)
        run.spec_mtime = spec_m
    manifest: Manifest | None = None
    if manifest_m:
        errors.pop("manifest.json", None)
        try:
            manifest = run_dir.read_manifest()
        except UserError as exc:
            errors["manifest.json"] = _one_line(exc)
    run.manifest_mtime = manifest_m
    if answers_size < run.indexed_offset:  # replaced or cut: start over
        _rows.forget_samples(session, run)
        errors.pop("answers.jsonl", None)
    existing = _rows.existing_samples(session, run)
    added, answer_rows = 0, dict[str, dict[str, Any]]()
    if answers_size != run.indexed_offset:
        added, answer_rows = _read_answers(run, run_dir, answers_size, existing, errors)
    sample_rows: dict[str, dict[str, Any]] | None = None
    if run.samples_mtime != samples_m:
        errors.pop(samples_src.name, None)
        try:
            sample_rows = _rows.read_samples(samples_src)
        except (UserError, OSError, ValueError) as exc:
            errors[samples_src.name] = _one_line(exc)
        run.samples_mtime = samples_m
    if answer_rows or sample_rows is not None:
        _rows.write_samples(session, run, existing, answer_rows, sample_rows)
    if run.metrics_mtime != metrics_m:
        errors.pop("metrics.json", None)
        try:
            _index_metrics(session, run, metrics)
        except UserError as exc:
            errors["metrics.json"] = _one_line(exc)
        run.metrics_mtime = metrics_m
    _apply_status(run, manifest, errors)
    _rows.count_answers(session, run)
    if added or not run.indexed_at:
        _rows.speed_figures(session, run)
    _set_errors(run, errors)
    run.indexed_at = time.time()
    return True, added


def _apply_spec(run: Run, spec: RunSpec) -> None:
    run.model = spec.model
    run.backend = spec.backend.name
    run.task = spec.task
    run.dataset_path = spec.dataset.path
    run.dataset = Path(spec.dataset.path).name
    run.n_samples = spec.dataset.n_samples


def _apply_status(run: Run, manifest: Manifest | None, errors: dict[str, str]) -> None:
    if "run_spec.json" in errors or "manifest.json" in errors:
        run.status = "corrupt"
        return
    if manifest is None:  # a folder of `vlmhb evaluate --answers-dir`: no manifest
        run.status = "completed" if run.metrics_mtime else "pending"
        return
    run.status = manifest.status
    run.created_at = manifest.created_at
    starts = [s.started_at for s in manifest.stages.values() if s.started_at is not None]
    ends = [s.finished_at for s in manifest.stages.values() if s.finished_at is not None]
    run.started_at = min(starts) if starts else None
    run.finished_at = max(ends) if ends and manifest.status != "running" else None


def _read_answers(
    run: Run, run_dir: RunDir, size: int, existing: dict[str, tuple[int, bool]], errors: dict[str, str]
) -> tuple[int, dict[str, dict[str, Any]]]:
    """The new complete lines of answers.jsonl as `SampleRow` columns, the latest per sample
    (a success is never replaced by a later failure); returns (records read, rows)."""
    if size == 0:
        return 0, {}
    try:
        chunk = _ingest.read_answers_from(run_dir.answers, run.indexed_offset, run.n_lines + 1)
    except OSError as exc:
        errors["answers.jsonl"] = _one_line(exc)
        return 0, {}
    if chunk.errors:
        errors["answers.jsonl"] = "; ".join(filter(None, [errors.get("answers.jsonl"), *chunk.errors]))
    latest: dict[str, tuple[int, AnswerRecord]] = {}
    for offset, rec in chunk.records:
        prev = latest.get(rec.sample_id)
        prev_ok = prev[1].ok if prev else existing.get(rec.sample_id, (0, False))[1]
        if (prev is None and rec.sample_id not in existing) or not prev_ok or rec.ok:
            latest[rec.sample_id] = (offset, rec)
    run.indexed_offset = chunk.end_offset
    run.answers_size = size
    run.n_lines += chunk.n_lines
    return len(chunk.records), {sid: _ingest.answer_row(off, rec) for sid, (off, rec) in latest.items()}


def _index_metrics(session: Session, run: Run, metrics: MetricsDir) -> None:
    session.execute(delete(MetricRow).where(MetricRow.run_pk == run.id))
    if not metrics.summary_json.exists():
        for key in ("headline_metric", "headline_value", "headline_ci_low", "headline_ci_high"):
            setattr(run, key, None)
        return
    summary = _ingest.read_summary(metrics.summary_json)
    rows = _ingest.metric_rows(summary)
    if rows:
        session.execute(insert(MetricRow), [{"run_pk": run.id, **r} for r in rows])
    for key, value in _ingest.headline(summary).items():
        setattr(run, key, value)
    run.n_missing = summary.n_missing


def read_answer_at(run: Run, offset: int) -> AnswerRecord | None:
    """The answer record at byte ``offset`` of ``run``'s answers.jsonl (None if unreadable)."""
    try:
        with RunDir(Path(run.path)).answers.open("rb") as fh:
            fh.seek(offset)
            return AnswerRecord.model_validate_json(fh.readline())
    except (OSError, ValueError):
        return None
