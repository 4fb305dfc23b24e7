"""``vlmhb perf``: load-test an OpenAI-compatible endpoint with document workloads."""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import ValidationError
from rich.progress import MofNCompleteColumn, Progress, TaskID
from rich.table import Table

from ..core import ConfigError, SourceLocation, problems_from_validation_error
from ._common import console, err_console, friendly_errors, setup_logging

__all__ = ["perf"]


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def _numbers(text: str | None, kind: type) -> list:  # type: ignore[type-arg]
    if not text:
        return []
    try:
        return [kind(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(f"not a comma-separated list of numbers: {text!r}", hint="e.g. 1,8,32") from None


@friendly_errors
def perf(
    url: str | None = typer.Option(None, "--url", help="Endpoint base URL, e.g. http://localhost:8000/v1."),
    model: str | None = typer.Option(None, "--model", help="Model name the server expects."),
    config: Path | None = typer.Option(None, "--config", help="YAML file with the same keys as the flags."),
    dataset: Path | None = typer.Option(None, "--dataset", help="Workload: a dataset folder's pages."),
    task: str | None = typer.Option(None, "--task", help="Only samples of this task (vqa, ocr, kie)."),
    dpi: str | None = typer.Option(
        None, "--dpi", help="Workload: synthetic A4 pages at these DPIs: 100,200."
    ),
    text_words: int | None = typer.Option(
        None, "--text-words", help="Workload: text-only prompts of N words."
    ),
    concurrency: str | None = typer.Option(None, "--concurrency", help="Closed-loop levels: 1,8,32."),
    rate: str | None = typer.Option(None, "--rate", help="Open-loop levels, requests/s: 1,2,4."),
    burstiness: float = typer.Option(1.0, "--burstiness", help="Gamma shape of arrivals (1 = Poisson)."),
    num_requests: int | None = typer.Option(None, "--num-requests", help="Requests per level."),
    duration: float | None = typer.Option(None, "--duration", help="Seconds per level."),
    warmup: int = typer.Option(0, "--warmup", help="Warm-up requests per level (not in the statistics)."),
    max_tokens: int | None = typer.Option(None, "--max-tokens", help="Output tokens per request."),
    ignore_eos: bool = typer.Option(False, "--ignore-eos", help="Ask for exactly --max-tokens tokens."),
    cache_bust: bool = typer.Option(False, "--cache-bust", help="Make every request unique (no cache hits)."),
    timeout: float = typer.Option(
        300.0, "--timeout", help="Per-request timeout, s (a failure, never dropped)."
    ),
    slo_ttft: float | None = typer.Option(None, "--slo-ttft", help="Goodput SLO on TTFT, s."),
    slo_tpot: float | None = typer.Option(None, "--slo-tpot", help="Goodput SLO on TPOT, s."),
    slo_e2e: float | None = typer.Option(None, "--slo-e2e", help="Goodput SLO on E2E latency, s."),
    seed: int = typer.Option(0, "--seed"),
    out: Path = typer.Option(Path("perf"), "--out", help="Output folder."),
    attach: Path | None = typer.Option(None, "--attach", help="A run folder to attach the results to."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Measure TTFT, TPOT, ITL, latency, throughput and goodput under load."""
    from ..config._yaml import load_yaml_with_locations
    from ..perf.run import PerfConfig, run_perf

    setup_logging(verbose)
    data: dict[str, object] = {}
    locate = None
    if config is not None:
        loaded, locate = load_yaml_with_locations(config)
        data.update(loaded or {})
    flags = {
        "url": url,
        "model": model,
        "dataset": dataset,
        "task": task,
        "dpi": _numbers(dpi, int) or None,
        "text_words": text_words,
        "concurrency": _numbers(concurrency, int) or None,
        "rate": _numbers(rate, float) or None,
        "num_requests": num_requests,
        "duration_s": duration,
        "max_tokens": max_tokens,
        "seed": seed,
        "timeout_s": timeout,
        "warmup": warmup,
        "burstiness": burstiness,
        "ignore_eos": ignore_eos or None,
        "cache_bust": cache_bust or None,
        "out": out,
        "attach": attach,
        "slo": {k: v for k, v in (("ttft_s", slo_ttft), ("tpot_s", slo_tpot), ("e2e_s", slo_e2e)) if v}
        or None,
    }
    data.update({k: v for k, v in flags.items() if v is not None})
    try:
        cfg = PerfConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            problems=problems_from_validation_error(
                exc, SourceLocation(config) if config else SourceLocation(key="flags"), locate
            )
        ) from None
    with Progress(*Progress.get_default_columns(), MofNCompleteColumn(), console=err_console) as bar:
        bars: dict[str, TaskID] = {}

        def tick(level: str, done: int, total: int | None) -> None:
            if level not in bars:
                bars[level] = bar.add_task(f"level {level}", total=total)
            bar.update(bars[level], completed=done)

        summaries = run_perf(cfg, tick)
    table = Table(title="vlmhb perf", title_justify="left")
    for column in (
        "level",
        "ok",
        "failed",
        "req/s",
        "out tok/s",
        "TTFT p50",
        "TPOT p50",
        "ITL p50",
        "E2E p99",
    ):
        table.add_column(column)
    for s in summaries:
        table.add_row(
            s.level,
            str(s.completed),
            str(s.failed),
            _fmt(s.request_throughput),
            _fmt(s.output_token_throughput),
            _fmt(s.ttft_s.median),
            _fmt(s.tpot_s.median),
            _fmt(s.itl_s.median),
            _fmt(s.e2e_s.p99),
        )
    console.print(table)
    for s in summaries:
        for warning in s.warnings + (
            [f"{s.level}: client was the bottleneck: {'; '.join(s.client.reasons)}"]
            if s.client.bottleneck
            else []
        ):
            console.print(f"[yellow]warning:[/] {warning}")
    console.print(f"written to {cfg.attach / 'perf' if cfg.attach else cfg.out}")
