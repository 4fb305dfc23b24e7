"""The files ``vlmhb perf`` writes, per load level: ``requests.jsonl`` and ``summary.json``.

Other tools read these files: keep the names and fields. Times are seconds. ``t_send`` is
taken just before the request is written to the socket; event times are arrivals.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ClientHealth",
    "LevelSettings",
    "LevelSummary",
    "PerfRequestRecord",
    "Stats",
]

ErrorKind = Literal["http", "timeout", "connection", "dropped", "malformed", "no_output"]


class PerfRequestRecord(BaseModel):
    """One request of a load level: a line of ``requests.jsonl``."""

    model_config = ConfigDict(extra="forbid")

    request_id: int
    level: str
    """``c8`` (closed loop, concurrency 8) or ``r2.5`` (open loop, 2.5 requests/s)."""
    warmup: bool = False
    """Warm-up requests are recorded but excluded from the summary."""
    sample_id: str | None = None
    scheduled_s: float | None = None
    """When the schedule wanted it sent, from the level's start (open loop)."""
    sent_s: float
    """When it was actually sent, from the level's start."""
    send_lag_s: float = 0.0
    """``sent_s - scheduled_s``: the client being late is a measurement error."""
    client_queue_s: float = 0.0
    """Part of ``send_lag_s`` spent waiting for a free slot under ``max_concurrency`` (open loop)."""
    first_event_s: float | None = None
    """First SSE event of any kind (often a role-only chunk) − t_send."""
    ttft_s: float | None = None
    """First event carrying content − t_send."""
    e2e_s: float | None = None
    """Last event of the stream (``[DONE]`` included) − t_send."""
    end_s: float | None = None
    """When the response ended (completed or failed), from the level's start."""
    itl_s: list[float] = Field(default_factory=list)
    """Gaps between content events; a chunk carrying k tokens contributes k gaps of gap/k."""
    split_chunks: int = 0
    """Chunks that carried more than one token and were split for ITL."""
    tpot_s: float | None = None
    """(e2e − ttft) / (output_tokens − 1)."""
    output_tokens: int | None = None
    output_tokens_source: Literal["server", "tokenizer", "events", "none"] = "none"
    """``server`` (usage), else a fallback, flagged."""
    prompt_tokens: int | None = None
    image_pixels: int | None = None
    status: int | None = None
    error: str | None = None
    error_kind: ErrorKind | None = None
    answer: str | None = None
    correct: bool | None = None
    """When the workload has references: scored with the metric suite."""
    server: dict[str, Any] = Field(default_factory=dict)
    """Server-side telemetry of the request (``performance`` from ``vlmhb serve``)."""
    cached_tokens: int | None = None
    """Prompt tokens the server reports as served from its prefix cache."""


class Stats(BaseModel):
    """Distribution of one metric over a level's successful requests."""

    count: int
    mean: float | None = None
    std: float | None = None
    min: float | None = None
    median: float | None = None
    p90: float | None = None
    p95: float | None = None
    p99: float | None = None
    max: float | None = None


class ClientHealth(BaseModel):
    """How the client itself did: a run where it was the bottleneck says so."""

    send_lag_p99_s: float | None = None
    send_lag_max_s: float | None = None
    loop_lag_max_s: float | None = None
    """Largest delay of a periodic event-loop probe beyond its schedule."""
    cpu_percent: float | None = None
    """Client process CPU over the measured window (100 = one core)."""
    bottleneck: bool = False
    """The client was too busy to measure well; only judged when requests succeeded (a level
    of instant failures keeps the client busy without saying anything about it)."""
    reasons: list[str] = Field(default_factory=list)


class LevelSettings(BaseModel):
    """What was asked of a level."""

    mode: Literal["closed", "open"]
    concurrency: int | None = None
    rate: float | None = None
    burstiness: float = 1.0
    """Gamma shape; 1.0 = Poisson arrivals."""
    max_concurrency: int | None = None
    num_requests: int | None = None
    duration_s: float | None = None
    warmup_requests: int = 0
    max_tokens: int | None = None
    timeout_s: float | None = None
    seed: int = 0
    url: str = ""
    model: str = ""
    workload: str = ""


class LevelSummary(BaseModel):
    """``summary.json`` of one level."""

    schema_version: int = 1
    level: str
    settings: LevelSettings
    completed: int
    failed: int
    failures: dict[str, int] = Field(default_factory=dict)
    """Count by error kind."""
    first_error: str | None = None
    """The first failed measured request's kind and message (``connection: ...``), if any failed."""
    duration_s: float
    """First send to last completion of the measured (non-warm-up) requests."""
    request_throughput: float
    output_token_throughput: float
    total_token_throughput: float | None = None
    goodput: float | None = None
    """Requests/s meeting every SLO given."""
    correct_goodput: float | None = None
    """Requests/s meeting the SLOs and answered correctly."""
    slo: dict[str, float] = Field(default_factory=dict)
    ttft_s: Stats
    tpot_s: Stats
    itl_s: Stats
    e2e_s: Stats
    first_event_s: Stats | None = None
    output_tokens_source: dict[str, int] = Field(default_factory=dict)
    client: ClientHealth = Field(default_factory=ClientHealth)
    server_metrics: dict[str, float] = Field(default_factory=dict)
    """Differences of the server's Prometheus counters over the level (vLLM/SGLang/vlmhb serve)."""
    warnings: list[str] = Field(default_factory=list)
