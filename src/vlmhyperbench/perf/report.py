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
from ..reports.html import environment, figure_html, plotly_js_file
from ..reports.markdown import md_table
from ._records import LevelSettings, LevelSummary, PerfRequestRecord

__all__ = ["DEFINITIONS", "level_label", "write_level", "write_perf_report"]

DEFINITIONS = [
    "t_send: client clock just before the request is written to the socket; event times are arrivals.",
    (
        "TTFT = arrival of the first event carrying content − t_send (queueing, image decoding, vision encoder and "
        "prefill included). first_event = the first event of any kind (a role-only chunk), reported separately."
    ),
    (
        "E2E = arrival of the last event of the stream ([DONE] included) − t_send. "
        "TPOT = (E2E − TTFT) / (output_tokens − 1), requests with ≥ 2 tokens."
    ),
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


def level_label(settings: LevelSettings) -> str:
    """A level as a reader says it: ``8 in flight`` (closed loop), ``2.5 req/s`` (open loop)."""
    if settings.mode == "closed":
        return f"{settings.concurrency or 1} in flight"
    return f"{settings.rate:g} req/s"


_SECONDS = {"tickformat": ".3~g", "ticksuffix": " s", "rangemode": "tozero"}
"""Latency axes: plain seconds (plotly's default SI prefixes would print 20 ms as "20m")."""
_SHARE = {"tickformat": ".0%", "range": [0, 1.02]}
_LOAD = {"type": "category", "title": "load level (closed loop: requests in flight; open loop: arrival rate)"}


def _cdf(records: dict[str, list[PerfRequestRecord]], labels: dict[str, str]) -> Any:
    import plotly.graph_objects as go

    fig = go.Figure()
    for level, recs in records.items():
        for metric, dash in (("e2e_s", None), ("ttft_s", "dot")):
            values = sorted(v for r in recs if not r.warmup and (v := getattr(r, metric)) is not None)
            if values:
                fig.add_scatter(
                    x=values,
                    y=[(i + 1) / len(values) for i in range(len(values))],
                    name=f"{labels.get(level, level)}: {'E2E' if metric == 'e2e_s' else 'TTFT'}",
                    line={"dash": dash, "shape": "hv"},
                )
    fig.update_layout(
        title="Latency CDF (solid: E2E latency, dotted: TTFT)",
        xaxis={"title": "latency, seconds", **_SECONDS},
        yaxis={"title": "share of requests at or below", **_SHARE},
    )
    return fig


def _by_pixels(records: dict[str, list[PerfRequestRecord]], labels: dict[str, str]) -> Any:
    import plotly.graph_objects as go

    fig = go.Figure()
    for level, recs in records.items():
        points = [
            (r.image_pixels / 1e6, r.ttft_s)
            for r in recs
            if r.image_pixels and r.ttft_s is not None and not r.warmup
        ]
        if points:
            fig.add_scatter(
                x=[p[0] for p in points],
                y=[p[1] for p in points],
                mode="markers",
                name=labels.get(level, level),
            )
    fig.update_layout(
        title="TTFT against image size",
        xaxis={"title": "image pixels per request, megapixels", "tickformat": ".2~f", "rangemode": "tozero"},
        yaxis={"title": "TTFT, seconds", **_SECONDS},
    )
    return fig if fig.data else None


def _against_load(summaries: Sequence[LevelSummary]) -> list[Any]:
    import plotly.graph_objects as go

    x = [level_label(s.settings) for s in summaries]
    charts = []
    for title, unit, values in (
        ("Request throughput against load", "completed requests per second",
         [s.request_throughput for s in summaries]),
        ("Output token throughput against load", "output tokens per second",
         [s.output_token_throughput for s in summaries]),
    ):  # fmt: skip
        fig = go.Figure()
        fig.add_bar(x=x, y=values, name=unit)
        fig.update_layout(title=title, xaxis=_LOAD, yaxis={"title": unit, "tickformat": ",.3~g"})
        charts.append(fig)
    fig = go.Figure()
    for name, metric, stat in (
        ("TTFT median", "ttft_s", "median"),
        ("E2E median", "e2e_s", "median"),
        ("E2E p99", "e2e_s", "p99"),
    ):
        fig.add_scatter(x=x, y=[getattr(getattr(s, metric), stat) for s in summaries], name=name)
    fig.update_layout(
        title="Latency against load", xaxis=_LOAD, yaxis={"title": "latency, seconds", **_SECONDS}
    )
    charts.append(fig)
    return charts


def _accuracy(records: dict[str, list[PerfRequestRecord]], labels: dict[str, str]) -> Any:
    import plotly.graph_objects as go

    fig = go.Figure()
    for level, recs in records.items():
        scored = [r for r in recs if r.correct is not None and not r.warmup]
        e2e = sorted(r.e2e_s for r in scored if r.e2e_s is not None)
        if scored and e2e:
            accuracy = sum(1 for r in scored if r.correct) / len(scored)
            fig.add_scatter(
                x=[e2e[len(e2e) // 2]], y=[accuracy], name=labels.get(level, level), mode="markers+text",
                text=[labels.get(level, level)], textposition="top center", marker={"size": 10},
            )  # fmt: skip
    fig.update_layout(
        title="Accuracy against latency (Pareto)",
        xaxis={"title": "median E2E latency, seconds", **_SECONDS},
        yaxis={"title": "answers correct", **_SHARE},
    )
    return fig if fig.data else None


def _charts(summaries: Sequence[LevelSummary], records: dict[str, list[PerfRequestRecord]]) -> list[Any]:
    """The report's figures, each axis titled with its unit."""
    labels = {s.level: level_label(s.settings) for s in summaries}
    figures = [_cdf(records, labels), _by_pixels(records, labels), *_against_load(summaries)]
    figures.append(_accuracy(records, labels))
    return [figure_html(f) for f in figures if f is not None]


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
    warnings = [f"{s.level}: {w}" for s in summaries for w in s.warnings]
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
            plotly_src=plotly_js_file(out_dir),
            fmt_num=fmt_num,
        )
    )
    atomic_write_text(out_dir / "report.html", html)
    atomic_write_text(out_dir / "levels.json", json.dumps([s.level for s in summaries]) + "\n")
    return [out_dir / "summary.csv", out_dir / "report.md", out_dir / "report.html"]
