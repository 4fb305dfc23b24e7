"""The sample browser, the sample page, the dataset's page images, and the comparison of two runs.

- ``/runs/{experiment}/{run_id}/samples``: the run's samples, filtered, sorted and paged by
  the database (`_samples_query`).
- ``/runs/{experiment}/{run_id}/samples/{sample_id}``: one sample: page images with zoom and
  the answer's box, the prompt, the answer's character diff against its best reference with
  the confusions marked, every score, timings.
- ``/runs/{experiment}/{run_id}/files/{path}``: a page image of the run's dataset; anything
  outside the dataset folder, or not an image, is 404.
- ``/compare?a=EXP/RUN&b=EXP/RUN[&metric=M&threshold=T]``: two runs sample by sample.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ..core import RunDir, RunSpec, UserError, problems_from_validation_error
from ._compare import DEFAULT_THRESHOLD, RunComparison, compare_scores
from ._confusions import ConfusionCounts, RunConfusions
from ._diff import best_reference, diff_answer
from ._sample_view import dataset_file, dataset_sample, page_views
from ._samples_query import SampleFilters, facets, query_samples
from .db import Index, MetricRow, Run, SampleRow, SampleScore
from .indexer import read_answer_at

__all__ = ["router", "run_confusions"]

router = APIRouter()

_LISTED = 200
"""Disagreeing samples listed on the comparison page."""
_CACHE_SIZE = 64
_COMPARISONS: dict[tuple[object, ...], RunComparison] = {}
"""Comparisons by both runs' (pk, indexed_at), metric and threshold: the paired test on
5,000 samples takes seconds (10,000 resamples), so it runs once per state of the runs."""
_CACHE_LOCK = threading.Lock()


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
    with _CACHE_LOCK:  # handlers run in a thread pool
        while len(cache) >= _CACHE_SIZE:
            cache.pop(next(iter(cache)))  # the oldest entry
        cache[key] = value


def _index(request: Request) -> Index:
    index: Index = request.app.state.index
    return index


def _render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, name, context, status_code=status
    )
    return response


def _run(index: Index, session: Session, experiment: str, run_id: str) -> Run:
    run = index.get_run(session, experiment, run_id)
    if run is None:
        raise HTTPException(404, f"no run {experiment}/{run_id} in {index.runs_dir}")
    return run


def _directions(session: Session, run: Run) -> dict[str, bool]:
    """Metric → higher is better, from the run's metric rows, in metrics.json's order."""
    stmt = (
        select(MetricRow.metric, MetricRow.higher_is_better)
        .where(MetricRow.run_pk == run.id)
        .group_by(MetricRow.metric, MetricRow.higher_is_better)
        .order_by(func.min(MetricRow.id))
    )
    rows = session.execute(stmt).all()
    return {metric: bool(up) for metric, up in rows}


def run_confusions(session: Session, run: Run) -> RunConfusions:
    """The confusions of every answer of ``run``, summed by the database from the counts the
    indexer stored per sample."""
    columns = (SampleRow.conf_homoglyph, SampleRow.conf_yo, SampleRow.conf_mixed)
    stmt = select(
        func.count(),
        *(func.coalesce(func.sum(c), 0) for c in columns),
        *(func.coalesce(func.sum(case((c > 0, 1), else_=0)), 0) for c in columns),
    ).where(SampleRow.run_pk == run.id, SampleRow.answer.is_not(None))
    n, h, y, m, with_h, with_y, with_m = tuple(session.execute(stmt).one())
    return RunConfusions(
        int(n),
        ConfusionCounts(int(h), int(y), int(m)),
        ConfusionCounts(int(with_h), int(with_y), int(with_m)),
    )


def _filters(request: Request) -> tuple[SampleFilters, list[str]]:
    raw = {k: v for k, v in request.query_params.items() if v != ""}
    try:
        return SampleFilters.model_validate(raw), []
    except ValidationError as exc:
        problems = [p.render() for p in problems_from_validation_error(exc)]
        return SampleFilters(), problems


@router.get("/runs/{experiment}/{run_id}/samples", response_class=HTMLResponse)
def samples_page(request: Request, experiment: str, run_id: str) -> HTMLResponse:
    """The sample browser of one run."""
    filters, problems = _filters(request)
    index = _index(request)
    with index.session() as session:
        run = _run(index, session, experiment, run_id)
        page = query_samples(session, run, filters)
        rows = []
        for row, score in page.rows:
            refs = row.references or []
            best = best_reference(row.answer, refs) if row.answer is not None else (0 if refs else None)
            reference = refs[best] if best is not None else None
            counts = ConfusionCounts(row.conf_homoglyph, row.conf_yo, row.conf_mixed)
            rows.append({"row": row, "score": score, "reference": reference, "confusions": counts})
        context = {
            "run": run,
            "filters": filters,
            "problems": problems,
            "page": page,
            "rows": rows,
            "facets": facets(session, run),
            "directions": _directions(session, run),
            "confusions": run_confusions(session, run),
        }
    return _render(request, "samples.html", context, 400 if problems else 200)


@router.get("/runs/{experiment}/{run_id}/files/{path:path}")
def dataset_image(request: Request, experiment: str, run_id: str, path: str) -> Response:
    """A page image of the run's dataset; 404 for anything else."""
    index = _index(request)
    with index.session() as session:
        run = _run(index, session, experiment, run_id)
        target = dataset_file(run.dataset_path, path)
    if target is None:
        raise HTTPException(404, "no such page image in this run's dataset")
    return FileResponse(target)


