"""The prototype's answers and metric CSVs, for its downstream scripts (opt-in).

Written from what evaluation wrote (a `MetricsDir`: ``metrics.json`` and
``samples.jsonl``), in the prototype's formats (``;``, UTF-8 with BOM, no index column):

- ``<stem>.csv``: ``id;model_answer`` (an empty answer where the request failed);
- ``<stem>_<aggregator>.csv`` per aggregator, under the prototype's names: ``by_id``
  (``id``, ``model_answer``, every column of the sample's ``annotation.csv`` row, then
  the metrics), ``by_doc_question`` (``doc_class``, ``question_type``, metrics),
  ``by_doc_type`` (``doc_class``, metrics), ``general`` (metrics; one row). Another
  aggregator's file has its own name and group columns.

Metric columns are named as the prototype named them: ``cer_error``, ``wer_error``,
``bleu_score`` (``bleu_error`` in ``by_doc_question`` and ``by_doc_type``); any other
metric under its own name. A group's value is the metric's pooled (corpus) value where
it has one, as the prototype computed CER, WER and BLEU over a group, else the mean;
groups are sorted by key, as pandas' ``groupby`` sorts them. The values are
VLMHyperBench's metrics (docs/metrics.md), not re-implementations of the prototype's.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from pathlib import Path

from ..aggregators import ALIASES
from ..core import (
    AggregateRow,
    MetricsDir,
    RunDir,
    RunSpec,
    Sample,
    SampleScoreRecord,
    atomic_write_text,
    read_semicolon_csv,
)
from ..datasets.prototype_csv import ANNOTATION_COLUMNS, DATA_DIRS, PrototypeCsvLoader
from ._answers import ANSWERS_CSV_COLUMNS

__all__ = [
    "PROTOTYPE_AGGREGATORS",
    "metric_column",
    "run_stem",
    "write_prototype_files",
    "write_run_prototype_files",
]

PROTOTYPE_AGGREGATORS = {ours: theirs for theirs, ours in ALIASES.items()}
"""Our aggregator name → the prototype's, where they differ (``by_field`` → ``by_doc_question``)."""

_METRIC_COLUMNS = {"cer": "cer_error", "wer": "wer_error", "bleu": "bleu_score"}
_GROUPED_BLEU = "bleu_error"  # the prototype's spelling in by_doc_question and by_doc_type


def metric_column(metric: str, aggregator: str) -> str:
    """The prototype's column for ``metric`` in the file of ``aggregator`` (our name)."""
    if metric == "bleu" and aggregator in PROTOTYPE_AGGREGATORS:
        return _GROUPED_BLEU
    return _METRIC_COLUMNS.get(metric, metric)


