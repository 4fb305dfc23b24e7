"""Two runs sample by sample: outcomes by threshold and direction, and the paired test."""

from __future__ import annotations

import pytest

from vlmhyperbench.core import StatisticsSpec
from vlmhyperbench.dashboard._compare import compare_scores, is_right, paired_comparison

STATS = StatisticsSpec(seed=7, paired_resamples=10_000)


def _compare(a, b, **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("higher_is_better", True)
    return compare_scores(a, b, run_a="A", run_b="B", metric="anls", **kw)


def _paired(a, b, **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("higher_is_better", True)
    return paired_comparison(a, b, run_a="A", run_b="B", metric="anls", statistics=STATS, **kw)


def test_is_right_follows_the_metric_direction() -> None:
    assert is_right(0.5, 0.5, True) and not is_right(0.49, 0.5, True)
    assert is_right(0.1, 0.1, False) and not is_right(0.2, 0.1, False)


def test_outcomes_are_counted_and_disagreements_listed_a_right_first() -> None:
    a = {"s1": 1.0, "s2": 0.9, "s3": 0.0, "s4": 0.2, "s5": 0.6}
    b = {"s1": 1.0, "s2": 0.1, "s3": 0.8, "s4": 0.3, "s5": 0.45}
    result = _compare(a, b)
    assert result.counts == {"both_right": 1, "a_only": 2, "b_only": 1, "both_wrong": 1}
    assert [(p.sample_id, p.outcome) for p in result.disagreements] == [
        ("s2", "a_only"),  # gap 0.8 before s5's 0.15
        ("s5", "a_only"),
        ("s3", "b_only"),
    ]


def test_the_threshold_decides_what_is_right() -> None:
    a, b = {"s1": 0.7}, {"s1": 0.4}
    assert _compare(a, b, threshold=0.5).counts["a_only"] == 1
    assert _compare(a, b, threshold=0.3).counts["both_right"] == 1
    assert _compare(a, b, threshold=0.8).counts["both_wrong"] == 1


def test_lower_is_better_metrics_are_right_below_the_threshold() -> None:
    result = _compare({"s1": 0.05, "s2": 0.6}, {"s1": 0.4, "s2": 0.0}, higher_is_better=False, threshold=0.1)
    assert result.counts == {"both_right": 0, "a_only": 1, "b_only": 1, "both_wrong": 0}


def test_unscored_samples_are_counted_apart() -> None:
    result = _compare({"s1": 1.0, "s2": None, "s3": 1.0}, {"s1": 0.0, "s2": 1.0, "s4": 1.0})
    assert sum(result.counts.values()) == 1
    assert (result.only_a, result.only_b) == (1, 2)
    assert _paired({"s1": 1.0, "s2": None, "s3": 1.0}, {"s1": 0.0, "s2": 1.0, "s4": 1.0}).paired.n == 1


def test_paired_test_is_exact_on_few_samples_and_names_the_better_run() -> None:
    a = {f"s{i}": 1.0 for i in range(6)}
    b = {f"s{i}": 0.0 for i in range(6)}
    result = _paired(a, b)
    # 6 pairs all favouring A: 2 of the 2^6 sign assignments are as extreme
    assert result.paired.p_value == pytest.approx(2 / 64)
    assert result.paired.difference == pytest.approx(1.0)
    assert result.verdict == "A better"
    assert _paired(b, a, higher_is_better=False).verdict == "A better"  # lower is better: A's 0s win


def test_too_few_differing_pairs_is_not_called_no_difference() -> None:
    result = _paired({"s1": 1.0, "s2": 1.0, "s3": 0.0}, {"s1": 0.0, "s2": 0.0, "s3": 0.0})
    assert result.verdict.startswith("too few samples"), result.verdict


def test_the_same_inputs_give_the_same_interval() -> None:
    a = {f"s{i}": (i % 3) / 2 for i in range(40)}
    b = {f"s{i}": (i % 5) / 4 for i in range(40)}
    assert _paired(a, b).paired.ci == _paired(a, b).paired.ci
