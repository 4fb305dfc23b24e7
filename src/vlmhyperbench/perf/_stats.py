"""A level's ``summary.json`` from its request records.

Definitions (perf-tools.md Appendix A): statistics are over the successful measured requests
(warm-ups excluded); percentiles are linearly interpolated (numpy's default). TPOT only counts requests
with at least two output tokens; ITL pools every per-token gap of every request. The duration
runs from the first send to the last completion of the measured requests, failures included.
Goodput is requests/s meeting every SLO given; a 1-token request meets a TPOT SLO (as vLLM).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Literal

from ..reports._stats import percentile
from ._records import ClientHealth, LevelSettings, LevelSummary, PerfRequestRecord, Stats

__all__ = ["SLO_KEYS", "Slo", "describe", "summarize"]

SLO_KEYS = ("ttft_s", "tpot_s", "e2e_s")
Slo = Mapping[Literal["ttft_s", "tpot_s", "e2e_s"], float] | Mapping[str, float]
"""Maxima in seconds for ``ttft_s``, ``tpot_s`` and/or ``e2e_s``."""


def describe(values: Sequence[float]) -> Stats:
    """Count, mean, std, min, median, p90, p95, p99 and max of ``values``."""
    if not values:
        return Stats(count=0)
    data = sorted(float(v) for v in values)
    p50, p90, p95, p99 = (percentile(data, q) for q in (50, 90, 95, 99))
    return Stats(
        count=len(data), mean=statistics.fmean(data), std=statistics.pstdev(data), min=data[0],
        median=p50, p90=p90, p95=p95, p99=p99, max=data[-1],
    )  # fmt: skip


def _meets(r: PerfRequestRecord, slo: dict[str, float]) -> bool:
    for key, limit in slo.items():
        value = getattr(r, key)
        if value is None and key == "tpot_s":
            continue
        if value is None or value > limit:
            return False
    return True


def summarize(
    records: Sequence[PerfRequestRecord],
    settings: LevelSettings,
    level: str,
    slo: Slo | None = None,
    client: ClientHealth | None = None,
) -> LevelSummary:
    """Summarise one level's records.

    Args:
        records: Every record of the level; warm-ups are skipped here.
        settings: What was asked of the level, stored with the summary.
        level: Level name (``c8``, ``r2.5``).
        slo: Maxima in seconds for ``ttft_s``, ``tpot_s`` and/or ``e2e_s``.
        client: Client self-measurement; a bottleneck adds a warning.

    Raises:
        ValueError: ``slo`` has a key other than ``ttft_s``, ``tpot_s``, ``e2e_s``.
    """
    slo_: dict[str, float] = {str(k): v for k, v in (slo or {}).items()}
    if unknown := set(slo_) - set(SLO_KEYS):
        raise ValueError(f"unknown SLO keys {sorted(unknown)}; expected some of {SLO_KEYS}")
    measured = [r for r in records if not r.warmup]
    ok = [r for r in measured if r.error_kind is None]
    ends = [r.end_s if r.end_s is not None else r.sent_s + (r.e2e_s or 0.0) for r in measured]
    duration = max(ends) - min(r.sent_s for r in measured) if measured else 0.0
    per_s = 1.0 / duration if duration > 0 else 0.0
    out_tokens = sum(r.output_tokens or 0 for r in ok)
    prompts = [r.prompt_tokens for r in ok if r.prompt_tokens is not None]
    good = [r for r in ok if _meets(r, slo_)]
    with_refs = [r for r in measured if r.correct is not None]
    warnings = []
    if n_fallback := sum(r.output_tokens_source != "server" for r in ok):
        warnings.append(
            f"{n_fallback} requests had no server usage: output tokens counted from stream events"
        )
    if n_cached := sum(1 for r in measured if r.cached_tokens):
        warnings.append(
            f"the server reported prefix-cache hits on {n_cached} requests: latencies may be flattered"
        )
    client = client or ClientHealth()
    if client.bottleneck and not ok:  # failing fast keeps the client busy: not its fault
        client = client.model_copy(update={"bottleneck": False})
    if client.bottleneck:
        warnings.append("the client was a bottleneck: " + "; ".join(client.reasons))
    first = next((r for r in measured if r.error_kind is not None), None)
    return LevelSummary(
        level=level,
        settings=settings,
        completed=len(ok),
        failed=len(measured) - len(ok),
        failures=dict(Counter(r.error_kind for r in measured if r.error_kind is not None)),
        first_error=f"{first.error_kind}: {first.error}" if first is not None else None,
        duration_s=duration,
        request_throughput=len(ok) * per_s,
        output_token_throughput=out_tokens * per_s,
        total_token_throughput=(sum(prompts) + out_tokens) * per_s if prompts else None,
        goodput=len(good) * per_s if slo_ else None,
        correct_goodput=sum(1 for r in good if r.correct) * per_s if with_refs else None,
        slo=slo_,
        ttft_s=describe([r.ttft_s for r in ok if r.ttft_s is not None]),
        tpot_s=describe([r.tpot_s for r in ok if r.tpot_s is not None]),
        itl_s=describe([g for r in ok for g in r.itl_s]),
        e2e_s=describe([r.e2e_s for r in ok if r.e2e_s is not None]),
        first_event_s=describe([r.first_event_s for r in ok if r.first_event_s is not None]),
        output_tokens_source=dict(Counter(r.output_tokens_source for r in ok)),
        client=client,
        warnings=warnings,
    )
