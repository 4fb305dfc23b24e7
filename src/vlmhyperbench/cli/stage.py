"""``vlmhb stage``: run one stage of a planned run from its folder alone (for executors)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import anyio
import typer

from ..core import RunDir
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
    dataset: Optional[Path] = typer.Option(
        None, "--dataset", help="Where the dataset is mounted, if not at the recorded path."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Run one stage reading only the run folder and the dataset; write only into the run folder."""
    from ..orchestrator.runner import run_stage_async

    setup_logging(verbose)
    with EventProgress() as progress:
        outcome = anyio.run(
            lambda: run_stage_async(RunDir(run_dir), name.value, dataset_root=dataset, emit=progress)
        )
    if outcome.status != "completed":
        console.print(f"[red]stage {name.value} failed[/]: {outcome.error}")
        raise typer.Exit(1)
    console.print(f"stage {name.value} completed: {run_dir}")
