"""What every command shares: console, error printing, logging, progress display, tables."""

from __future__ import annotations

import functools
import importlib
import logging
import signal
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text
from typing_extensions import Self

from ..core import MissingDependency, UserError
from ..core.events import Event
from ._help import help_text

__all__ = [
    "EventProgress",
    "console",
    "err_console",
    "friendly_errors",
    "name_table",
    "require_extra",
    "setup_logging",
]

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


def require_extra(command: str, modules: Mapping[str, str], extra: str) -> None:
    """Check, before anything loads, that a command's extra is installed.

    Args:
        command: What needs it (``vlmhb serve``).
        modules: Importable module → the distribution that provides it.
        extra: The extra that installs them all (``serve``).

    Raises:
        MissingDependency: the missing distributions, with the command that installs them.
    """
    missing = []
    for module, dist in modules.items():
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(dist)
    if missing:
        raise MissingDependency(
            f"{command} needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} not installed",
            hint=f"pip install 'vlmhyperbench[{extra}]'",
        )


def friendly_errors(func: F) -> F:
    """Print a `UserError` as ``error: ...`` without a traceback and exit with status 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _sigterm_interrupts()
        try:
            return func(*args, **kwargs)
        except UserError as exc:
            for problem in exc.problems:
                err_console.print(
                    f"[bold red]error:[/] {escape(problem.render())}", highlight=False, soft_wrap=True
                )
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err_console.print(
                "[yellow]interrupted[/]: completed answers are kept; run the same command to resume"
            )
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _sigterm_interrupts() -> None:
    """Make ``kill`` stop a command like Ctrl-C does, so engines and files are closed cleanly."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_interrupt)


def name_table(
    title: str, columns: Sequence[str], rows: Iterable[Sequence[str | Text]], whole: int = 1
) -> Table:
    """A table whose first ``whole`` columns (names) are never cut; the others fold to fit.

    A plain string cell is shown literally (no Rich markup), its ````x```` in bold; pass a
    `Text` to style a cell.
    """
    body = [
        [Text.from_markup(help_text(c, True) or "") if isinstance(c, str) else c for c in row] for row in rows
    ]
    table = Table(title=title, title_justify="left")
    for i, column in enumerate(columns):
        if i < whole:
            width = max([len(column), *(row[i].cell_len for row in body)])
            table.add_column(column, no_wrap=True, min_width=width)
        else:
            table.add_column(column, overflow="fold")
    for row in body:
        table.add_row(*row)
    return table


def setup_logging(verbose: bool) -> None:
    """Rich console logging (warnings, or info with --verbose) for the package."""
    logger = logging.getLogger("vlmhyperbench")
    logger.setLevel(logging.DEBUG)
    if not any(isinstance(h, RichHandler) for h in logger.handlers):
        handler = RichHandler(
            console=err_console, show_path=False, level=logging.INFO if verbose else logging.WARNING
        )
        logger.addHandler(handler)


class EventProgress:
    """Turns orchestrator events into Rich progress bars (one per run and stage) with ETA."""

    def __init__(self) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.fields[run]}[/] {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=err_console,
        )
        self._tasks: dict[tuple[str, str], TaskID] = {}

    def __enter__(self) -> Self:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, event: Event) -> None:
        key = (event.run_id, event.stage)
        if event.kind == "stage_started":
            self._tasks[key] = self.progress.add_task(event.stage, run=event.run_id, total=None)
        elif event.kind == "progress" and key in self._tasks:
            self.progress.update(self._tasks[key], completed=event.completed, total=event.total)
        elif event.kind == "stage_finished" and key in self._tasks:
            task = self.progress.tasks[self._tasks[key]]
            total = task.total or task.completed or 1
            self.progress.update(
                self._tasks[key],
                total=total,
                completed=total if event.text == "completed" else task.completed,
                description=f"{event.stage} [{event.text}]",
            )
        elif event.kind == "message":  # e.g. an image pull's progress, before the stage starts
            self.progress.console.print(
                f"[dim]{escape(event.run_id)} {escape(event.stage)}:[/] {escape(event.text)}",
                highlight=False,
                soft_wrap=True,
            )
        elif event.kind == "run_failed":
            self.progress.console.print(
                f"[bold red]run {escape(event.run_id)} failed:[/] {escape(event.text)}",
                highlight=False,
                soft_wrap=True,
            )
