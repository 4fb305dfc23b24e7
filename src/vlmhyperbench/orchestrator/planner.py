"""Planner: a validated `ExperimentConfig` → one resolved `RunSpec` per run.

Everything that can be checked before running is checked here, for every run at once:
names of tasks, backends, metrics and aggregators, backend options, catalogue entries,
datasets (rows, images, fingerprint), prompt files and templates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from pydantic import ValidationError

from ..aggregators import aggregators
from ..backends import ModelBackend, backends
from ..config import CatalogueEntry, LoadedExperiment, RunConfig, load_catalogue
from ..core import (
    BenchmarkSpec,
    ConfigError,
    DatasetSpec,
    EnvironmentSpec,
    ExecutorSpec,
    InstallItem,
    PluginRef,
    Problem,
    PromptSpec,
    ResourceSpec,
    RunSpec,
    Sample,
    SourceLocation,
    UserError,
    did_you_mean,
    problems_from_validation_error,
    read_text_utf8,
)
from ..core.resources import estimate_gpu_memory_gb
from ..datasets import Dataset, apply_filters, dataset_loaders, load_dataset
from ..envs import executors
from ..envs.packages import PackageRegistry, run_mode_from_env
from ..export import ExportTarget
from ..metrics import Metric, build_metric
from ..metrics import metrics as metric_registry
from ..prompts import PromptManager, make_prompt_spec
from ..storage import S3Url, fetch_dataset
from ..tasks import Task, tasks
from ._benchmark import resolve_benchmark

__all__ = ["ExperimentPlan", "PlannedRun", "plan_experiment"]


@dataclass
class PlannedRun:
    """A run ready to execute: its spec and the objects built from it."""

    spec: RunSpec
    backend: ModelBackend | None
    """None when the backend is a plugin installed only in the run's environment."""
    metrics: list[Metric]
    """Metrics built here (those installed only in the run's environment are in the spec alone)."""
    samples: list[Sample]
    registry: dict[str, str] = field(default_factory=dict)


@dataclass
class ExperimentPlan:
    """Every run of an experiment, and where results go."""

    name: str
    output_dir: Path | S3Url
    """A local folder or an ``s3://`` prefix (the runs then live in a local mirror, `_remote`)."""
    runs: list[PlannedRun]
    jobs: int = 1
    export: list[ExportTarget] = field(default_factory=list)
    """Trackers each completed run is exported to after its report."""


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "run"


DEFERRED = "deferred: resolved in the run's environment"


