"""Run an experiment: for each planned run, inference → evaluation → report, then compare.

A run's directory is ``<output_dir>/<experiment>/<run_id>/``. Running the same
experiment again resumes every run: answered samples are not requested again. If a
run's dataset, prompts, task, model or generation settings changed, its old answers
are refused (or moved aside with ``fresh=True``), never mixed in.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import anyio
from pydantic import ValidationError

from ..config import load_experiment
from ..config.loader import LoadedExperiment
from ..core import ConfigError, EnvironmentInfo, Manifest, RunDir, RunSpec, StageInfo, UserError
from ..core.events import Event, EventSink, null_sink
from ..envs.stage_env import environment_info
from ..stages.evaluate import evaluate_run
from ..stages.infer import run_inference
from ..stages.report import report_run, write_experiment_comparison
from ._environment import git_commit, host_info, package_versions
from .planner import ExperimentPlan, PlannedRun, plan_experiment

__all__ = [
    "ALL_STAGES",
    "ExperimentResult",
    "RunOutcome",
    "execute_run",
    "planned_from_run_dir",
    "run_experiment",
    "run_experiment_async",
    "run_plan",
    "run_stage_async",
]

logger = logging.getLogger(__name__)

RESUME_KEYS = ("task", "dataset", "backend", "prompts", "generation")


@dataclass
class RunOutcome:
    """How one run ended."""

    run_id: str
    run_dir: Path
    status: str
    error: str | None = None
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class ExperimentResult:
    """Every run's outcome and the experiment folder."""

    name: str
    root: Path
    runs: list[RunOutcome]

    @property
    def ok(self) -> bool:
        """True when every run completed."""
        return all(r.status == "completed" for r in self.runs)


def _resume_view(spec: RunSpec) -> dict[str, object]:
    data = spec.model_dump(mode="json", include=set(RESUME_KEYS))
    data["dataset"].pop("n_samples", None)
    return data


def _prepare(run_dir: RunDir, spec: RunSpec, fresh: bool) -> None:
    """Refuse answers made with another config; with ``fresh``, move the old run aside."""
    if not run_dir.root.exists():
        return
    if fresh:
        aside = run_dir.root.with_name(f"{run_dir.root.name}.old-{time.strftime('%Y%m%d-%H%M%S')}")
        run_dir.root.rename(aside)
        logger.warning("moved the old run %s aside to %s", spec.run_id, aside)
        return
    if not run_dir.run_spec.exists():
        return
    old, new = _resume_view(run_dir.read_spec()), _resume_view(spec)
    changed = [k for k in RESUME_KEYS if old[k] != new[k]]
    if changed:
        raise ConfigError(
            f"run '{spec.run_id}' in {run_dir.root} was made with a different {', '.join(changed)}",
            hint="its answers cannot be reused; rerun with --fresh to move them aside and start again, "
            "or give the run another name",
        )


@contextlib.contextmanager
def _stage(run_dir: RunDir, manifest: Manifest, name: str, emit: EventSink) -> Iterator[StageInfo]:
    info = StageInfo(status="running", started_at=time.time())
    manifest.stages[name] = info
    run_dir.write_manifest(manifest)
    run_dir.logs_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(run_dir.log_file(name), encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    package_logger = logging.getLogger("vlmhyperbench")
    package_logger.addHandler(handler)
    emit(Event("stage_started", manifest.run_id, name))
    try:
        yield info
        info.status = "completed"
    except BaseException as exc:
        info.status = "failed"
        info.error = (
            exc.render()
            if isinstance(exc, UserError)
            else (
                "interrupted"
                if isinstance(exc, (KeyboardInterrupt, anyio.get_cancelled_exc_class()))
                else f"{type(exc).__name__}: {exc}"
            )
        )
        logger.error("stage %s failed: %s", name, info.error)
        raise
    finally:
        info.finished_at = time.time()
        info.duration_s = info.finished_at - (info.started_at or info.finished_at)
        package_logger.removeHandler(handler)
        handler.close()
        info.log_tail = _tail(run_dir.log_file(name)) if info.error is not None else None
        run_dir.write_manifest(manifest)
        emit(Event("stage_finished", manifest.run_id, name, text=info.status))


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


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
    )