def _fmt(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def _write(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    atomic_write_text(path, "\ufeff" + buf.getvalue())
    return path


def _annotation_rows(
    samples: Sequence[Sample], records: Sequence[SampleScoreRecord], root: Path | None
) -> tuple[list[str], dict[str, list[str]]]:
    """The annotation header and each scored sample's cells: the raw ``annotation.csv``
    row where the dataset has one, else the sample's values under the prototype's columns."""
    by_id = {s.id: s for s in samples}
    raw = root / PrototypeCsvLoader.annotation_name if root is not None else None
    if raw is not None and raw.is_file():
        header, rows = read_semicolon_csv(raw)
        by_line = {line: row for line, row in rows}
        found = {r.sample_id: by_line.get(by_id[r.sample_id].metadata.get("line", -1)) for r in records}
        if all(row is not None for row in found.values()):
            return header, {sid: [row.get(c, "") for c in header] for sid, row in found.items() if row}
    cells = {}
    for record in records:
        sample = by_id[record.sample_id]
        images = [
            p.relative_to(root).as_posix() if root and p.is_relative_to(root) else str(p)
            for p in sample.images
        ]
        bbox = sample.metadata.get("answer_bbox")
        values = {
            "data_index": str(sample.metadata.get("data_index", "")),
            "split": sample.split,
            "image_path": ", ".join(images),
            "question": sample.question,
            "answer": record.references[0] if record.references else "",
            "doc_class": sample.doc_class,
            "question_type": sample.question_type,
            "answer_bbox": "[" + ", ".join(f"{v:g}" for v in bbox) + "]" if bbox else "",
        }
        cells[record.sample_id] = [values[c] for c in ANNOTATION_COLUMNS]
    return list(ANNOTATION_COLUMNS), cells


def _group_rows(
    aggregator: str, rows: Sequence[AggregateRow], names: Sequence[str]
) -> tuple[list[str], list[list[str]]]:
    keys = list(rows[0].group) if rows else []
    header = [*keys, *(metric_column(n, aggregator) for n in names)]

    def value(row: AggregateRow, name: str) -> float | None:
        pooled = row.pooled.get(name)
        return pooled if pooled is not None else row.values.get(name)

    ordered = sorted(rows, key=lambda r: tuple(r.group.values()))
    return header, [[*r.group.values(), *(_fmt(value(r, n)) for n in names)] for r in ordered]


def write_prototype_files(
    metrics: MetricsDir,
    *,
    stem: str,
    metrics_dir: Path,
    answers_dir: Path | None,
    samples: Sequence[Sample],
    dataset_root: Path | None = None,
) -> list[Path]:
    """Write the prototype's files from what evaluation wrote into ``metrics``.

    Args:
        metrics: The evaluation output (``metrics.json``, ``samples.jsonl``).
        stem: The answers file's stem; metric files are ``<stem>_<aggregator>.csv``.
        metrics_dir: Where the metric CSVs go (the prototype's ``ModelsMetrics/``).
        answers_dir: Where ``<stem>.csv`` goes (``ModelsAnswers/``); None: not written.
        samples: The dataset's samples (for the annotation columns of ``by_id``).
        dataset_root: The dataset folder: its ``annotation.csv`` rows are copied as they
            are into ``by_id``, and image paths are written relative to it.

    Returns:
        The files written.
    """
    summary, records = metrics.read_summary(), metrics.read_samples()
    names = [m.name for m in summary.metrics]
    written = []
    if answers_dir is not None:
        answers = [[r.sample_id, r.answer or ""] for r in records]
        written.append(_write(answers_dir / f"{stem}.csv", ANSWERS_CSV_COLUMNS, answers))
    for aggregator, rows in summary.aggregates.items():
        path = metrics_dir / f"{stem}_{PROTOTYPE_AGGREGATORS.get(aggregator, aggregator)}.csv"
        if aggregator == "by_id":
            columns, cells = _annotation_rows(samples, records, dataset_root)
            header = [*ANSWERS_CSV_COLUMNS, *columns, *(metric_column(n, aggregator) for n in names)]
            body = [
                [r.sample_id, r.answer or "", *cells[r.sample_id], *(_fmt(r.scores.get(n)) for n in names)]
                for r in records
            ]
        else:
            header, body = _group_rows(aggregator, rows, names)
        written.append(_write(path, header, body))
    return written


def run_stem(spec: RunSpec) -> str:
    """``<dataset>_<backend>_<model>_<TASK>_answers``: the prototype's answers file name
    (``{dataset}_{framework}_{model}_{task}_answers_{time}``) without the time stamp."""
    parts = (Path(spec.dataset.path).name, spec.backend.name, spec.model, spec.task.upper())
    return re.sub(r"[^\w.-]+", "-", "_".join(parts)) + "_answers"


def write_run_prototype_files(run_dir: RunDir, spec: RunSpec, samples: Sequence[Sample]) -> list[Path]:
    """A run's prototype files: ``<run>/prototype/ModelsAnswers/`` and ``.../ModelsMetrics/``."""
    folder = run_dir.prototype_dir
    return write_prototype_files(
        run_dir.metrics,
        stem=run_stem(spec),
        metrics_dir=folder / DATA_DIRS["model_metrics"],
        answers_dir=folder / DATA_DIRS["model_answers"],
        samples=samples,
        dataset_root=Path(spec.dataset.path),
    )
