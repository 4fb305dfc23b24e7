"""The one definition of a request's latency figures, used by the backends, ``vlmhb serve`` and ``vlmhb perf``.

All times are seconds on one monotonic clock (``time.perf_counter``), taken by whoever sent
the request:

- **TTFT** = arrival of the first content token − send;
- **E2E latency** = arrival of the last event of the stream (the end of the response when it
  is not streamed) − send;
- **TPOT** = (E2E − TTFT) / (output tokens − 1), for at least 2 output tokens;
- **output tokens/s** = (output tokens − 1) / (E2E − TTFT): the decode speed;
- **ITL** = the gaps between content events; an event carrying k tokens gives k gaps of gap/k.

These match vLLM's ``benchmark_serving`` (latency to the last event, TPOT excluding the first
token); GuideLLM's TPOT includes the first token and is not this one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .answer import Timings

__all__ = ["RequestTiming", "inter_token_latencies", "request_timing"]


@dataclass(frozen=True, slots=True)
class RequestTiming:
    """One request's latency figures (seconds); None where a figure is undefined."""

    ttft_s: float | None
    e2e_s: float | None
    tpot_s: float | None
    output_tokens_per_s: float | None

    def timings(self, started_at: float) -> Timings:
        """The `Timings` of an answer record; ``started_at`` is the Unix time of the send."""
        assert self.e2e_s is not None, "a finished request has an end"
        return Timings(
            started_at=started_at,
            latency_s=self.e2e_s,
            ttft_s=self.ttft_s,
            tpot_s=self.tpot_s,
            output_tokens_per_s=self.output_tokens_per_s,
        )


def request_timing(
    *,
    t_send: float,
    t_first_content: float | None,
    t_end: float | None,
    output_tokens: int | None,
) -> RequestTiming:
    """TTFT, E2E, TPOT and decode speed from the raw times of one request.

    Args:
        t_send: When the request was sent.
        t_first_content: Arrival of the first content token; None when none came.
        t_end: Arrival of the last event, or the end of a response that is not streamed;
            None when nothing came.
        output_tokens: Tokens generated (the server's count when it gives one).
    """
    ttft = t_first_content - t_send if t_first_content is not None else None
    e2e = t_end - t_send if t_end is not None else None
    tpot = tps = None
    if ttft is not None and e2e is not None and output_tokens is not None and output_tokens > 1:
        decode = e2e - ttft
        tpot = decode / (output_tokens - 1)
        tps = (output_tokens - 1) / decode if decode > 0 else None
    return RequestTiming(ttft_s=ttft, e2e_s=e2e, tpot_s=tpot, output_tokens_per_s=tps)


def inter_token_latencies(
    content_times: Sequence[float], content_tokens: Sequence[int] | None = None
) -> tuple[list[float], int]:
    """The ITL gaps between content events and how many events carried more than one token.

    Args:
        content_times: Arrival of each content event, in order.
        content_tokens: Tokens each event carried (1 each when None); an event of k tokens
            after a gap g contributes k gaps of g/k.
    """
    gaps: list[float] = []
    split = 0
    for j in range(1, len(content_times)):
        gap, k = content_times[j] - content_times[j - 1], content_tokens[j] if content_tokens else 1
        if k > 1:
            split += 1
            gaps.extend([gap / k] * k)
        else:
            gaps.append(gap)
    return gaps, split
