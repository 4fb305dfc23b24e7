"""``vlmhb perf``: load-test an OpenAI-compatible endpoint with document workloads.

Every key of `PerfConfig` is a flag of the same name (``duration_s`` is ``--duration-s``), and
its help is the key's documentation. The config model owns the defaults: a flag left out
leaves the ``--config`` file's value alone, a flag typed overrides it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.progress import MofNCompleteColumn, Progress, TaskID
from rich.table import Table

from ..core import ConfigError, SourceLocation, problems_from_validation_error
from ..perf import LevelSummary, PerfConfig
from ._common import console, err_console, friendly_errors, setup_logging

__all__ = ["perf"]

_LISTS = {"dpi": int, "widths": int, "concurrency": int, "rate": float, "output_range": int}
"""Keys given as comma-separated numbers on the command line."""
_SLO_FLAGS = {"slo_ttft": "ttft_s", "slo_tpot": "tpot_s", "slo_e2e": "e2e_s"}
"""The flags of the ``slo`` mapping's keys."""


def _help(key: str, note: str = "") -> str:
    field = PerfConfig.model_fields[key]
    text = " ".join((field.description or "").split())
    default = field.get_default(call_default_factory=True)
    if isinstance(default, str):
        text += f' Default: "{default}"'
    elif default is not None and default is not False and default != [] and default != {}:
        text += f" Default: {default}."
    return text + note


def _flag(key: str) -> str:
    return "--" + key.replace("_", "-")


