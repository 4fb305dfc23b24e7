"""The per-experiment leaderboard: ``comparison.md``, ``comparison.csv``, ``comparison.html``.

One row per run with its general metric values and latency; rows are grouped by task
(metrics of different tasks are not comparable) and, within a task, sorted by the first
metric, best first. The best value of each metric column within a task is marked. Each
task also gets its metrics per document class, and the HTML one chart per metric (its
own axis and direction: ANLS ↑ and CER ↓ never share one), one for speed and one of the
headline metric against latency (`_comparison_charts`).
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from ..core import MetricInfo, RunDir, UserError, atomic_write_text
from ._benchmark import benchmark_html, benchmark_md
from ._build import build_run_report
from ._comparison_charts import arrow, task_charts
from ._model import RunReport
from ._page_attributes import page_attributes_comparison_html, page_attributes_comparison_md
from ._robustness import robustness_comparison_html, robustness_comparison_md
from ._stats import fmt_num, fmt_with_ci
from .html import environment, plotly_js_file
from .markdown import md_cell, md_table
from .paired import PAIRED_HEADER, PAIRED_NOTE, PairedRow, paired_cells, paired_csv, paired_md, paired_rows

__all__ = ["ComparisonRow", "DocClassValues", "comparison_rows", "write_comparison"]

logger = logging.getLogger(__name__)

_FINGERPRINT_CHARS = 12


class DocClassValues(BaseModel):
    """One run's metric means on one document class."""

    n: int
    values: dict[str, float | None]
    """Metric name → mean over the class's samples."""


class ComparisonRow(BaseModel):
    """One run in the leaderboard."""

    run_id: str
    model: str
    backend: str
    task: str
    dataset: str
    """Dataset folder name."""
    dataset_fingerprint: str
    """The first 12 hex digits of the dataset fingerprint."""
    n_samples: int
    n_errors: int
    values: dict[str, float | None]
    """Metric name → general mean."""
    pooled: dict[str, float | None]
    """Metric name → general pooled (corpus) value, for pooled metrics."""
    ci: dict[str, tuple[float, float] | None] = {}
    """Metric name → bootstrap confidence interval of the general mean."""
    latency_p50_s: float | None = None
    """Over the successful answers not served from a cache (as every timing here)."""
    latency_p95_s: float | None = None
    ttft_p50_s: float | None = None
    n_cached: int = 0
    """Answers served from a cache (Tesseract's page OCR reused): not in the timings."""
    by_doc_class: dict[str, DocClassValues] = {}
    """doc_class (``(none)`` for none) → the run's means on it."""
    perf_max_request_throughput: float | None = None
    """Highest requests/s over the attached ``vlmhb perf`` levels."""
    perf_ttft_p50_s: float | None = None
    """Median TTFT of the attached perf level with the lightest load."""


@dataclass(frozen=True, slots=True)
class _Column:
    key: str
    """CSV header."""
    header: str
    """Header shown in Markdown and HTML."""
    get: Callable[[ComparisonRow], object]
    metric: MetricInfo | None = None
    """Set for metric columns: the best value is marked by its direction."""
    csv_only: bool = False
    """Left out of the Markdown and HTML tables (shown inside another cell there)."""
    show: Callable[[ComparisonRow], str] | None = None
    """How Markdown and HTML print the cell (default: the number)."""


