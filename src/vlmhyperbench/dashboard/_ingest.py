"""Reading a run folder's files into index rows: answers from an offset, samples, metrics.

Only reads; nothing here opens a file of the run folder for writing.
"""

from __future__ import annotations

import csv
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..core import AnswerRecord, DatasetError, MetricsSummary, SourceLocation
from ..core._io import read_jsonl_models
from ..core.errors import problems_from_validation_error

__all__ = [
    "AnswerChunk",
    "answer_row",
    "metric_rows",
    "read_answers_from",
    "read_by_id_scores",
    "read_scored_samples",
    "read_summary",
]

MAX_LINE_ERRORS = 5
"""Bad answer lines named per pass; more are counted."""


@dataclass
class AnswerChunk:
    """The complete lines of answers.jsonl after an offset."""

    records: list[tuple[int, AnswerRecord]] = field(default_factory=list)
    """(byte offset of the line, record) in file order."""
    end_offset: int = 0
    """Offset after the last complete line; a half-written line after it is read next time."""
    n_lines: int = 0
    errors: list[str] = field(default_factory=list)


def read_answers_from(path: Path, offset: int, first_line: int) -> AnswerChunk:
    """Read the complete lines of ``path`` from byte ``offset``.

    Args:
        path: answers.jsonl.
        offset: Where the previous pass stopped (0 for a new run).
        first_line: Line number of the line at ``offset`` (1-based), for messages.
    """
    chunk = AnswerChunk(end_offset=offset)
    with path.open("rb") as fh:
        fh.seek(offset)
        data = fh.read()
    end = data.rfind(b"\n") + 1  # a last line without its newline is still being written
    pos = 0
    bad = 0
    while pos < end:
        nl = data.index(b"\n", pos)
        raw = data[pos:nl]
        line_no = first_line + chunk.n_lines
        chunk.n_lines += 1
        if raw.strip():
            try:
                chunk.records.append((offset + pos, AnswerRecord.model_validate_json(raw)))
            except ValidationError as exc:
                bad += 1
                if bad <= MAX_LINE_ERRORS:
                    where = SourceLocation(Path(path.name), line_no)
                    chunk.errors.append(problems_from_validation_error(exc, where)[0].render())
        pos = nl + 1
    if bad > MAX_LINE_ERRORS:
        chunk.errors.append(f"{bad - MAX_LINE_ERRORS} more bad lines")
    chunk.end_offset = offset + end
    return chunk


def answer_row(offset: int, rec: AnswerRecord) -> dict[str, Any]:
    """The `SampleRow` columns an answer record sets."""
    timings = rec.timings
    return {
        "answer": rec.answer,
        "error_kind": rec.error.kind if rec.error else None,
        "error_message": rec.error.message if rec.error else None,
        "started_at": timings.started_at if timings else None,
        "latency_s": timings.latency_s if timings else None,
        "ttft_s": timings.ttft_s if timings else None,
        "output_tokens_per_s": timings.output_tokens_per_s if timings else None,
        "output_tokens": rec.usage.completion_tokens,
        "cached": rec.extra.get("cached") is True,
        "attempts": int(rec.extra.get("attempts", rec.error.attempts if rec.error else 1) or 1),
        "line_offset": offset,
    }


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


class _ScoredSample(BaseModel):
    """The part of a `SampleScoreRecord` the index keeps; the rest of the line (details,
    lenient scores, images) is skipped unvalidated, which makes reading 5,000 lines ~3× faster."""

    model_config = ConfigDict(extra="ignore")

    sample_id: str
    doc_class: str = ""
    question_type: str = ""
    split: str = ""
    task: str = ""
    references: list[str] = Field(default_factory=list)
    scores: dict[str, float | None] = Field(default_factory=dict)
    error: str | None = None
    invalid: str | None = None


