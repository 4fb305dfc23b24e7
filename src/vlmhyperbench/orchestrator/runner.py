"""Run an experiment: for each planned run, its stages (`vlmhyperbench.stages.STAGES`), then compare.

A run's directory is ``<output_dir>/<experiment>/<run_id>/`` (for an ``s3://`` output_dir,
in a local mirror synced with the bucket: `_remote`). Running the same
experiment again resumes every run: answered samples are not requested again. If a
run's dataset, prompts, task, model or generation settings changed, its old answers
are refused (or moved aside with ``fresh=True``), never mixed in.

The runner knows stages only through the `Stage` protocol. With the ``inline``
executor it runs them in this process; otherwise each stage runs through the run's
executor as ``vlmhb stage`` (`run_stage_async` on the other side), in its own
environment, while this process keeps the run's record and a heartbeat.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import anyio

from ..config import load_experiment
from ..config.loader import LoadedExperiment
from ..core import (
    ConfigError,
    RunDir,
    UserError,
    prepare_output_dir,
)
from ..core.events import Event, EventSink, null_sink
from ..scheduler import GpuScheduler
from ..stages import STAGES, stage_named
from ..stages.report import write_experiment_comparison
from ._execute import (
    RunOutcome,
    _completed,
    _execute_inline,
    _execute_isolated,
    _failed,
    _infer_counts,
    _open_run,
    _run_stage,
)
from ._export import ExportOutcome, export_completed
from ._rebuild import planned_from_run_dir
from ._record import stage_record
from ._remote import RemoteExperiment, experiment_root, output_location
from ._states import RunControl, RunStates, gpu_need
from .planner import ExperimentPlan, PlannedRun, plan_experiment

__all__ = [
    "ALL_STAGES",
    "ExperimentResult",
    "ExportOutcome",
    "RunOutcome",
    "execute_run",
    "planned_from_run_dir",
    "run_experiment",
    "run_experiment_async",
    "run_plan",
    "run_stage_async",
]

logger = logging.getLogger(__name__)

ALL_STAGES = frozenset(STAGES)


@dataclass
class ExperimentResult:
    """Every run's outcome and the experiment folder."""

    name: str
    root: Path
    runs: list[RunOutcome]
    exports: list[ExportOutcome] = field(default_factory=list)
    """Each completed run's export to each of the experiment's trackers (``export:``)."""
    url: str | None = None
    """The ``s3://`` experiment folder ``root`` mirrors, when ``output_dir`` is in a bucket."""

    @property
    def ok(self) -> bool:
        """True when every run completed."""
        return all(r.status == "completed" for r in self.runs)


async def execute_run(
    planned: PlannedRun,
    root: Path,
    *,
    fresh: bool = False,
    emit: EventSink = null_sink,
    stages: frozenset[str] = ALL_STAGES,
    control: RunControl | None = None,
    remote: RemoteExperiment | None = None,
    location: str | None = None,
) -> RunOutcome:
    """Execute one planned run with its executor; a user error fails the run, not the experiment.

    ``control`` carries the GPUs `run_plan` reserved for the run's inference (released
    when inference ends) and its state log, ``<run>/events.jsonl``. ``location`` is the
    run folder's ``s3://`` URL when ``root`` is its mirror (set by the ``remote`` branch).
    """
    if remote is not None:  # output_dir in a bucket: run in the pulled mirror, results streamed up
        url = str(remote.url.child(planned.spec.run_id))
        return await remote.execute(
            planned.spec.run_id,
            fresh,
            emit,
            lambda e: execute_run(
                planned, root, fresh=fresh, emit=e, stages=stages, control=control, location=url
            ),
            synced_by_executor=_syncs_location(planned),
        )
    control = control or RunControl(RunStates(planned.spec.run_id))
    try:
        if planned.spec.environment.executor.kind == "inline":
            outcome = await _execute_inline(planned, root, fresh, emit, stages, control)
        else:
            outcome = await _execute_isolated(planned, root, fresh, emit, stages, control, location)
    except UserError as exc:
        emit(Event("run_failed", planned.spec.run_id, text=exc.render()))
        outcome = RunOutcome(planned.spec.run_id, root / planned.spec.run_id, "failed", exc.render())
    except BaseException:
        control.states.set("interrupted")
        raise
    finally:
        control.release()
    control.states.set("completed" if outcome.status == "completed" else "failed", detail=outcome.error)
    return outcome


def _syncs_location(planned: PlannedRun) -> bool:
    """True when the run's executor moves the run folder to and from the bucket itself (ray)."""
    from ..envs import executors

    kind = planned.spec.environment.executor.kind
    return kind != "inline" and executors.get(kind).syncs_location


def _fail_unstarted(
    planned: PlannedRun, root: Path, fresh: bool, error: UserError, emit: EventSink, control: RunControl
) -> RunOutcome:
    """A run that cannot start (its GPUs cannot be had): its folder says why; nothing ran."""
    try:
        run_dir, manifest = _open_run(planned, root, fresh)
    except UserError as exc:
        emit(Event("run_failed", planned.spec.run_id, text=exc.render()))
        return RunOutcome(planned.spec.run_id, root / planned.spec.run_id, "failed", exc.render())
    control.states.attach(run_dir)
    control.states.set("failed", detail=error.render())
    logger.error("run %s: %s", planned.spec.run_id, error.render())
    return _failed(run_dir, manifest, error.render(), emit)


