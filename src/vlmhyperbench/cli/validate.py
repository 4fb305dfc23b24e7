"""``vlmhb validate``: check a config and its data without running anything."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from .._paths import demo_experiment_path
from ..config import load_experiment
from ..orchestrator import plan_experiment
from ._common import console, friendly_errors

__all__ = ["validate"]


@friendly_errors
def validate(
    config: Optional[Path] = typer.Argument(None, help="Experiment config; omit for the demo."),
) -> None:
    """Validate an experiment: names, options, catalogue, datasets, images, prompts."""
    plan = plan_experiment(load_experiment(config or demo_experiment_path()))
    table = Table(title=f"experiment {plan.name}: {len(plan.runs)} runs ok", title_justify="left")
    for column in ("run", "task", "model", "backend", "samples", "metrics"):
        table.add_column(column)
    for run in plan.runs:
        s = run.spec
        table.add_row(
            s.run_id,
            s.task,
            s.model,
            s.backend.name,
            str(s.dataset.n_samples),
            ", ".join(m.name for m in s.metrics),
        )
    console.print(table)
