"""Live progress (server-sent events) and the experiment queue's pages and actions.

``GET /events`` streams every run's figures (`vlmhyperbench.dashboard._progress.RunProgress`)
as ``progress`` events, one whenever they change, read from the run folders once a second, and
the queue items' statuses as a ``queue`` event whenever one changes;
``GET /runs/{experiment}/{run_id}/events`` streams one run's. Runs started from the CLI show up
as soon as their folder has a ``run_spec.json``. ``static/live.js`` fills the pages from them.

The queue: ``GET /queue`` (the form and the items), ``POST /queue`` (an uploaded file or pasted
text; an invalid config is shown with ``vlmhb validate``'s messages and nothing is queued),
``GET /queue/{id}`` (the config with secrets masked, the log, links to the runs),
``POST /queue/{id}/cancel`` and ``POST /queue/{id}/requeue``; ``GET /api/queue`` lists the items
as JSON. Actions answer 403 in read-only mode.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from ..core import RunDir, UserError, log_tail
from ._progress import ProgressTracker, RunProgress
from .access import redact_text, require_writable
from .indexer import experiment_dirs
from .queue import ExperimentQueue, QueueItem

__all__ = ["router"]

POLL_S = 1.0
"""How often the run folders are read for the event streams."""
PING_S = 15.0
"""A comment line this often keeps proxies from closing an idle stream."""
MAX_CONFIG_BYTES = 1_000_000


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    index = app.state.index
    app.state.progress = ProgressTracker()
    app.state.templates.env.filters["redact"] = redact_text
    queue = ExperimentQueue(index.engine, index.runs_dir, unavailable=index.unavailable)
    queue.recover()
    if not getattr(app.state, "read_only", False):
        queue.start()
    app.state.queue = queue
    try:
        yield
    finally:
        queue.stop()


router = APIRouter(lifespan=_lifespan)


def _tracker(request: Request) -> ProgressTracker:
    tracker: ProgressTracker = request.app.state.progress
    return tracker


def _queue(request: Request) -> ExperimentQueue:
    queue: ExperimentQueue = request.app.state.queue
    return queue


def _runs_dir(request: Request) -> Path:
    runs_dir: Path = request.app.state.index.runs_dir
    return runs_dir


def _event(kind: str, data: dict[str, Any]) -> str:
    return f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _read(
    tracker: ProgressTracker, runs_dir: Path, only: RunDir | None, queue: ExperimentQueue
) -> tuple[list[RunProgress], dict[str, str]]:
    """The runs' figures, and the queue's items' statuses (for the stream of every run)."""
    if only is not None:
        return ([tracker.read(only)] if only.run_spec.is_file() else []), {}
    try:
        statuses = {str(item.id): item.status for item in queue.items()}
    except UserError:  # the database is gone: the run folders still tell their progress
        statuses = {}
    return tracker.scan(experiment_dirs(runs_dir)), statuses


async def _stream(request: Request, only: RunDir | None, max_s: float | None) -> AsyncIterator[str]:
    """``progress`` events for the runs (or the run ``only``) whose figures changed."""
    tracker, runs_dir, queue = _tracker(request), _runs_dir(request), _queue(request)
    sent: dict[str, dict[str, Any]] = {}
    items: dict[str, str] | None = None
    started = last_write = time.monotonic()
    yield "retry: 3000\n\n"
    while not await request.is_disconnected():
        runs, statuses = await anyio.to_thread.run_sync(_read, tracker, runs_dir, only, queue)
        if only is None and statuses != items:
            items = statuses
            yield _event("queue", {"items": statuses})
        for progress in runs:
            data = progress.public()
            if sent.get(progress.key) != data:
                sent[progress.key] = data
                last_write = time.monotonic()
                yield _event("progress", data)
        now = time.monotonic()
        if max_s is not None and now - started >= max_s:
            return
        if now - last_write >= PING_S:
            last_write = now
            yield ": ping\n\n"
        await anyio.sleep(POLL_S)


