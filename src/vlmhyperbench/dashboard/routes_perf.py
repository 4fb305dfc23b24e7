"""The perf page: `vlmhb perf` results found under RUNS_DIR, per level, with a chart."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ._perf import find_perf_folders, read_perf_folder, throughput_figure
from .db import Index

__all__ = ["router"]

router = APIRouter()


@router.get("/perf", response_class=HTMLResponse)
def perf_page(request: Request) -> HTMLResponse:
    """Every perf folder under RUNS_DIR: throughput, latency percentiles, goodput, errors per level.

    Read from the folders on each request (they are small: one summary.json per level).
    """
    index: Index = request.app.state.index
    folders = [read_perf_folder(p, index.runs_dir) for p in find_perf_folders(index.runs_dir)]
    figures = [throughput_figure(f, i) for i, f in enumerate(folders)]
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, "perf.html", {"folders": folders, "figures": figures}
    )
    return response