def comparison_rows(reports: Sequence[RunReport]) -> list[ComparisonRow]:
    """One `ComparisonRow` per report, in the given order."""
    rows = []
    for r in reports:
        general = r.summary
        perf = r.performance
        rows.append(
            ComparisonRow(
                run_id=r.run_id,
                model=r.model,
                backend=r.backend.name,
                task=r.task,
                dataset=r.dataset.name,
                dataset_fingerprint=r.dataset.fingerprint[:_FINGERPRINT_CHARS],
                n_samples=r.counts.n_dataset,
                n_errors=r.counts.n_errors,
                values={m.name: general.values.get(m.name) if general else None for m in r.metrics},
                pooled={
                    m.name: general.pooled.get(m.name) if general else None for m in r.metrics if m.pooled
                },
                ci={m.name: general.ci.get(m.name) if general else None for m in r.metrics},
                latency_p50_s=perf.latency_s.p50 if perf.latency_s else None,
                latency_p95_s=perf.latency_s.p95 if perf.latency_s else None,
                ttft_p50_s=perf.ttft_s.p50 if perf.ttft_s else None,
                n_cached=perf.n_cached,
                by_doc_class={
                    row.group.get("doc_class", "") or "(none)": DocClassValues(
                        n=row.n, values={m.name: row.values.get(m.name) for m in r.metrics}
                    )
                    for row in r.by_doc_class
                },
                **_attached_perf(r),
            )
        )
    return rows


def _attached_perf(report: RunReport) -> dict[str, float | None]:
    """Highest throughput over the attached perf levels, and TTFT at the lightest load."""
    from ..perf import LevelSummary  # perf builds on reports: imported only when used

    # build_run_report validated each summary.json and named the bad ones in `missing`
    levels = [LevelSummary.model_validate(level) for level in report.perf]
    levels = [level for level in levels if level.completed]
    if not levels:
        return {}
    lightest = min(levels, key=lambda lv: lv.settings.concurrency or lv.settings.rate or 0)
    return {
        "perf_max_request_throughput": max(level.request_throughput for level in levels),
        "perf_ttft_p50_s": lightest.ttft_s.median,
    }


def _value_of(metric: str, *, pooled: bool) -> Callable[[ComparisonRow], object]:
    return lambda row: (row.pooled if pooled else row.values).get(metric)


def _with_ci(metric: str) -> Callable[[ComparisonRow], str]:
    return lambda row: fmt_with_ci(row.values.get(metric), row.ci.get(metric))


def _ci_of(metric: str, end: int) -> Callable[[ComparisonRow], object]:
    return lambda row: (row.ci.get(metric) or (None, None))[end]


def _columns(metrics: Sequence[MetricInfo], with_perf: bool = False) -> list[_Column]:
    columns = [
        _Column("run_id", "run", lambda r: r.run_id),
        _Column("model", "model", lambda r: r.model),
        _Column("backend", "backend", lambda r: r.backend),
        _Column("task", "task", lambda r: r.task),
        _Column("dataset", "dataset", lambda r: r.dataset),
        _Column("dataset_fingerprint", "fingerprint", lambda r: r.dataset_fingerprint),
        _Column("n_samples", "n", lambda r: r.n_samples),
        _Column("n_errors", "errors", lambda r: r.n_errors),
    ]
    for m in metrics:
        arrow = "↑" if m.higher_is_better else "↓"
        columns.append(
            _Column(
                m.name, f"{m.name} {arrow} [CI]", _value_of(m.name, pooled=False), m, show=_with_ci(m.name)
            )
        )
        for i, end in enumerate(("low", "high")):
            columns.append(_Column(f"{m.name}_ci_{end}", f"CI {end}", _ci_of(m.name, i), csv_only=True))
        if m.pooled:
            columns.append(
                _Column(f"{m.name}_pooled", f"{m.name} pooled {arrow}", _value_of(m.name, pooled=True), m)
            )
    return [
        *columns,
        _Column("latency_p50_s", "latency p50, s", lambda r: r.latency_p50_s),
        _Column("latency_p95_s", "latency p95, s", lambda r: r.latency_p95_s),
        _Column("ttft_p50_s", "TTFT p50, s", lambda r: r.ttft_p50_s),
        _Column("n_cached", "cached", lambda r: r.n_cached, csv_only=True),
        *(
            [
                _Column(
                    "perf_max_request_throughput", "perf max req/s", lambda r: r.perf_max_request_throughput
                ),
                _Column("perf_ttft_p50_s", "perf TTFT p50, s", lambda r: r.perf_ttft_p50_s),
            ]
            if with_perf
            else []
        ),
    ]


