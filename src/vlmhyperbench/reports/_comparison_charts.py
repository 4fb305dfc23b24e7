"""The comparison page's charts, per task: one per metric, latency, and accuracy against speed.

Every chart has one quantity per axis with its direction in the title, so an ↑ metric (ANLS)
and a ↓ one (CER, latency) never share an axis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from markupsafe import Markup

from ..core import MetricInfo
from .html import figure_html

if TYPE_CHECKING:
    from .comparison import _TaskTable

__all__ = ["arrow", "task_charts"]


def arrow(metric: MetricInfo) -> str:
    """``↑`` for a metric where higher is better, ``↓`` otherwise."""
    return "↑" if metric.higher_is_better else "↓"


def _metric_chart(table: _TaskTable, metric: MetricInfo) -> Markup:
    """One metric, on its own axis: each run's mean over all samples and per document class."""
    import plotly.graph_objects as go

    groups = ["all", *table.doc_classes]
    fig = go.Figure()
    for row in table.rows:
        classes = row.by_doc_class
        values = [row.values.get(metric.name)] + [
            classes[c].values.get(metric.name) if c in classes else None for c in table.doc_classes
        ]
        fig.add_bar(x=groups, y=values, name=row.run_id)
    better = "higher" if metric.higher_is_better else "lower"
    fig.update_layout(
        title=f"{metric.name} {arrow(metric)} ({better} is better)",
        barmode="group",
        yaxis_title=metric.name,
        xaxis_title="document class",
    )
    return figure_html(fig)


def _speed_chart(table: _TaskTable) -> Markup | None:
    """Latency p50 and p95 per run (↓), apart from the metrics; None without timings."""
    if all(r.latency_p50_s is None for r in table.rows):
        return None
    import plotly.graph_objects as go

    runs = [r.run_id for r in table.rows]
    fig = go.Figure()
    fig.add_bar(x=runs, y=[r.latency_p50_s for r in table.rows], name="p50")
    fig.add_bar(x=runs, y=[r.latency_p95_s for r in table.rows], name="p95")
    fig.update_layout(
        title="Latency per request ↓ (lower is better; cached answers left out)",
        barmode="group",
        yaxis_title="seconds",
    )
    return figure_html(fig)


def _accuracy_speed_chart(table: _TaskTable) -> Markup | None:
    """The headline metric (the table's first, its sort key) of each run against its latency
    p50: one point per run, with the metric's interval; None unless a run has both."""
    metric = table.metrics[0] if table.metrics else None
    if metric is None:
        return None
    points = [
        (row, row.values.get(metric.name), row.latency_p50_s)
        for row in table.rows
        if row.values.get(metric.name) is not None and row.latency_p50_s is not None
    ]
    if not points:
        return None
    import plotly.graph_objects as go

    fig = go.Figure()
    for row, value, latency in points:
        ci = row.ci.get(metric.name)
        error = (
            {"type": "data", "symmetric": False, "array": [ci[1] - value], "arrayminus": [value - ci[0]]}
            if ci is not None and value is not None
            else None
        )
        fig.add_scatter(
            x=[latency], y=[value], name=row.run_id, mode="markers+text", text=[row.run_id],
            textposition="top center", error_y=error,
        )  # fmt: skip
    vertical = "up" if metric.higher_is_better else "down"
    fig.update_layout(
        title=f"{metric.name} {arrow(metric)} against latency p50 ↓ ({vertical} and left is better)",
        xaxis_title="latency p50, seconds ↓",
        yaxis_title=f"{metric.name} {arrow(metric)}",
        showlegend=False,
    )
    return figure_html(fig)


def task_charts(table: _TaskTable) -> list[Markup]:
    """One chart per metric, then latency, then the headline metric against latency."""
    if not table.rows:
        return []
    charts = [_metric_chart(table, m) for m in table.metrics]
    extra = (_speed_chart(table), _accuracy_speed_chart(table))
    return [*charts, *(c for c in extra if c is not None)]
