"""Two runs on the same dataset, sample by sample: where A is right and B wrong, and the paired test.

A sample is *right* in a run when its score for the chosen metric reaches the threshold:
``score >= threshold`` for a metric where higher is better, ``score <= threshold`` where
lower is better (CER, edit distances). A sample without a score in a run (not answered,
or the metric gave none) is counted apart and never called right or wrong.

The paired test is the reports' one (`vlmhyperbench.reports.paired`): the mean of the
per-sample differences A − B over every sample both runs scored (thresholds play no part),
its bootstrap interval, the sign-flip permutation p-value and the same verdict, with the
generator seeded from run A's statistics exactly as ``comparison.md`` seeds its "(all)"
row, so the dashboard and the report give the same numbers. The outcomes (`compare_scores`)
and the test (`paired_comparison`, 10,000 resamples: most of a second on 5,000 samples) are
computed apart, so the comparison page shows its table without waiting for the test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from ..aggregators.bootstrap import PairedResult, paired_test, seeded_rng
from ..core import StatisticsSpec
from ..reports.paired import paired_verdict

__all__ = [
    "DEFAULT_THRESHOLD",
    "Outcome",
    "PairedComparison",
    "RunComparison",
    "SamplePair",
    "compare_scores",
    "is_right",
    "paired_comparison",
]

DEFAULT_THRESHOLD = 0.5
"""Used when the page names no threshold."""

Outcome = Literal["both_right", "a_only", "b_only", "both_wrong"]
"""``a_only``: A right and B wrong; ``b_only``: the reverse."""


def is_right(score: float, threshold: float, higher_is_better: bool) -> bool:
    """Whether ``score`` reaches ``threshold`` in the metric's direction."""
    return score >= threshold if higher_is_better else score <= threshold


@dataclass(frozen=True, slots=True)
class SamplePair:
    """One sample both runs scored."""

    sample_id: str
    score_a: float
    score_b: float
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class RunComparison:
    """Runs A and B compared on one metric."""

    run_a: str
    run_b: str
    metric: str
    threshold: float
    higher_is_better: bool
    counts: dict[Outcome, int]
    """Samples per outcome, over the samples both runs scored."""
    only_a: int
    """Samples scored in A but not in B."""
    only_b: int
    """Samples scored in B but not in A."""
    disagreements: list[SamplePair] = field(default_factory=list)
    """A right and B wrong, then the reverse; the largest score gaps first."""


@dataclass(frozen=True, slots=True)
class PairedComparison:
    """The paired test of runs A and B on one metric."""

    paired: PairedResult
    confidence: float
    """The level of ``paired.ci`` (run A's ``statistics.confidence``)."""
    verdict: str
    """``<run> better``, ``no significant difference`` or why no test can tell."""


def _outcome(right_a: bool, right_b: bool) -> Outcome:
    if right_a and right_b:
        return "both_right"
    if right_a:
        return "a_only"
    return "b_only" if right_b else "both_wrong"


def compare_scores(
    scores_a: Mapping[str, float | None],
    scores_b: Mapping[str, float | None],
    *,
    run_a: str,
    run_b: str,
    metric: str,
    higher_is_better: bool,
    threshold: float = DEFAULT_THRESHOLD,
) -> RunComparison:
    """Compare two runs' per-sample scores of ``metric`` (sample id → score, None: unscored).

    Args:
        scores_a: Run A's scores.
        scores_b: Run B's scores.
        run_a: Run A's id.
        run_b: Run B's id.
        metric: The metric's name.
        higher_is_better: The metric's direction.
        threshold: The score at which a sample counts as right.
    """
    valid_a, valid_b = _valid(scores_a), _valid(scores_b)
    pairs = [
        SamplePair(
            sid,
            a,
            valid_b[sid],
            _outcome(
                is_right(a, threshold, higher_is_better), is_right(valid_b[sid], threshold, higher_is_better)
            ),
        )
        for sid, a in valid_a.items()
        if sid in valid_b
    ]
    counts: dict[Outcome, int] = {"both_right": 0, "a_only": 0, "b_only": 0, "both_wrong": 0}
    for p in pairs:
        counts[p.outcome] += 1
    disagree = [p for p in pairs if p.outcome in ("a_only", "b_only")]
    disagree.sort(key=lambda p: (p.outcome != "a_only", -abs(p.score_a - p.score_b), p.sample_id))
    return RunComparison(
        run_a=run_a,
        run_b=run_b,
        metric=metric,
        threshold=threshold,
        higher_is_better=higher_is_better,
        counts=counts,
        only_a=len(valid_a.keys() - valid_b.keys()),
        only_b=len(valid_b.keys() - valid_a.keys()),
        disagreements=disagree,
    )


def paired_comparison(
    scores_a: Mapping[str, float | None],
    scores_b: Mapping[str, float | None],
    *,
    run_a: str,
    run_b: str,
    metric: str,
    higher_is_better: bool,
    statistics: StatisticsSpec,
) -> PairedComparison:
    """The paired test of ``metric`` over every sample both runs scored, in run A's order.

    Args:
        scores_a: Run A's scores (sample id → score, None: unscored), in samples.jsonl's order.
        scores_b: Run B's scores.
        run_a: Run A's id (seeds the test, names the verdict).
        run_b: Run B's id.
        metric: The metric's name (seeds the test).
        higher_is_better: The metric's direction.
        statistics: Run A's statistics settings (resamples, confidence, seed).
    """
    valid_b = _valid(scores_b)
    pairs = [(a, valid_b[sid]) for sid, a in _valid(scores_a).items() if sid in valid_b]
    result = paired_test(
        [a for a, _ in pairs],
        [b for _, b in pairs],
        resamples=statistics.paired_resamples,
        confidence=statistics.confidence,
        rng=seeded_rng(statistics.seed, "paired", run_a, run_b, metric, ""),
    )
    return PairedComparison(
        paired=result,
        confidence=statistics.confidence,
        verdict=paired_verdict(result, run_a, run_b, higher_is_better, statistics.paired_resamples),
    )


def _valid(scores: Mapping[str, float | None]) -> dict[str, float]:
    return {k: v for k, v in scores.items() if v is not None}
