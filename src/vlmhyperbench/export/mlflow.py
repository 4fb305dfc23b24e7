"""Export a run to MLflow: params, metrics, the report and metric files, the samples table.

The same run exported again updates its MLflow run, found by the ``vlmhb.fingerprint`` tag,
instead of adding another: params already there are kept (they cannot change in MLflow, and
the fingerprint covers them), metrics are logged only when their value changed, files are
replaced and the samples table is rewritten, not appended to.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..core import ConfigError, MissingDependency
from ._collect import ExportRecord
from ._options import ExportResult, MlflowTarget

__all__ = ["FINGERPRINT_TAG", "SAMPLES_TABLE", "export_to_mlflow", "require_mlflow", "tracking_uri"]

FINGERPRINT_TAG = "vlmhb.fingerprint"
"""The tag that identifies a vlmhb run (`ExportRecord.fingerprint`) among MLflow runs."""
SAMPLES_TABLE = "samples.json"
"""The per-sample table's artifact (``mlflow.load_table("samples.json", run_ids=[...])``)."""

_PARAM_LIMIT = 6000
"""Longest param value MLflow stores (MAX_PARAM_VAL_LENGTH); longer prompts are cut."""
_BATCH = 100
"""Params (and tags) per ``log_batch`` call, MLflow's limit."""
_STATUS = {"completed": "FINISHED", "failed": "FAILED", "interrupted": "KILLED"}


def require_mlflow() -> Any:
    """MLflow's client class.

    Raises:
        MissingDependency: the ``mlflow`` extra is not installed.
    """
    try:
        import pandas  # noqa: F401  # log_table needs it; say so before anything is written
        from mlflow.tracking import MlflowClient
    except ImportError as exc:
        raise _missing(exc) from None
    return MlflowClient


def _missing(exc: ImportError) -> MissingDependency:
    return MissingDependency(
        f"exporting to MLflow needs {exc.name or 'mlflow-skinny'}, which is not installed",
        hint="pip install 'vlmhyperbench[mlflow]' (mlflow-skinny, pandas, sqlalchemy, alembic)",
    )


def tracking_uri(target: MlflowTarget) -> str:
    """The store the run goes to: the target's, else MLflow's default (see `MlflowTarget`)."""
    if target.tracking_uri:
        return target.tracking_uri
    import mlflow

    return str(mlflow.get_tracking_uri())


@contextlib.contextmanager
def _file_store_allowed(uri: str) -> Iterator[None]:
    """MLflow 3 refuses a folder store unless ``MLFLOW_ALLOW_FILE_STORE`` is set; a folder
    named by the user is what they asked for, so it is allowed while exporting."""
    is_folder = "://" not in uri or uri.startswith("file:")
    previous = os.environ.get("MLFLOW_ALLOW_FILE_STORE")
    if is_folder:
        os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    try:
        yield
    finally:
        if is_folder and previous is None:
            os.environ.pop("MLFLOW_ALLOW_FILE_STORE", None)
        elif is_folder and previous is not None:
            os.environ["MLFLOW_ALLOW_FILE_STORE"] = previous


def _artifact_location(uri: str, target: MlflowTarget) -> str | None:
    if target.artifact_location or not uri.startswith("sqlite:///"):
        return target.artifact_location
    database = Path(uri.removeprefix("sqlite:///")).resolve()
    return (database.parent / "mlartifacts").as_uri()


def _experiment_id(client: Any, name: str, uri: str, target: MlflowTarget) -> str:
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        return str(client.create_experiment(name, artifact_location=_artifact_location(uri, target)))
    if experiment.lifecycle_stage != "active":
        raise ConfigError(
            f"MLflow experiment '{name}' in {uri} is deleted",
            hint=f"restore it (`mlflow experiments restore --experiment-id {experiment.experiment_id}`) "
            "or export to another experiment name",
        )
    return str(experiment.experiment_id)


def _open(client_class: Any, uri: str) -> Any:
    from mlflow.exceptions import MlflowException

    try:
        return client_class(tracking_uri=uri)
    except ImportError as exc:  # a database store without sqlalchemy or alembic
        raise _missing(exc) from None
    except (MlflowException, ValueError, OSError) as exc:
        raise ConfigError(
            f"cannot open the MLflow tracking store {uri}: {exc}",
            hint="a tracking URI (--tracking-uri, or tracking_uri in the config's export list) is "
            "sqlite:///path/mlflow.db, a folder, or an http(s) server URL",
        ) from None


def export_to_mlflow(record: ExportRecord, target: MlflowTarget) -> ExportResult:
    """Create or update the MLflow run of ``record`` in ``target``'s store.

    Raises:
        MissingDependency: mlflow (the ``mlflow`` extra) is not installed.
        ConfigError: the store cannot be opened, or its experiment is deleted.
    """
    client_class = require_mlflow()
    uri = tracking_uri(target)
    with _file_store_allowed(uri):
        client = _open(client_class, uri)
        experiment_id = _experiment_id(client, target.experiment or record.experiment, uri, target)
        query = f"tags.`{FINGERPRINT_TAG}` = '{record.fingerprint}'"
        found = client.search_runs([experiment_id], filter_string=query, max_results=1)
        run_id = (
            found[0].info.run_id
            if found
            else client.create_run(experiment_id, run_name=record.run_id).info.run_id
        )
        _log_values(client, run_id, record)
        for artifact in record.artifacts:
            client.log_artifact(run_id, str(artifact.path), artifact_path=artifact.folder or None)
        _log_samples(client, run_id, record)
        if record.status in _STATUS:
            client.set_terminated(run_id, status=_STATUS[record.status])
    return ExportResult("mlflow", record.run_id, run_id, uri, created=not found)


def _log_values(client: Any, run_id: str, record: ExportRecord) -> None:
    from mlflow.entities import Metric, Param, RunTag

    existing = client.get_run(run_id).data
    params = [
        Param(k, v if len(v) <= _PARAM_LIMIT else v[: _PARAM_LIMIT - 1] + "…")
        for k, v in record.params.items()
        if k not in existing.params
    ]
    now = int(time.time() * 1000)
    metrics = [Metric(k, v, now, 0) for k, v in record.metrics.items() if existing.metrics.get(k) != v]
    tags = [
        RunTag(FINGERPRINT_TAG, record.fingerprint),
        RunTag("vlmhb.run_id", record.run_id),
        RunTag("vlmhb.status", record.status),
        RunTag("vlmhb.run_dir", str(record.run_dir)),
    ]
    for i in range(0, max(len(params), len(metrics), 1), _BATCH):
        client.log_batch(
            run_id,
            metrics=metrics[i : i + _BATCH],
            params=params[i : i + _BATCH],
            tags=tags if i == 0 else [],
        )


def _log_samples(client: Any, run_id: str, record: ExportRecord) -> None:
    """The per-sample table through ``log_table``; an existing one is replaced, because
    ``log_table`` appends to a table already there."""
    table = record.samples
    data = {column: [row[i] for row in table.rows] for i, column in enumerate(table.columns)}
    if SAMPLES_TABLE not in {f.path for f in client.list_artifacts(run_id)}:
        client.log_table(run_id, data=data, artifact_file=SAMPLES_TABLE)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / SAMPLES_TABLE
        # the layout log_table writes (pandas "split", no index), so load_table reads it
        split = {"columns": table.columns, "data": table.rows}
        path.write_text(json.dumps(split, ensure_ascii=False), encoding="utf-8")
        client.log_artifact(run_id, str(path))
