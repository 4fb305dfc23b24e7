"""Request timing statistics for reports: percentiles, histograms; number formatting.

Percentiles interpolate linearly between the two nearest ranks (Hyndman & Fan type 7,
``numpy.percentile``'s default and Excel's ``PERCENTILE.INC``), so p50 of an even
count is the mean of the two middle values.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone

from pydantic import BaseModel, ConfigDict, Field

from ..core import AnswerRecord

__all__ = [
    "Distribution",
    "Histogram",
    "Performance",
    "distribution",
    "fmt_ci",
    "fmt_num",
    "fmt_time",
    "fmt_with_ci",
    "histogram",
    "is_cached",
    "percentile",
    "summarise_performance",
    "timing_note",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Distribution(_Model):
    """Summary of one per-request quantity (seconds, or tokens per second)."""

    count: int
    mean: float
    p50: float
    p90: float
    p95: float
    p99: float
    min: float
    max: float


class Histogram(_Model):
    """Equal-width bins: ``len(edges) == len(counts) + 1``."""

    edges: list[float]
    counts: list[int]


class Performance(_Model):
    """Speed of the run's successful requests, and the tokens they used.

    Answers served from a cache (``AnswerRecord.extra["cached"]``: the Tesseract backend
    reuses a page's OCR for every question on it) took no real model time: they are
    counted in ``n_cached`` and left out of every timing distribution.
    """

    n_requests: int = 0
    """Samples with an answer record (the latest one per sample)."""
    n_ok: int = 0
    """Of those, requests that produced an answer."""
    n_cached: int = 0
    """Of those, answers served from a cache: not in the timing distributions."""
    latency_s: Distribution | None = None
    ttft_s: Distribution | None = None
    tpot_s: Distribution | None = None
    output_tokens_per_s: Distribution | None = None
    prompt_tokens: int | None = None
    """Total over successful requests; None when no request reported usage."""
    completion_tokens: int | None = None
    total_tokens: int | None = None
    usage_source: dict[str, int] = Field(default_factory=dict)
    """``server`` / ``estimate`` / ``none`` → number of successful requests."""
    latency_histogram: Histogram | None = None


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0 to 100) of already sorted values, linearly interpolated.

    Raises:
        ValueError: ``sorted_values`` is empty or ``q`` is outside [0, 100].
    """
    if not sorted_values:
        raise ValueError("percentile of an empty sequence")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within [0, 100], got {q}")
    pos = (len(sorted_values) - 1) * q / 100
    low = math.floor(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)


def _finite(values: Iterable[float | None]) -> list[float]:
    return sorted(float(v) for v in values if v is not None and math.isfinite(v))


def distribution(values: Iterable[float | None]) -> Distribution | None:
    """Mean, percentiles and range of the finite values; None when there are none."""
    data = _finite(values)
    if not data:
        return None
    return Distribution(
        count=len(data),
        mean=math.fsum(data) / len(data),
        p50=percentile(data, 50),
        p90=percentile(data, 90),
        p95=percentile(data, 95),
        p99=percentile(data, 99),
        min=data[0],
        max=data[-1],
    )


def histogram(values: Iterable[float | None], bins: int = 30) -> Histogram | None:
    """Counts in ``bins`` equal-width bins over the finite values' range."""
    data = _finite(values)
    if not data:
        return None
    low, high = data[0], data[-1]
    if high == low:
        return Histogram(edges=[low, high], counts=[len(data)])
    width = (high - low) / bins
    counts = [0] * bins
    for value in data:
        counts[min(int((value - low) / width), bins - 1)] += 1
    return Histogram(edges=[low + i * width for i in range(bins)] + [high], counts=counts)


def _total(values: list[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def is_cached(record: AnswerRecord) -> bool:
    """Whether the backend served ``record`` from a cache, so its timing is no real speed."""
    return record.extra.get("cached") is True


def summarise_performance(records: Iterable[AnswerRecord]) -> Performance:
    """Timing distributions over the successful, uncached records; token totals over all successful."""
    records = list(records)
    ok = [r for r in records if r.ok]
    cached = [r for r in ok if is_cached(r)]
    timed = [r.timings for r in ok if r.timings is not None and not is_cached(r)]
    latencies = [t.latency_s for t in timed]
    return Performance(
        n_requests=len(records),
        n_ok=len(ok),
        n_cached=len(cached),
        latency_s=distribution(latencies),
        ttft_s=distribution(t.ttft_s for t in timed),
        tpot_s=distribution(t.tpot_s for t in timed),
        output_tokens_per_s=distribution(t.output_tokens_per_s for t in timed),
        prompt_tokens=_total([r.usage.prompt_tokens for r in ok]),
        completion_tokens=_total([r.usage.completion_tokens for r in ok]),
        total_tokens=_total([r.usage.total_tokens for r in ok]),
        usage_source=dict(Counter(r.usage.source for r in ok)),
        latency_histogram=histogram(latencies),
    )


def timing_note(perf: Performance) -> str:
    """Which requests the timings cover, and which were left out and why."""
    note = f"Over {perf.n_ok} successful of {perf.n_requests} requests."
    if perf.n_cached:
        timed = perf.n_ok - perf.n_cached
        note += (
            f" {perf.n_cached} of them were served from a cache (the backend reused an earlier"
            " result, e.g. Tesseract's OCR of the same page) and are left out of the timings,"
            + (f" which cover the other {timed}" if timed else " so there are none")
            + ": a cached answer's time is not the model's speed."
        )
    return note


def fmt_num(value: float | None, digits: int = 4) -> str:
    """A number for people: ``digits`` significant digits, ``—`` for None or NaN."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, int):  # bool included
        return str(int(value))
    if abs(value) >= 10**digits:
        return f"{value:.0f}"
    return f"{value:.{digits}g}"


def fmt_ci(ci: tuple[float, float] | list[float] | None, digits: int = 4) -> str:
    """A confidence interval as ``[low, high]``; ``—`` when there is none."""
    if not ci:
        return "—"
    return f"[{fmt_num(ci[0], digits)}, {fmt_num(ci[1], digits)}]"


def fmt_with_ci(value: float | None, ci: tuple[float, float] | list[float] | None) -> str:
    """``value [low, high]``, or just the value without an interval."""
    return fmt_num(value) if not ci else f"{fmt_num(value)} {fmt_ci(ci)}"


def fmt_time(timestamp: float | None) -> str:
    """A Unix time as ``YYYY-MM-DD HH:MM:SS UTC``; ``—`` for None."""
    if timestamp is None:
        return "—"
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