ALL_STAGES = frozenset({"infer", "evaluate", "report"})
STAGE_ORDER = ("infer", "evaluate", "report")


def _stages_of(spec: RunSpec, stages: frozenset[str]) -> list[str]:
    return [s for s in STAGE_ORDER if s in stages and not (s == "infer" and spec.only_evaluate)]


def _open_run(planned: PlannedRun, root: Path, fresh: bool) -> tuple[RunDir, Manifest]:
    """Check the run folder against the spec, write the spec and a fresh manifest."""
    spec = planned.spec
    run_dir = RunDir(root / spec.run_id)
    _prepare(run_dir, spec, fresh)
    run_dir.root.mkdir(parents=True, exist_ok=True)
    run_dir.write_spec(spec)
    manifest = _manifest(run_dir, planned)
    run_dir.write_manifest(manifest)
    return run_dir, manifest


def _check_answers(run_dir: RunDir, stage: str, stages: list[str]) -> None:
    if stage == "evaluate" and "infer" not in stages and not run_dir.answers.exists():
        raise ConfigError(
            f"there are no answers to evaluate: {run_dir.answers} does not exist",
            hint="run inference first (only_evaluate: false), or copy an answers.jsonl there",
        )


async def _stage_body(
    stage: str,
    planned: PlannedRun,
    run_dir: RunDir,
    manifest: Manifest,
    info: StageInfo,
    environment: EnvironmentInfo,
    emit: EventSink,
) -> None:
    """The work of one stage, in this process, inside its `_stage` record."""
    spec = planned.spec
    manifest.environments[environment.id] = environment
    info.environment = environment.id

    def progress(done: int, total: int) -> None:
        emit(Event("progress", spec.run_id, stage, done, total))

    if stage == "infer":
        backend = planned.backend
        assert backend is not None, "the backend is built where inference runs"
        if "log_file" in type(backend).model_fields and backend.log_file is None:  # type: ignore[attr-defined]
            backend.log_file = run_dir.log_file("engine")  # type: ignore[attr-defined]
        await backend.start()
        try:
            manifest.registry["backend:describe"] = str(backend.describe())
            result = await run_inference(
                run_dir, spec, planned.samples, backend, progress, env_id=environment.id
            )
        finally:
            await backend.aclose()
        info.counts = {
            "total": result.total,
            "skipped": result.skipped,
            "ok": result.ok,
            "failed": result.failed,
        }
    elif stage == "evaluate":
        summary = await anyio.to_thread.run_sync(
            lambda: evaluate_run(run_dir, spec, planned.samples, planned.metrics, progress)
        )
        info.counts = {"scored": summary.n_samples, "errors": summary.n_errors, "missing": summary.n_missing}
    else:
        manifest.status = "completed"  # the report describes the finished run
        await anyio.to_thread.run_sync(lambda: report_run(run_dir))


def _failed(run_dir: RunDir, manifest: Manifest, error: str, emit: EventSink) -> RunOutcome:
    manifest.status = "failed"
    run_dir.write_manifest(manifest)
    emit(Event("run_failed", manifest.run_id, text=error))
    return RunOutcome(manifest.run_id, run_dir.root, "failed", error, _infer_counts(manifest))


def _infer_counts(manifest: Manifest) -> dict[str, int]:
    info = manifest.stages.get("infer")
    return dict(info.counts) if info else {}


async def _execute(
    planned: PlannedRun, root: Path, fresh: bool, emit: EventSink, stages: frozenset[str] = ALL_STAGES
) -> RunOutcome:
    """Every stage of a run in this process (the ``inline`` executor)."""
    run_dir, manifest = _open_run(planned, root, fresh)
    order = _stages_of(planned.spec, stages)
    try:
        for stage in order:
            _check_answers(run_dir, stage, order)
            with _stage(run_dir, manifest, stage, emit) as info:
                environment = environment_info(planned.spec, stage)
                await _stage_body(stage, planned, run_dir, manifest, info, environment, emit)
    except UserError as exc:
        return _failed(run_dir, manifest, exc.render(), emit)
    except BaseException:  # interrupted or a bug: the manifest says so, the answers stay
        manifest.status = "failed"
        run_dir.write_manifest(manifest)
        raise
    manifest.status = "completed"
    run_dir.write_manifest(manifest)
    return RunOutcome(planned.spec.run_id, run_dir.root, "completed", None, _infer_counts(manifest))


