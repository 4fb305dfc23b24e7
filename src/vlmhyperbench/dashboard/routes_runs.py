"""Pages of experiments and runs: the experiment list, the leaderboard, the run page."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse
from sqlalchemy import func, select

from ..core import Manifest, RunDir, UserError
from ..core._io import log_tail
from ._leaderboard import TaskBoard, leaderboard, pareto_front
from ._perf import attached_perf
from ._robustness import comparison_figures, run_figures
from .access import redact_text
from .db import Experiment, Index, MetricRow, Run, SampleRow

__all__ = ["router"]

router = APIRouter()

AGGREGATOR_TITLES = {
    "general": "Overall",
    "by_doc_class": "By document class",
    "by_field": "By field (document class / question type)",
    "by_split": "By split",
    "by_page_attribute": "By page attribute",
}


def _index(request: Request) -> Index:
    index: Index = request.app.state.index
    return index


def _render(request: Request, name: str, **context: Any) -> HTMLResponse:
    response: HTMLResponse = request.app.state.templates.TemplateResponse(request, name, context)
    return response


def _run_or_404(index: Index, session: Any, experiment: str, run_id: str) -> Run:
    run = index.get_run(session, experiment, run_id)
    if run is None:
        raise HTTPException(404, f"no run {experiment}/{run_id} in {index.runs_dir}")
    return run


@router.get("/", response_class=HTMLResponse)
def experiments_page(request: Request) -> HTMLResponse:
    """Every experiment with its runs: status, progress, headline, errors."""
    index = _index(request)
    with index.session() as session:
        experiments = list(session.scalars(select(Experiment).order_by(Experiment.name)))
        runs = list(session.scalars(select(Run).order_by(Run.experiment, Run.run_id)))
    by_exp: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        by_exp[run.experiment].append(run)
    return _render(request, "experiments.html", experiments=experiments, runs=by_exp, only=None)


@router.get("/experiments/{experiment}", response_class=HTMLResponse)
def experiment_page(request: Request, experiment: str) -> HTMLResponse:
    """One experiment's runs."""
    index = _index(request)
    with index.session() as session:
        exp = session.scalar(select(Experiment).where(Experiment.name == experiment))
        if exp is None:
            raise HTTPException(404, f"no experiment {experiment!r} in {index.runs_dir}")
        runs = list(session.scalars(select(Run).where(Run.experiment_id == exp.id).order_by(Run.run_id)))
    return _render(request, "experiments.html", experiments=[exp], runs={exp.name: runs}, only=exp.name)


def _pareto_figure(board: TaskBoard, metric: str | None) -> dict[str, Any] | None:
    column = next((m for m in board.metrics if m.name == metric), board.metrics[0] if board.metrics else None)
    if column is None:
        return None
    points, labels = [], []
    for run in board.runs:
        row = board.value(run, column.name)
        if row is None or row.value is None or run.latency_p50_s is None:
            continue
        points.append((run.latency_p50_s, row.value))
        labels.append(f"{run.model} ({run.experiment}/{run.run_id})")
    if not points:
        return None
    front = set(pareto_front(points, x_higher=False, y_higher=column.higher_is_better))
    frontier = sorted((points[i] for i in front), key=lambda p: p[0])
    traces = [
        {
            "type": "scatter",
            "mode": "markers+text",
            "name": "runs",
            "x": [p[0] for p in points],
            "y": [p[1] for p in points],
            "text": labels,
            "textposition": "top center",
            "cliponaxis": False,
            "hovertemplate": "%{text}<br>latency p50 %{x:.3f} s<br>"
            + column.name
            + " %{y:.4f}<extra></extra>",
            "marker": {
                "size": 11,
                "color": ["#c2410c" if i in front else "#64748b" for i in range(len(points))],
            },
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": "Pareto front",
            "x": [p[0] for p in frontier],
            "y": [p[1] for p in frontier],
            "line": {"dash": "dot", "color": "#c2410c"},
        },
    ]
    layout = {
        "title": {"text": f"{board.task}: {column.name} {column.arrow} against latency p50 ↓"},
        "xaxis": {"title": {"text": "latency p50, s (↓ better)"}},
        "yaxis": {"title": {"text": f"{column.name} ({column.arrow} better)"}},
        "margin": {"t": 50, "r": 20},
        "showlegend": False,
        "height": 380,
    }
    return {"id": f"pareto-{board.task}", "metric": column.name, "data": traces, "layout": layout}


@router.get("/leaderboard", response_class=HTMLResponse)
def leaderboard_page(
    request: Request, experiment: str | None = None, metric: str | None = None
) -> HTMLResponse:
    """Per task: runs × overall metrics with CIs, speed beside them, a Pareto view."""
    with _index(request).session() as session:
        board = leaderboard(session, experiment or None)
        robustness = {t.task: comparison_figures(session, t) for t in board.tasks}
    figures = {t.task: _pareto_figure(t, metric) for t in board.tasks}
    return _render(
        request,
        "leaderboard.html",
        board=board,
        figures=figures,
        robustness=robustness,
        experiment=experiment,
        metric=metric,
    )


def _read_manifest(run_dir: RunDir) -> tuple[Manifest | None, str | None]:
    if not run_dir.manifest.is_file():
        return None, None
    try:
        return run_dir.read_manifest(), None
    except UserError as exc:
        return None, str(exc)