class _Planner:
    def __init__(
        self, loaded: LoadedExperiment, executor: str | None = None, ray_address: str | None = None
    ) -> None:
        self.loaded = loaded
        self.base = loaded.base_dir
        self.problems: list[Problem] = []
        self.datasets: dict[tuple[Path, str, bool], Dataset] = {}
        cfg = loaded.config
        self.catalogue = load_catalogue([self._path(p) for p in cfg.catalogues], cfg.models)
        self.executor_override = executor
        self.ray_address = ray_address
        self._packages: PackageRegistry | None = None
        self.run_mode = cfg.run_mode or run_mode_from_env()

    @property
    def packages(self) -> PackageRegistry:
        if self._packages is None:
            dirs = [self.base / "packages", *(self._path(p) for p in self.loaded.config.package_dirs)]
            self._packages = PackageRegistry.load(dirs, self.run_mode)
        return self._packages

    def _path(self, path: Path) -> Path:
        path = path.expanduser()
        return path if path.is_absolute() else (self.base / path).resolve()

    def at(self, *key: Any) -> SourceLocation | None:
        return self.loaded.locate(key)

    def dataset_root(self, i: int, run: RunConfig) -> Path:
        """The dataset folder here: a local path resolved, an ``s3://`` folder fetched into the cache."""
        if isinstance(run.dataset.path, S3Url):
            return fetch_dataset(run.dataset.path, where=self.at("runs", i, "dataset", "path"))
        return self._path(run.dataset.path)

    def entry(self, i: int, run: RunConfig) -> CatalogueEntry | None:
        ref = run.model
        entry = None
        if ref.name is not None:
            entry = self.catalogue.get(ref.name)
            if entry is None:
                guess = did_you_mean(ref.name, list(self.catalogue))
                listing = "`vlmhb models list` shows the catalogue"
                raise ConfigError(
                    f"unknown model '{ref.name}'",
                    location=self.at("runs", i, "model", "name"),
                    hint=f"did you mean '{guess}'? {listing}" if guess else listing,
                )
            if ref.backend and ref.backend != entry.backend:
                raise ConfigError(
                    f"model '{entry.name}' uses backend '{entry.backend}', not '{ref.backend}'",
                    location=self.at("runs", i, "model", "backend"),
                )
        return entry

    def model(
        self, i: int, run: RunConfig, entry: CatalogueEntry | None, executor: ExecutorSpec
    ) -> tuple[ModelBackend | None, str, PluginRef]:
        ref = run.model
        backend_name = ref.backend or (entry.backend if entry else None)
        if backend_name is None:
            raise ConfigError(
                "model needs a catalogue 'name' or a 'backend'",
                location=self.at("runs", i, "model"),
                hint="e.g. model: {backend: openai, options: {base_url: ..., model: ...}}",
            )
        if ref.options.get("trust_remote_code") and not (entry and entry.trust_remote_code):
            raise ConfigError(
                "trust_remote_code can only be turned on by the model's catalogue entry",
                location=self.at("runs", i, "model", "options", "trust_remote_code"),
                hint="review the model's code, then set trust_remote_code: true in its catalogue entry",
            )
        options = {**(entry.options if entry else {}), **ref.options}
        if backend_name not in backends and executor.isolated:
            # a plugin from the model's own packages: built and validated in its environment
            if entry and entry.model_id and "model" not in options:
                options["model"] = entry.model_id
            label = entry.name if entry else str(options.get("model") or backend_name)
            return None, label, PluginRef(name=backend_name, options=options)
        cls = backends.get(backend_name, self.at("runs", i, "model", "backend"))
        if entry and entry.model_id and "model" in cls.model_fields and "model" not in options:
            options["model"] = entry.model_id
        if entry and "trust_remote_code" in cls.model_fields:
            options["trust_remote_code"] = entry.trust_remote_code
        try:
            backend = cls(**options)
        except ValidationError as exc:
            raise ConfigError(
                problems=problems_from_validation_error(
                    exc,
                    locate=lambda loc, at_key=False: self.loaded.locate(
                        ("runs", i, "model", "options", *loc), at_key
                    ),
                )
            ) from None
        label = entry.name if entry else backend.model_label()
        return backend, label, PluginRef(name=backend.name, options=backend.model_dump(mode="json"))

    def resources(
        self, run: RunConfig, entry: CatalogueEntry | None, backend: ModelBackend | None
    ) -> ResourceSpec:
        """Experiment → model → run ``resources:``, the more specific winning field by field.

        A run asking for GPUs without ``gpu_memory_gb`` gets it estimated from the catalogue
        entry's ``params_b`` and ``dtype`` (`estimate_gpu_memory_gb`), unless its backend
        reserves a share of whole GPUs itself (vLLM, SGLang): those keep whole GPUs.
        """
        merged: dict[str, Any] = {}
        for level in (self.loaded.config.resources, entry.resources if entry else None, run.resources):
            if level is not None:
                merged.update(level.model_dump(exclude_unset=True))
        spec = ResourceSpec.model_validate(merged)
        whole = backend is not None and type(backend).preallocates_gpu_memory
        if spec.gpus and spec.gpu_memory_gb is None and entry and entry.params_b and not whole:
            estimate = estimate_gpu_memory_gb(entry.params_b, entry.dtype, spec.gpus, spec.kv_cache_gb)
            spec = spec.model_copy(update={"gpu_memory_gb": estimate})
        return spec

    def executor(self, i: int, run: RunConfig, entry: CatalogueEntry | None) -> ExecutorSpec:
        """Experiment → model → run settings, the more specific winning field by field."""
        merged: dict[str, Any] = {}
        for level in (self.loaded.config.executor, entry.executor if entry else None, run.executor):
            if level is not None:
                merged.update(level.model_dump(exclude_unset=True))
        if self.executor_override:
            merged["kind"] = self.executor_override
        if self.ray_address:
            merged["address"] = self.ray_address
        spec = ExecutorSpec.model_validate(merged)
        if spec.kind != "inline" and not self.executor_override:  # the override is checked once, up front
            executors.get(spec.kind, self.at("runs", i, "executor", "kind"))
        updates: dict[str, Any] = {}
        if spec.kind in ("docker", "apptainer") and spec.image is None:
            if entry is None or entry.docker_image is None:
                raise ConfigError(
                    f"the {spec.kind} executor needs an image",
                    location=self.at("runs", i, "executor"),
                    hint="set executor.image (e.g. vlmhyperbench:cpu, built by scripts/build_images.sh) "
                    "or the model's docker_image in the catalogue",
                )
            updates["image"] = entry.docker_image
        for key in ("model_cache", "wheels"):
            if getattr(spec, key) is not None:
                updates[key] = self._path(getattr(spec, key))
        if spec.mounts:
            updates["mounts"] = [m.model_copy(update={"source": self._path(m.source)}) for m in spec.mounts]
        return spec.model_copy(update=updates)

    def install(self, i: int, entry: CatalogueEntry | None, run: RunConfig, stage: str) -> list[InstallItem]:
        """What an environment installs at start: pip requirements, then registry packages.

        Inference installs the model's and the run's; evaluation the run's ``eval_*``.
        """
        prefix = "eval_" if stage == "evaluate" else ""
        requirements = [
            (t, self.at("runs", i, f"{prefix}requirements", j))
            for j, t in enumerate(getattr(run, f"{prefix}requirements"))
        ]
        packages = [
            (n, self.at("runs", i, f"{prefix}packages", j))
            for j, n in enumerate(getattr(run, f"{prefix}packages"))
        ]
        if entry is not None and stage == "infer":
            where = self.at("runs", i, "model")
            requirements = [(t, where) for t in entry.requirements] + requirements
            packages = [(n, where) for n in entry.packages] + packages
        items = []
        for text, where in requirements:
            _check_requirement(text, where)
            items.append(InstallItem(requirement=text))
        items += [self.packages.install_item(name, where) for name, where in packages]
        return items

    def dataset(self, i: int, run: RunConfig) -> tuple[Dataset, list[Sample]]:
        assert run.task is not None
        path = self.dataset_root(i, run)
        key = (path, run.dataset.layout, not run.only_evaluate)
        if key not in self.datasets:
            if run.dataset.layout != "auto":
                dataset_loaders.get(run.dataset.layout, self.at("runs", i, "dataset", "layout"))
            # pages are needed to ask a model, not to score its answers
            self.datasets[key] = load_dataset(
                path, layout=run.dataset.layout, default_task=run.task, check_images=not run.only_evaluate
            )
        data = self.datasets[key]
        filters = {k: v for k, v in run.dataset.filters.model_dump().items() if v}
        samples = apply_filters(data.samples, {**filters, "task": [run.task]})
        if not samples:
            tasks_found = sorted({s.task for s in data.samples})
            classes = sorted({s.doc_class for s in data.samples})
            raise ConfigError(
                f"no samples of task '{run.task}' match the filters in {path}",
                location=self.at("runs", i, "dataset"),
                hint=f"the dataset has tasks {tasks_found} and doc_classes {classes}",
            )
        return data, samples

    def check_prompts(self, i: int, prompts: PromptSpec, task: Task, samples: list[Sample]) -> None:
        """Render every sample's prompts now: an undefined variable is found before any request."""
        manager = PromptManager(prompts, task)
        for sample in samples:
            try:
                manager.resolve(sample)
            except ConfigError as exc:
                where = self.at("runs", i, "prompts")
                raise ConfigError(problems=[replace(p, location=where) for p in exc.problems]) from None

    def metrics(self, i: int, run: RunConfig, isolated: bool) -> tuple[list[Metric], list[PluginRef]]:
        """Metrics built here, and the refs of all (a plugin installed only in the run's
        environment is checked there)."""
        assert run.task is not None
        refs = run.metrics if run.metrics is not None else list(tasks.get(run.task).default_metrics)
        built: list[Metric] = []
        all_refs: list[PluginRef] = []
        for j, ref in enumerate(refs):
            where = self.at("runs", i, "metrics", j)
            if isinstance(ref, dict) and "name" not in ref:
                raise ConfigError("a metric given as a mapping needs 'name'", location=where)
            name = ref if isinstance(ref, str) else str(ref["name"])
            if name in {r.name for r in all_refs}:
                raise ConfigError(f"metric '{name}' is listed twice", location=where)
            if isolated and name not in metric_registry:
                options = {} if isinstance(ref, str) else {k: v for k, v in ref.items() if k != "name"}
                all_refs.append(PluginRef(name=name, options=options))
                continue
            metric = build_metric(ref, where)
            built.append(metric)
            all_refs.append(PluginRef(name=metric.name, options=metric.model_dump(mode="json")))
        return built, all_refs

    def plan_run(self, i: int, run: RunConfig) -> PlannedRun:
        benchmark: BenchmarkSpec | None = None
        if run.benchmark is not None:
            run, benchmark, _ = resolve_benchmark(
                run, self.dataset_root(i, run), lambda *key: self.at("runs", i, *key)
            )
        assert run.task is not None  # RunConfig requires a task or a benchmark
        task = tasks.entry(run.task, self.at("runs", i, "task"))
        for j, name in enumerate(run.aggregators):
            aggregators.get(name, self.at("runs", i, "aggregators", j))
        entry = self.entry(i, run)
        executor = self.executor(i, run, entry)
        metrics, metric_refs = self.metrics(i, run, executor.isolated)
        backend, label, backend_ref = self.model(i, run, entry, executor)
        environment = EnvironmentSpec(
            executor=executor,
            run_mode=self.run_mode,
            install={stage: self.install(i, entry, run, stage) for stage in ("infer", "evaluate")},
        )
        data, samples = self.dataset(i, run)
        p = run.prompts
        system = p.system
        if p.system_file is not None:
            system = read_text_utf8(self._path(p.system_file)).strip()
        prompts = make_prompt_spec(
            system=system,
            user=p.user,
            mapping=p.mapping,
            collection=self._path(p.collection) if p.collection else None,
            builtin=p.builtin,
            builtin_location=self.at("runs", i, "prompts", "builtin"),
        )
        self.check_prompts(i, prompts, task.obj, samples)
        if benchmark is not None:
            run_id = run.name or _slug(f"{label}-{benchmark.name}-{benchmark.split or run.task}")
        else:
            run_id = run.name or _slug(f"{label}-{data.root.name}-{run.task}")
        backend_name = backend_ref.name
        filters = {k: v for k, v in run.dataset.filters.model_dump().items() if v}
        spec = RunSpec(
            experiment=self.loaded.config.name,
            run_id=run_id,
            task=run.task,
            dataset=DatasetSpec(
                path=str(data.root),
                url=run.dataset.path if isinstance(run.dataset.path, S3Url) else None,
                layout=data.layout,
                fingerprint=data.fingerprint,
                filters=filters,
                n_samples=len(samples),
            ),
            backend=backend_ref,
            model=label,
            prompts=prompts,
            generation=run.generation,
            metrics=metric_refs,
            aggregators=list(run.aggregators),
            statistics=run.statistics,
            hang_after_s=run.hang_after_s,
            concurrency=run.concurrency,
            seed=run.seed,
            only_evaluate=run.only_evaluate,
            prototype_csv=run.prototype_csv,
            environment=environment,
            benchmark=benchmark,
            resources=self.resources(run, entry, backend),
        )
        registry = {
            f"task:{task.name}": f"{task.origin}@{task.version}",
            f"backend:{backend_name}": (
                f"{backends.entry(backend_name).origin}@{backends.entry(backend_name).version}"
                if backend is not None
                else DEFERRED
            ),
            f"dataset:{data.layout}": f"{dataset_loaders.entry(data.layout).origin}",
        }
        for m in metrics:
            registry[f"metric:{m.name}"] = f"{metric_registry.entry(m.name).origin}@{m.version}"
        for ref in metric_refs:
            registry.setdefault(f"metric:{ref.name}", DEFERRED)
        for name in run.aggregators:
            registry[f"aggregator:{name}"] = aggregators.entry(name).origin
        return PlannedRun(spec, backend, metrics, samples, registry)


