"""``vlmhb run`` and ``vlmhb infer``: execute an experiment (or just its inference)."""

from __future__ import annotations

from pathlib import Path

import anyio
import typer
from rich.markup import escape
from rich.text import Text

from .._paths import demo_experiment_path
from ..orchestrator import ExperimentResult, run_experiment_async
from ..orchestrator.runner import ALL_STAGES
from ._common import EventProgress, console, friendly_errors, name_table, setup_logging

__all__ = ["infer", "run"]

ConfigArg = typer.Argument(
    None,
    help="Experiment: .yaml/.json, a run-matrix .csv, or a prototype checkout (its folder or its "
    "VLMHyperBench_config.json). Omit for the shipped demo.",
    show_default=False,
)
OutputOpt = typer.Option(
    None,
    "--output-dir",
    "-o",
    envvar="VLMHB_OUTPUT_DIR",
    help="Where runs go: a folder or s3://bucket/prefix (default: the config's output_dir, 'runs').",
)
FreshOpt = typer.Option(
    False, "--fresh", help="Start the runs again: move their old folders aside (nothing is deleted)."
)
RunOpt = typer.Option(None, "--run", help="Only these run names (repeatable).")
VerboseOpt = typer.Option(False, "--verbose", "-v", help="Show info logs.")
ExecutorOpt = typer.Option(
    None,
    "--executor",
    "-x",
    envvar="VLMHB_EXECUTOR",
    help="Run every run with this executor: local, venv, docker, apptainer, ray or inline "
    "(default: each run's executor setting, else local).",
)
RayAddressOpt = typer.Option(
    None,
    "--ray-address",
    envvar="VLMHB_RAY_ADDRESS",
    help="Ray cluster of the ray executor: HOST:6379, ray://HOST:10001 or auto "
    "(default: the config's executor.address, else RAY_ADDRESS).",
)
JobsOpt = typer.Option(
    None, "--jobs", "-j", min=1, max=64, help="Runs at a time (default: the config's jobs, 1)."
)


def _execute(
    config: Path | None,
    output_dir: Path | None,
    fresh: bool,
    only: list[str] | None,
    verbose: bool,
    stages: frozenset[str],
    executor: str | None = None,
    jobs: int | None = None,
    ray_address: str | None = None,
) -> ExperimentResult:
    setup_logging(verbose)
    path = config or demo_experiment_path()
    with EventProgress() as progress:
        result = anyio.run(
            lambda: run_experiment_async(
                path,
                fresh=fresh,
                emit=progress,
                output_dir=output_dir,
                stages=stages,
                only_runs=only,
                executor=executor,
                jobs=jobs,
                ray_address=ray_address,
            )
        )
    _summary(result)
    if not result.ok:
        raise typer.Exit(1)
    return result


def _summary(result: ExperimentResult) -> None:
    """Every run's outcome; run names stay whole, long folders fold."""
    rows = [
        (
            run.run_id,
            Text(run.status, style="green" if run.status == "completed" else "red"),
            str(run.counts.get("ok", "")),
            str(run.counts.get("failed", "")),
            str(run.run_dir),
        )
        for run in result.runs
    ]
    columns = ("run", "status", "answers ok", "failed", "folder")
    console.print(name_table(f"experiment {result.name}", columns, rows, whole=2))
    comparison = result.root / "comparison.html"
    if comparison.exists():
        console.print(f"comparison: {comparison}", soft_wrap=True)  # a path to copy, unbroken
    if result.url is not None:  # the folders above are the local mirror of the bucket
        console.print(f"stored in {result.url} (local mirror: {result.root})", soft_wrap=True)
    for export in result.exports:
        if export.result is not None:
            console.print(
                f"exported {export.run_id} to {export.to}: {export.result.location}", soft_wrap=True
            )
        else:  # reported, and the run stays completed: `vlmhb export` retries it
            console.print(
                f"[yellow]export of {escape(export.run_id)} to {export.to} failed[/]: "
                f"{escape(export.error or '')}; retry with `vlmhb export {export.to}`",
                soft_wrap=True,
            )
    if any(r.counts.get("failed") for r in result.runs):
        console.print("[yellow]some requests failed; run the same command again to retry only those[/]")


@friendly_errors
def run(
    config: Path | None = ConfigArg,
    output_dir: Path | None = OutputOpt,
    fresh: bool = FreshOpt,
    only: list[str] | None = RunOpt,
    executor: str | None = ExecutorOpt,
    jobs: int | None = JobsOpt,
    ray_address: str | None = RayAddressOpt,
    verbose: bool = VerboseOpt,
) -> None:
    """Run an experiment end to end: inference → evaluation → report → comparison."""
    _execute(config, output_dir, fresh, only, verbose, ALL_STAGES, executor, jobs, ray_address)


@friendly_errors
def infer(
    config: Path | None = ConfigArg,
    output_dir: Path | None = OutputOpt,
    fresh: bool = FreshOpt,
    only: list[str] | None = RunOpt,
    executor: str | None = ExecutorOpt,
    jobs: int | None = JobsOpt,
    ray_address: str | None = RayAddressOpt,
    verbose: bool = VerboseOpt,
) -> None:
    """Run only the inference stage (answers.jsonl) of an experiment's runs."""
    _execute(config, output_dir, fresh, only, verbose, frozenset({"infer"}), executor, jobs, ray_address)
    console.print(
        "answers only, no metrics or comparison yet: `vlmhb run` with the same config scores them "
        "(the answers are reused, nothing is asked again)",
        soft_wrap=True,
    )
