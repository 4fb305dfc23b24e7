"""`PerfConfig`: what ``vlmhb perf`` is asked, as a YAML file's keys or the flags of the same names."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt, field_validator

__all__ = ["PerfConfig"]


class PerfConfig(BaseModel):
    """Everything ``vlmhb perf`` is asked: the keys of its YAML file, each also a flag.

    A key's flag is its name with dashes (``duration_s`` is ``--duration-s``); ``slo`` is set
    by ``--slo-ttft``, ``--slo-tpot`` and ``--slo-e2e``. The defaults are here: a flag the user
    did not type leaves the file's value (or this default) alone.
    """

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    url: str | None = None
    """Endpoint base URL, e.g. http://localhost:8000/v1. Attached to a run of the openai backend: that run's base_url."""
    model: str | None = None
    """Model name the server expects. Attached to a run of the openai backend: that run's model."""
    api_key_env: str | None = None
    """Environment variable holding the API key, sent as a Bearer token."""
    dataset: Path | None = None
    """Workload: the samples of a dataset folder, sent as a run with the default prompts would send them."""
    task: str | None = None
    """Only samples of this task (ocr, vqa, kie); the default workload uses ocr."""
    limit: int | None = Field(default=None, ge=1)
    """At most this many samples (dataset, attached run) or text prompts (default 64), after a seeded shuffle."""
    dpi: list[PositiveInt] = Field(default_factory=list)
    """Workload: synthetic A4 text pages at these DPIs, e.g. 100,200."""
    widths: list[PositiveInt] = Field(default_factory=list)
    """Workload: synthetic A4 text pages this many pixels wide, e.g. 1240,2480."""
    text_words: int | None = Field(default=None, ge=1)
    """Workload: text-only prompts of this many words."""
    question: str = "Transcribe all text on the page."
    """The prompt sent with each synthetic page."""
    pages_per_size: int = Field(default=8, ge=1)
    """Synthetic requests per page size."""
    concurrency: list[PositiveInt] = Field(default_factory=list)
    """Closed-loop levels: requests in flight, e.g. 1,8,32."""
    rate: list[PositiveFloat] = Field(default_factory=list)
    """Open-loop levels: requests per second, e.g. 1,2,4."""
    burstiness: float = Field(default=1.0, gt=0)
    """Gamma shape of open-loop arrivals: 1 is Poisson, below 1 burstier."""
    max_concurrency: int | None = Field(default=None, ge=1)
    """Open loop: at most this many requests in flight (waiting for a slot is recorded apart)."""
    num_requests: int | None = Field(default=None, ge=1)
    """Measured requests per level; without it and duration_s, one per workload item."""
    duration_s: float | None = Field(default=None, gt=0)
    """Seconds per level."""
    warmup: int = Field(default=0, ge=0)
    """Warm-up requests per level, recorded but not in the statistics."""
    max_tokens: int | None = Field(default=None, ge=1)
    """Output tokens per request (else the workload's own: 1024 for datasets, as a run)."""
    output_range: tuple[PositiveInt, PositiveInt] | None = None
    """Output tokens per request drawn uniformly from LOW,HIGH (seeded) instead of max_tokens."""
    ignore_eos: bool = False
    """Ask the server (vLLM) for exactly the requested number of output tokens."""
    timeout_s: float = Field(default=300.0, gt=0)
    """Per-request timeout in seconds; a timed-out request is a failure, never dropped."""
    seed: int = 0
    """Seed of the sample shuffle, the arrival times and the output lengths."""
    cache_bust: bool = False
    """Make every request unique, so no prefix or image cache can serve it."""
    slo: dict[Literal["ttft_s", "tpot_s", "e2e_s"], PositiveFloat] = Field(default_factory=dict)
    """Goodput SLOs, seconds: ttft_s, tpot_s, e2e_s."""
    correct_metric: str = "anls"
    """Metric that decides whether an answer is correct (workloads with references)."""
    correct_threshold: float = 0.5
    """Score at which an answer counts as correct."""
    out: Path = Path("perf")
    """Output folder (ignored with attach)."""
    attach: Path | None = None
    """A run folder (runs/EXPERIMENT/RUN): results go to RUN/perf, beside its accuracy, and
    without another workload perf sends that run's own requests."""

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is not None:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("expected an http(s) URL such as http://localhost:8000/v1")
        return url
