"""Aggregators: group per-sample scores and summarise each group.

Every group gets, per metric, the mean of its per-sample values and, where the metric
defines one, its corpus value (pooled CER/WER: total edits / total reference length,
as jiwer computes over a list; corpus BLEU; macro F1...). Aggregators marked
``with_ci`` (``general``, ``by_doc_class``, ``by_split``) also get seeded bootstrap confidence
intervals. Structured answers that were invalid also get a lenient mean (scored on the
repaired answer) beside the strict one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ..core import AggregateRow, Registry, Sample, StatisticsSpec
from ..metrics import Metric, Score
from .bootstrap import bootstrap_mean_ci, bootstrap_ratio_ci, seeded_rng

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
    """Why the answer could not be used as structured output; it was scored as empty."""
    lenient: dict[str, Score] = field(default_factory=dict)
    """Scores on the repaired answer, for samples whose strict answer was invalid."""


GroupKey = Callable[[Sample], dict[str, str]]
Expand = Callable[[ScoredSample], Iterable[tuple[dict[str, str], ScoredSample]]]


@dataclass(frozen=True)
class Aggregator:
    """Groups samples by a key and summarises each group."""

    name: str
    key: GroupKey
    description: str = ""
    with_ci: bool = False
    """Whether groups get bootstrap confidence intervals."""
    expand: Expand | None = None
    """Extra (group, row) pairs a sample contributes, e.g. one per KIE field."""

    def aggregate(
        self, rows: Sequence[ScoredSample], metrics: Sequence[Metric], stats: StatisticsSpec | None = None
    ) -> list[AggregateRow]:
        """One `AggregateRow` per group, in first-seen order."""
        groups: dict[tuple[tuple[str, str], ...], list[ScoredSample]] = {}
        for row in rows:
            groups.setdefault(tuple(self.key(row.sample).items()), []).append(row)
            for group, extra in self.expand(row) if self.expand else ():
                groups.setdefault(tuple(group.items()), []).append(extra)
        ci = stats if self.with_ci else None
        return [summarise(dict(key), members, metrics, ci) for key, members in groups.items()]


def _valid(rows: Sequence[ScoredSample], name: str, lenient: bool = False) -> list[Score]:
    out = []
    for row in rows:
        score = (row.lenient.get(name) if lenient else None) or row.scores.get(name)
        if score is not None and score.value is not None:
            out.append(score)
    return out


def summarise(
    group: dict[str, str],
    rows: Sequence[ScoredSample],
    metrics: Sequence[Metric],
    stats: StatisticsSpec | None = None,
) -> AggregateRow:
    """Mean, corpus value, intervals (with ``stats``) and lenient mean of each metric."""
    out = AggregateRow(group=group, n=len(rows), values={})
    key = "/".join(f"{k}={v}" for k, v in group.items())
    for metric in metrics:
        name = metric.name
        valid = _valid(rows, name)
        values = [s.value for s in valid if s.value is not None]
        out.values[name] = sum(values) / len(values) if values else None
        out.n_scored[name] = len(values)
        corpus = metric.corpus(valid) if valid else None
        if corpus is not None:
            out.pooled[name] = corpus.value
            if corpus.details:
                out.details[name] = corpus.details
        if any(row.lenient for row in rows):
            lenient = [s.value for s in _valid(rows, name, lenient=True) if s.value is not None]
            out.lenient[name] = sum(lenient) / len(lenient) if lenient else None
        if stats is not None and stats.resamples > 0 and len(values) >= 2:
            rng = seeded_rng(stats.seed, name, key)
            out.ci[name] = bootstrap_mean_ci(
                values, resamples=stats.resamples, confidence=stats.confidence, rng=rng
            )
            if metric.pooled and corpus is not None and all(s.den is not None for s in valid):
                out.pooled_ci[name] = bootstrap_ratio_ci(
                    [s.num or 0.0 for s in valid],
                    [s.den or 0.0 for s in valid],
                    resamples=stats.resamples,
                    confidence=stats.confidence,
                    rng=rng,
                )
    return out


aggregators: Registry[Aggregator] = Registry(
    "aggregators", builtins=("vlmhyperbench.aggregators.builtin",), list_command="vlmhb metrics list"
)