def _stage_failed(run_dir: RunDir, stage: str, reason: str, log: Path) -> Manifest:
    """Record a stage that ended badly in its own environment (crash, kill, OOM, exit code)."""
    manifest = run_dir.read_manifest()
    info = manifest.stages.get(stage) or StageInfo(started_at=time.time())
    if info.status != "failed" or not info.error:
        # the stage could not record why itself: it was killed, crashed or refused to start
        last = [line for line in _tail(log, 5).splitlines() if line.strip()]
        info.error = f"{reason}: {last[-1].strip()}" if last and reason != "interrupted" else reason
    info.status = "failed"
    info.finished_at = info.finished_at or time.time()
    info.duration_s = info.finished_at - (info.started_at or info.finished_at)
    info.log_tail = _tail(log) or info.log_tail
    manifest.stages[stage] = info
    return manifest


async def _execute_isolated(
    planned: PlannedRun, root: Path, fresh: bool, emit: EventSink, stages: frozenset[str]
) -> RunOutcome:
    """Every stage of a run in its own environment, through the run's executor."""
    from ..envs import StageExit, StageRequest, executors

    spec = planned.spec
    run_dir, manifest = _open_run(planned, root, fresh)
    executor = executors.get(spec.environment.executor.kind)(spec.environment.executor)
    order = _stages_of(spec, stages)
    for stage in order:
        request = StageRequest(run_dir, spec, stage, emit)
        try:
            _check_answers(run_dir, stage, order)
            executor.check(request)
            ended = await executor.run_stage(request)
        except UserError as exc:
            manifest = _stage_failed(run_dir, stage, exc.render(), request.console_log)
            return _failed(run_dir, manifest, exc.render(), emit)
        except BaseException:
            manifest = _stage_failed(run_dir, stage, "interrupted", request.console_log)
            manifest.status = "failed"
            run_dir.write_manifest(manifest)
            raise
        manifest = run_dir.read_manifest()
        recorded = manifest.stages.get(stage)
        if ended.returncode == 0 and (recorded is None or recorded.status != "completed"):
            ended = StageExit(
                1, "the stage process ended without recording a result (a different program ran?)"
            )
        if ended.returncode != 0:
            manifest = _stage_failed(run_dir, stage, ended.reason or "the stage failed", request.console_log)
            info = manifest.stages[stage]
            logger.error("run %s: stage %s failed: %s", spec.run_id, stage, info.error)
            return _failed(run_dir, manifest, info.error or "the stage failed", emit)
    manifest.status = "completed"
    run_dir.write_manifest(manifest)
    return RunOutcome(spec.run_id, run_dir.root, "completed", None, _infer_counts(manifest))


async def execute_run(
    planned: PlannedRun,
    root: Path,
    *,
    fresh: bool = False,
    emit: EventSink = null_sink,
    stages: frozenset[str] = ALL_STAGES,
) -> RunOutcome:
    """Execute one planned run with its executor; a user error fails the run, not the experiment."""
    try:
        if planned.spec.environment.executor.kind == "inline":
            return await _execute(planned, root, fresh, emit, stages)
        return await _execute_isolated(planned, root, fresh, emit, stages)
    except UserError as exc:
        emit(Event("run_failed", planned.spec.run_id, text=exc.render()))
        return RunOutcome(planned.spec.run_id, root / planned.spec.run_id, "failed", exc.render())


async def run_plan(
    plan: ExperimentPlan,
    *,
    fresh: bool = False,
    emit: EventSink = null_sink,
    stages: frozenset[str] = ALL_STAGES,
    jobs: int = 1,
) -> ExperimentResult:
    """Execute a plan, ``jobs`` runs at a time, each failure contained to its run."""
    root = plan.output_dir / plan.name
    root.mkdir(parents=True, exist_ok=True)
    outcomes: list[RunOutcome | None] = [None] * len(plan.runs)
    limiter = anyio.CapacityLimiter(max(1, jobs))

    async def one(index: int, planned: PlannedRun) -> None:
        async with limiter:
            outcomes[index] = await execute_run(planned, root, fresh=fresh, emit=emit, stages=stages)

    async with anyio.create_task_group() as tg:
        for index, planned in enumerate(plan.runs):
            tg.start_soon(one, index, planned)
    finished = [o for o in outcomes if o is not None]
    done = [RunDir(o.run_dir) for o in finished if RunDir(o.run_dir).metrics_json.exists()]
    if done and "report" in stages:
        await anyio.to_thread.run_sync(lambda: write_experiment_comparison(root, done))
    return ExperimentResult(plan.name, root, finished)


