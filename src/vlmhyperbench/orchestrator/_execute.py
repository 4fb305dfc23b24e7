"""One run's stages, executed: in this process (``inline``) or through the run's executor.

`vlmhyperbench.orchestrator.runner` decides which runs go when (GPUs, ``jobs``, the
bucket); this module opens a run's folder (spec, manifest), runs its stages in order
and records how each ended, so that a crashed or interrupted run can resume.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..core import Manifest, RunDir, StageInfo, UserError, this_process
from ..core.events import Event, EventSink
from ..envs.lifeline import Heartbeat
from ..envs.stage_env import environment_info
from ..stages import STAGES, StageContext, stage_named
from ._environment import git_commit, host_info, package_versions
from ._record import record_stage_failure, stage_record
from ._resume import prepare_run_dir
from ._states import RunControl
from .planner import PlannedRun

__all__ = ["RunOutcome"]

logger = logging.getLogger(__name__)


@dataclass
class RunOutcome:
    """How one run ended."""

    run_id: str
    run_dir: Path
    status: str
    error: str | None = None
    counts: dict[str, int] = field(default_factory=dict)


def _manifest(run_dir: RunDir, planned: PlannedRun) -> Manifest:
    spec = planned.spec
    previous = run_dir.read_manifest() if run_dir.manifest.exists() else None
    return Manifest(
        experiment=spec.experiment,
        run_id=spec.run_id,
        status="running",
        spec=spec,
        created_at=previous.created_at if previous else time.time(),
        registry=planned.registry,
        packages=package_versions(),
        git_commit=git_commit(),
        dataset_fingerprint=spec.dataset.fingerprint,
        seeds={"run": spec.seed, "generation": spec.generation.seed or 0},
        host=host_info(),
        stages=previous.stages if previous else {},
        owner=this_process(),
    )


def _stages_of(planned: PlannedRun, stages: frozenset[str]) -> list[str]:
    """The run's stages to execute now, in order (inference is skipped for only_evaluate)."""
    skip = {"infer"} if planned.spec.only_evaluate else set()
    return [name for name in STAGES if name in stages and name not in skip]


def _open_run(planned: PlannedRun, root: Path, fresh: bool) -> tuple[RunDir, Manifest]:
    """Check the run folder against the spec, write the spec and a fresh manifest."""
    spec = planned.spec
    run_dir = RunDir(root / spec.run_id)
    prepare_run_dir(run_dir, spec, fresh)
    run_dir.root.mkdir(parents=True, exist_ok=True)
    run_dir.write_spec(spec)
    manifest = _manifest(run_dir, planned)
    run_dir.write_manifest(manifest)
    return run_dir, manifest


async def _run_stage(
    name: str,
    planned: PlannedRun,
    run_dir: RunDir,
    manifest: Manifest,
    info: StageInfo,
    emit: EventSink,
) -> None:
    """The work of one stage, in this process, inside its `stage_record`."""
    spec = planned.spec
    environment = environment_info(spec, name)
    manifest.environments[environment.id] = environment
    info.environment = environment.id

    def progress(done: int, total: int) -> None:
        emit(Event("progress", spec.run_id, name, done, total))

    ctx = StageContext(
        run_dir=run_dir,
        spec=spec,
        manifest=manifest,
        info=info,
        samples=planned.samples,
        backend=planned.backend,
        metrics=planned.metrics,
        env_id=environment.id,
        progress=progress,
    )
    result = await stage_named(name).run(ctx)
    info.counts = result.counts
    manifest.registry.update(result.registry)


def _failed(run_dir: RunDir, manifest: Manifest, error: str, emit: EventSink) -> RunOutcome:
    manifest.status = "failed"
    run_dir.write_manifest(manifest)
    emit(Event("run_failed", manifest.run_id, text=error))
    return RunOutcome(manifest.run_id, run_dir.root, "failed", error, _infer_counts(manifest))


def _interrupted(run_dir: RunDir, manifest: Manifest) -> None:
    manifest.status = "interrupted"
    run_dir.write_manifest(manifest)


def _completed(run_dir: RunDir, manifest: Manifest) -> RunOutcome:
    manifest.status = "completed"
    run_dir.write_manifest(manifest)
    return RunOutcome(manifest.run_id, run_dir.root, "completed", None, _infer_counts(manifest))


def _infer_counts(manifest: Manifest) -> dict[str, int]:
    info = manifest.stages.get("infer")
    return dict(info.counts) if info else {}


async def _execute_inline(
    planned: PlannedRun, root: Path, fresh: bool, emit: EventSink, stages: frozenset[str], control: RunControl
) -> RunOutcome:
    """Every stage of a run in this process (the ``inline`` executor)."""
    run_dir, manifest = _open_run(planned, root, fresh)
    control.opened(run_dir)
    order = _stages_of(planned, stages)
    try:
        for name in order:
            stage_named(name).check(run_dir, order)
            control.stage_started(name)
            with stage_record(run_dir, manifest, name, emit) as info:
                info.gpus = control.gpus_for(name) or []
                await _run_stage(name, planned, run_dir, manifest, info, emit)
            control.stage_ended(name)
    except UserError as exc:
        return _failed(run_dir, manifest, exc.render(), emit)
    except BaseException:  # interrupted or a bug: the manifest says so, the answers stay
        _interrupted(run_dir, manifest)
        raise
    return _completed(run_dir, manifest)


async def _execute_isolated(
    planned: PlannedRun,
    root: Path,
    fresh: bool,
    emit: EventSink,
    stages: frozenset[str],
    control: RunControl,
    location: str | None = None,
) -> RunOutcome:
    """Every stage of a run in its own environment, through the run's executor.

    ``location``: the run folder's ``s3://`` URL when ``root`` is the bucket's mirror."""
    from ..envs import StageExit, StageRequest, executors

    spec = planned.spec
    run_dir, manifest = _open_run(planned, root, fresh)
    control.opened(run_dir)
    executor = executors.get(spec.environment.executor.kind)(spec.environment.executor)
    order = _stages_of(planned, stages)
    for name in order:
        request = StageRequest(run_dir, spec, name, emit, gpus=control.gpus_for(name), location=location)
        try:
            stage_named(name).check(run_dir, order)
            executor.check(request)
            control.stage_started(name)
            with Heartbeat(run_dir.heartbeat):
                ended = await executor.run_stage(request)
            control.stage_ended(name)
        except UserError as exc:
            manifest = record_stage_failure(run_dir, name, exc.render(), request.console_log)
            return _failed(run_dir, manifest, exc.render(), emit)
        except BaseException:
            manifest = record_stage_failure(run_dir, name, "interrupted", request.console_log)
            _interrupted(run_dir, manifest)
            raise
        manifest = run_dir.read_manifest()
        recorded = manifest.stages.get(name)
        if ended.returncode == 0 and (recorded is None or recorded.status != "completed"):
            ended = StageExit(
                1, "the stage process ended without recording a result (a different program ran?)"
            )
        if ended.returncode != 0:
            manifest = record_stage_failure(
                run_dir, name, ended.reason or "the stage failed", request.console_log
            )
            info = manifest.stages[name]
            logger.error("run %s: stage %s failed: %s", spec.run_id, name, info.error)
            return _failed(run_dir, manifest, info.error or "the stage failed", emit)
    return _completed(run_dir, manifest)
