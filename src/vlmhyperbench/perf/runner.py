"""Run load levels against an OpenAI-compatible streaming endpoint: the public API of ``vlmhb perf``.

Workloads supply request bodies; this module streams them and measures::

    records, summary = await run_level(url, model, bodies, LevelSettings(mode="closed", concurrency=8,
                                                                          num_requests=64))
    levels = await run_sweep(url, model, bodies, settings, concurrencies=[1, 8, 32])

``requests`` is a sequence of chat-completions bodies (dicts, or :class:`PerfRequest` to carry a
sample id and image size), used as ``requests[i % len(requests)]`` for request ``i`` (warm-ups
first), or a callable ``i -> body`` (for sampled lengths or cache busting). Each body gets
``model``, ``stream: true``, ``stream_options.include_usage`` and, when the settings give
``max_tokens`` and the body has none, ``max_tokens``; bodies are JSON-encoded once and reused.

Definitions (`vlmhyperbench.core.timing`, shared with the backends and ``vlmhb serve``):
``t_send`` just before the request is written; TTFT = first content event − t_send; E2E = last
event ([DONE] included) − t_send; ITL = gaps between content events, a chunk of k tokens giving
k gaps of gap/k; TPOT = (E2E − TTFT)/(tokens − 1).
Failures (HTTP ≥ 400, timeout, connection, dropped stream, malformed SSE, no output) are
records with ``error_kind``; they count in ``failures`` and never stop the level.

Call from synchronous code with :func:`run` (``run(run_level(...))``), which uses uvloop when
it is installed. Correctness: set ``record.correct`` and call :func:`summarize` again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._client import ChatClient, run
from ._load import Prepared, generate_load
from ._records import LevelSettings, LevelSummary, PerfRequestRecord
from ._stats import Slo, summarize

__all__ = ["PerfRequest", "RequestSource", "Slo", "level_name", "run", "run_level", "run_sweep", "summarize"]


@dataclass(frozen=True, slots=True)
class PerfRequest:
    """A chat-completions body with what the record should keep about it."""

    body: Mapping[str, Any]
    sample_id: str | None = None
    image_pixels: int | None = None
    """Total pixels of the images sent, for TTFT against image size."""


RequestSource = Sequence[Mapping[str, Any] | PerfRequest] | Callable[[int], Mapping[str, Any] | PerfRequest]


def level_name(settings: LevelSettings) -> str:
    """``c8`` for a closed loop at concurrency 8, ``r2.5`` for an open loop at 2.5 requests/s."""
    if settings.mode == "closed":
        return f"c{settings.concurrency or 1}"
    return f"r{settings.rate:g}"


def _encode(item: Mapping[str, Any] | PerfRequest, model: str, max_tokens: int | None) -> Prepared:
    req = item if isinstance(item, PerfRequest) else PerfRequest(item)
    body = {"model": model, **req.body, "stream": True}
    body["stream_options"] = {**(body.get("stream_options") or {}), "include_usage": True}
    if max_tokens is not None and "max_tokens" not in body and "max_completion_tokens" not in body:
        body["max_tokens"] = max_tokens
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return Prepared(data, req.sample_id, req.image_pixels)


def _preparer(requests: RequestSource, model: str, max_tokens: int | None) -> Callable[[int], Prepared]:
    if callable(requests):
        source = requests
        return lambda i: _encode(source(i), model, max_tokens)
    if not requests:
        raise ValueError("no requests to send")
    cache: dict[int, Prepared] = {}

    def get(i: int) -> Prepared:
        j = i % len(requests)
        if j not in cache:
            cache[j] = _encode(requests[j], model, max_tokens)
        return cache[j]

    return get


async def run_level(
    url: str,
    model: str,
    requests: RequestSource,
    settings: LevelSettings,
    slo: Slo | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    on_done: Callable[[int], None] | None = None,
) -> tuple[list[PerfRequestRecord], LevelSummary]:
    """Run one load level and summarise it.

    Args:
        url: Server base URL (``http://host:port`` or ``.../v1``) or the full endpoint URL.
        model: Model name put in every body that has none.
        requests: Bodies to send (see the module docstring).
        settings: The level: closed (``concurrency``) or open (``rate``, ``burstiness``,
            ``max_concurrency``) loop, ``num_requests`` and/or ``duration_s``, warm-up, timeout, seed.
        slo: Maxima in seconds for ``ttft_s``, ``tpot_s``, ``e2e_s``, for goodput.
        headers: Extra HTTP headers (e.g. ``Authorization``).
        on_done: Called with the number of finished requests after each one (progress bars).

    Returns:
        Every record (warm-ups included, flagged) in request order, and the level's summary.

    Raises:
        ValueError: Neither ``num_requests`` nor ``duration_s`` is set and ``requests`` is a
            callable, an open loop has no rate, or ``slo`` has an unknown key.
    """
    if settings.num_requests is None and settings.duration_s is None:
        if callable(requests):
            raise ValueError("set num_requests or duration_s")
        settings = settings.model_copy(update={"num_requests": len(requests)})
    if settings.mode == "open" and not settings.rate:
        raise ValueError("an open-loop level needs a rate > 0")
    settings = settings.model_copy(update={"url": url, "model": model})
    level = level_name(settings)
    client = ChatClient(url, timeout_s=settings.timeout_s, headers=headers)
    try:
        records, health = await generate_load(
            client, _preparer(requests, model, settings.max_tokens), settings, level, on_done
        )
    finally:
        await client.aclose()
    return records, summarize(records, settings, level, slo, health)


async def run_sweep(
    url: str,
    model: str,
    requests: RequestSource,
    settings: LevelSettings,
    *,
    concurrencies: Sequence[int] = (),
    rates: Sequence[float] = (),
    slo: Slo | None = None,
    headers: Mapping[str, str] | None = None,
) -> list[tuple[list[PerfRequestRecord], LevelSummary]]:
    """Run :func:`run_level` once per concurrency (closed loop) and then once per rate (open loop).

    ``settings`` gives everything else (requests, warm-up, timeout, ...); each level sets its
    own ``mode`` and ``concurrency`` or ``rate``. Levels run one after the other.
    """
    levels = [settings.model_copy(update={"mode": "closed", "concurrency": c}) for c in concurrencies]
    levels += [settings.model_copy(update={"mode": "open", "rate": r}) for r in rates]
    if not levels:
        raise ValueError("give at least one concurrency or rate")
    return [await run_level(url, model, requests, s, slo, headers=headers) for s in levels]
