"""``vlmhb perf`` end to end: a `PerfConfig` → workload → levels → files and reports.

Besides the levels themselves it scrapes the server's Prometheus ``/metrics`` before and
after each level (vLLM, SGLang and ``vlmhb serve`` all serve one) and keeps the counter
differences, scores answers when the workload has references (correct goodput), warns
when the server reports prompt tokens served from a cache, and can attach the results to
an experiment run (``attach: runs/<experiment>/<run>``) so the comparison report shows
speed beside accuracy.

Workloads (the first one given): a dataset, synthetic pages, text prompts; else, when
attached, the run's own requests (rebuilt from its ``run_spec.json`` by the functions its
infer stage uses: same prompts, JSON schemas, generation settings and image bytes); else the
shipped demo dataset's OCR pages.
"""

from __future__ import annotations

import importlib
import logging
import random
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from .._paths import demo_dataset_path
from ..backends.openai import OpenAIBackend
from ..core import ConfigError, MissingDependency, RunDir, Sample, SourceLocation
from ..core.secrets import secret_from_env
from ._config import PerfConfig
from ._records import LevelSettings, LevelSummary, PerfRequestRecord
from .report import write_level, write_perf_report
from .runner import PerfRequest, RequestSource, level_name, run_level, summarize
from .workloads import (
    WorkloadItem,
    bust,
    dataset_workload,
    sample_workload,
    synthetic_workload,
    text_workload,
    with_output_lengths,
)

if TYPE_CHECKING:
    from ..orchestrator import PlannedRun

__all__ = ["PerfConfig", "run_perf"]

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int | None], None]
"""``(level, finished requests, total or None)`` after each request."""


def _attached_run(run_dir: Path) -> PlannedRun:
    """The run as its own stages rebuild it from ``run_spec.json``: spec, backend, samples."""
    from ..orchestrator.runner import planned_from_run_dir

    return planned_from_run_dir(RunDir(run_dir), stage="infer")


def _with_endpoint(cfg: PerfConfig, run: PlannedRun | None) -> PerfConfig:
    """``cfg`` with url and model, taken from the attached run's openai backend when not given."""
    if run is not None and isinstance(run.backend, OpenAIBackend):
        b = run.backend
        cfg = cfg.model_copy(
            update={
                "url": cfg.url or b.base_url,
                "model": cfg.model or b.model,
                "api_key_env": cfg.api_key_env or b.api_key_env,
            }
        )
    for key in ("url", "model"):
        if getattr(cfg, key) is None:
            raise ConfigError(
                f"no {key} given (--{key}, or {key}: in the --config file)",
                location=SourceLocation(key=f"--{key}"),
                hint="e.g. --url http://localhost:8000/v1 --model Qwen/Qwen2.5-VL-7B-Instruct"
                + ("" if run is None else f" (run {run.spec.run_id} did not use the openai backend)"),
            )
    return cfg


def _workload(cfg: PerfConfig, run: PlannedRun | None) -> tuple[list[WorkloadItem], str]:
    """The requests of ``cfg``'s workload and a description of it."""
    assert cfg.url is not None and cfg.model is not None
    builder = OpenAIBackend(base_url=cfg.url, model=cfg.model)
    if cfg.dataset is not None:
        items = dataset_workload(cfg.dataset, task=cfg.task, limit=cfg.limit, seed=cfg.seed, builder=builder)
        described = f"dataset {cfg.dataset.name}" + (f" ({cfg.task})" if cfg.task else "")
    elif cfg.dpi or cfg.widths:
        items = synthetic_workload(
            dpis=cfg.dpi, widths=cfg.widths, n=cfg.pages_per_size, question=cfg.question, seed=cfg.seed
        )
        described = "synthetic pages " + ", ".join(
            [*(f"{d} dpi" for d in cfg.dpi), *(f"{w} px" for w in cfg.widths)]
        )
    elif cfg.text_words:
        items = text_workload(n=cfg.limit or 64, words=cfg.text_words, seed=cfg.seed)
        described = f"text {cfg.text_words} words"
    elif run is not None:
        # The run's own requests: its prompts, schemas, generation settings and image encoding.
        samples = list(run.samples)
        random.Random(cfg.seed).shuffle(samples)
        run_builder = run.backend if isinstance(run.backend, OpenAIBackend) else builder
        items = sample_workload(run.spec, samples[: cfg.limit or len(samples)], run_builder)
        described = f"run {run.spec.experiment}/{run.spec.run_id} ({run.spec.task})"
    else:
        task = cfg.task or "ocr"
        items = dataset_workload(
            demo_dataset_path(), task=task, limit=cfg.limit, seed=cfg.seed, builder=builder
        )
        described = f"demo dataset ({task})"
    low, high = cfg.output_range or (None, None)
    items = with_output_lengths(
        items,
        fixed=cfg.max_tokens if not cfg.output_range else None,
        low=low,
        high=high,
        ignore_eos=cfg.ignore_eos,
        seed=cfg.seed,
    )
    return items, described


