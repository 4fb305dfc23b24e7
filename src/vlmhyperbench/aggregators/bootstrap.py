"""Seeded percentile-bootstrap confidence intervals and the paired test between runs.

Intervals: resample the group's samples with replacement ``resamples`` times and take
the ``(1 ± confidence) / 2`` percentiles (linear interpolation) of the resampled mean,
or of the resampled pooled ratio sum(num) / sum(den) for pooled metrics. The random
generator is seeded from the statistics seed, the metric name and the group key, so
the same data give the same interval on any machine.

Paired comparison of two runs on the same samples: the per-sample differences
d = a − b; the difference of means with its bootstrap interval, and a two-sided
sign-flip permutation p-value: the share of sign assignments whose mean difference is
at least as far from 0 as the observed one — all 2^n of them when that is no more than
the resample count (an exact test), otherwise random ones with the +1 correction of
Phipson & Smyth 2010 so it is never 0. With m non-zero differences no data can give a
p-value below 2 / 2^m (only the two all-same-sign assignments are as extreme as the
most lopsided data), so with m ≤ 5 p < 0.05 is out of reach: `PairedResult.min_p_value`
says so, and a report must not read "no significant difference" into it.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["PairedResult", "bootstrap_mean_ci", "bootstrap_ratio_ci", "paired_test", "seeded_rng"]

_CHUNK = 2_000_000
"""Resampled values held at once: bounds memory on large groups."""


def seeded_rng(seed: int, *keys: str) -> np.random.Generator:
    """A generator that depends only on ``seed`` and the given keys."""
    return np.random.default_rng([seed, *(zlib.crc32(k.encode("utf-8")) for k in keys)])


def _resample_sums(
    columns: Sequence[np.ndarray], resamples: int, rng: np.random.Generator
) -> list[np.ndarray]:
    n = len(columns[0])
    per_chunk = max(1, _CHUNK // max(n, 1))
    out: list[list[np.ndarray]] = [[] for _ in columns]
    done = 0
    while done < resamples:
        size = min(per_chunk, resamples - done)
        index = rng.integers(0, n, size=(size, n))
        for i, column in enumerate(columns):
            out[i].append(column[index].sum(axis=1))
        done += size
    return [np.concatenate(parts) for parts in out]


def _interval(samples: np.ndarray, confidence: float) -> tuple[float, float]:
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(samples, [alpha, 1.0 - alpha])
    return float(low), float(high)


def bootstrap_mean_ci(
    values: Sequence[float], *, resamples: int, confidence: float, rng: np.random.Generator
) -> tuple[float, float] | None:
    """Percentile-bootstrap interval of the mean; None for fewer than 2 values."""
    data = np.asarray(values, dtype=float)
    if len(data) < 2 or resamples <= 0:
        return None
    (sums,) = _resample_sums([data], resamples, rng)
    return _interval(sums / len(data), confidence)


def bootstrap_ratio_ci(
    num: Sequence[float], den: Sequence[float], *, resamples: int, confidence: float, rng: np.random.Generator
) -> tuple[float, float] | None:
    """Percentile-bootstrap interval of sum(num) / sum(den) over resampled samples."""
    a, b = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    if len(a) < 2 or resamples <= 0:
        return None
    nums, dens = _resample_sums([a, b], resamples, rng)
    ratios = np.where(dens > 0, nums / np.where(dens > 0, dens, 1.0), nums)
    return _interval(ratios, confidence)


@dataclass(frozen=True, slots=True)
class PairedResult:
    """Run A minus run B on the samples both scored."""

    n: int
    mean_a: float
    mean_b: float
    difference: float
    ci: tuple[float, float] | None
    p_value: float | None
    n_nonzero: int = 0
    """Pairs whose scores differ; the others carry no sign to flip."""
    min_p_value: float | None = None
    """The smallest p-value the test could give with this many differing pairs (and
    resamples): 2 / 2^n_nonzero, and at least 1 / (resamples + 1) when sampled."""


def paired_test(
    a: Sequence[float], b: Sequence[float], *, resamples: int, confidence: float, rng: np.random.Generator
) -> PairedResult:
    """Difference of means (A − B) with a bootstrap interval and a sign-flip p-value."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    d = x - y
    n = len(d)
    if n == 0:
        nan = float("nan")
        return PairedResult(0, nan, nan, nan, None, None)
    observed = float(d.mean())
    ci = bootstrap_mean_ci(d, resamples=resamples, confidence=confidence, rng=rng)
    nonzero = int(np.count_nonzero(d))
    floor = 2.0 ** (1 - nonzero)  # 2 / 2^m without overflow for large m
    if n < 2 or not nonzero:
        p = 1.0 if n >= 2 else None
        return PairedResult(n, float(x.mean()), float(y.mean()), observed, ci, p, nonzero, p)
    if 2**n <= resamples:  # few samples: enumerate every sign assignment, an exact test
        signs = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1) * 2 - 1
        extreme = int(np.sum(np.abs((signs * d).mean(axis=1)) >= abs(observed) - 1e-12))
        return PairedResult(n, float(x.mean()), float(y.mean()), observed, ci, extreme / 2**n, nonzero, floor)
    extreme = 0
    done = 0
    per_chunk = max(1, _CHUNK // n)
    while done < resamples:
        size = min(per_chunk, resamples - done)
        signs = rng.integers(0, 2, size=(size, n)) * 2 - 1
        means = (signs * d).mean(axis=1)
        extreme += int(np.sum(np.abs(means) >= abs(observed) - 1e-12))
        done += size
    p_value = (extreme + 1) / (resamples + 1)
    min_p = max(floor, 1 / (resamples + 1))
    return PairedResult(n, float(x.mean()), float(y.mean()), observed, ci, p_value, nonzero, min_p)
