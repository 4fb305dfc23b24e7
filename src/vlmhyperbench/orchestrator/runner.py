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

from ..config import load_experiment
from ..config.loader import LoadedExperiment
from ..core import ConfigError, Manifest, RunDir, RunSpec, StageInfo, UserError
from ..stages.evaluate import evaluate_run
from ..stages.infer import run_inference
from ..stages.report import report_run, write_experiment_comparison
from ._environment import git_commit, host_info, package_versions
from .events import Event, EventSink, null_sink
from .planner import ExperimentPlan, PlannedRun, plan_experiment

__all__ = [
    "ALL_STAGES",
    "ExperimentResult",
    "RunOutcome",
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


async def _execute(
    planned: PlannedRun, root: Path, fresh: bool, emit: EventSink, stages: frozenset[str] = ALL_STAGES
) -> RunOutcome:
    spec = planned.spec
    run_dir = RunDir(root / spec.run_id)
    _prepare(run_dir, spec, fresh)
    run_dir.root.mkdir(parents=True, exist_ok=True)
    run_dir.write_spec(spec)
    manifest = _manifest(run_dir, planned)
    counts: dict[str, int] = {}

    def progress(stage: str):  # type: ignore[no-untyped-def]
        return lambda done, total: emit(Event("progress", spec.run_id, stage, done, total))

    try:
        if not spec.only_evaluate and "infer" in stages:
            with _stage(run_dir, manifest, "infer", emit) as info:
                if "log_file" in type(planned.backend).model_fields and planned.backend.log_file is None:  # type: ignore[attr-defined]
                    planned.backend.log_file = run_dir.log_file("engine")  # type: ignore[attr-defined]
                await planned.backend.start()
                try:
                    manifest.registry["backend:describe"] = str(planned.backend.describe())
                    result = await run_inference(
                        run_dir, spec, planned.samples, planned.backend, progress("infer")
                    )
                finally:
                    await planned.backend.aclose()
                info.counts = {
                    "total": result.total,
                    "skipped": result.skipped,
                    "ok": result.ok,
                    "failed": result.failed,
                }
                counts.update(info.counts)
        elif "evaluate" in stages and not run_dir.answers.exists():
            raise ConfigError(
                f"only_evaluate is set but {run_dir.answers} does not exist",
                hint="run inference first, or copy an answers.jsonl there",
            )
        if "evaluate" in stages:
            with _stage(run_dir, manifest, "evaluate", emit) as info:
                summary = await anyio.to_thread.run_sync(
                    lambda: evaluate_run(
                        run_dir, spec, planned.samples, planned.metrics, progress("evaluate")
                    )
                )
                info.counts = {
                    "scored": summary.n_samples,
                    "errors": summary.n_errors,
                    "missing": summary.n_missing,
                }
        if "report" in stages:
            manifest.status = "completed"  # the report describes the finished run
            with _stage(run_dir, manifest, "report", emit):
                await anyio.to_thread.run_sync(lambda: report_run(run_dir))
    except UserError as exc:
        manifest.status = "failed"
        run_dir.write_manifest(manifest)
        emit(Event("run_failed", spec.run_id, text=exc.render()))
        return RunOutcome(spec.run_id, run_dir.root, "failed", exc.render(), counts)
    except BaseException:  # interrupted or a bug: the manifest says so, the answers stay
        manifest.status = "failed"
        run_dir.write_manifest(manifest)
        raise
    manifest.status = "completed"
    run_dir.write_manifest(manifest)
    return RunOutcome(spec.run_id, run_dir.root, "completed", None, counts)


async def run_plan(
    plan: ExperimentPlan,
    *,
    fresh: bool = False,
    emit: EventSink = null_sink,
    stages: frozenset[str] = ALL_STAGES,
) -> ExperimentResult:
    """Execute a plan: runs one after another, each failure contained to its run."""
    root = plan.output_dir / plan.name
    root.mkdir(parents=True, exist_ok=True)
    outcomes = []
    for planned in plan.runs:
        try:
            outcomes.append(await _execute(planned, root, fresh, emit, stages))
        except UserError as exc:
            emit(Event("run_failed", planned.spec.run_id, text=exc.render()))
            outcomes.append(
                RunOutcome(planned.spec.run_id, root / planned.spec.run_id, "failed", exc.render())
            )
    done = [RunDir(o.run_dir) for o in outcomes if RunDir(o.run_dir).metrics_json.exists()]
    if done and "report" in stages:
        await anyio.to_thread.run_sync(lambda: write_experiment_comparison(root, done))
    return ExperimentResult(plan.name, root, outcomes)


async def run_experiment_async(
    config: Path | str | LoadedExperiment,
    *,
    fresh: bool = False,
    emit: EventSink = null_sink,
    output_dir: Path | None = None,
    stages: frozenset[str] = ALL_STAGES,
    only_runs: list[str] | None = None,
) -> ExperimentResult:
    """Load, plan and execute an experiment config (YAML, JSON or CSV run matrix)."""
    loaded = config if isinstance(config, LoadedExperiment) else load_experiment(config)
    plan = plan_experiment(loaded)
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
    return await run_plan(plan, fresh=fresh, emit=emit, stages=stages)


def run_experiment(config: Path | str | LoadedExperiment, **kwargs: object) -> ExperimentResult:
    """Synchronous `run_experiment_async`."""
    return anyio.run(lambda: run_experiment_async(config, **kwargs))  # type: ignore[arg-type]


def planned_from_run_dir(run_dir: RunDir, dataset_root: Path | None = None) -> PlannedRun:
    """Rebuild a run from its ``run_spec.json`` alone (what an isolated stage has).

    Args:
        run_dir: The run folder.
        dataset_root: Where the dataset is mounted here, when not at the recorded path
            (a container); its fingerprint must still match the recorded one.
    """
    from ..backends import backends
    from ..core import DatasetError
    from ..datasets import apply_filters, load_dataset
    from ..metrics import build_metric

    spec = run_dir.read_spec()
    root = dataset_root or Path(spec.dataset.path)
    data = load_dataset(root, layout=spec.dataset.layout, default_task=spec.task)
    if data.fingerprint != spec.dataset.fingerprint:
        raise DatasetError(
            f"the dataset at {root} is not the one this run was planned with "
            f"({data.fingerprint[:19]} != {spec.dataset.fingerprint[:19]})",
            hint="mount the same dataset, or plan the run again",
        )
    samples = apply_filters(data.samples, {**spec.dataset.filters, "task": [spec.task]})
    backend = backends.get(spec.backend.name)(**spec.backend.options)
    metrics = [build_metric(ref) for ref in spec.metrics]
    registry = run_dir.read_manifest().registry if run_dir.manifest.exists() else {}
    return PlannedRun(spec, backend, metrics, samples, registry)


async def run_stage_async(
    run_dir: RunDir, stage: str, *, dataset_root: Path | None = None, emit: EventSink = null_sink
) -> RunOutcome:
    """Run one stage (``infer``, ``evaluate`` or ``report``) of a planned run, reading only its folder."""
    if stage not in ALL_STAGES:
        raise ConfigError(f"unknown stage '{stage}'", hint="stages: infer, evaluate, report")
    planned = planned_from_run_dir(run_dir, dataset_root)
    return await _execute(planned, run_dir.root.parent, False, emit, frozenset({stage}))
