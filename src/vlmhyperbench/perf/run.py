"""``vlmhb perf`` end to end: a `PerfConfig` → workload → levels → files and reports.

Besides the levels themselves it scrapes the server's Prometheus ``/metrics`` before and
after each level (vLLM, SGLang and ``vlmhb serve`` all serve one) and keeps the counter
differences, scores answers when the workload has references (correct goodput), warns
when the server reports prompt tokens served from a cache, and can attach the results to
an experiment run (``attach: runs/<experiment>/<run>``) so the comparison report shows
speed beside accuracy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field

from ..core import ConfigError, Sample
from ..core.secrets import secret_from_env
from ._records import LevelSettings, LevelSummary, PerfRequestRecord
from .report import write_level, write_perf_report
from .runner import PerfRequest, RequestSource, level_name, run_level, summarize
from .workloads import (
    WorkloadItem,
    bust,
    dataset_workload,
    synthetic_workload,
    text_workload,
    with_output_lengths,
)

__all__ = ["PerfConfig", "run_perf"]

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int | None], None]
"""``(level, finished requests, total or None)`` after each request."""


class PerfConfig(BaseModel):
    """Everything ``vlmhb perf`` is asked (CLI flags or a YAML file)."""

    model_config = ConfigDict(extra="forbid")

    url: str
    model: str
    api_key_env: str | None = None
    dataset: Path | None = None
    task: str | None = None
    limit: int | None = Field(default=None, ge=1)
    dpi: list[int] = Field(default_factory=list)
    widths: list[int] = Field(default_factory=list)
    text_words: int | None = Field(default=None, ge=1)
    question: str = "Transcribe all text on the page."
    pages_per_size: int = Field(default=8, ge=1)
    concurrency: list[int] = Field(default_factory=list)
    rate: list[float] = Field(default_factory=list)
    burstiness: float = Field(default=1.0, gt=0)
    max_concurrency: int | None = Field(default=None, ge=1)
    num_requests: int | None = Field(default=None, ge=1)
    duration_s: float | None = Field(default=None, gt=0)
    warmup: int = Field(default=0, ge=0)
    max_tokens: int | None = Field(default=None, ge=1)
    output_range: tuple[int, int] | None = None
    ignore_eos: bool = False
    timeout_s: float = Field(default=300.0, gt=0)
    seed: int = 0
    cache_bust: bool = False
    slo: dict[Literal["ttft_s", "tpot_s", "e2e_s"], float] = Field(default_factory=dict)
    correct_metric: str = "anls"
    correct_threshold: float = 0.5
    out: Path = Path("perf")
    attach: Path | None = None
    """A run folder: results go to ``<run>/perf`` and its experiment's comparison shows them."""


def _workload(cfg: PerfConfig) -> list[WorkloadItem]:
    if cfg.dataset is not None:
        items = dataset_workload(cfg.dataset, task=cfg.task, limit=cfg.limit, seed=cfg.seed)
    elif cfg.dpi or cfg.widths:
        items = synthetic_workload(
            dpis=cfg.dpi, widths=cfg.widths, n=cfg.pages_per_size, question=cfg.question, seed=cfg.seed
        )
    elif cfg.text_words:
        items = text_workload(n=cfg.limit or 64, words=cfg.text_words, seed=cfg.seed)
    else:
        raise ConfigError("no workload given", hint="use --dataset DIR, --dpi 100,200, or --text-words N")
    low, high = cfg.output_range or (None, None)
    return with_output_lengths(
        items,
        fixed=cfg.max_tokens if not cfg.output_range else None,
        low=low,
        high=high,
        ignore_eos=cfg.ignore_eos,
        seed=cfg.seed,
    )


def _scrape(url: str) -> dict[str, float]:
    """Counters and gauges of the server's Prometheus endpoint; empty when it has none."""
    from prometheus_client.parser import text_string_to_metric_families

    base = url.rstrip("/").removesuffix("/v1")
    try:
        text = httpx.get(f"{base}/metrics", timeout=5).text
        values = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                values[f"{sample.name}{{{labels}}}" if labels else sample.name] = float(sample.value)
        return values
    except (httpx.HTTPError, ValueError):
        return {}


