"""``vlmhb validate``: check a config and its data without running anything."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from .._paths import demo_experiment_path
from ..config import load_experiment
from ..core import RunDir, UserError
from ..core.events import null_sink
from ..orchestrator import PlannedRun, plan_experiment
from ._common import console, err_console, friendly_errors, name_table

__all__ = ["validate"]


def _executor_problem(run: PlannedRun) -> str | None:
    """Why the run's executor could not start it here (mounts, engine, image, binary), if it cannot."""
    from ..envs import StageRequest, executors

    spec = run.spec
    kind = spec.environment.executor.kind
    if kind == "inline":
        return None
    executor = executors.get(kind)(spec.environment.executor)
    try:
        for stage in ("infer", "evaluate"):
            executor.check(StageRequest(RunDir(Path(".")), spec, stage, null_sink))
    except UserError as exc:
        return exc.render()
    return None


@friendly_errors
def validate(
    config: Path | None = typer.Argument(
        None, help="Experiment config (as `vlmhb run` takes it); omit for the demo.", show_default=False
    ),
    executor: str | None = typer.Option(
        None, "--executor", "-x", envvar="VLMHB_EXECUTOR", help="Check as if every run used this executor."
    ),
) -> None:
    """Validate an experiment: names, options, catalogue, datasets, images, prompts, executors."""
    plan = plan_experiment(load_experiment(config or demo_experiment_path()), executor=executor)
    problems = {run.spec.run_id: _executor_problem(run) for run in plan.runs}
    bad = [run_id for run_id, problem in problems.items() if problem]
    title = f"experiment {plan.name}: {len(plan.runs) - len(bad)} of {len(plan.runs)} runs ready"
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
    for run_id in bad:
        err_console.print(
            f"[bold red]error:[/] run {run_id}: {escape(problems[run_id] or '')}", soft_wrap=True
        )
    if bad:
        raise typer.Exit(2)
