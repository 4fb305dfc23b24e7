"""``vlmhb dashboard``: the web application over a folder of experiments."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

from typer import Argument, Option

from ..core import ConfigError, SourceLocation
from ._common import err_console, friendly_errors, require_extra, setup_logging

__all__ = ["dashboard", "require_dashboard_extra"]

DASHBOARD_MODULES = {
    "fastapi": "fastapi",
    "uvicorn": "uvicorn",
    "sqlalchemy": "sqlalchemy",
    "python_multipart": "python-multipart",
}
"""What the dashboard imports (module → distribution), all in the ``dashboard`` extra."""


def require_dashboard_extra(db_url: str | None) -> None:
    """Check, before anything loads, that the ``dashboard`` extra is installed.

    Raises:
        MissingDependency: a package is missing, named with the command that installs it.
    """
    modules = dict(DASHBOARD_MODULES)
    if db_url and db_url.startswith("postgresql+psycopg"):
        modules["psycopg"] = "psycopg[binary]"
    require_extra("vlmhb dashboard", modules, "dashboard")


def _check_runs_dir(runs_dir: Path) -> None:
    if runs_dir.is_dir():
        return
    where = SourceLocation(key="RUNS_DIR")
    if runs_dir.exists():
        raise ConfigError(f"{runs_dir} is a file, not a folder of experiments", location=where)
    raise ConfigError(
        f"{runs_dir} does not exist",
        location=where,
        hint="name the folder your runs are written to (`output_dir` of the config; `runs` by default), "
        f"or create it (`mkdir {runs_dir}`) and start experiments from the dashboard's queue",
    )


@friendly_errors
def dashboard(
    runs_dir: Annotated[
        Path, Argument(help="The folder of experiments to show (a config's output_dir).", show_default=True)
    ] = Path("runs"),
    db: Annotated[
        str | None,
        Option(
            "--db",
            envvar="VLMHB_DASHBOARD_DB",
            help="Index database URL: sqlite:///file.sqlite or postgresql+psycopg://user:pw@host/db. "
            "Default: a SQLite file in $VLMHB_CACHE_DIR/dashboard/.",
        ),
    ] = None,
    host: Annotated[
        str, Option("--host", help="Address to listen on; not loopback needs --token or --read-only.")
    ] = "127.0.0.1",
    port: Annotated[int, Option("--port", min=0, max=65535)] = 8765,
    token: Annotated[
        str | None,
        Option("--token", envvar="VLMHB_DASHBOARD_TOKEN", help="Every request must carry this token."),
    ] = None,
    read_only: Annotated[
        bool, Option("--read-only", help="Pages only: no experiment can be started or cancelled.")
    ] = False,
    refresh_interval_s: Annotated[
        float, Option("--refresh-interval-s", min=0.0, help="Seconds between index refreshes (0: never).")
    ] = 2.0,
    rebuild: Annotated[
        bool, Option("--rebuild", help="Forget the index and build it again from RUNS_DIR.")
    ] = False,
    verbose: Annotated[bool, Option("--verbose", "-v")] = False,
) -> None:
    """Open a web dashboard over RUNS_DIR: experiments, leaderboard, runs, samples, live progress."""
    require_dashboard_extra(db)
    setup_logging(verbose)
    import uvicorn

    from ..dashboard import open_index
    from ..dashboard.access import check_bind
    from ..dashboard.app import DashboardSettings, create_app

    check_bind(host, token, read_only)
    _check_runs_dir(runs_dir)
    settings = DashboardSettings(
        runs_dir=runs_dir.resolve(),
        db_url=db,
        host=host,
        port=port,
        token=token,
        read_only=read_only,
        refresh_interval_s=refresh_interval_s,
    )
    index = open_index(settings.runs_dir, db)
    if rebuild:
        index.rebuild()
    app = create_app(settings, index=index)
    err_console.print(
        f"dashboard over {settings.runs_dir} (index {index.display_url}) at http://{host}:{port}/"
        + ("  [read-only]" if read_only else "")
    )
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="info" if verbose else "warning")
    )
    try:
        asyncio.run(server.serve())
    except KeyboardInterrupt:
        err_console.print("dashboard stopped")
    finally:
        index.close()
