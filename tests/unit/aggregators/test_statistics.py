"""Bootstrap intervals and the paired test: seeded, sensible, and wired into aggregates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vlmhyperbench.aggregators import ScoredSample, aggregators
from vlmhyperbench.aggregators.bootstrap import bootstrap_mean_ci, paired_test, seeded_rng
from vlmhyperbench.core import AnswerRecord, Sample, StatisticsSpec, Timings
from vlmhyperbench.metrics import Answered, Score, build_metric


def test_interval_is_seeded_and_contains_the_mean() -> None:
    values = list(np.random.default_rng(1).random(200))
    a = bootstrap_mean_ci(values, resamples=2000, confidence=0.95, rng=seeded_rng(0, "m"))
    b = bootstrap_mean_ci(values, resamples=2000, confidence=0.95, rng=seeded_rng(0, "m"))
    assert a == b and a is not None
    assert a[0] < float(np.mean(values)) < a[1]
    se = float(np.std(values, ddof=1) / np.sqrt(len(values)))
    assert a[1] - a[0] == pytest.approx(2 * 1.96 * se, rel=0.15)  # close to the normal interval


def test_interval_coverage_is_near_nominal() -> None:
    rng = np.random.default_rng(7)
    hits = 0
    for trial in range(200):
        sample = rng.binomial(1, 0.3, size=80).astype(float)
        low, high = bootstrap_mean_ci(sample, resamples=500, confidence=0.9, rng=seeded_rng(trial, "c"))  # type: ignore[misc]
        hits += low <= 0.3 <= high
    assert 0.82 <= hits / 200 <= 0.97


def test_paired_test_separates_real_and_null_differences() -> None:
    rng = np.random.default_rng(3)
    base = rng.random(100)
    same = paired_test(base, base, resamples=2000, confidence=0.95, rng=seeded_rng(0))
    assert same.difference == 0 and same.p_value == 1.0
    noise = paired_test(
        base, base + rng.normal(0, 0.01, 100), resamples=2000, confidence=0.95, rng=seeded_rng(0)
    )
    assert noise.p_value > 0.01
    better = paired_test(
        base + 0.1, base + rng.normal(0, 0.05, 100), resamples=2000, confidence=0.95, rng=seeded_rng(0)
    )
    assert better.p_value < 0.001 and better.ci[0] > 0  # type: ignore[index]


def _sample(i: int, doc_class: str) -> Sample:
    return Sample(id=str(i), images=(Path("/x.png"),), answers=("abc",), doc_class=doc_class)


def test_general_and_doc_class_aggregates_get_intervals_by_field_not() -> None:
    cer = build_metric("cer")
    rows = [
        ScoredSample(_sample(i, "a" if i % 2 else "b"), {"cer": cer.score("abc"[: i % 4], _sample(i, ""))})
        for i in range(40)
    ]
    stats = StatisticsSpec(resamples=300, seed=5)
    (general,) = aggregators.get("general").aggregate(rows, [cer], stats)
    assert general.ci["cer"] is not None and general.pooled_ci["cer"] is not None
    low, high = general.ci["cer"]
    assert low <= general.values["cer"] <= high
    assert all(r.ci.get("cer") for r in aggregators.get("by_doc_class").aggregate(rows, [cer], stats))
    assert not any(r.ci for r in aggregators.get("by_field").aggregate(rows, [cer], stats))
    again = aggregators.get("general").aggregate(rows, [cer], stats)[0]
    assert again.ci == general.ci  # seeded


def test_by_split_gives_each_split_its_row_in_dataset_order_with_intervals() -> None:
    cer = build_metric("cer")
    splits = ["clean", "degraded", "photo-1", "photo-2", "photo-3"]
    rows = []
    for i in range(50):
        k = i // 10  # the samples of each split together, as the demo lists them
        sample = Sample(id=str(i), images=(Path("/x.png"),), answers=("abcd",), split=splits[k])
        rows.append(ScoredSample(sample, {"cer": cer.score("abcd"[: 4 - k] if i % 2 else "abcd", sample)}))
    stats = StatisticsSpec(resamples=300, seed=5)
    by_split = aggregators.get("by_split").aggregate(list(reversed(rows[40:])) + rows[:40], [cer], stats)
    assert [r.group for r in by_split] == [{"split": s} for s in ["photo-3", *splits[:4]]]  # first seen
    by_split = aggregators.get("by_split").aggregate(rows, [cer], stats)
    assert [(r.group["split"], r.n) for r in by_split] == [(s, 10) for s in splits]
    means = [r.values["cer"] for r in by_split]
    assert means == sorted(means) and means[0] == 0 and means[-1] == pytest.approx(0.5)
    assert all(r.ci.get("cer") and r.pooled_ci.get("cer") for r in by_split[1:])


def test_resource_metrics_read_the_answer_record() -> None:
    record = AnswerRecord(
        sample_id="1",
        answer="x",
        timings=Timings(started_at=0, latency_s=1.5, ttft_s=0.25, tpot_s=0.01),
        extra={"performance": {"peak_vram_bytes": 3 * 2**30}},
    )
    sample = _sample(1, "a")

    def score(name: str, rec: AnswerRecord) -> Score:
        return build_metric(name).score_answers([Answered("x", rec)], [sample])[0]

    assert score("latency_s", record).value == 1.5
    assert score("ttft_s", record).value == 0.25
    assert score("peak_vram_gb", record).value == 3.0
    failed = AnswerRecord(sample_id="1", answer=None)
    assert score("latency_s", failed).value is None
    cached = record.model_copy(update={"extra": {"cached": True}})
    assert score("latency_s", cached) == Score(None, invalid="served from a cache: not a measured time")
    with pytest.raises(TypeError, match="scores answer records, not text"):
        build_metric("latency_s").score("x", sample)  # a text alone has no timing: no silent invalid


def test_small_samples_get_the_exact_sign_flip_p_value() -> None:
    result = paired_test([1.0, 1.0, 1.0], [0.0, 0.0, 0.0], resamples=1000, confidence=0.95, rng=seeded_rng(0))
    assert result.p_value == 2 / 8  # all same sign: 2 of the 8 assignments are as extreme
    result = paired_test([0.3, 0.1], [0.0, 0.2], resamples=1000, confidence=0.95, rng=seeded_rng(0))
    assert result.p_value == 1.0 and result.difference == pytest.approx(0.1)


def test_paired_test_says_how_small_its_p_value_could_ever_be() -> None:
    result = paired_test([1.0, 1.0, 1.0], [0.0, 0.0, 0.0], resamples=1000, confidence=0.95, rng=seeded_rng(0))
    assert (result.n_nonzero, result.min_p_value) == (3, 2 / 8)  # n = 3: p < 0.05 is out of reach
    tied = paired_test(
        [1.0, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], resamples=1000, confidence=0.95, rng=seeded_rng(0)
    )
    assert (tied.n_nonzero, tied.min_p_value) == (2, 0.5)  # equal pairs carry no sign
    many = [float(i % 7 + 1) for i in range(40)]
    sampled = paired_test(many, [0.0] * 40, resamples=99, confidence=0.95, rng=seeded_rng(0))
    assert sampled.min_p_value == 1 / 100 and sampled.p_value == 1 / 100  # resampled: floor 1/(R+1)