def read_scored_samples(path: Path) -> dict[str, dict[str, Any]]:
    """Each line of ``metrics/samples.jsonl`` as the `SampleRow` columns it sets (``ordinal``:
    the record's 0-based position in the file).

    Raises:
        DatasetError: a line is not a valid record (named by line and key).
    """
    out: dict[str, dict[str, Any]] = {}
    for ordinal, (_, rec) in enumerate(read_jsonl_models(path, _ScoredSample)):
        fields: dict[str, Any] = {
            "ordinal": out.get(rec.sample_id, {}).get("ordinal", ordinal),  # as a dict keeps it
            "doc_class": rec.doc_class,
            "question_type": rec.question_type,
            "split": rec.split,
            "task": rec.task,
            "references": list(rec.references),
            "scores": {k: _finite(v) for k, v in rec.scores.items()},
            "evaluated": True,
        }
        if rec.invalid and not rec.error:
            fields["error_kind"] = "invalid"
            fields["error_message"] = rec.invalid
        out[rec.sample_id] = fields
    return out


def read_by_id_scores(path: Path) -> dict[str, dict[str, float | None]]:
    """Scores per sample from ``metrics_by_id.csv`` (runs without ``samples.jsonl``), in the
    file's order."""
    out: dict[str, dict[str, float | None]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            sid = row.pop("sample_id", None)
            if sid is None:
                raise ValueError(f"{path.name} has no sample_id column")
            out[sid] = {k: _finite(float(v)) if v not in ("", None) else None for k, v in row.items()}
    return out


def read_summary(path: Path) -> MetricsSummary:
    """``metrics/metrics.json`` without its ``by_id`` aggregate (one row per sample, which
    samples.jsonl already gives): validating 5,000 rows nobody reads here costs ~0.5 s a run.

    Raises:
        DatasetError: the file is missing, not JSON, or not a valid `MetricsSummary`.
    """
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise DatasetError(f"{path.name} is missing", location=SourceLocation(path)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatasetError(f"not valid UTF-8 JSON: {exc}", location=SourceLocation(path)) from None
    if isinstance(data, dict) and isinstance(data.get("aggregates"), dict):
        data["aggregates"].pop("by_id", None)
    try:
        return MetricsSummary.model_validate(data)
    except ValidationError as exc:
        raise DatasetError(problems=problems_from_validation_error(exc, SourceLocation(path))) from None


def metric_rows(summary: MetricsSummary) -> list[dict[str, Any]]:
    """One `MetricRow` dict per (aggregator, group, metric) of ``summary``."""
    direction = {m.name: m.higher_is_better for m in summary.metrics}
    rows: list[dict[str, Any]] = []
    for aggregator, groups in summary.aggregates.items():
        if aggregator == "by_id":
            continue
        for group in groups:
            label = " / ".join(group.group.values()) or "all"
            for metric, value in group.values.items():
                ci = group.ci.get(metric)
                rows.append(
                    {
                        "aggregator": aggregator,
                        "group_key": dict(group.group),
                        "group_label": label,
                        "metric": metric,
                        "higher_is_better": direction.get(metric, True),
                        "value": _finite(value),
                        "ci_low": ci[0] if ci else None,
                        "ci_high": ci[1] if ci else None,
                        "pooled": _finite(group.pooled.get(metric)),
                        "n": group.n,
                        "n_scored": group.n_scored.get(metric),
                    }
                )
    return rows


def headline(summary: MetricsSummary) -> dict[str, Any]:
    """The run's headline: the benchmark's figure when there is one, else its first metric."""
    direction = {m.name: m.higher_is_better for m in summary.metrics}
    bench = summary.benchmark
    if bench is not None:
        return {
            "headline_metric": bench.name,
            "headline_value": _finite(bench.value),
            "headline_ci_low": bench.ci[0] if bench.ci else None,
            "headline_ci_high": bench.ci[1] if bench.ci else None,
            "headline_higher_is_better": direction.get(bench.metric, True),
        }
    general_rows = summary.aggregates.get("general") or []
    general = general_rows[0] if general_rows else None
    if not summary.metrics or general is None:
        return {
            "headline_metric": None,
            "headline_value": None,
            "headline_ci_low": None,
            "headline_ci_high": None,
        }
    name = summary.metrics[0].name
    ci = general.ci.get(name)
    return {
        "headline_metric": name,
        "headline_value": _finite(general.values.get(name)),
        "headline_ci_low": ci[0] if ci else None,
        "headline_ci_high": ci[1] if ci else None,
        "headline_higher_is_better": direction.get(name, True),
    }


def mtime(path: Path) -> float:
    """``path``'s modification time (0.0 when it is absent)."""
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0


def size(path: Path) -> int:
    """``path``'s size in bytes (0 when it is absent)."""
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
