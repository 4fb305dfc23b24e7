"""Planner: a validated `ExperimentConfig` → one resolved `RunSpec` per run.

Everything that can be checked before running is checked here, for every run at once:
names of tasks, backends, metrics and aggregators, backend options, catalogue entries,
datasets (rows, images, fingerprint), prompt files and templates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..aggregators import aggregators
from ..backends import ModelBackend, backends
from ..config import LoadedExperiment, RunConfig, load_catalogue
from ..core import (
    ConfigError,
    DatasetSpec,
    PluginRef,
    Problem,
    RunSpec,
    Sample,
    SourceLocation,
    UserError,
    did_you_mean,
    problems_from_validation_error,
    read_text_utf8,
)
from ..datasets import Dataset, apply_filters, dataset_loaders, load_dataset
from ..metrics import Metric, build_metric
from ..metrics import metrics as metric_registry
from ..prompts import make_prompt_spec
from ..tasks import tasks

__all__ = ["ExperimentPlan", "PlannedRun", "plan_experiment"]


@dataclass
class PlannedRun:
    """A run ready to execute: its spec and the objects built from it."""

    spec: RunSpec
    backend: ModelBackend
    metrics: list[Metric]
    samples: list[Sample]
    registry: dict[str, str] = field(default_factory=dict)


@dataclass
class ExperimentPlan:
    """Every run of an experiment, and where results go."""

    name: str
    output_dir: Path
    runs: list[PlannedRun]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "run"


class _Planner:
    def __init__(self, loaded: LoadedExperiment) -> None:
        self.loaded = loaded
        self.base = loaded.base_dir
        self.problems: list[Problem] = []
        self.datasets: dict[tuple[Path, str], Dataset] = {}
        cfg = loaded.config
        self.catalogue = load_catalogue([self._path(p) for p in cfg.catalogues], cfg.models)

    def _path(self, path: Path) -> Path:
        path = path.expanduser()
        return path if path.is_absolute() else (self.base / path).resolve()

    def at(self, *key: Any) -> SourceLocation | None:
        return self.loaded.locate(key)

    def model(self, i: int, run: RunConfig) -> tuple[ModelBackend, str]:
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
        backend_name = ref.backend or (entry.backend if entry else None)
        if backend_name is None:
            raise ConfigError(
                "model needs a catalogue 'name' or a 'backend'",
                location=self.at("runs", i, "model"),
                hint="e.g. model: {backend: openai, options: {base_url: ..., model: ...}}",
            )
        cls = backends.get(backend_name, self.at("runs", i, "model", "backend"))
        if ref.options.get("trust_remote_code") and not (entry and entry.trust_remote_code):
            raise ConfigError(
                "trust_remote_code can only be turned on by the model's catalogue entry",
                location=self.at("runs", i, "model", "options", "trust_remote_code"),
                hint="review the model's code, then set trust_remote_code: true in its catalogue entry",
            )
        options = {**(entry.options if entry else {}), **ref.options}
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
        return backend, (entry.name if entry else backend.model_label())

    def dataset(self, i: int, run: RunConfig) -> tuple[Dataset, list[Sample]]:
        path = self._path(run.dataset.path)
        key = (path, run.dataset.layout)
        if key not in self.datasets:
            if run.dataset.layout != "auto":
                dataset_loaders.get(run.dataset.layout, self.at("runs", i, "dataset", "layout"))
            self.datasets[key] = load_dataset(path, layout=run.dataset.layout, default_task=run.task)
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

    def metrics(self, i: int, run: RunConfig) -> list[Metric]:
        refs = run.metrics if run.metrics is not None else list(tasks.get(run.task).default_metrics)
        built: list[Metric] = []
        for j, ref in enumerate(refs):
            where = self.at("runs", i, "metrics", j)
            if isinstance(ref, dict) and "name" not in ref:
                raise ConfigError("a metric given as a mapping needs 'name'", location=where)
            metric = build_metric(ref, where)
            if metric.name in {m.name for m in built}:
                raise ConfigError(f"metric '{metric.name}' is listed twice", location=where)
            built.append(metric)
        return built

    def plan_run(self, i: int, run: RunConfig) -> PlannedRun:
        task = tasks.entry(run.task, self.at("runs", i, "task"))
        for j, name in enumerate(run.aggregators):
            aggregators.get(name, self.at("runs", i, "aggregators", j))
        metrics = self.metrics(i, run)
        backend, label = self.model(i, run)
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
        )
        run_id = run.name or _slug(f"{label}-{data.root.name}-{run.task}")
        filters = {k: v for k, v in run.dataset.filters.model_dump().items() if v}
        spec = RunSpec(
            experiment=self.loaded.config.name,
            run_id=run_id,
            task=run.task,
            dataset=DatasetSpec(
                path=str(data.root),
                layout=data.layout,
                fingerprint=data.fingerprint,
                filters=filters,
                n_samples=len(samples),
            ),
            backend=PluginRef(name=backend.name, options=backend.model_dump(mode="json")),
            model=label,
            prompts=prompts,
            generation=run.generation,
            metrics=[PluginRef(name=m.name, options=m.model_dump(mode="json")) for m in metrics],
            aggregators=list(run.aggregators),
            statistics=run.statistics,
            hang_after_s=run.hang_after_s,
            concurrency=run.concurrency,
            seed=run.seed,
            only_evaluate=run.only_evaluate,
        )
        registry = {
            f"task:{task.name}": f"{task.origin}@{task.version}",
            f"backend:{backend.name}": f"{backends.entry(backend.name).origin}@{backends.entry(backend.name).version}",
            f"dataset:{data.layout}": f"{dataset_loaders.entry(data.layout).origin}",
        }
        for m in metrics:
            registry[f"metric:{m.name}"] = f"{metric_registry.entry(m.name).origin}@{m.version}"
        for name in run.aggregators:
            registry[f"aggregator:{name}"] = aggregators.entry(name).origin
        return PlannedRun(spec, backend, metrics, samples, registry)


def plan_experiment(loaded: LoadedExperiment) -> ExperimentPlan:
    """Resolve every run; raise one `ConfigError` listing the problems of all runs."""
    planner = _Planner(loaded)
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
    return ExperimentPlan(loaded.config.name, loaded.config.output_dir, runs)
