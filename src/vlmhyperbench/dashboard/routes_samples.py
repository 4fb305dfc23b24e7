"""The sample browser, the sample page, the dataset's page images, and the comparison of two runs.

- ``/runs/{experiment}/{run_id}/samples``: the run's samples, filtered, sorted and paged by
  the database (`_samples_query`).
- ``/runs/{experiment}/{run_id}/samples/{sample_id}``: one sample: page images with zoom and
  the answer's box, the prompt, the answer's character diff against its best reference with
  the confusions marked, every score, timings.
- ``/runs/{experiment}/{run_id}/files/{path}``: a page image of the run's dataset; anything
  outside the dataset folder, or not an image, is 404.
- ``/compare?a=EXP/RUN&b=EXP/RUN[&metric=M&threshold=T]``: two runs sample by sample; the page
  fetches its paired test from ``/compare/paired`` (same query), so it never waits for it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ..core import UserError, problems_from_validation_error
from ._compare_view import comparison_context, metric_directions, paired_context, parse_run_ref
from ._confusions import ConfusionCounts, RunConfusions
from ._diff import best_reference, diff_answer
from ._sample_view import dataset_file, dataset_sample, page_views
from ._samples_query import SampleFilters, facets, query_samples
from .db import Index, Run, SampleRow
from .indexer import read_answer_at

__all__ = ["router", "run_confusions"]

router = APIRouter()


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
            "directions": metric_directions(session, run),
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
        directions = metric_directions(session, run)
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
                context |= comparison_context(params, session, index)
            elif context["a_ref"]:  # run A chosen: offer its metrics before B is
                a = parse_run_ref(index, session, context["a_ref"], "a")
                context["metrics"] = list(metric_directions(session, a))
        except UserError as exc:
            context["error"] = exc
    status = 400 if context["error"] else 200
    return _render(request, "compare.html", context, status)


@router.get("/compare/paired", response_class=HTMLResponse)
def compare_paired(request: Request) -> HTMLResponse:
    """The paired test of two runs (the comparison page's query), as an HTML fragment."""
    index = _index(request)
    context: dict[str, Any] = {"error": None}
    with index.session() as session:
        try:
            context |= paired_context(request.query_params, session, index)
        except UserError as exc:
            context["error"] = exc
    return _render(request, "compare_paired.html", context, 400 if context["error"] else 200)
