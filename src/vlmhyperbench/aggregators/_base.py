"""Aggregators: group per-sample scores and summarise each group.

Every group gets the mean of its per-sample values and, for pooled metrics (CER, WER),
the corpus value: total edits / total reference length, as jiwer computes over a list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..core import AggregateRow, Registry, Sample
from ..metrics import Metric, Score

__all__ = ["Aggregator", "ScoredSample", "aggregators", "summarise"]


@dataclass(frozen=True, slots=True)
class ScoredSample:
    """One sample with its scores by metric name."""

    sample: Sample
    scores: dict[str, Score]
    answer: str | None = None
    """The raw answer (None when the request failed)."""
    error: str | None = None
    """Why the answer is missing (request failed), if it is."""
    invalid: str | None = None
    """Why the answer could not be parsed (e.g. invalid JSON); it was scored as empty."""


GroupKey = Callable[[Sample], dict[str, str]]


@dataclass(frozen=True)
class Aggregator:
    """Groups samples by a key and summarises each group."""

    name: str
    key: GroupKey
    description: str = ""

    def aggregate(self, rows: Sequence[ScoredSample], metrics: Sequence[Metric]) -> list[AggregateRow]:
        """One `AggregateRow` per group, in first-seen order."""
        groups: dict[tuple[tuple[str, str], ...], list[ScoredSample]] = {}
        for row in rows:
            groups.setdefault(tuple(self.key(row.sample).items()), []).append(row)
        return [summarise(dict(key), members, metrics) for key, members in groups.items()]


def summarise(group: dict[str, str], rows: Sequence[ScoredSample], metrics: Sequence[Metric]) -> AggregateRow:
    """Mean (and pooled value where the metric has one) of each metric over ``rows``."""
    values: dict[str, float | None] = {}
    pooled: dict[str, float | None] = {}
    for metric in metrics:
        scores = [r.scores[metric.name] for r in rows if metric.name in r.scores]
        valid = [s for s in scores if s.value is not None]
        values[metric.name] = sum(s.value for s in valid) / len(valid) if valid else None  # type: ignore[misc]
        if metric.pooled:
            num = sum(s.num or 0.0 for s in valid)
            den = sum(s.den or 0.0 for s in valid)
            pooled[metric.name] = (num / den if den else num) if valid else None
    return AggregateRow(group=group, n=len(rows), values=values, pooled=pooled)


aggregators: Registry[Aggregator] = Registry(
    "aggregators", builtins=("vlmhyperbench.aggregators.builtin",), list_command="vlmhb metrics list"
)
