"""The robustness section of run and comparison reports: every metric per split.

A run aggregated ``by_split`` (the demo's runs are) has one row per split, in the
order in which the dataset lists its splits. The demo lists them from clean to the
most degraded (``clean``, ``degraded``, ``photo-1``, ``photo-2``, ``photo-3``), so the
table reads as a robustness curve: how a model's accuracy falls as pages get worse.
The section appears when a run has at least two splits. Each metric gets its own
chart, with its direction in the title (ANLS ↑ and CER ↓ never share an axis); the
comparison draws one line per model on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup

from ..core import AggregateRow, MetricInfo
from ._model import RunReport
from ._stats import fmt_num, fmt_with_ci
from .html import environment, figure_html
from .markdown import md_cell, md_table

__all__ = [
    "ordered_splits",
    "robustness_comparison_html",
    "robustness_comparison_md",
    "robustness_html",
    "robustness_md",
    "split_name",
    "split_order",
]

_NOTE = (
    "Each metric per split of the dataset, in the dataset's order (the demo: clean, "
    "degraded scans, then photographed pages of rising severity photo-1 to photo-3)."
)


def _name(row: AggregateRow) -> str:
    return split_name(row.group)


def _arrow(metric: MetricInfo) -> str:
    return "↑" if metric.higher_is_better else "↓"


def split_name(group: Mapping[str, str]) -> str:
    """A ``by_split`` group's split, ``(none)`` for samples without one."""
    return group.get("split", "") or "(none)"


def ordered_splits(groups: Iterable[Mapping[str, str]]) -> list[str]:
    """The splits of ``by_split`` groups in first-seen order: given each run's groups as its
    ``metrics.json`` lists them (the dataset's order), the order of the robustness curve."""
    return list(dict.fromkeys(split_name(group) for group in groups))


def split_order(reports: Sequence[RunReport]) -> list[str]:
    """The splits of ``reports`` in first-seen order (each run lists them as its dataset does)."""
    return ordered_splits(row.group for report in reports for row in report.by_split)


def _has_curve(report: RunReport) -> bool:
    return len(report.by_split) >= 2 and bool(report.metrics)


def _run_table(report: RunReport) -> tuple[list[str], list[list[object]]]:
    header = ["split", "n", *(f"{m.name} {_arrow(m)}" for m in report.metrics)]
    body: list[list[object]] = [
        [_name(r), r.n, *(fmt_with_ci(r.values.get(m.name), r.ci.get(m.name)) for m in report.metrics)]
        for r in report.by_split
    ]
    return header, body


def robustness_md(report: RunReport) -> list[str]:
    """The run report's ``## Robustness`` section (nothing with fewer than two splits)."""
    if not _has_curve(report):
        return []
    header, body = _run_table(report)
    return ["## Robustness", _NOTE + " Mean [CI].", md_table(header, body)]


def _run_chart(report: RunReport, metric: MetricInfo) -> Markup:
    import plotly.graph_objects as go

    rows = report.by_split
    means = [r.values.get(metric.name) for r in rows]
    cis = [r.ci.get(metric.name) for r in rows]
    fig = go.Figure(
        go.Scatter(
            x=[_name(r) for r in rows],
            y=means,
            mode="lines+markers",
            name="mean",
            error_y={
                "type": "data",
                "array": [
                    ci[1] - m if ci and m is not None else None for ci, m in zip(cis, means, strict=True)
                ],
                "arrayminus": [
                    m - ci[0] if ci and m is not None else None for ci, m in zip(cis, means, strict=True)
                ],
            },
        )
    )
    better = "higher" if metric.higher_is_better else "lower"
    fig.update_layout(
        title=f"{metric.name}@{metric.version} by split ({better} is better)",
        xaxis_title="split",
        yaxis_title=metric.name,
    )
    return figure_html(fig)


_RUN_HTML = """
<h2 id="robustness">Robustness</h2>
<p class="muted">{{ note }} Mean [CI].</p>
<table><tr>{% for h in header %}<th>{{ h }}</th>{% endfor %}</tr>
{% for cells in body %}<tr><td>{{ cells[0] }}</td>{% for v in cells[1:] %}<td class="num">{{ v }}</td>{% endfor %}</tr>
{% endfor %}</table>
<div class="charts">{% for chart in charts %}<div class="chart">{{ chart }}</div>{% endfor %}</div>
"""


