"""Export run folders to experiment trackers: MLflow and Weights & Biases.

``export_run(run_dir, target)`` reads a finished run folder (`collect_run`) and writes its
params, metrics, report, metric files, answers and per-sample table to the tracking
system ``target`` names; ``vlmhb export`` and an experiment's ``export:`` list call it.
The trackers' packages are optional (the ``mlflow`` and ``wandb`` extras) and imported
only when exporting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from ..core import RunDir, experiment_runs
from ._collect import ExportArtifact, ExportRecord, SampleTable, collect_run
from ._options import ExportResult, ExportTarget, MlflowTarget, WandbTarget

__all__ = [
    "ExportArtifact",
    "ExportRecord",
    "ExportResult",
    "ExportTarget",
    "MlflowTarget",
    "SampleTable",
    "WandbTarget",
    "collect_run",
    "export_run",
    "run_folders",
]


def _exporter(target: ExportTarget) -> Callable[[ExportRecord], ExportResult]:
    """The target's export function, once its package is known to be installed."""
    if isinstance(target, MlflowTarget):
        from .mlflow import export_to_mlflow, require_mlflow

        require_mlflow()
        return lambda record: export_to_mlflow(record, target)
    from .wandb import export_to_wandb, require_wandb

    require_wandb()
    return lambda record: export_to_wandb(record, target)


def export_run(run_dir: Path, target: ExportTarget) -> ExportResult:
    """Export one run folder to ``target``.

    Raises:
        DatasetError: the folder is not a scored run folder.
        MissingDependency: the tracker's package is not installed.
        ConfigError: the tracker's store cannot be used.
    """
    exporter = _exporter(target)  # a missing package is named before the folder is read
    return exporter(collect_run(run_dir))


def run_folders(paths: Iterable[Path]) -> list[Path]:
    """Each path as given if it is a run folder, else the run folders of the experiment it is."""
    out: list[Path] = []
    for path in paths:
        inner = experiment_runs(path) if not RunDir(path).run_spec.is_file() else []
        out.extend([r.root for r in inner] or [path])
    return out