def _require_prometheus() -> None:
    try:
        importlib.import_module("prometheus_client.parser")
    except ImportError:
        raise MissingDependency(
            "vlmhb perf reads the server's Prometheus /metrics and needs prometheus-client",
            hint="pip install 'vlmhyperbench[serve]'",
        ) from None


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
    from ..metrics import Answered, build_metric

    metric = build_metric(cfg.correct_metric)
    higher = metric.higher_is_better
    by_id = {i.sample_id: i for i in items if i.references}
    for record in records:
        item = by_id.get(record.sample_id)
        if item is None or record.answer is None:
            continue
        sample = Sample(id=item.sample_id or "x", images=(Path("/unused"),), answers=item.references)
        value = metric.score_answers([Answered(record.answer)], [sample])[0].value
        if value is not None:
            record.correct = value >= cfg.correct_threshold if higher else value <= cfg.correct_threshold


def run_perf(cfg: PerfConfig, progress: Progress | None = None) -> list[LevelSummary]:
    """Run every level of ``cfg``, write the files, return the summaries.

    Raises:
        ConfigError: No load level or no endpoint is given, or the workload cannot be built.
        MissingDependency: prometheus-client (the ``serve`` extra) is not installed.
    """
    from ._client import run

    levels = _levels(cfg)
    own_workload = cfg.dataset is not None or cfg.dpi or cfg.widths or cfg.text_words
    needs_run = cfg.attach is not None and (not own_workload or cfg.url is None or cfg.model is None)
    attached = _attached_run(cfg.attach) if needs_run and cfg.attach is not None else None
    cfg = _with_endpoint(cfg, attached)
    assert cfg.url is not None and cfg.model is not None
    _require_prometheus()
    items, described = _workload(cfg, attached)
    headers = {}
    if cfg.api_key_env:
        headers["Authorization"] = f"Bearer {secret_from_env(cfg.api_key_env).get_secret_value()}"
    out = cfg.attach / "perf" if cfg.attach else cfg.out
    summaries, all_records = [], {}
    for index, level in enumerate(levels, start=1):
        settings = level.model_copy(update={"workload": described})
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
                f"the server reports {cached} prompt tokens served from its "
                "cache" + ("" if cfg.cache_bust else "; rerun with --cache-bust")
            )
        write_level(out, records, summary)
        summaries.append(summary)
        all_records[summary.level] = records
    write_perf_report(out, summaries, all_records)
    return summaries


def _levels(cfg: PerfConfig) -> list[LevelSettings]:
    base = LevelSettings(
        mode="closed",
        num_requests=cfg.num_requests,
        duration_s=cfg.duration_s,
        warmup_requests=cfg.warmup,
        timeout_s=cfg.timeout_s,
        seed=cfg.seed,
        burstiness=cfg.burstiness,
        max_concurrency=cfg.max_concurrency,
    )
    levels = [base.model_copy(update={"concurrency": c}) for c in cfg.concurrency]
    levels += [base.model_copy(update={"mode": "open", "rate": r}) for r in cfg.rate]
    if not levels:
        raise ConfigError("no load level given", hint="use --concurrency 1,8,32 or --rate 1,2,4")
    return levels


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