def _sse(request: Request, only: RunDir | None, max_s: float | None) -> StreamingResponse:
    return StreamingResponse(
        _stream(request, only, max_s),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/events")
async def events(request: Request, max_s: float | None = None) -> StreamingResponse:
    """Every run's figures, as server-sent ``progress`` events; ``max_s`` ends the stream."""
    return _sse(request, None, max_s)


@router.get("/runs/{experiment}/{run_id}/events")
async def run_events(
    request: Request, experiment: str, run_id: str, max_s: float | None = None
) -> StreamingResponse:
    """One run's figures, as server-sent ``progress`` events (none until its folder exists)."""
    folder = await anyio.to_thread.run_sync(_run_folder, request, experiment, run_id)
    return _sse(request, RunDir(folder), max_s)


def _run_folder(request: Request, experiment: str, run_id: str) -> Path:
    """The run's folder: where the index found it, else where a new run of it will be."""
    index, runs_dir = request.app.state.index, _runs_dir(request)
    with index.session() as session:
        run = index.get_run(session, experiment, run_id)
    if run is not None:
        return Path(run.path)
    folder = runs_dir / experiment / run_id
    if folder.resolve().parent.parent != runs_dir.resolve():
        raise HTTPException(404, f"no run {experiment}/{run_id} in {runs_dir}")
    return folder


@router.get("/api/progress")
def progress_now(request: Request) -> list[dict[str, Any]]:
    """Every run's figures now, as JSON."""
    return [p.public() for p in _tracker(request).scan(experiment_dirs(_runs_dir(request)))]


def _item_json(item: QueueItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "filename": item.filename,
        "experiment": item.experiment,
        "runs": item.runs,
        "status": item.status,
        "created_at": item.created_at,
        "started_at": item.started_at,
        "finished_at": item.finished_at,
        "returncode": item.returncode,
        "message": redact_text(item.message),
    }


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    context = {"read_only": getattr(request.app.state, "read_only", False), **context}
    response: Response = request.app.state.templates.TemplateResponse(
        request, name, context, status_code=status
    )
    return response


def _queue_page(
    request: Request, errors: list[str] | None = None, text: str = "", status: int = 200
) -> Response:
    items = _queue(request).items()
    return _page(
        request,
        "queue.html",
        {"items": items, "errors": errors or [], "text": redact_text(text)},
        status,
    )


@router.get("/queue")
def queue_page(request: Request) -> Response:
    """The queue: the form and every item."""
    return _queue_page(request)


@router.get("/api/queue")
def queue_json(request: Request) -> list[dict[str, Any]]:
    """The queue's items, newest first."""
    return [_item_json(item) for item in _queue(request).items()]


@router.post("/queue", dependencies=[Depends(require_writable)])
async def submit(
    request: Request,
    file: UploadFile | None = None,
    text: str = Form(""),
    filename: str = Form("pasted.yaml"),
) -> Response:
    """Validate and queue an uploaded or pasted config; 422 with the messages when invalid."""
    if file is not None and file.filename:
        raw = await file.read(MAX_CONFIG_BYTES + 1)
        name = file.filename
    else:
        raw, name = text.encode("utf-8"), filename or "pasted.yaml"
    if not raw.strip():
        return _queue_page(request, ["error: choose a config file or paste one"], status=422)
    if len(raw) > MAX_CONFIG_BYTES:
        return _queue_page(request, ["error: the config is larger than 1 MB"], status=422)
    content = raw.decode("utf-8-sig", errors="replace")
    try:
        await anyio.to_thread.run_sync(_queue(request).submit, name, content)
    except UserError as exc:
        messages = [f"error: {redact_text(p.render())}" for p in exc.problems]
        return _queue_page(request, messages, content, status=422)
    return RedirectResponse("/queue", status_code=303)


def _found(request: Request, item_id: int) -> QueueItem:
    item = _queue(request).get(item_id)
    if item is None:
        raise HTTPException(404, f"there is no queue item {item_id}")
    return item


@router.get("/queue/{item_id}")
def queue_item(request: Request, item_id: int) -> Response:
    """One item: its config (secrets masked), its log, its runs."""
    item = _found(request, item_id)
    config = Path(item.config_path)
    text = config.read_text(encoding="utf-8", errors="replace") if config.is_file() else ""
    context = {"item": item, "config": redact_text(text), "log": redact_text(log_tail(item.log_path, 200))}
    return _page(request, "queue_item.html", context)


def _act(request: Request, item_id: int, action: str) -> Response:
    _found(request, item_id)
    queue = _queue(request)
    try:
        item = queue.cancel(item_id) if action == "cancel" else queue.requeue(item_id)
    except UserError as exc:
        raise HTTPException(409, exc.render()) from None
    if "application/json" in request.headers.get("accept", ""):
        return Response(json.dumps(_item_json(item)), media_type="application/json")
    return RedirectResponse(f"/queue/{item_id}", status_code=303)


@router.post("/queue/{item_id}/cancel", dependencies=[Depends(require_writable)])
def cancel(request: Request, item_id: int) -> Response:
    """Cancel a queued item or stop a running one (its runs keep what they answered)."""
    return _act(request, item_id, "cancel")


@router.post("/queue/{item_id}/requeue", dependencies=[Depends(require_writable)])
def requeue(request: Request, item_id: int) -> Response:
    """Queue an item that ended again; its runs resume."""
    return _act(request, item_id, "requeue")
