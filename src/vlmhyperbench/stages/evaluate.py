"""Evaluation stage: score answers against a dataset, aggregate, write metric files.

Output (a `MetricsDir`: a run's ``metrics/`` or ``vlmhb evaluate --out``):
``metrics_by_id.csv`` (``sample_id`` then one column per metric, named as given),
``metrics_<aggregator>.csv`` for the other aggregators, ``metrics.json``
(`MetricsSummary`) and ``samples.jsonl`` (each sample's answer, references and scores).
A failed request, or an answer that cannot be parsed where the task needs JSON, is
scored as an empty answer (the strict score) and flagged. Only samples of the answered
task(s) are expected to have an answer: a dataset's samples of other tasks are not
counted as missing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import anyio

from ..aggregators import DEFAULT_AGGREGATORS, ScoredSample, aggregators
from ..benchmarks import Benchmark, benchmarks
from ..core import (
    AggregateRow,
    ConfigError,
    DatasetError,
    MetricsDir,
    MetricsSummary,
    Problem,
    RunDir,
    RunSpec,
    Sample,
    SampleScoreRecord,
    SourceLocation,
    StatisticsSpec,
    atomic_write_text,
    prepare_output_dir,
)
from ..datasets import Dataset, apply_filters, load_dataset
from ..metrics import Answered, Metric, Score
from ..tasks import tasks
from ._answers import LoadedAnswer, read_answers_file
from ._base import StageContext, StageResult
from .prototype_files import write_run_prototype_files

__all__ = [
    "EvaluateStage",
    "evaluate_answers",
    "evaluate_run",
    "score_samples",
    "write_metric_files",
]

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class _Prepared:
    sample: Sample
    view: Sample
    """The sample with references in the form metrics compare (canonical JSON for KIE)."""
    loaded: LoadedAnswer
    text: str
    invalid: str | None


def _prepare(sample: Sample, loaded: LoadedAnswer) -> _Prepared:
    task = tasks.get(sample.task)
    references = task.references(sample)
    view = sample if references == sample.answers else sample.model_copy(update={"answers": references})
    parsed = task.parse(loaded.answer, sample) if loaded.answer is not None else None
    text = parsed.text if parsed is not None and parsed.text is not None else ""
    return _Prepared(sample, view, loaded, text, parsed.invalid if parsed is not None else None)


def score_samples(
    samples: Sequence[Sample],
    answers: dict[str, LoadedAnswer],
    metrics: Sequence[Metric],
    progress: Progress | None = None,
) -> list[ScoredSample]:
    """Score each sample that has an answer with every metric (a metric at a time)."""
    prepared = [_prepare(s, answers[s.id]) for s in samples if s.id in answers]
    views = [p.view for p in prepared]
    answered = [Answered(p.text, p.loaded.record) for p in prepared]
    columns: dict[str, list[Score]] = {}
    for done, metric in enumerate(metrics, start=1):
        columns[metric.name] = metric.score_answers(answered, views)
        if progress is not None:
            progress(done * len(prepared), len(metrics) * len(prepared))
    rows: list[ScoredSample] = []
    for i, p in enumerate(prepared):
        scores = {name: column[i] for name, column in columns.items()}
        lenient = {}
        if p.invalid is not None and p.loaded.answer is not None:
            repaired = Answered(
                tasks.get(p.sample.task).repair(p.loaded.answer, p.sample).text or "", p.loaded.record
            )
            lenient = {m.name: m.score_answers([repaired], [p.view])[0] for m in metrics}
        rows.append(ScoredSample(p.sample, scores, p.loaded.answer, p.loaded.error, p.invalid, lenient))
    return rows


def _check_ids(
    samples: Sequence[Sample], answers: dict[str, LoadedAnswer], path: Path, all_ids: set[str]
) -> None:
    unknown = [a for a in answers.values() if a.sample_id not in all_ids]
    if unknown:
        shown = [
            Problem(SourceLocation(path, a.line), f"sample id '{a.sample_id}' is not in the dataset")
            for a in unknown[:10]
        ]
        more = f" ({len(unknown)} in all)" if len(unknown) > 10 else ""
        raise DatasetError(
            problems=[
                *shown,
                Problem(
                    None,
                    f"answers do not match the dataset{more}",
                    "check --dataset; for the prototype CSV, ids are 0-based row numbers of annotation.csv",
                ),
            ]
        )


def _fmt(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def _aggregate_csv(rows: Sequence[AggregateRow], names: Sequence[str]) -> str:
    """Group keys, ``n``, each metric's mean, then only the extra columns that have data:
    ``<m>_pooled``, ``<m>_ci_low``/``_high``, ``<m>_pooled_ci_low``/``_high``, ``<m>_lenient``."""
    # (header, AggregateRow field, metric, index into an interval or None)
    columns: list[tuple[str, str, str, int | None]] = [(n, "values", n, None) for n in names]
    columns += [(f"{n}_pooled", "pooled", n, None) for n in names if any(n in r.pooled for r in rows)]
    for n in names:
        for field, label in (("ci", ""), ("pooled_ci", "_pooled")):
            if any(getattr(r, field).get(n) for r in rows):
                columns += [(f"{n}{label}_ci_{end}", field, n, i) for i, end in enumerate(("low", "high"))]
        if any(n in r.lenient for r in rows):
            columns.append((f"{n}_lenient", "lenient", n, None))

    def cell(row: AggregateRow, field: str, name: str, index: int | None) -> str:
        value = getattr(row, field).get(name)
        return _fmt(value if index is None else (value[index] if value else None))

    keys = list(rows[0].group) if rows else []
    header = [*keys, "n", *(c[0] for c in columns)]
    body = [[*r.group.values(), str(r.n), *(cell(r, *c[1:]) for c in columns)] for r in rows]
    return _csv_text(header, body)


def write_metric_files(
    out: MetricsDir,
    rows: Sequence[ScoredSample],
    metrics: Sequence[Metric],
    summary: MetricsSummary,
) -> None:
    """Write the CSVs, ``samples.jsonl`` and ``metrics.json`` into ``out``."""
    prepare_output_dir(out.root, "the metrics folder")
    names = [m.name for m in metrics]
    atomic_write_text(
        out.by_id_csv,
        _csv_text(
            ["sample_id", *names], [[r.sample.id, *(_fmt(r.scores[n].value) for n in names)] for r in rows]
        ),
    )
    for agg_name, agg_rows in summary.aggregates.items():
        if agg_name == "by_id":
            continue
        atomic_write_text(out.aggregate_csv(agg_name), _aggregate_csv(agg_rows, names))
    lines = [
        SampleScoreRecord(
            sample_id=r.sample.id,
            doc_class=r.sample.doc_class,
            question_type=r.sample.question_type,
            split=r.sample.split,
            task=r.sample.task,
            answer=r.answer,
            references=list(r.sample.answers),
            scores={n: r.scores[n].value for n in names},
            lenient_scores={n: s.value for n, s in r.lenient.items()},
            details={n: dict(s.detail) for n, s in r.scores.items() if s.detail},
            error=r.error,
            invalid=r.invalid,
            images=[str(p) for p in r.sample.images],
        ).model_dump_json()
        for r in rows
    ]
    atomic_write_text(out.samples_jsonl, "\n".join(lines) + ("\n" if lines else ""))
    out.write_summary(summary)


def summarise_scores(
    rows: Sequence[ScoredSample],
    metrics: Sequence[Metric],
    aggregator_names: Sequence[str],
    *,
    n_missing: int,
    fingerprint: str,
    answers_file: str,
    statistics: StatisticsSpec,
    tasks: Sequence[str] = (),
) -> MetricsSummary:
    """The `MetricsSummary` of scored rows."""
    aggregates = {
        name: aggregators.get(name).aggregate(rows, metrics, statistics) for name in aggregator_names
    }
    return MetricsSummary(
        metrics=[m.info() for m in metrics],
        statistics=statistics,
        n_samples=len(rows),
        n_errors=sum(1 for r in rows if r.error is not None),
        n_missing=n_missing,
        dataset_fingerprint=fingerprint,
        answers_file=answers_file,
        tasks=list(tasks),
        aggregates=aggregates,
    )


def evaluate_answers(
    dataset: Dataset | Path | str,
    answers_file: Path | str,
    metrics: Sequence[Metric],
    out_dir: Path | str,
    *,
    aggregator_names: Sequence[str] = DEFAULT_AGGREGATORS,
    filters: dict[str, list[str]] | None = None,
    statistics: StatisticsSpec | None = None,
    progress: Progress | None = None,
    benchmark: Benchmark | None = None,
) -> MetricsSummary:
    """Score an answers file against a dataset and write the metric files.

    Args:
        filters: Kept values per sample attribute (``doc_class``, ``question_type``,
            ``split``, ``task``). Without a ``task`` filter, the tasks of the answered
            samples are scored: a dataset's samples of other tasks are not "missing".
        benchmark: The public benchmark the dataset was imported from: its headline
            goes into ``metrics.json``.

    Raises:
        DatasetError: the dataset or answers are malformed, or answer ids are unknown.
        ConfigError: ``out_dir`` cannot be a folder.
    """
    out = MetricsDir(Path(out_dir))
    prepare_output_dir(out.root, "--out")
    data = dataset if isinstance(dataset, Dataset) else load_dataset(Path(dataset), check_images=False)
    for name in aggregator_names:
        aggregators.get(name)
    answers_path = Path(answers_file)
    answers = read_answers_file(answers_path)
    _check_ids(data.samples, answers, answers_path, {s.id for s in data.samples})
    kept = dict(filters or {})
    if not kept.get("task"):
        kept["task"] = sorted({s.task for s in data.samples if s.id in answers})
    samples = apply_filters(data.samples, kept)
    rows = score_samples(samples, answers, metrics, progress)
    summary = summarise_scores(
        rows,
        metrics,
        aggregator_names,
        n_missing=len(samples) - len(rows),
        fingerprint=data.fingerprint,
        answers_file=str(answers_path),
        statistics=statistics or StatisticsSpec(),
        tasks=kept["task"],
    )
    if benchmark is not None:
        summary.benchmark = benchmark.score(rows, {m.name: m for m in metrics})
    write_metric_files(out, rows, metrics, summary)
    return summary


def evaluate_run(
    run_dir: RunDir,
    spec: RunSpec,
    samples: Sequence[Sample],
    metrics: Sequence[Metric],
    progress: Progress | None = None,
) -> MetricsSummary:
    """Evaluation stage of a run: score ``answers.jsonl`` into ``metrics/``.

    The answers are read through the run folder's contract (`RunDir.latest_answers`):
    every record is validated, and a bad one is an error naming its line.
    """
    answers = {
        sample_id: LoadedAnswer(
            sample_id, record.answer, record.error.message if record.error else None, 0, record
        )
        for sample_id, record in run_dir.latest_answers().items()
    }
    rows = score_samples(samples, answers, metrics, progress)
    summary = summarise_scores(
        rows,
        metrics,
        spec.aggregators,
        n_missing=len(samples) - len(rows),
        fingerprint=spec.dataset.fingerprint,
        answers_file=run_dir.answers.name,
        statistics=spec.statistics,
        tasks=[spec.task],
    )
    if spec.benchmark is not None:
        preset = benchmarks.get(spec.benchmark.name)
        summary.benchmark = preset.score(rows, {m.name: m for m in metrics})
    write_metric_files(run_dir.metrics, rows, metrics, summary)
    if spec.prototype_csv:
        write_run_prototype_files(run_dir, spec, samples)
    return summary


class EvaluateStage:
    """Score the run's answers with its metrics into ``metrics/``."""

    name: ClassVar[str] = "evaluate"
    needs_samples: ClassVar[bool] = True
    needs_pages: ClassVar[bool] = False
    needs_backend: ClassVar[bool] = False
    needs_metrics: ClassVar[bool] = True

    def check(self, run_dir: RunDir, stages: Sequence[str]) -> None:
        """There must be answers, or an inference stage to make them."""
        if "infer" not in stages and not run_dir.answers.exists():
            raise ConfigError(
                f"there are no answers to evaluate: {run_dir.answers} does not exist",
                hint="run inference first (only_evaluate: false), or copy an answers.jsonl there",
            )

    async def run(self, ctx: StageContext) -> StageResult:
        """Score in a worker thread (metrics are synchronous)."""
        summary = await anyio.to_thread.run_sync(
            lambda: evaluate_run(ctx.run_dir, ctx.spec, ctx.samples, ctx.metrics, ctx.progress)
        )
        return StageResult(
            {"scored": summary.n_samples, "errors": summary.n_errors, "missing": summary.n_missing}
        )
