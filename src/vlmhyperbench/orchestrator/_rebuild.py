"""A planned run rebuilt from its folder alone: what a stage has in its own environment."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from ..core import ConfigError, DatasetError, RunDir, problems_from_validation_error
from ..stages import stage_named
from .planner import PlannedRun

__all__ = ["planned_from_run_dir"]


def planned_from_run_dir(
    run_dir: RunDir, dataset_root: Path | None = None, stage: str | None = None
) -> PlannedRun:
    """Rebuild a run from its ``run_spec.json`` alone.

    Args:
        run_dir: The run folder.
        dataset_root: Where the dataset is mounted here, when not at the recorded path
            (a container); its fingerprint must still match the recorded one.
        stage: Build only what this stage needs (`Stage.needs_backend`, ``needs_metrics``,
            ``needs_samples``): plugins may be installed only in that stage's environment.
            None builds everything.
    """
    from ..backends import backends
    from ..datasets import apply_filters, load_dataset
    from ..metrics import build_metric

    spec = run_dir.read_spec()
    registry = run_dir.read_manifest().registry if run_dir.manifest.exists() else {}
    needs = stage_named(stage) if stage is not None else None
    samples = []
    if needs is None or needs.needs_samples:
        root = dataset_root or Path(spec.dataset.path)
        if dataset_root is None and spec.dataset.url and not root.is_dir():  # planned on another machine
            from ..storage import fetch_dataset

            root = fetch_dataset(spec.dataset.url)
        data = load_dataset(
            root,
            layout=spec.dataset.layout,
            default_task=spec.task,
            check_images=needs is None or needs.needs_pages,
        )
        if data.fingerprint != spec.dataset.fingerprint:
            raise DatasetError(
                f"the dataset at {root} is not the one this run was planned with "
                f"({data.fingerprint[:19]} != {spec.dataset.fingerprint[:19]})",
                hint="mount the same dataset, or plan the run again",
            )
        samples = apply_filters(data.samples, {**spec.dataset.filters, "task": [spec.task]})
    backend = None
    if needs is None or needs.needs_backend:
        entry = backends.entry(spec.backend.name)
        try:
            backend = entry.obj(**spec.backend.options)
        except ValidationError as exc:
            raise ConfigError(
                f"options of backend '{spec.backend.name}' are not valid in this environment",
                problems=problems_from_validation_error(exc),
            ) from None
        registry[f"backend:{entry.name}"] = f"{entry.origin}@{entry.version}"
    metrics = []
    if needs is None or needs.needs_metrics:
        metrics = [build_metric(ref) for ref in spec.metrics]
    return PlannedRun(spec, backend, metrics, samples, registry)
