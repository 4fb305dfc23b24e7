"""Perf outputs: per level ``<level>/requests.jsonl`` and ``<level>/summary.json``; over the
levels ``summary.csv``, ``report.md`` and a self-contained ``report.html`` with charts
(latency CDFs, TTFT against image size, throughput and latency against load, accuracy
against latency when the workload has references)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..core import atomic_write_text, write_json_model
from ..reports._stats import fmt_num
from ..reports.html import environment, figure_html, plotly_js
from ..reports.markdown import md_table
from ._records import LevelSummary, PerfRequestRecord

__all__ = ["DEFINITIONS", "write_level", "write_perf_report"]

DEFINITIONS = [
    "t_send: client clock just before the request is written to the socket; event times are arrivals.",
    (
        "TTFT = arrival of the first event carrying content − t_send (queueing, image decoding, vision encoder and "
        "prefill included). first_event = the first event of any kind (a role-only chunk), reported separately."
    ),
    "E2E = arrival of the last event − t_send. TPOT = (E2E − TTFT) / (output_tokens − 1), requests with ≥ 2 tokens.",
    (
        "ITL = every gap between content events, pooled over requests; a chunk carrying k tokens (per-chunk usage) "
        "is split into k equal gaps (counted in split_chunks)."
    ),
    "Output tokens from the server's usage; otherwise the number of content events, flagged in output_tokens_source.",
    "Throughput over the measured window: first send to last completion, warm-up requests excluded.",
    "Goodput = requests/s meeting every SLO given (TTFT, TPOT, E2E); correct goodput also requires a correct answer.",
]

_COLUMNS: list[tuple[str, Callable[[LevelSummary], object]]] = [
    ("level", lambda s: s.level),
    ("completed", lambda s: s.completed),
    ("failed", lambda s: s.failed),
    ("duration_s", lambda s: s.duration_s),
    ("request_throughput", lambda s: s.request_throughput),
    ("output_token_throughput", lambda s: s.output_token_throughput),
    ("goodput", lambda s: s.goodput),
    ("ttft_median_s", lambda s: s.ttft_s.median),
    ("ttft_p99_s", lambda s: s.ttft_s.p99),
    ("tpot_median_s", lambda s: s.tpot_s.median),
    ("itl_median_s", lambda s: s.itl_s.median),
    ("itl_p99_s", lambda s: s.itl_s.p99),
    ("e2e_median_s", lambda s: s.e2e_s.median),
    ("e2e_p99_s", lambda s: s.e2e_s.p99),
    ("client_bottleneck", lambda s: s.client.bottleneck),
]


def write_level(out_dir: Path, records: Sequence[PerfRequestRecord], summary: LevelSummary) -> Path:
    """``<out_dir>/<level>/requests.jsonl`` and ``summary.json``; returns the level folder."""
    folder = out_dir / summary.level
    lines = "".join(r.model_dump_json() + "\n" for r in records)
    atomic_write_text(folder / "requests.jsonl", lines)
    write_json_model(folder / "summary.json", summary)
    return folder


def _charts(summaries: Sequence[LevelSummary], records: dict[str, list[PerfRequestRecord]]) -> list[Any]:
    import plotly.graph_objects as go

    charts: list[Any] = []
    cdf = go.Figure()
    for level, recs in records.items():
        values = sorted(r.e2e_s for r in recs if r.e2e_s is not None and not r.warmup)
        if values:
            cdf.add_scatter(
                x=values, y=[(i + 1) / len(values) for i in range(len(values))], name=f"{level} E2E"
            )
        ttft = sorted(r.ttft_s for r in recs if r.ttft_s is not None and not r.warmup)
        if ttft:
            cdf.add_scatter(
                x=ttft,
                y=[(i + 1) / len(ttft) for i in range(len(ttft))],
                name=f"{level} TTFT",
                line={"dash": "dot"},
            )
    cdf.update_layout(title="Latency CDF", xaxis_title="seconds", yaxis_title="share of requests")
    charts.append(figure_html(cdf))
    pixels = [
        (r.image_pixels, r.ttft_s, level)
        for level, recs in records.items()
        for r in recs
        if r.image_pixels and r.ttft_s is not None and not r.warmup
    ]
    if pixels:
        fig = go.Figure()
        fig.add_scatter(
            x=[p[0] for p in pixels], y=[p[1] for p in pixels], mode="markers", text=[p[2] for p in pixels]
        )
        fig.update_layout(
            title="TTFT against image pixels", xaxis_title="pixels per request", yaxis_title="TTFT, s"
        )
        charts.append(figure_html(fig))
    load = [s.settings.concurrency or s.settings.rate for s in summaries]
    fig = go.Figure()
    fig.add_scatter(x=load, y=[s.request_throughput for s in summaries], name="requests/s")
    fig.add_scatter(
        x=load, y=[s.output_token_throughput for s in summaries], name="output tokens/s", yaxis="y2"
    )
    fig.update_layout(
        title="Throughput against load",
        xaxis_title="concurrency or rate",
        yaxis2={"overlaying": "y", "side": "right"},
    )
    charts.append(figure_html(fig))
    fig = go.Figure()
    for name, metric, stat in (
        ("TTFT p50", "ttft_s", "median"),
        ("E2E p50", "e2e_s", "median"),
        ("E2E p99", "e2e_s", "p99"),
    ):
        fig.add_scatter(x=load, y=[getattr(getattr(s, metric), stat) for s in summaries], name=name)
    fig.update_layout(title="Latency against load", xaxis_title="concurrency or rate", yaxis_title="seconds")
    charts.append(figure_html(fig))
    scored = [
        (level, [r for r in recs if r.correct is not None and not r.warmup])
        for level, recs in records.items()
    ]
    if any(recs for _, recs in scored):
        fig = go.Figure()
        for level, recs in scored:
            if recs:
                accuracy = sum(1 for r in recs if r.correct) / len(recs)
                e2e = sorted(r.e2e_s for r in recs if r.e2e_s is not None)
                fig.add_scatter(
                    x=[e2e[len(e2e) // 2] if e2e else None], y=[accuracy], name=level, mode="markers"
                )
        fig.update_layout(
            title="Accuracy against latency (Pareto)",
            xaxis_title="median E2E, s",
            yaxis_title="share correct",
        )
        charts.append(figure_html(fig))
    return charts


def write_perf_report(
    out_dir: Path, summaries: Sequence[LevelSummary], records: dict[str, list[PerfRequestRecord]]
) -> list[Path]:
    """``summary.csv``, ``report.md`` and ``report.html`` over the levels."""
    header = [c[0] for c in _COLUMNS]
    rows = [[get(s) for _, get in _COLUMNS] for s in summaries]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    atomic_write_text(out_dir / "summary.csv", buf.getvalue())
    first = summaries[0].settings if summaries else None
    warnings = [w for s in summaries for w in s.warnings] + [
        f"{s.level}: the client was the bottleneck ({'; '.join(s.client.reasons)})"
        for s in summaries
        if s.client.bottleneck
    ]
    md = [
        f"# Perf report: {out_dir.name}",
        "",
        (
            f"{first.url if first else ''} · model {first.model if first else ''} · workload "
            f"{first.workload if first else ''}"
        ),
        "",
        *(f"> warning: {w}" for w in warnings),
        "",
        md_table(header, rows),
        "",
        "## Definitions",
        "",
        *(f"- {d}" for d in DEFINITIONS),
        "",
        "Per level: `<level>/requests.jsonl`, `<level>/summary.json`.",
        "",
    ]
    atomic_write_text(out_dir / "report.md", "\n".join(md))
    html = (
        environment()
        .get_template("perf.html.j2")
        .render(
            title=out_dir.name,
            url=first.url if first else "",
            model=first.model if first else "",
            workload=first.workload if first else "",
            warnings=warnings,
            header=header,
            rows=rows,
            charts=_charts(summaries, records),
            definitions=DEFINITIONS,
            plotly_js=plotly_js(),
            fmt_num=fmt_num,
        )
    )
    atomic_write_text(out_dir / "report.html", html)
    atomic_write_text(out_dir / "levels.json", json.dumps([s.level for s in summaries]) + "\n")
    return [out_dir / "summary.csv", out_dir / "report.md", out_dir / "report.html"]