async def run_plan(
    plan: ExperimentPlan,
    *,
    fresh: bool = False,
    emit: EventSink = null_sink,
    stages: frozenset[str] = ALL_STAGES,
    jobs: int = 1,
) -> ExperimentResult:
    """Execute a plan, ``jobs`` runs at a time, each failure contained to its run.

    Raises:
        ConfigError: the output folder cannot be created (a file is in the way).
    """
    root, remote = experiment_root(plan.output_dir, plan.name)
    prepare_output_dir(root, "--output-dir / output_dir")
    outcomes: list[RunOutcome | None] = [None] * len(plan.runs)
    limiter = anyio.CapacityLimiter(max(1, jobs))
    needs = [gpu_need(planned.spec, stages) for planned in plan.runs]
    scheduler = GpuScheduler() if any(needs) else None
    unschedulable: dict[int, UserError] = {}
    for index, need in enumerate(needs):
        if need is not None and scheduler is not None:  # before anything starts
            try:
                scheduler.check(need)
            except UserError as exc:
                unschedulable[index] = exc

    async def one(index: int, planned: PlannedRun) -> None:
        control = RunControl(RunStates(planned.spec.run_id), scheduler)
        control.states.set("queued")
        need = needs[index]
        try:
            if index in unschedulable:
                raise unschedulable[index]
            if need is not None and scheduler is not None:  # GPUs first: a run waiting for them holds no slot
                control.lease = await scheduler.acquire(planned.spec.run_id, need, index)
                emit(Event("message", planned.spec.run_id, "infer", text=f"GPUs {control.lease.describe()}"))
            async with limiter:
                outcomes[index] = await execute_run(
                    planned, root, fresh=fresh, emit=emit, stages=stages, control=control, remote=remote
                )
        except UserError as exc:
            outcomes[index] = _fail_unstarted(planned, root, fresh, exc, emit, control)
        except BaseException:
            if control.states.last == "queued":
                control.states.attach_if_exists(RunDir(root / planned.spec.run_id))
                control.states.set("cancelled")
            raise
        finally:
            control.release()

    async with anyio.create_task_group() as tg:
        for index, planned in enumerate(plan.runs):
            tg.start_soon(one, index, planned)
    finished = [o for o in outcomes if o is not None]
    done = [RunDir(o.run_dir) for o in finished if RunDir(o.run_dir).metrics_json.exists()]
    if done and "report" in stages:
        await anyio.to_thread.run_sync(lambda: write_experiment_comparison(root, done))
    exports: list[ExportOutcome] = []
    if plan.export and "report" in stages:
        completed = [(o.run_id, o.run_dir) for o in finished if o.status == "completed"]
        exports = await anyio.to_thread.run_sync(lambda: export_completed(completed, plan.export, emit))
    if remote is not None:
        await remote.finish([o.run_id for o in finished], emit)
    return ExperimentResult(plan.name, root, finished, exports, str(remote.url) if remote else None)


async def run_experiment_async(
    config: Path | str | LoadedExperiment,
    *,
    fresh: bool = False,
    emit: EventSink = null_sink,
    output_dir: Path | str | None = None,
    stages: frozenset[str] = ALL_STAGES,
    only_runs: list[str] | None = None,
    executor: str | None = None,
    jobs: int | None = None,
    ray_address: str | None = None,
) -> ExperimentResult:
    """Load, plan and execute an experiment config (YAML, JSON or CSV run matrix)."""
    loaded = config if isinstance(config, LoadedExperiment) else load_experiment(config)
    plan = plan_experiment(loaded, executor=executor, ray_address=ray_address)
    if output_dir is not None:
        plan.output_dir = output_location(output_dir)
    if only_runs:
        unknown = sorted(set(only_runs) - {r.spec.run_id for r in plan.runs})
        if unknown:
            raise ConfigError(
                f"no run named {', '.join(unknown)} in the experiment",
                hint="runs: " + ", ".join(r.spec.run_id for r in plan.runs),
            )
        plan.runs = [r for r in plan.runs if r.spec.run_id in only_runs]
    return await run_plan(plan, fresh=fresh, emit=emit, stages=stages, jobs=jobs or plan.jobs)


def run_experiment(config: Path | str | LoadedExperiment, **kwargs: object) -> ExperimentResult:
    """Synchronous `run_experiment_async`."""
    return anyio.run(lambda: run_experiment_async(config, **kwargs))  # type: ignore[arg-type]


async def run_stage_async(
    run_dir: RunDir,
    stage: str,
    *,
    dataset_root: Path | None = None,
    emit: EventSink = null_sink,
    argv: list[str] | None = None,
) -> RunOutcome:
    """Run one stage (``infer``, ``evaluate`` or ``report``) of a planned run, reading only its folder.

    This is what every executor starts inside its environment. When the environment
    asks for it, the stage first installs the run's packages and re-executes itself
    with ``python argv`` (see `vlmhyperbench.envs.stage_env`).
    """
    from ..envs.stage_env import assigned_gpus, install_and_reexec

    stage_named(stage)
    if not run_dir.manifest.exists():
        raise ConfigError(
            f"{run_dir.manifest} does not exist", hint="plan the run first (vlmhb run writes it)"
        )
    spec = run_dir.read_spec()
    manifest = run_dir.read_manifest()
    try:
        stage_named(stage).check(run_dir, [stage])
        with stage_record(run_dir, manifest, stage, emit) as info:
            info.gpus = assigned_gpus()
            if argv is not None:
                install_and_reexec(run_dir, spec, stage, argv)
            planned = planned_from_run_dir(run_dir, dataset_root, stage)
            manifest.registry.update(planned.registry)
            await _run_stage(stage, planned, run_dir, manifest, info, emit)
    except UserError as exc:
        return RunOutcome(spec.run_id, run_dir.root, "failed", exc.render())
    if stage == list(STAGES)[-1] and all(i.status == "completed" for i in manifest.stages.values()):
        return _completed(run_dir, manifest)  # the run's last stage, run by hand or by an executor
    return RunOutcome(spec.run_id, run_dir.root, "completed", None, _infer_counts(manifest))