@router.get("/runs/{experiment}/{run_id}/samples/{sample_id:path}", response_class=HTMLResponse)
def sample_page(request: Request, experiment: str, run_id: str, sample_id: str) -> HTMLResponse:
    """One sample of one run."""
    index = _index(request)
    with index.session() as session:
        run = _run(index, session, experiment, run_id)
        row = session.scalar(
            select(SampleRow).where(SampleRow.run_pk == run.id, SampleRow.sample_id == sample_id)
        )
        if row is None:
            raise HTTPException(404, f"run {experiment}/{run_id} has no sample {sample_id!r}")
        directions = _directions(session, run)
    record = read_answer_at(run, row.line_offset)
    if record is not None and record.sample_id != sample_id:  # scored, but no answer line indexed
        record = None
    sample, dataset_note = dataset_sample(run.dataset_path, sample_id)
    diff = diff_answer(row.answer, row.references or [])
    context = {
        "run": run,
        "row": row,
        "record": record,
        "sample": sample,
        "dataset_note": dataset_note,
        "pages": page_views(run.dataset_path, sample) if sample else [],
        "diff": diff,
        "directions": directions,
    }
    return _render(request, "sample.html", context)


def _parse_run_ref(index: Index, session: Session, ref: str, which: str) -> Run:
    experiment, _, run_id = ref.strip().partition("/")
    if not experiment or not run_id:
        raise UserError(f"?{which}={ref!r} is not a run", hint="write it as EXPERIMENT/RUN_ID")
    run = index.get_run(session, experiment, run_id)
    if run is None:
        raise UserError(f"?{which}={ref!r}: no such run in {index.runs_dir}", hint="pick one from the lists")
    return run


def _spec(run: Run) -> RunSpec:
    try:
        return RunDir(Path(run.path)).read_spec()
    except UserError as exc:
        raise UserError(f"run {run.experiment}/{run.run_id}: {exc.render()}") from None


def _scores(session: Session, run: Run, metric: str) -> dict[str, float | None]:
    stmt = (
        select(SampleRow.sample_id, SampleScore.value)
        .join(SampleScore, SampleScore.sample_pk == SampleRow.id)
        .where(SampleRow.run_pk == run.id, SampleScore.metric == metric)
        .order_by(SampleRow.ordinal.asc().nulls_last(), SampleRow.id)
    )  # samples.jsonl's order: the comparison report's, so the bootstrap draws the same pairs
    return {sid: value for sid, value in session.execute(stmt)}


