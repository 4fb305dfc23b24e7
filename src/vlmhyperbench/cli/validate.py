"""``vlmhb validate``: check a config and its data without running anything."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from .._paths import demo_experiment_path
from ..orchestrator.validate import validate_experiment
from ._common import console, err_console, friendly_errors, name_table

__all__ = ["validate"]


@friendly_errors
def validate(
    config: Path | None = typer.Argument(
        None, help="Experiment config (as `vlmhb run` takes it); omit for the demo.", show_default=False
    ),
    executor: str | None = typer.Option(
        None, "--executor", "-x", envvar="VLMHB_EXECUTOR", help="Check as if every run used this executor."
    ),
    ray_address: str | None = typer.Option(
        None,
        "--ray-address",
        envvar="VLMHB_RAY_ADDRESS",
        help="Ray cluster of the ray runs (as `vlmhb run`).",
    ),
) -> None:
    """Validate an experiment: names, options, catalogue, datasets, images, prompts, executors."""
    report = validate_experiment(config or demo_experiment_path(), executor=executor, ray_address=ray_address)
    plan = report.plan
    title = f"experiment {plan.name}: {len(plan.runs) - len(report.problems)} of {len(plan.runs)} runs ready"
    rows = [
        (
            s.run_id,
            s.task,
            s.model,
            s.backend.name,
            s.environment.executor.kind,
            str(s.dataset.n_samples),
            ", ".join(m.name for m in s.metrics),
        )
        for s in (run.spec for run in plan.runs)
    ]
    columns = ("run", "task", "model", "backend", "executor", "samples", "metrics")
    console.print(name_table(title, columns, rows))
    for message in report.messages():
        err_console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    if not report.ok:
        raise typer.Exit(2)
