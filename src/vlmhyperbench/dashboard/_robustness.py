"""Robustness charts: every metric per split (clean, degraded, photo-1..3), from ``by_split`` rows.

The split order is the static reports' (`vlmhyperbench.reports._robustness.ordered_splits`):
first seen in the runs' ``metrics.json``, which lists splits as the dataset does. Each metric
gets its own chart with its direction in the title, so an ↑ metric and a ↓ metric never
share an axis.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..reports._robustness import ordered_splits, split_name
from ._leaderboard import TaskBoard
from .db import MetricRow, Run

__all__ = ["comparison_figures", "comparison_from_rows", "run_figures"]


def _title(metric: str, higher_is_better: bool, what: str) -> str:
    arrow, better = ("↑", "higher") if higher_is_better else ("↓", "lower")
    return f"{metric} {arrow} by split{what} ({better} is better)"


def _layout(title: str, metric: str, splits: list[str]) -> dict[str, Any]:
    return {
        "title": {"text": title},
        "xaxis": {
            "title": {"text": "split (the dataset's order)"},
            "type": "category",
            "categoryorder": "array",
            "categoryarray": splits,
        },
        "yaxis": {"title": {"text": metric}},
        "margin": {"t": 50, "r": 20},
        "height": 340,
    }


def _metrics(rows: Sequence[MetricRow]) -> dict[str, bool]:
    """Metric → higher is better, in first-seen order."""
    out: dict[str, bool] = {}
    for row in rows:
        out.setdefault(row.metric, row.higher_is_better)
    return out


def run_figures(rows: Sequence[MetricRow]) -> list[dict[str, Any]]:
    """One figure per metric of a run's ``by_split`` rows (in ``metrics.json`` order); none
    when the run has fewer than two splits."""
    by_split = [r for r in rows if r.aggregator == "by_split"]
    splits = ordered_splits(r.group_key for r in by_split)
    if len(splits) < 2:
        return []
    figures = []
    for i, (metric, hib) in enumerate(_metrics(by_split).items()):
        cells = {split_name(r.group_key): r for r in by_split if r.metric == metric}
        values = [cells[s].value if s in cells else None for s in splits]
        ci = [(cells[s].ci_low, cells[s].ci_high) if s in cells else (None, None) for s in splits]
        trace = {
            "type": "scatter",
            "mode": "lines+markers",
            "name": metric,
            "x": splits,
            "y": values,
            "error_y": {
                "type": "data",
                "array": [
                    hi - v if hi is not None and v is not None else None for v, (_, hi) in zip(values, ci)
                ],
                "arrayminus": [
                    v - lo if lo is not None and v is not None else None for v, (lo, _) in zip(values, ci)
                ],
            },
        }
        figures.append(
            {
                "id": f"robustness-{i}",
                "metric": metric,
                "data": [trace],
                "layout": _layout(_title(metric, hib, ", mean and 95 % interval"), metric, splits),
            }
        )
    return figures


def comparison_figures(session: Session, board: TaskBoard) -> list[dict[str, Any]]:
    """Per metric, the task's runs as lines over their splits; none unless at least two runs
    have two or more splits and all of them share at least one split."""
    rows = session.scalars(
        select(MetricRow)
        .where(MetricRow.aggregator == "by_split", MetricRow.run_pk.in_([r.id for r in board.runs]))
        .order_by(MetricRow.id)
    ).all()
    return comparison_from_rows(board.task, board.runs, rows)


def comparison_from_rows(
    task: str, candidates: Sequence[Run], rows: Sequence[MetricRow]
) -> list[dict[str, Any]]:
    """`comparison_figures` from the runs (in the leaderboard's order) and their ``by_split``
    rows (in ``metrics.json`` order)."""
    per_run: dict[int, list[MetricRow]] = defaultdict(list)
    for row in rows:
        per_run[row.run_pk].append(row)
    runs = [r for r in candidates if len(ordered_splits(x.group_key for x in per_run[r.id])) >= 2]
    split_sets = [set(ordered_splits(x.group_key for x in per_run[r.id])) for r in runs]
    if len(runs) < 2 or not set.intersection(*split_sets):
        return []
    splits = ordered_splits(x.group_key for r in runs for x in per_run[r.id])
    figures = []
    for i, (metric, hib) in enumerate(_metrics([x for r in runs for x in per_run[r.id]]).items()):
        traces = []
        for run in runs:
            cells = {split_name(x.group_key): x.value for x in per_run[run.id] if x.metric == metric}
            if not cells:
                continue
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": f"{run.model} ({run.experiment}/{run.run_id})",
                    "x": splits,
                    "y": [cells.get(s) for s in splits],
                }
            )
        figures.append(
            {
                "id": f"robustness-{task}-{i}",
                "metric": metric,
                "data": traces,
                "layout": _layout(_title(metric, hib, ", one line per run"), metric, splits),
            }
        )
    return figures