async def run_experiment_async(
    config: Path | str | LoadedExperiment,
    *,
    fresh: bool = False,
    emit: EventSink = null_sink,
    output_dir: Path | None = None,
    stages: frozenset[str] = ALL_STAGES,
    only_runs: list[str] | None = None,
    executor: str | None = None,
    jobs: int | None = None,
) -> ExperimentResult:
    """Load, plan and execute an experiment config (YAML, JSON or CSV run matrix)."""
    loaded = config if isinstance(config, LoadedExperiment) else load_experiment(config)
    plan = plan_experiment(loaded, executor=executor)
    if output_dir is not None:
        plan.output_dir = output_dir
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


def planned_from_run_dir(
    run_dir: RunDir, dataset_root: Path | None = None, stage: str | None = None
) -> PlannedRun:
    """Rebuild a run from its ``run_spec.json`` alone (what an isolated stage has).

    Args:
        run_dir: The run folder.
        dataset_root: Where the dataset is mounted here, when not at the recorded path
            (a container); its fingerprint must still match the recorded one.
        stage: Build only what this stage needs (the backend for ``infer``, the metrics
            for ``evaluate``): plugins may be installed only in that stage's environment.
    """
    from ..backends import backends
    from ..core import DatasetError, problems_from_validation_error
    from ..datasets import apply_filters, load_dataset
    from ..metrics import build_metric

    spec = run_dir.read_spec()
    registry = run_dir.read_manifest().registry if run_dir.manifest.exists() else {}
    if stage == "report":  # the report reads the run folder alone
        return PlannedRun(spec, None, [], [], registry)
    root = dataset_root or Path(spec.dataset.path)
    data = load_dataset(root, layout=spec.dataset.layout, default_task=spec.task)
    if data.fingerprint != spec.dataset.fingerprint:
        raise DatasetError(
            f"the dataset at {root} is not the one this run was planned with "
            f"({data.fingerprint[:19]} != {spec.dataset.fingerprint[:19]})",
            hint="mount the same dataset, or plan the run again",
        )
    samples = apply_filters(data.samples, {**spec.dataset.filters, "task": [spec.task]})
    backend = None
    if stage in (None, "infer"):
        entry = backends.entry(spec.backend.name)
        try:
            backend = entry.obj(**spec.backend.options)
        except ValidationError as exc:
            raise ConfigError(
                f"options of backend '{spec.backend.name}' are not valid in this environment",
                problems=problems_from_validation_error(exc),
            ) from None
        registry[f"backend:{entry.name}"] = f"{entry.origin}@{entry.version}"
    metrics = [build_metric(ref) for ref in spec.metrics] if stage in (None, "evaluate") else []
    return PlannedRun(spec, backend, metrics, samples, registry)


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
    from ..envs.stage_env import environment_info, install_and_reexec

    if stage not in ALL_STAGES:
        raise ConfigError(f"unknown stage '{stage}'", hint="stages: infer, evaluate, report")
    spec = run_dir.read_spec()
    manifest = run_dir.read_manifest() if run_dir.manifest.exists() else None
    if manifest is None:
        raise ConfigError(
            f"{run_dir.manifest} does not exist", hint="plan the run first (vlmhb run writes it)"
        )
    try:
        _check_answers(run_dir, stage, [stage])
        with _stage(run_dir, manifest, stage, emit) as info:
            if argv is not None:
                install_and_reexec(run_dir, spec, stage, argv)
            environment = environment_info(spec, stage)
            planned = planned_from_run_dir(run_dir, dataset_root, stage)
            manifest.registry.update(planned.registry)
            await _stage_body(stage, planned, run_dir, manifest, info, environment, emit)
    except UserError as exc:
        return RunOutcome(spec.run_id, run_dir.root, "failed", exc.render())
    return RunOutcome(spec.run_id, run_dir.root, "completed", None, _infer_counts(manifest))