@dataclass(frozen=True, slots=True)
class _TaskTable:
    task: str
    metrics: list[MetricInfo]
    rows: list[ComparisonRow]
    columns: list[_Column]
    notes: list[str]
    """What is left out of the numbers, and why: cached answers, missing or bad inputs."""

    @property
    def doc_classes(self) -> list[str]:
        """The document classes of the task's runs, in first-seen order."""
        return list(dict.fromkeys(c for row in self.rows for c in row.by_doc_class))

    def by_doc_class_body(self) -> list[list[object]]:
        """Rows of the per-document-class table: doc_class, run, n, then each metric's mean."""
        body: list[list[object]] = []
        for doc_class in self.doc_classes:
            for row in self.rows:
                cell = row.by_doc_class.get(doc_class)
                if cell is not None:
                    body.append(
                        [doc_class, row.run_id, cell.n, *(cell.values.get(m.name) for m in self.metrics)]
                    )
        return body

    def by_doc_class_header(self) -> list[str]:
        """Header of `by_doc_class_body`."""
        return ["doc_class", "run", "n", *(f"{m.name} {arrow(m)}" for m in self.metrics)]

    def is_best(self, column: _Column, row: ComparisonRow) -> bool:
        """Whether ``row`` holds the best value of a metric ``column`` in this table."""
        if column.metric is None or column.get(row) is None:
            return False
        known = [v for v in (column.get(r) for r in self.rows) if isinstance(v, (int, float))]
        if len(known) < 2:  # a lone value is not "best" of anything
            return False
        best = max(known) if column.metric.higher_is_better else min(known)
        return column.get(row) == best


def _notes(reports: Sequence[RunReport]) -> list[str]:
    """Per run: answers left out of the timings, and inputs that are missing or unreadable."""
    notes = []
    for r in reports:
        perf = r.performance
        if perf.n_cached:
            notes.append(
                f"{r.run_id}: {perf.n_cached} of {perf.n_ok} answers were served from a cache (the "
                "backend reused an earlier result, e.g. Tesseract's OCR of the same page): they are "
                "left out of the latency and TTFT columns, as their time is not the model's speed."
            )
        notes += [f"{r.run_id}: {note}" for note in r.missing]
    return notes


def _first_seen_metrics(reports: Sequence[RunReport]) -> list[MetricInfo]:
    """Every metric of ``reports`` by name, in first-seen order."""
    metrics: dict[str, MetricInfo] = {}
    for report in reports:
        for m in report.metrics:
            metrics.setdefault(m.name, m)
    return list(metrics.values())


def _tables(reports: Sequence[RunReport]) -> list[_TaskTable]:
    """Rows grouped by task (sorted by name), each sorted by its first metric, best first."""
    tables = []
    rows = comparison_rows(reports)
    for task in sorted({r.task for r in reports}):
        metrics = _first_seen_metrics([rep for rep in reports if rep.task == task])
        task_rows = [row for row in rows if row.task == task]
        if metrics:
            first = metrics[0]
            sign = -1.0 if first.higher_is_better else 1.0

            def key(row: ComparisonRow, name: str = first.name, s: float = sign) -> tuple[bool, float, str]:
                value = row.values.get(name)
                return (value is None, s * value if value is not None else 0.0, row.run_id)

            task_rows.sort(key=key)
        with_perf = any(r.perf_max_request_throughput is not None for r in task_rows)
        columns = [c for c in _columns(metrics, with_perf) if not c.csv_only]
        notes = _notes([rep for rep in reports if rep.task == task])
        tables.append(_TaskTable(task, metrics, task_rows, columns, notes))
    return tables