def _numbers(key: str, text: str) -> list[Any]:
    try:
        return [_LISTS[key](part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(
            f"not a comma-separated list of numbers: {text!r}",
            location=SourceLocation(key=_flag(key)),
            hint="e.g. 1,8,32",
        ) from None


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


@friendly_errors
def perf(
    url: str | None = typer.Option(None, "--url", help=_help("url")),
    model: str | None = typer.Option(None, "--model", help=_help("model")),
    api_key_env: str | None = typer.Option(None, "--api-key-env", help=_help("api_key_env")),
    dataset: Path | None = typer.Option(None, "--dataset", help=_help("dataset")),
    task: str | None = typer.Option(None, "--task", help=_help("task")),
    limit: int | None = typer.Option(None, "--limit", help=_help("limit")),
    dpi: str | None = typer.Option(None, "--dpi", help=_help("dpi")),
    widths: str | None = typer.Option(None, "--widths", help=_help("widths")),
    text_words: int | None = typer.Option(None, "--text-words", help=_help("text_words")),
    question: str | None = typer.Option(None, "--question", help=_help("question")),
    pages_per_size: int | None = typer.Option(None, "--pages-per-size", help=_help("pages_per_size")),
    concurrency: str | None = typer.Option(None, "--concurrency", help=_help("concurrency")),
    rate: str | None = typer.Option(None, "--rate", help=_help("rate")),
    burstiness: float | None = typer.Option(None, "--burstiness", help=_help("burstiness")),
    max_concurrency: int | None = typer.Option(None, "--max-concurrency", help=_help("max_concurrency")),
    num_requests: int | None = typer.Option(None, "--num-requests", help=_help("num_requests")),
    duration_s: float | None = typer.Option(None, "--duration-s", "--duration", help=_help("duration_s")),
    warmup: int | None = typer.Option(None, "--warmup", help=_help("warmup")),
    max_tokens: int | None = typer.Option(None, "--max-tokens", help=_help("max_tokens")),
    output_range: str | None = typer.Option(None, "--output-range", help=_help("output_range")),
    ignore_eos: bool | None = typer.Option(None, "--ignore-eos/--no-ignore-eos", help=_help("ignore_eos")),
    timeout_s: float | None = typer.Option(None, "--timeout-s", "--timeout", help=_help("timeout_s")),
    seed: int | None = typer.Option(None, "--seed", help=_help("seed")),
    cache_bust: bool | None = typer.Option(None, "--cache-bust/--no-cache-bust", help=_help("cache_bust")),
    slo_ttft: float | None = typer.Option(
        None, "--slo-ttft", help="Goodput SLO on TTFT, s (key slo.ttft_s)."
    ),
    slo_tpot: float | None = typer.Option(
        None, "--slo-tpot", help="Goodput SLO on TPOT, s (key slo.tpot_s)."
    ),
    slo_e2e: float | None = typer.Option(
        None, "--slo-e2e", help="Goodput SLO on E2E latency, s (key slo.e2e_s)."
    ),
    correct_metric: str | None = typer.Option(None, "--correct-metric", help=_help("correct_metric")),
    correct_threshold: float | None = typer.Option(
        None, "--correct-threshold", help=_help("correct_threshold")
    ),
    out: Path | None = typer.Option(None, "--out", help=_help("out")),
    attach: Path | None = typer.Option(None, "--attach", help=_help("attach")),
    config: Path | None = typer.Option(
        None, "--config", help="YAML file of these keys (duration_s for --duration-s); flags override it."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Measure TTFT, TPOT, ITL, latency, throughput and goodput under load.

    Workload: --dataset, --dpi/--widths or --text-words; without one, the attached run's own
    requests (--attach), else the OCR samples of the shipped demo dataset (85 synthetic A4
    document pages of 850x1200 px, with references). Exit status 1 when every request of a
    level failed, 2 for a mistake in the flags or the config file.
    """
    given = dict(locals())  # the options, by name: first, before any other local exists
    typed = {k: v for k, v in given.items() if k in PerfConfig.model_fields and v is not None}
    slo = {key: given[flag] for flag, key in _SLO_FLAGS.items() if given[flag] is not None}
    setup_logging(verbose)
    cfg = _config(config, typed, slo)
    with Progress(*Progress.get_default_columns(), MofNCompleteColumn(), console=err_console) as bar:
        bars: dict[str, TaskID] = {}

        def tick(level: str, done: int, total: int | None) -> None:
            if level not in bars:
                bars[level] = bar.add_task(f"level {level}", total=total)
            bar.update(bars[level], completed=done)

        from ..perf.run import run_perf

        summaries = run_perf(cfg, tick)
    _render(summaries)
    console.print(f"written to {cfg.attach / 'perf' if cfg.attach else cfg.out}")
    failed = [s for s in summaries if s.completed == 0 and s.failed > 0]
    for s in failed:
        err_console.print(
            f"[bold red]error:[/] level {s.level}: all {s.failed} requests failed; the first: "
            f"{escape(s.first_error or 'unknown')}",
            highlight=False,
            soft_wrap=True,
        )
    if failed:
        url = escape(failed[0].settings.url)
        err_console.print(f"  hint: check that the server answers at {url}", highlight=False)
        raise typer.Exit(1)


def _config(path: Path | None, typed: dict[str, Any], slo: dict[str, float]) -> PerfConfig:
    """The file's keys, overridden by the flags the user typed; located errors."""
    from ..config._yaml import load_yaml_with_locations

    data: dict[str, Any] = {}
    locate = None
    if path is not None:
        loaded, locate = load_yaml_with_locations(path)
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError("expected a mapping of PerfConfig keys", location=SourceLocation(path))
        data.update(loaded or {})
    flags = {k: _numbers(k, v) if k in _LISTS else v for k, v in typed.items()}
    data.update(flags)
    if slo:
        data["slo"] = {**(data.get("slo") or {}), **slo}
        flags.update({f"slo.{k}": v for k, v in slo.items()})

    def where(loc: tuple[int | str, ...], at_key: bool) -> SourceLocation | None:
        key = ".".join(str(p) for p in loc[:2]) if loc[:1] == ("slo",) else str(loc[0]) if loc else ""
        if key in flags:
            slo_flags = {f"slo.{k}": _flag(name) for name, k in _SLO_FLAGS.items()}
            return SourceLocation(key=slo_flags.get(key, _flag(key)))
        return locate(loc, at_key) if locate is not None else None

    try:
        return PerfConfig.model_validate(data)
    except ValidationError as exc:
        base = SourceLocation(path) if path else SourceLocation(key="flags")
        raise ConfigError(problems=problems_from_validation_error(exc, base, where)) from None


def _render(summaries: list[LevelSummary]) -> None:
    table = Table(title="vlmhb perf", title_justify="left")
    columns = ("level", "ok", "failed", "req/s", "out tok/s", "TTFT p50", "TPOT p50", "ITL p50", "E2E p99")
    for column in columns:
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
        for warning in s.warnings:
            console.print(f"[yellow]warning:[/] {s.level}: {escape(warning)}", highlight=False)