def _logs(run_dir: RunDir) -> list[dict[str, Any]]:
    if not run_dir.logs_dir.is_dir():
        return []
    return [
        {"name": p.name, "size": p.stat().st_size, "tail": redact_text(log_tail(p, 30))}
        for p in sorted(run_dir.logs_dir.iterdir())
        if p.is_file() and p.suffix == ".log"
    ]


def _metric_tables(rows: list[MetricRow]) -> list[dict[str, Any]]:
    """Per aggregator: its groups × metrics (value and interval), aggregators in a fixed order."""
    by_agg: dict[str, list[MetricRow]] = defaultdict(list)
    for row in rows:
        by_agg[row.aggregator].append(row)
    order = [a for a in AGGREGATOR_TITLES if a in by_agg] + sorted(
        a for a in by_agg if a not in AGGREGATOR_TITLES
    )
    tables = []
    for agg in order:
        metrics: dict[str, bool] = {}
        groups: dict[str, dict[str, Any]] = {}
        for row in by_agg[agg]:
            metrics.setdefault(row.metric, row.higher_is_better)
            group = groups.setdefault(row.group_label, {"key": row.group_key, "n": row.n, "cells": {}})
            group["cells"][row.metric] = row
        tables.append(
            {
                "aggregator": agg,
                "title": AGGREGATOR_TITLES.get(agg, agg),
                "metrics": metrics,
                "groups": groups,
            }
        )
    return tables


def _environments(manifest: Manifest | None) -> list[dict[str, Any]]:
    if manifest is None:
        return []
    out = []
    for stage, info in manifest.stages.items():
        env = manifest.environments.get(info.environment or "")
        out.append(
            {
                "stage": stage,
                "info": info,
                "env": env.model_dump(exclude={"packages", "install"}) if env else None,
                "n_packages": len(env.packages) if env else 0,
            }
        )
    return out


@router.get("/runs/{experiment}/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, experiment: str, run_id: str) -> HTMLResponse:
    """A run: metrics by group, speed, per-stage environment, logs, errors, reports."""
    index = _index(request)
    with index.session() as session:
        run = _run_or_404(index, session, experiment, run_id)
        rows = list(
            session.scalars(select(MetricRow).where(MetricRow.run_pk == run.id).order_by(MetricRow.id))
        )
        error_kinds = Counter(
            dict(
                session.execute(
                    select(SampleRow.error_kind, func.count())
                    .where(SampleRow.run_pk == run.id, SampleRow.error_kind.is_not(None))
                    .group_by(SampleRow.error_kind)
                ).all()
            )
        )
    run_dir = RunDir(Path(run.path))
    manifest, manifest_error = _read_manifest(run_dir)
    reports = (
        sorted(p.name for p in run_dir.report_dir.glob("report.*")) if run_dir.report_dir.is_dir() else []
    )
    backend_options = (
        redact_text(json.dumps(manifest.spec.backend.options, ensure_ascii=False, indent=1))
        if manifest
        else ""
    )
    return _render(
        request,
        "run.html",
        run=run,
        tables=_metric_tables(rows),
        robustness=run_figures(rows),
        error_kinds=error_kinds,
        manifest=manifest,
        manifest_error=manifest_error,
        environments=_environments(manifest),
        logs=_logs(run_dir),
        reports=reports,
        perf_folder=attached_perf(run_dir.root, index.runs_dir),
        backend_options=backend_options,
    )


def _inside(folder: Path, name: str) -> Path:
    path = (folder / name).resolve()
    if folder.resolve() not in path.parents or not path.is_file():
        raise HTTPException(404, f"no file {name!r} in {folder}")
    return path


@router.get("/runs/{experiment}/{run_id}/report/{name}")
def report_file(request: Request, experiment: str, run_id: str, name: str) -> FileResponse:
    """A file of the run's static report (report.html loads its plotly.js beside it)."""
    index = _index(request)
    with index.session() as session:
        run = _run_or_404(index, session, experiment, run_id)
    return FileResponse(_inside(RunDir(Path(run.path)).report_dir, name))


@router.get("/runs/{experiment}/{run_id}/logs/{name}", response_class=PlainTextResponse)
def log_file(request: Request, experiment: str, run_id: str, name: str) -> PlainTextResponse:
    """A whole log file of the run, secrets masked."""
    index = _index(request)
    with index.session() as session:
        run = _run_or_404(index, session, experiment, run_id)
    path = _inside(RunDir(Path(run.path)).logs_dir, name)
    return PlainTextResponse(redact_text(path.read_text(encoding="utf-8", errors="replace")))


@router.post("/refresh")
def refresh_now(request: Request) -> RedirectResponse:
    """Refresh the index now (the background loop does it every few seconds anyway); allowed in
    read-only mode, since it changes only the index, never a run folder."""
    from .app import refresh_once

    index = _index(request)
    if not index.lock.locked():  # else the background loop is refreshing right now
        refresh_once(index, request.app.state.refresh)
    back = urlsplit(request.headers.get("referer") or "/").path or "/"
    return RedirectResponse(back if back.startswith("/") else "/", status_code=303)
