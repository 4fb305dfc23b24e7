"""``vlmhb stage``: run one stage of a planned run from its folder alone (for executors)."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path

import anyio
import typer
from rich.markup import escape

from ..core import RunDir
from ..core.events import Event, EventSink
from ..orchestrator.runner import RunOutcome
from ._common import EventProgress, console, friendly_errors, setup_logging

__all__ = ["stage"]


class StageName(str, Enum):
    infer = "infer"
    evaluate = "evaluate"
    report = "report"


@friendly_errors
def stage(
    name: StageName = typer.Argument(..., help="infer, evaluate or report."),
    run_dir: Path = typer.Option(..., "--run-dir", help="The run folder (holds run_spec.json)."),
    dataset: Path | None = typer.Option(
        None, "--dataset", help="Where the dataset is mounted, if not at the recorded path."
    ),
    events: bool = typer.Option(
        False, "--events", help="Print progress as machine-readable lines (for executors) instead of bars."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show info logs."),
) -> None:
    """Run one stage reading only the run folder and the dataset; write only into the run folder.

    This is the command every executor starts in the run's environment. When the
    environment asks for it (``VLMHB_INSTALL=1``), the stage first installs the run's
    packages and restarts itself.
    """
    from ..envs._protocol import encode_event
    from ..envs.lifeline import orphaned, watch_parent
    from ..orchestrator.runner import run_stage_async

    setup_logging(verbose)
    watch_parent(RunDir(run_dir))
    argv = ["-m", "vlmhyperbench", *sys.argv[1:]]

    def relay(event: Event) -> None:
        try:
            print(encode_event(event), flush=True)
        except BrokenPipeError:  # whoever read our events is gone
            orphaned()

    def execute(sink: EventSink) -> RunOutcome:
        return anyio.run(
            lambda: run_stage_async(RunDir(run_dir), name.value, dataset_root=dataset, emit=sink, argv=argv)
        )

    if events:
        outcome = execute(relay)
    else:
        with EventProgress() as progress:
            outcome = execute(progress)
    if outcome.status != "completed":
        console.print(f"[red]stage {name.value} failed[/]: {escape(outcome.error or '')}", soft_wrap=True)
        raise typer.Exit(1)
    console.print(f"stage {name.value} completed: {run_dir}")
