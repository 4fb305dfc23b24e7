"""Where a run is exported (each tracking system's options, as typed config) and what came of it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ExportResult", "ExportTarget", "MlflowTarget", "WandbTarget"]


class _Target(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MlflowTarget(_Target):
    """An MLflow tracking store: ``export: [{to: mlflow, tracking_uri: sqlite:///mlflow.db}]``."""

    to: Literal["mlflow"] = "mlflow"
    tracking_uri: str | None = None
    """``sqlite:///mlflow.db``, a folder (``./mlruns``, a file store) or a server URL; MLflow's
    default when omitted: ``$MLFLOW_TRACKING_URI``, else ``./mlruns`` where that folder already
    holds runs, else ``sqlite:///mlflow.db``. Relative paths are from the current folder."""
    experiment: str | None = None
    """MLflow experiment name; the vlmhb experiment's name when omitted."""
    artifact_location: str | None = None
    """Where a newly created MLflow experiment keeps its artifacts; for a ``sqlite:`` store,
    ``mlartifacts/`` beside the database file when omitted (MLflow's own default is relative
    to the current folder)."""


class WandbTarget(_Target):
    """Weights & Biases, offline by default: ``export: [{to: wandb, dir: wandb-runs}]``."""

    to: Literal["wandb"] = "wandb"
    mode: Literal["offline", "online"] | None = None
    """``offline`` writes the run under ``dir`` for a later ``wandb sync``; ``online`` sends it
    (needs ``wandb login`` or ``WANDB_API_KEY``). When omitted: ``$WANDB_MODE`` if set, else
    ``offline``."""
    dir: Path | None = None
    """Folder the ``wandb/`` run folders go into (W&B's default, the current folder, when
    omitted)."""
    project: str | None = None
    """W&B project; the vlmhb experiment's name when omitted."""
    entity: str | None = None
    """W&B team or user (online mode); your default entity when omitted."""


ExportTarget = Annotated[MlflowTarget | WandbTarget, Field(discriminator="to")]
"""One place a finished run is exported to (the experiment's ``export`` list)."""


@dataclass(frozen=True, slots=True)
class ExportResult:
    """One run exported to one tracking system."""

    to: str
    """``mlflow`` or ``wandb``."""
    run_id: str
    """The vlmhb run id."""
    tracking_id: str
    """The run's id in the tracking system (MLflow run id, W&B run id)."""
    location: str
    """Where it went: the MLflow tracking URI, or the W&B run folder (offline) / URL (online)."""
    created: bool | None
    """False when an earlier export of the same run was updated; None where the tracking
    system does not tell (W&B resumes or creates the run as it syncs)."""
