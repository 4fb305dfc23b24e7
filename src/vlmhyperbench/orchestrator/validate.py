"""Check an experiment without running it: what ``vlmhb validate`` and the dashboard's queue do."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import load_experiment
from ..config.loader import LoadedExperiment
from ..core import RunDir, UserError
from ..core.events import null_sink
from ..storage import S3Url, check_location
from ._states import gpu_need
from .planner import ExperimentPlan, PlannedRun, plan_experiment

__all__ = ["ValidationReport", "validate_experiment"]


@dataclass(frozen=True)
class ValidationReport:
    """A planned experiment and, per run, why its executor could not start it here."""

    plan: ExperimentPlan
    problems: dict[str, str]
    """Run id → the problem (rendered `UserError`) of each run that is not ready."""

    @property
    def ok(self) -> bool:
        """True when every run is ready."""
        return not self.problems

    def messages(self) -> list[str]:
        """The problems as ``vlmhb validate`` prints them after ``error:``."""
        return [f"run {run_id}: {problem}" for run_id, problem in self.problems.items()]


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


def _gpu_problems(runs: list[PlannedRun]) -> dict[str, str]:
    """Runs asking for more GPUs (or GPU memory) than this machine has, with the reason."""
    from ..scheduler import GpuScheduler

    needs = {run.spec.run_id: gpu_need(run.spec, frozenset({"infer"})) for run in runs}
    if not any(needs.values()):
        return {}  # nothing to ask NVML about
    scheduler, problems = GpuScheduler(), {}
    for run_id, need in needs.items():
        try:
            if need is not None:
                scheduler.check(need)
        except UserError as exc:
            problems[run_id] = exc.render()
    return problems


def validate_experiment(
    config: Path | str | LoadedExperiment, *, executor: str | None = None, ray_address: str | None = None
) -> ValidationReport:
    """Load and plan ``config`` (names, options, catalogue, datasets, images, prompts) and check
    that each run's executor can start it here, that this machine has the GPUs each run asks for,
    and that an ``s3://`` output_dir may be written.

    Args:
        config: An experiment file as `vlmhyperbench.config.load_experiment` takes it.
        executor: Check as if every run used this executor.
        ray_address: The Ray cluster of every ray run (``--ray-address``); the run fits on a node of it.

    Raises:
        UserError: the config or its data is wrong (every problem with its place).
    """
    loaded = config if isinstance(config, LoadedExperiment) else load_experiment(config)
    plan = plan_experiment(loaded, executor=executor, ray_address=ray_address)
    if isinstance(plan.output_dir, S3Url):  # its bucket exists and may be written (datasets: when planned)
        check_location(plan.output_dir.child(plan.name), loaded.locate(("output_dir",)), write=True)
    problems = {run.spec.run_id: _executor_problem(run) for run in plan.runs}
    problems.update(_gpu_problems(plan.runs))
    return ValidationReport(plan, {run_id: p for run_id, p in problems.items() if p})