def _check_requirement(text: str, where: SourceLocation | None) -> None:
    if text.startswith(("git+", "http://", "https://", "file:", "/", "./", "../")):
        return
    try:
        Requirement(text)
    except InvalidRequirement as exc:
        raise ConfigError(
            f"'{text}' is not a valid pip requirement: {exc}",
            location=where,
            hint="write it as pip would take it: name==1.2, name>=1,<2, git+https://...@ref or a path",
        ) from None


def plan_experiment(
    loaded: LoadedExperiment, executor: str | None = None, ray_address: str | None = None
) -> ExperimentPlan:
    """Resolve every run; raise one `ConfigError` listing the problems of all runs.

    Args:
        loaded: The loaded config.
        executor: Run every run with this executor kind (``vlmhb run --executor``).
        ray_address: The Ray cluster of every run (``vlmhb run --ray-address``; ``executor.address``).
    """
    if executor is not None and executor != "inline":
        executors.get(executor, SourceLocation(key="--executor"))
    planner = _Planner(loaded, executor, ray_address)
    runs: list[PlannedRun] = []
    for i, run in enumerate(loaded.config.runs):
        try:
            runs.append(planner.plan_run(i, run))
        except UserError as exc:
            planner.problems.extend(exc.problems)
    seen: dict[str, int] = {}
    for index, planned in enumerate(runs):
        if planned.spec.run_id in seen:
            planner.problems.append(
                Problem(
                    planner.at("runs", index, "name"),
                    f"two runs are both named '{planned.spec.run_id}'",
                    "give each run a distinct 'name'",
                )
            )
        seen[planned.spec.run_id] = index
    if planner.problems:
        raise ConfigError(problems=planner.problems)
    cfg = loaded.config
    return ExperimentPlan(cfg.name, cfg.output_dir, runs, cfg.jobs, list(cfg.export))