def _render_md(
    experiment: str,
    tables: list[_TaskTable],
    pairs: list[PairedRow] | None = None,
    reports: Sequence[RunReport] = (),
) -> str:
    parts = [
        f"# Comparison: {md_cell(experiment)}",
        (
            "Best value per metric in **bold** (↑ higher is better, ↓ lower is better). "
            "Latency over successful requests not served from a cache, in seconds."
        ),
    ]
    parts += benchmark_md(reports)
    for table in tables:
        parts.append(f"## Task: {md_cell(table.task)}")
        body = []
        for row in table.rows:
            cells: list[object] = []
            for col in table.columns:
                value = col.get(row)
                text = (
                    col.show(row)
                    if col.show
                    else fmt_num(value)
                    if value is None or isinstance(value, (int, float))
                    else value
                )
                cells.append(f"**{text}**" if table.is_best(col, row) else text)
            body.append(cells)
        parts.append(md_table([c.header for c in table.columns], body))
        versions = ", ".join(f"{m.name}@{m.version}" for m in table.metrics)
        parts.append(f"Metrics: {md_cell(versions) if versions else '—'}.")
        if table.doc_classes and table.metrics:
            parts += [
                f"### Task {md_cell(table.task)} by document class",
                md_table(table.by_doc_class_header(), table.by_doc_class_body()),
            ]
        if table.notes:
            parts.append("\n".join(f"- {md_cell(note, 1000)}" for note in table.notes))
    parts += robustness_comparison_md(reports)
    parts += page_attributes_comparison_md(reports)
    parts += paired_md(pairs or [])
    return "\n\n".join(parts) + "\n"


def _render_csv(reports: Sequence[RunReport], tables: list[_TaskTable]) -> str:
    with_perf = any(r.perf_max_request_throughput is not None for t in tables for r in t.rows)
    columns = _columns(_first_seen_metrics(reports), with_perf)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([c.key for c in columns])
    for table in tables:
        for row in table.rows:
            values = [c.get(row) for c in columns]
            writer.writerow(["" if v is None else repr(v) if isinstance(v, float) else v for v in values])
    return buf.getvalue()


def _render_html(
    experiment: str,
    tables: list[_TaskTable],
    plotly_src: str,
    pairs: list[PairedRow] | None = None,
    reports: Sequence[RunReport] = (),
) -> str:
    return (
        environment()
        .get_template("comparison.html.j2")
        .render(
            experiment=experiment,
            tables=tables,
            charts=[task_charts(t) for t in tables],
            plotly_src=plotly_src,
            fmt_num=fmt_num,
            pairs=pairs or [],
            paired_header=PAIRED_HEADER,
            paired_cells=paired_cells,
            paired_note=PAIRED_NOTE,
            benchmark_block=benchmark_html(reports),
            robustness_block=robustness_comparison_html(reports),
            page_attributes_block=page_attributes_comparison_html(reports),
        )
    )


def write_comparison(experiment_dir: Path, run_dirs: list[RunDir]) -> list[Path]:
    """Write the leaderboard of ``run_dirs`` into ``experiment_dir``.

    A run directory without a readable run spec is left out with a warning.

    Returns:
        The paths of ``comparison.md``, ``comparison.csv``, ``comparison_pairs.csv`` and
        ``comparison.html`` (which loads the ``plotly-<version>.min.js`` written beside it).
    """
    experiment_dir = Path(experiment_dir)
    reports: list[RunReport] = []
    kept: list[RunDir] = []
    for run_dir in run_dirs:
        try:
            reports.append(build_run_report(run_dir))
            kept.append(run_dir)
        except UserError as exc:
            logger.warning("leaving %s out of the comparison: %s", run_dir.root, exc)
    tables = _tables(reports)
    pairs = paired_rows(reports, kept)
    experiment = reports[0].experiment if reports else experiment_dir.name
    outputs = {
        "comparison.md": _render_md(experiment, tables, pairs, reports),
        "comparison.csv": _render_csv(reports, tables),
        "comparison_pairs.csv": paired_csv(pairs),
        "comparison.html": _render_html(experiment, tables, plotly_js_file(experiment_dir), pairs, reports),
    }
    paths = []
    for name, text in outputs.items():
        atomic_write_text(experiment_dir / name, text)
        paths.append(experiment_dir / name)
    return paths
