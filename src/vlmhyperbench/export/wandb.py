"""Export a run to Weights & Biases, offline by default (``wandb sync`` uploads it later).

The W&B run id is derived from the run's fingerprint, so exporting the same run again
resumes the same W&B run: its config, summary, samples table and report are replaced.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from ..core import MissingDependency
from ._collect import ExportRecord
from ._options import ExportResult, WandbTarget

__all__ = ["export_to_wandb", "require_wandb", "wandb_run_id"]

_ARTIFACT_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def require_wandb() -> Any:
    """The ``wandb`` module.

    Raises:
        MissingDependency: the ``wandb`` extra is not installed.
    """
    try:
        import wandb
    except ImportError as exc:
        raise MissingDependency(
            f"exporting to W&B needs wandb, which is not installed ({exc})",
            hint="pip install 'vlmhyperbench[wandb]'",
        ) from None
    return wandb


def wandb_run_id(record: ExportRecord) -> str:
    """``vlmhb-`` and 24 hex digits of the fingerprint: stable across exports of one run."""
    return "vlmhb-" + record.fingerprint.removeprefix("sha256:")[:24]


def export_to_wandb(record: ExportRecord, target: WandbTarget) -> ExportResult:
    """Write (offline) or send (online) the W&B run of ``record``.

    Raises:
        MissingDependency: wandb (the ``wandb`` extra) is not installed.
    """
    wandb = require_wandb()
    mode = target.mode or os.environ.get("WANDB_MODE") or "offline"
    directory = (target.dir or Path.cwd()).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    settings = wandb.Settings(
        silent=True,
        console="off",
        save_code=False,
        disable_git=True,
        x_disable_stats=True,
        x_disable_meta=True,
        x_disable_machine_info=True,
        x_save_requirements=False,
    )
    run = wandb.init(
        project=target.project or record.experiment,
        entity=target.entity,
        id=wandb_run_id(record),
        name=record.run_id,
        dir=str(directory),
        mode=mode,
        resume="allow",
        reinit="create_new",
        job_type="vlmhb-run",
        config=record.params,
        allow_val_change=True,
        settings=settings,
    )
    try:
        table = wandb.Table(columns=record.samples.columns, data=record.samples.rows)
        logged: dict[str, Any] = {**record.metrics, "samples": table}
        html = record.run_dir / "report" / "report.html"
        if html.is_file():
            logged["report"] = wandb.Html(html.read_text(encoding="utf-8"), inject=False)
        run.log(logged)
        run.summary.update({"vlmhb/fingerprint": record.fingerprint, "vlmhb/status": record.status})
        name = _ARTIFACT_CHARS.sub("-", f"{record.run_id}-files")
        files = wandb.Artifact(name, type="vlmhb-run", metadata={"run_dir": str(record.run_dir)})
        for artifact in record.artifacts:
            files.add_file(str(artifact.path), name=f"{artifact.folder}/{artifact.path.name}".lstrip("/"))
        run.log_artifact(files)
        location = str(Path(run.dir).parent) if mode == "offline" else str(run.url)
        tracking_id = str(run.id)
    finally:
        run.finish()
        # finish() returns before W&B's service process has written the offline file (or sent
        # the data): teardown waits for it, so the run is complete when the export returns
        wandb.teardown()
    return ExportResult("wandb", record.run_id, tracking_id, location, created=None)