def _score(records: list[PerfRequestRecord], items: list[WorkloadItem], cfg: PerfConfig) -> None:
    from ..metrics import build_metric

    metric = build_metric(cfg.correct_metric)
    higher = metric.higher_is_better
    by_id = {i.sample_id: i for i in items if i.references}
    for record in records:
        item = by_id.get(record.sample_id)
        if item is None or record.answer is None:
            continue
        sample = Sample(id=item.sample_id or "x", images=(Path("/unused"),), answers=item.references)
        value = metric.score(record.answer, sample).value
        if value is not None:
            record.correct = value >= cfg.correct_threshold if higher else value <= cfg.correct_threshold


def run_perf(cfg: PerfConfig, progress: Progress | None = None) -> list[LevelSummary]:
    """Run every level of ``cfg``, write the files, return the summaries."""
    from ._client import run

    items = _workload(cfg)
    headers = {}
    if cfg.api_key_env:
        headers["Authorization"] = f"Bearer {secret_from_env(cfg.api_key_env).get_secret_value()}"
    base = LevelSettings(
        mode="closed",
        num_requests=cfg.num_requests,
        duration_s=cfg.duration_s,
        warmup_requests=cfg.warmup,
        timeout_s=cfg.timeout_s,
        seed=cfg.seed,
        burstiness=cfg.burstiness,
        max_concurrency=cfg.max_concurrency,
        workload=_describe(cfg),
    )
    levels = [base.model_copy(update={"concurrency": c}) for c in cfg.concurrency]
    levels += [base.model_copy(update={"mode": "open", "rate": r}) for r in cfg.rate]
    if not levels:
        raise ConfigError("no load level given", hint="use --concurrency 1,8,32 or --rate 1,2,4")
    out = cfg.attach / "perf" if cfg.attach else cfg.out
    summaries, all_records = [], {}
    for index, settings in enumerate(levels, start=1):
        requests = _requests(items, cfg, settings, index)
        before = _scrape(cfg.url)
        total = settings.num_requests + settings.warmup_requests if settings.num_requests else None
        name = level_name(settings)

        def tick(done: int, name: str = name, total: int | None = total) -> None:
            if progress is not None:
                progress(name, done, total)

        records, summary = run(
            run_level(cfg.url, cfg.model, requests, settings, dict(cfg.slo), headers=headers, on_done=tick)
        )
        after = _scrape(cfg.url)
        if any(i.references for i in items):
            _score(records, items, cfg)
            summary = summarize(records, summary.settings, summary.level, dict(cfg.slo), summary.client)
        diff = {
            k: after[k] - before.get(k, 0.0)
            for k in after
            if k.endswith(("_total", "_count", "_sum")) or "_total{" in k
        }
        summary = summary.model_copy(update={"server_metrics": {k: v for k, v in diff.items() if v}})
        cached = sum(r.cached_tokens or 0 for r in records)
        if cached:
            summary.warnings.append(
                f"{summary.level}: the server reports {cached} prompt tokens served from its "
                "cache" + ("" if cfg.cache_bust else "; rerun with --cache-bust")
            )
        write_level(out, records, summary)
        summaries.append(summary)
        all_records[summary.level] = records
    write_perf_report(out, summaries, all_records)
    return summaries


def _requests(
    items: list[WorkloadItem], cfg: PerfConfig, settings: LevelSettings, level: int
) -> RequestSource:
    """The level's bodies. With cache busting every request is made unique beforehand (so the
    work is not on the send path); a duration-bound level busts on the fly, text only."""

    def body(item: WorkloadItem) -> PerfRequest:
        return PerfRequest({"messages": item.messages, **item.extra}, item.sample_id, item.image_pixels)

    if not cfg.cache_bust:
        return [body(i) for i in items]
    if settings.num_requests is None:
        return lambda i: body(bust(items[i % len(items)], f"{cfg.seed}-{level}-{i}", level * 65536 + i))
    total = settings.num_requests + settings.warmup_requests
    return [
        body(bust(items[i % len(items)], f"{cfg.seed}-{level}-{i}", level * 65536 + i)) for i in range(total)
    ]


def _describe(cfg: PerfConfig) -> str:
    if cfg.dataset is not None:
        return f"dataset {cfg.dataset.name}" + (f" ({cfg.task})" if cfg.task else "")
    if cfg.dpi or cfg.widths:
        return "synthetic pages " + ", ".join(
            [*(f"{d} dpi" for d in cfg.dpi), *(f"{w} px" for w in cfg.widths)]
        )
    return f"text {cfg.text_words} words"
