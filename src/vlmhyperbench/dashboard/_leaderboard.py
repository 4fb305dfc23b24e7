"""Leaderboard data: per task, runs × overall metrics with intervals, beside speed; Pareto sets."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from .db import MetricRow, Run

__all__ = ["Leaderboard", "MetricColumn", "TaskBoard", "leaderboard", "pareto_front"]


@dataclass(frozen=True)
class MetricColumn:
    """A metric shown as a column, with its direction."""

    name: str
    higher_is_better: bool

    @property
    def arrow(self) -> str:
        """``↑`` when higher is better, ``↓`` otherwise."""
        return "↑" if self.higher_is_better else "↓"


@dataclass
class TaskBoard:
    """One task's runs and their overall (``general``) metric rows."""

    task: str
    runs: list[Run] = field(default_factory=list)
    metrics: list[MetricColumn] = field(default_factory=list)
    values: dict[tuple[int, str], MetricRow] = field(default_factory=dict)
    """(run pk, metric) → the run's overall row."""

    def value(self, run: Run, metric: str) -> MetricRow | None:
        """The overall row of ``metric`` for ``run``, if it has one."""
        return self.values.get((run.id, metric))

    def best(self, metric: MetricColumn) -> float | None:
        """The best value of ``metric`` over the task's runs."""
        found = [
            r.value for r in (self.value(run, metric.name) for run in self.runs) if r and r.value is not None
        ]
        if not found:
            return None
        return max(found) if metric.higher_is_better else min(found)


@dataclass
class Leaderboard:
    """Every task's board, tasks by name."""

    tasks: list[TaskBoard]
    experiments: list[str]


def leaderboard(session: Session, experiment: str | None = None) -> Leaderboard:
    """The runs with metrics, per task, sorted by their headline (best first)."""
    query = select(Run).where(Run.headline_metric.is_not(None))
    if experiment:
        query = query.where(Run.experiment == experiment)
    runs = list(session.scalars(query.order_by(Run.task, Run.experiment, Run.run_id)))
    rows = session.scalars(
        select(MetricRow).where(MetricRow.aggregator == "general", MetricRow.run_pk.in_([r.id for r in runs]))
    ).all()
    by_task: dict[str, TaskBoard] = {}
    for run in runs:
        by_task.setdefault(run.task, TaskBoard(task=run.task)).runs.append(run)
    task_of = {run.id: run.task for run in runs}
    seen: dict[str, dict[str, MetricColumn]] = defaultdict(dict)
    for row in rows:
        board = by_task[task_of[row.run_pk]]
        board.values[(row.run_pk, row.metric)] = row
        seen[board.task].setdefault(row.metric, MetricColumn(row.metric, row.higher_is_better))
    for board in by_task.values():
        board.metrics = list(seen[board.task].values())
        board.runs.sort(key=_sort_key)
    names = sorted(set(session.scalars(select(Run.experiment).distinct())))
    return Leaderboard(tasks=[by_task[t] for t in sorted(by_task)], experiments=names)


def _sort_key(run: Run) -> tuple[bool, float]:
    value = run.headline_value
    if value is None:
        return (True, 0.0)
    return (False, -value if run.headline_higher_is_better else value)


def pareto_front(points: list[tuple[float, float]], x_higher: bool, y_higher: bool) -> list[int]:
    """Indices of the points no other point beats on both axes (each in its own direction).

    Args:
        points: (x, y) per candidate.
        x_higher: Whether a higher x is better (False for latency).
        y_higher: Whether a higher y is better (False for an error rate such as CER).
    """
    sx = 1.0 if x_higher else -1.0
    sy = 1.0 if y_higher else -1.0
    norm = [(sx * x, sy * y) for x, y in points]
    front = []
    for i, (x, y) in enumerate(norm):
        dominated = any(
            (ox >= x and oy >= y) and (ox > x or oy > y) for j, (ox, oy) in enumerate(norm) if j != i
        )
        if not dominated:
            front.append(i)
    return front
