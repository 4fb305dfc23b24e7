"""``vlmhb export mlflow|wandb RUN_DIR...``: send finished runs to an experiment tracker."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import typer
from rich.markup import escape

from ..core import UserError
from ..export import ExportResult, ExportTarget, MlflowTarget, WandbTarget, export_run, run_folders
from ._common import console, friendly_errors, setup_logging

__all__ = ["export_app"]

export_app = typer.Typer(
    help="Export finished runs to an experiment tracker: MLflow or Weights & Biases.", no_args_is_help=True
)

RunsArg = typer.Argument(
    ...,
    metavar="RUN_DIR",
    help="Run folders (runs/<experiment>/<run_id>), or experiment folders: each run in them.",
    show_default=False,
)
VerboseOpt = typer.Option(False, "--verbose", "-v", help="Show info logs.")


def _export(runs: list[Path], target: ExportTarget, verbose: bool) -> list[ExportResult]:
    setup_logging(verbose)
    results = [export_run(folder, target) for folder in run_folders(runs)]
    for r in results:
        done = {True: "created", False: "updated", None: "written"}[r.created]
        console.print(
            f"{escape(r.run_id)} → {r.to} run {escape(r.tracking_id)} ({done}): {escape(r.location)}",
            soft_wrap=True,
            highlight=False,
        )
    return results


@export_app.command("mlflow")
@friendly_errors
def mlflow(
    runs: list[Path] = RunsArg,
    tracking_uri: str | None = typer.Option(
        None,
        "--tracking-uri",
        help="sqlite:///mlflow.db, a folder (./mlruns) or a server URL "
        "(default: MLflow's: $MLFLOW_TRACKING_URI, else ./mlruns if it holds runs, else sqlite:///mlflow.db).",
    ),
    experiment: str | None = typer.Option(
        None, "--experiment", help="MLflow experiment (default: the vlmhb experiment's name)."
    ),
    artifact_location: str | None = typer.Option(
        None,
        "--artifact-location",
        help="Artifact root of a new MLflow experiment (default for sqlite: mlartifacts/ beside the database).",
    ),
    verbose: bool = VerboseOpt,
) -> None:
    """Export runs to MLflow: params, metrics with intervals, report, metric files, samples table."""
    target = MlflowTarget(
        tracking_uri=tracking_uri, experiment=experiment, artifact_location=artifact_location
    )
    _export(runs, target, verbose)


@export_app.command("wandb")
@friendly_errors
def wandb(
    runs: list[Path] = RunsArg,
    directory: Path | None = typer.Option(
        None, "--dir", help="Where the wandb/ run folders go (default: the current folder)."
    ),
    mode: str | None = typer.Option(
        None, "--mode", help="offline or online (default: $WANDB_MODE, else offline).", show_default=False
    ),
    project: str | None = typer.Option(
        None, "--project", help="W&B project (default: the vlmhb experiment's name)."
    ),
    entity: str | None = typer.Option(None, "--entity", help="W&B team or user (online)."),
    verbose: bool = VerboseOpt,
) -> None:
    """Export runs to Weights & Biases (offline by default; `wandb sync` uploads them)."""
    target = WandbTarget(mode=_mode(mode), dir=directory, project=project, entity=entity)
    _export(runs, target, verbose)


def _mode(value: str | None) -> Literal["offline", "online"] | None:
    if value in (None, "offline", "online"):
        return value  # type: ignore[return-value]
    raise UserError(f"--mode must be offline or online, not '{value}'", hint="--mode offline")
