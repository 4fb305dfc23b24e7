"""Load generation for one level: closed loop, open loop on absolute times, warm-up, self-measurement.

Closed loop: ``concurrency`` workers, each sends its next request as soon as the previous one
ends. Open loop: arrival offsets are precomputed from a seeded ``random.Random`` (exponential
gaps for Poisson, gamma with shape ``burstiness`` and mean ``1/rate`` otherwise) and each
request is sent at the absolute time ``start + t_i``, so a late wake-up never shifts the later
ones (evalscope#1366). ``max_concurrency`` caps in-flight requests; the wait on it is
``client_queue_s`` and is not counted as client lag.

While the measured phase runs, a probe sleeps 10 ms in a loop and records its oversleep
(event-loop lag), and process CPU time over wall time gives the client's CPU use.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from time import perf_counter
from typing import Literal

import numpy as np

from ..core.timing import inter_token_latencies, request_timing
from ._client import ChatClient, Exchange
from ._records import ClientHealth, LevelSettings, PerfRequestRecord

__all__ = ["Prepared", "arrival_times", "generate_load", "to_record"]

_PROBE_S = 0.010
_MAX_SEND_LAG_P99_S = 0.005
_MAX_LOOP_LAG_S = 0.010
_MAX_CPU_PERCENT = 90.0


@dataclass(frozen=True, slots=True)
class Prepared:
    """A request ready to send: the encoded JSON body and what the record keeps about it."""

    body: bytes
    sample_id: str | None = None
    image_pixels: int | None = None


def arrival_times(
    rate: float,
    *,
    burstiness: float = 1.0,
    seed: int = 0,
    n: int | None = None,
    duration_s: float | None = None,
) -> list[float]:
    """Offsets (s) of open-loop arrivals: the first at 0, then seeded random gaps of mean ``1/rate``.

    Stops after ``n`` arrivals or past ``duration_s``, whichever comes first; ``rate=inf`` sends all at 0.
    """
    if n is None and duration_s is None:
        raise ValueError("open loop needs num_requests or duration_s")
    rng, t = random.Random(seed), 0.0
    out: list[float] = []
    while n is None or len(out) < n:
        if duration_s is not None and t > duration_s:
            break
        out.append(t)
        if rate == float("inf"):
            continue
        gap = (
            rng.expovariate(rate)
            if burstiness == 1.0
            else rng.gammavariate(burstiness, 1 / (rate * burstiness))
        )
        t += gap
    return out


def to_record(
    ex: Exchange, prep: Prepared, *, request_id: int, level: str, t0: float, warmup: bool,
    scheduled_s: float | None = None, queue_s: float = 0.0,
) -> PerfRequestRecord:  # fmt: skip
    """Turn the raw timings of one exchange into its ``requests.jsonl`` line (times from ``t0``)."""
    t_end = ex.t_end if ex.t_end is not None else perf_counter()
    t_send = ex.t_send if ex.t_send is not None else t_end
    times, counts = ex.content_times, ex.content_tokens
    itl, split = inter_token_latencies(times, counts)
    usage = ex.usage or {}
    n_out = usage.get("completion_tokens")
    source: Literal["server", "events", "none"] = (
        "server" if isinstance(n_out, int) else ("events" if times else "none")
    )
    if not isinstance(n_out, int):
        n_out = sum(counts) if times else None
    timing = request_timing(
        t_send=t_send,
        t_first_content=times[0] if times else None,
        t_end=ex.t_last_event,
        output_tokens=n_out,
    )
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens")
    sent_s = t_send - t0
    return PerfRequestRecord(
        request_id=request_id, level=level, warmup=warmup, sample_id=prep.sample_id,
        scheduled_s=scheduled_s, sent_s=sent_s,
        send_lag_s=sent_s - scheduled_s if scheduled_s is not None else 0.0, client_queue_s=queue_s,
        first_event_s=ex.t_first_event - t_send if ex.t_first_event is not None else None,
        ttft_s=timing.ttft_s, e2e_s=timing.e2e_s, end_s=t_end - t0, itl_s=itl, split_chunks=split,
        tpot_s=timing.tpot_s,
        output_tokens=n_out, output_tokens_source=source, prompt_tokens=usage.get("prompt_tokens"),
        image_pixels=prep.image_pixels, status=ex.status, error=ex.error, error_kind=ex.error_kind,
        answer="".join(ex.text) if ex.text else None, server=ex.server,
        cached_tokens=cached if isinstance(cached, int) else None,
    )  # fmt: skip


async def generate_load(
    client: ChatClient,
    get: Callable[[int], Prepared],
    settings: LevelSettings,
    level: str,
    on_done: Callable[[int], None] | None = None,
) -> tuple[list[PerfRequestRecord], ClientHealth]:
    """Run one level (warm-up, then the measured phase) and return its records in request order."""
    t0 = perf_counter()
    records: list[PerfRequestRecord] = []

    async def one(i: int, warmup: bool, scheduled: float | None = None, queue_s: float = 0.0) -> None:
        prep = get(i)
        ex = await client.send(prep.body, i)
        records.append(to_record(ex, prep, request_id=i, level=level, t0=t0, warmup=warmup,
                                 scheduled_s=scheduled, queue_s=queue_s))  # fmt: skip
        if on_done is not None:
            on_done(len(records))

    width = settings.concurrency or settings.max_concurrency or 1
    n_warm = settings.warmup_requests
    if n_warm:
        await _closed(lambda i: one(i, True), range(n_warm), width, None)
    n = settings.num_requests
    ids = range(n_warm, n_warm + n) if n is not None else itertools.count(n_warm)
    lags: list[float] = []
    probe = asyncio.ensure_future(_probe(lags))
    cpu0, wall0 = time.process_time(), perf_counter()
    try:
        if settings.mode == "closed":
            await _closed(lambda i: one(i, False), ids, width, settings.duration_s)
        else:
            await _open(one, ids, settings, t0)
    finally:
        probe.cancel()
    cpu = 100.0 * (time.process_time() - cpu0) / max(perf_counter() - wall0, 1e-9)
    records.sort(key=lambda r: r.request_id)
    return records, _health(records, lags, cpu)


async def _closed(
    one: Callable[[int], Awaitable[None]],
    ids: range | itertools.count[int],
    width: int,
    duration_s: float | None,
) -> None:
    it, start = iter(ids), perf_counter()

    async def worker() -> None:
        for i in it:
            if duration_s is not None and perf_counter() - start >= duration_s:
                return
            await one(i)

    await asyncio.gather(*(worker() for _ in range(width)))


async def _open(
    one: Callable[[int, bool, float | None, float], Awaitable[None]],
    ids: range | itertools.count[int],
    settings: LevelSettings,
    t0: float,
) -> None:
    assert settings.rate is not None, "open loop needs a rate"
    n = len(ids) if isinstance(ids, range) else None
    offsets = arrival_times(settings.rate, burstiness=settings.burstiness, seed=settings.seed, n=n,
                            duration_s=settings.duration_s)  # fmt: skip
    cap = asyncio.Semaphore(settings.max_concurrency) if settings.max_concurrency else None
    start = perf_counter()

    async def capped(i: int, scheduled: float) -> None:
        if cap is None:
            return await one(i, False, scheduled, 0.0)
        t = perf_counter()
        async with cap:
            await one(i, False, scheduled, perf_counter() - t)

    tasks = []
    for i, offset in zip(ids, offsets):
        delay = start + offset - perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(capped(i, start + offset - t0)))
    await asyncio.gather(*tasks)


async def _probe(lags: list[float]) -> None:
    while True:
        t = perf_counter()
        await asyncio.sleep(_PROBE_S)
        lags.append(perf_counter() - t - _PROBE_S)


def _health(records: list[PerfRequestRecord], loop_lags: list[float], cpu: float) -> ClientHealth:
    sends = [r.send_lag_s - r.client_queue_s for r in records if not r.warmup and r.scheduled_s is not None]
    h = ClientHealth(cpu_percent=cpu, loop_lag_max_s=max(loop_lags) if loop_lags else None)
    if sends:
        h.send_lag_p99_s = float(np.percentile(sends, 99))
        h.send_lag_max_s = max(sends)
        if h.send_lag_p99_s > _MAX_SEND_LAG_P99_S:
            h.reasons.append(
                f"p99 send lag {h.send_lag_p99_s * 1e3:.1f} ms > {_MAX_SEND_LAG_P99_S * 1e3:.0f} ms"
            )
    if h.loop_lag_max_s is not None and h.loop_lag_max_s > _MAX_LOOP_LAG_S:
        h.reasons.append(f"event-loop lag {h.loop_lag_max_s * 1e3:.1f} ms > {_MAX_LOOP_LAG_S * 1e3:.0f} ms")
    if cpu >= _MAX_CPU_PERCENT:
        h.reasons.append(f"client CPU {cpu:.0f} % >= {_MAX_CPU_PERCENT:.0f} %")
    h.bottleneck = bool(h.reasons)
    return h