def _check_same_dataset(a: Run, b: Run) -> tuple[RunSpec, RunSpec]:
    spec_a, spec_b = _spec(a), _spec(b)
    if spec_a.dataset.fingerprint != spec_b.dataset.fingerprint:
        raise UserError(
            f"{a.experiment}/{a.run_id} and {b.experiment}/{b.run_id} ran on different datasets "
            f"({spec_a.dataset.path} {spec_a.dataset.fingerprint[:19]}, "
            f"{spec_b.dataset.path} {spec_b.dataset.fingerprint[:19]})",
            hint="a sample-by-sample comparison needs two runs on the same dataset",
        )
    return spec_a, spec_b


def _metric_and_threshold(params: Mapping[str, str], common: list[str]) -> tuple[str, float]:
    if not common:
        raise UserError("the two runs have no metric in common", hint="evaluate both with the same metric")
    metric = params.get("metric") or common[0]
    if metric not in common:
        raise UserError(f"?metric={metric!r} is not scored in both runs", hint=f"one of: {', '.join(common)}")
    try:
        return metric, float(params.get("threshold") or DEFAULT_THRESHOLD)
    except ValueError:
        raise UserError(f"?threshold={params.get('threshold')!r} is not a number", hint="e.g. 0.5") from None


def _answers(session: Session, runs: tuple[Run, Run], ids: list[str]) -> dict[tuple[int, str], str | None]:
    out: dict[tuple[int, str], str | None] = {}
    for run in runs:
        stmt = select(SampleRow.sample_id, SampleRow.answer).where(
            SampleRow.run_pk == run.id, SampleRow.sample_id.in_(ids)
        )
        out.update({(run.id, sid): answer for sid, answer in session.execute(stmt)})
    return out


def _comparison(params: Mapping[str, str], session: Session, index: Index) -> dict[str, Any]:
    a = _parse_run_ref(index, session, params.get("a", ""), "a")
    b = _parse_run_ref(index, session, params.get("b", ""), "b")
    spec_a, spec_b = _check_same_dataset(a, b)
    directions = _directions(session, a)
    common = [m for m in directions if m in _directions(session, b)]
    metric, threshold = _metric_and_threshold(params, common)
    key = (a.id, a.indexed_at, b.id, b.indexed_at, metric, threshold)
    result = _COMPARISONS.get(key)
    if result is None:
        result = compare_scores(
            _scores(session, a, metric),
            _scores(session, b, metric),
            run_a=a.run_id,
            run_b=b.run_id,
            metric=metric,
            higher_is_better=directions[metric],
            statistics=spec_a.statistics,
            threshold=threshold,
        )
        _remember(_COMPARISONS, key, result)
    shown = result.disagreements[:_LISTED]
    options = [[m.options for m in spec.metrics if m.name == metric] for spec in (spec_a, spec_b)]
    return {
        "a": a,
        "b": b,
        "metric": metric,
        "metrics": common,
        "result": result,
        "shown": shown,
        "answers": _answers(session, (a, b), [p.sample_id for p in shown]),
        "options_differ": options[0] != options[1],
    }


@router.get("/compare", response_class=HTMLResponse)
def compare_page(request: Request) -> HTMLResponse:
    """Two runs of the same dataset, sample by sample, with the paired test."""
    index = _index(request)
    params = request.query_params
    context: dict[str, Any] = {"error": None, "a_ref": params.get("a", ""), "b_ref": params.get("b", "")}
    with index.session() as session:
        context["runs"] = session.execute(
            select(Run.experiment, Run.run_id, Run.model, Run.dataset).order_by(Run.experiment, Run.run_id)
        ).all()
        try:
            if context["a_ref"] and context["b_ref"]:
                context |= _comparison(params, session, index)
            elif context["a_ref"]:  # run A chosen: offer its metrics before B is
                a = _parse_run_ref(index, session, context["a_ref"], "a")
                context["metrics"] = list(_directions(session, a))
        except UserError as exc:
            context["error"] = exc
    status = 400 if context["error"] else 200
    return _render(request, "compare.html", context, status)
