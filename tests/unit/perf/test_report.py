"""The perf report's charts: every axis says what it measures and in which unit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vlmhyperbench.perf import LevelSettings, LevelSummary, PerfRequestRecord, summarize
from vlmhyperbench.perf import report as perf_report


def _level(settings: LevelSettings, name: str) -> tuple[list[PerfRequestRecord], LevelSummary]:
    records = [
        PerfRequestRecord(
            request_id=i,
            level=name,
            sent_s=i * 0.1,
            end_s=i * 0.1 + 0.5,
            ttft_s=0.02 + i / 1000,
            e2e_s=0.5,
            itl_s=[0.01] * 3,
            output_tokens=4,
            output_tokens_source="server",
            image_pixels=1_000_000 + i,
            correct=i % 2 == 0,
        )
        for i in range(4)
    ]
    return records, summarize(records, settings, name)


def test_chart_axes_have_titles_with_units_and_readable_ticks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    figures: list[Any] = []
    monkeypatch.setattr(perf_report, "figure_html", lambda fig: figures.append(fig) or "")
    closed, c_summary = _level(LevelSettings(mode="closed", concurrency=8), "c8")
    opened, r_summary = _level(LevelSettings(mode="open", rate=2.5), "r2.5")
    perf_report.write_perf_report(tmp_path, [c_summary, r_summary], {"c8": closed, "r2.5": opened})
    layouts = {f.layout.title.text: f.layout for f in figures}
    assert len(layouts) == 6  # CDF, TTFT by image size, 2 throughputs, latency by load, accuracy
    for title, layout in layouts.items():
        assert layout.xaxis.title.text and layout.yaxis.title.text, f"{title}: an axis has no title"
    cdf = layouts["Latency CDF (solid: E2E latency, dotted: TTFT)"]
    assert cdf.xaxis.title.text == "latency, seconds" and cdf.xaxis.ticksuffix == " s"
    assert cdf.xaxis.tickformat == ".3~g"  # not plotly's SI prefixes ("20m" for 20 ms)
    assert cdf.yaxis.tickformat == ".0%"
    assert layouts["TTFT against image size"].xaxis.title.text == "image pixels per request, megapixels"
    load = layouts["Latency against load"]
    assert load.xaxis.type == "category" and load.yaxis.title.text == "latency, seconds"
    names = {trace.name for f in figures for trace in f.data}
    assert {"8 in flight: E2E", "2.5 req/s: TTFT", "8 in flight"} <= names  # levels as a reader says them
    assert list(figures[2].data[0].x) == ["8 in flight", "2.5 req/s"]