def robustness_html(report: RunReport) -> Markup:
    """The run report's robustness section with one chart per metric (empty markup without one)."""
    if not _has_curve(report):
        return Markup("")
    header, body = _run_table(report)
    charts = [_run_chart(report, m) for m in report.metrics]
    page = environment().from_string(_RUN_HTML).render(note=_NOTE, header=header, body=body, charts=charts)
    return Markup(page)


@dataclass(frozen=True, slots=True)
class _TaskCurves:
    """The runs of one task that have a robustness curve, and the union of their splits."""

    task: str
    runs: list[RunReport]
    splits: list[str]
    metrics: list[MetricInfo]

    def label(self, report: RunReport) -> str:
        """The run's model, or its run id where two runs of the task share a model."""
        models = [r.model for r in self.runs]
        return report.model if models.count(report.model) == 1 else report.run_id

    def value(self, report: RunReport, metric: str, split: str) -> float | None:
        """The run's mean of ``metric`` on ``split`` (None where it has no such split)."""
        row = next((r for r in report.by_split if _name(r) == split), None)
        return row.values.get(metric) if row is not None else None

    def body(self) -> list[list[object]]:
        """One row per (metric, run): the metric's mean on each split."""
        return [
            [f"{m.name} {_arrow(m)}", self.label(run), *(self.value(run, m.name, s) for s in self.splits)]
            for m in self.metrics
            for run in self.runs
            if run.metric(m.name) is not None
        ]


def _task_curves(reports: Sequence[RunReport]) -> list[_TaskCurves]:
    out = []
    for task in sorted({r.task for r in reports}):
        runs = [r for r in reports if r.task == task and _has_curve(r)]
        if not runs:
            continue
        metrics: dict[str, MetricInfo] = {}
        for run in runs:
            for m in run.metrics:
                metrics.setdefault(m.name, m)
        out.append(_TaskCurves(task, runs, split_order(runs), list(metrics.values())))
    return out


def robustness_comparison_md(reports: Sequence[RunReport]) -> list[str]:
    """The comparison's ``## Robustness`` section: per task, each metric per split and run."""
    curves = _task_curves(reports)
    if not curves:
        return []
    out = ["## Robustness", _NOTE + " Means; one row per metric and model."]
    for c in curves:
        out += [
            f"### Task {md_cell(c.task)}: by split",
            md_table(["metric", "model", *c.splits], c.body()),
        ]
    return out


def _comparison_chart(curves: _TaskCurves, metric: MetricInfo) -> Markup:
    import plotly.graph_objects as go

    fig = go.Figure()
    for run in curves.runs:
        if run.metric(metric.name) is None:
            continue
        fig.add_scatter(
            x=curves.splits,
            y=[curves.value(run, metric.name, s) for s in curves.splits],
            mode="lines+markers",
            name=curves.label(run),
        )
    better = "higher" if metric.higher_is_better else "lower"
    fig.update_layout(
        title=f"{metric.name} {_arrow(metric)} by split ({better} is better)",
        xaxis={"title": "split", "categoryorder": "array", "categoryarray": curves.splits},
        yaxis_title=metric.name,
    )
    return figure_html(fig)


_COMPARISON_HTML = """
<h2 id="robustness">Robustness</h2>
<p class="muted">{{ note }} Means; one line per model.</p>
{% for c in curves %}
<h3>Task {{ c.task }}: by split</h3>
<table><tr><th>metric</th><th>model</th>{% for s in c.splits %}<th>{{ s }}</th>{% endfor %}</tr>
{% for cells in c.body() %}<tr><td>{{ cells[0] }}</td><td>{{ cells[1] }}</td>{% for v in cells[2:] %}<td class="num">{{ fmt_num(v) }}</td>{% endfor %}</tr>
{% endfor %}</table>
<div class="charts">{% for chart in charts[loop.index0] %}<div class="chart">{{ chart }}</div>{% endfor %}</div>
{% endfor %}
"""


def robustness_comparison_html(reports: Sequence[RunReport]) -> Markup:
    """The comparison's robustness section: per task a table and one chart per metric."""
    curves = _task_curves(reports)
    if not curves:
        return Markup("")
    charts = [[_comparison_chart(c, m) for m in c.metrics] for c in curves]
    page = (
        environment()
        .from_string(_COMPARISON_HTML)
        .render(note=_NOTE, curves=curves, charts=charts, fmt_num=fmt_num)
    )
    return Markup(page)
