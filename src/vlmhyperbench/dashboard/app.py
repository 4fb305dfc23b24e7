"""The dashboard's FastAPI application: settings, the index refresh loop, pages' plumbing.

`create_app` opens the index of RUNS_DIR, keeps it following the folders in a background
thread (runs in progress show up as their answers arrive), and mounts the routers of each
area: `routes_runs` (experiments, leaderboard, run page), `routes_samples` (sample browser,
comparison), `routes_live` (live progress, queue) and `routes_perf` (perf results).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..core import MissingDependency, UserError

try:
    from fastapi import FastAPI, Request
    from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
    from fastapi.staticfiles import StaticFiles
    from fastapi.templating import Jinja2Templates
    from starlette.exceptions import HTTPException as StarletteHTTPException
except ImportError as exc:  # pragma: no cover - exercised without the extra only
    raise MissingDependency(
        f"vlmhb dashboard needs {exc.name}, which is not installed",
        hint="pip install 'vlmhyperbench[dashboard]'",
    ) from None

from ..reports.html import plotly_package_js
from . import routes_live, routes_perf, routes_runs, routes_samples
from .access import install_access
from .db import Index, IndexUnavailable, open_index
from .indexer import RefreshResult

__all__ = [
    "DashboardSettings",
    "RefreshState",
    "create_app",
    "fmt_num",
    "fmt_when",
    "plotly_js_path",
    "refresh_once",
]

logger = logging.getLogger(__name__)

_HERE = Path(__file__).parent


class DashboardSettings(BaseModel):
    """How the dashboard is started (``vlmhb dashboard`` options)."""

    model_config = ConfigDict(frozen=True)

    runs_dir: Path = Path("runs")
    """The folder of experiments shown (RUNS_DIR)."""
    db_url: str | None = None
    """Index database URL (``--db``); None for the default SQLite file in the cache."""
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)
    token: str | None = None
    """Every request must carry it (``--token`` / ``VLMHB_DASHBOARD_TOKEN``)."""
    read_only: bool = False
    """Pages only: nothing can be started, cancelled or changed."""
    refresh_interval_s: float = Field(default=2.0, ge=0)
    """Seconds between index refreshes; 0 turns the background refresh off."""


class RefreshState:
    """The last refresh's outcome, shown on every page."""

    def __init__(self) -> None:
        self.last: RefreshResult | None = None
        self.at: float | None = None
        self.error: str | None = None
        self.lock = threading.Lock()

    def record(self, result: RefreshResult | None, error: str | None) -> None:
        """Remember one pass (its result, or why it failed)."""
        with self.lock:
            self.last, self.error, self.at = result or self.last, error, time.time()


def refresh_once(index: Index, state: RefreshState) -> None:
    """One refresh pass; a failure is recorded for the pages instead of raised."""
    try:
        state.record(index.refresh(), None)
    except UserError as exc:
        state.record(None, str(exc))
    except Exception as exc:  # the loop must keep going; pages show why
        logger.exception("index refresh failed")
        state.record(None, f"index refresh failed: {exc}")


def _refresh_loop(index: Index, state: RefreshState, interval: float, stop: threading.Event) -> None:
    while not stop.is_set():
        refresh_once(index, state)
        stop.wait(interval)


def fmt_num(value: float | None, digits: int = 4) -> str:
    """A number for a table cell: ``digits`` decimals, ``—`` when there is none."""
    if value is None:
        return "—"
    return f"{value:.{digits}f}"


def fmt_when(timestamp: float | None) -> str:
    """A Unix time as local ``YYYY-MM-DD HH:MM:SS``; ``—`` when there is none."""
    if not timestamp:
        return "—"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


def plotly_js_path() -> Path:
    """The plotly.js bundle of the installed plotly package: the one file the reports link."""
    return plotly_package_js()


def create_app(settings: DashboardSettings, index: Index | None = None) -> FastAPI:
    """The dashboard application over ``settings.runs_dir``.

    Args:
        settings: Where the runs are, which database, access rules, refresh interval.
        index: An index already open (tests); by default `open_index` of the settings.

    Raises:
        IndexUnavailable: the database cannot be opened.
    """
    index = index or open_index(settings.runs_dir, settings.db_url)
    state = RefreshState()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        thread = None
        if settings.refresh_interval_s > 0:
            thread = threading.Thread(
                target=_refresh_loop,
                args=(index, state, settings.refresh_interval_s, stop),
                name="vlmhb-dashboard-index",
                daemon=True,
            )
            thread.start()
        try:
            yield
        finally:
            stop.set()
            if thread is not None:
                thread.join(timeout=30)

    app = FastAPI(title="VLMHyperBench dashboard", lifespan=lifespan, docs_url=None, redoc_url=None)
    templates = Jinja2Templates(directory=str(_HERE / "templates"))
    templates.env.globals["app_state"] = app.state
    templates.env.filters["num"] = fmt_num
    templates.env.filters["when"] = fmt_when
    app.state.settings = settings
    app.state.index = index
    app.state.refresh = state
    app.state.templates = templates
    install_access(app, settings)
    app.mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static")

    @app.get("/static-plotly/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(plotly_js_path(), media_type="text/javascript")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        # pages link static/favicon.svg; this answers browsers that ask anyway (a report page)
        return FileResponse(_HERE / "static" / "favicon.svg", media_type="image/svg+xml")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, Any]:
        return {"ok": state.error is None, "error": state.error, "indexed_at": state.at}

    @app.exception_handler(UserError)
    def user_error(request: Request, exc: UserError) -> Response:
        status = 503 if isinstance(exc, IndexUnavailable) else 400
        if "text/html" not in request.headers.get("accept", "text/html"):
            return JSONResponse({"detail": str(exc)}, status_code=status)
        return HTMLResponse(
            templates.get_template("error.html").render(request=request, message=str(exc), status=status),
            status_code=status,
        )

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """A page (unknown run or sample, refused action) as HTML in the site's layout for a
        browser; FastAPI's JSON ``{"detail": ...}`` for other clients."""
        if "text/html" not in request.headers.get("accept", ""):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return HTMLResponse(
            templates.get_template("error.html").render(
                request=request, message=str(exc.detail), status=exc.status_code
            ),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    for module in (routes_runs, routes_samples, routes_live, routes_perf):
        app.include_router(module.router)
    return app
