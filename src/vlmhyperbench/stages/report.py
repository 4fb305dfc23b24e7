"""Report stage: per-run reports and the experiment's comparison."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import anyio

from ..core import ConfigError, Manifest, RunDir, SourceLocation, UserError
from ._base import StageContext, StageResult

__all__ = ["ReportStage", "report_run", "with_included_runs", "write_experiment_comparison"]


def report_run(run_dir: RunDir, manifest: Manifest | None = None) -> list[Path]:
    """Write ``report/report.{md,json,html}`` of one run (of ``manifest`` when given)."""
    from ..reports import write_run_report  # plotly is imported only when reporting

    return write_run_report(run_dir, manifest=manifest)


def write_experiment_comparison(experiment_dir: Path, run_dirs: list[RunDir]) -> list[Path]:
    """Write ``comparison.{md,csv,html}`` over the runs that have metrics."""
    from ..reports import write_comparison

    return write_comparison(experiment_dir, run_dirs)


def with_included_runs(runs: Sequence[RunDir], include: Sequence[Path]) -> list[RunDir]:
    """``runs`` followed by the run folders of ``include`` (``vlmhb report --include``).

    An included folder that already is one of ``runs`` is not repeated. The reports tell
    runs apart by run id (``run_spec.json``; the folder's name as made), so two runs of
    one id cannot be compared.

    Raises:
        ConfigError: an included folder is not a run folder, or its run id is taken.
    """
    out = list(runs)
    where = SourceLocation(key="--include")
    for folder in include:
        run_dir = RunDir(folder)
        if not run_dir.run_spec.is_file():
            raise ConfigError(
                f"{folder} is not a run folder (it has no run_spec.json)",
                location=where,
                hint="name a run folder: the --out of `vlmhb evaluate --answers-dir`, or a run of `vlmhb run`",
            )
        resolved = folder.resolve()
        if any(r.root.resolve() == resolved for r in out):
            continue
        run_id = _run_id(run_dir)
        same = next((r for r in out if _run_id(r) == run_id), None)
        if same is not None:
            raise ConfigError(
                f"{folder} has the run id {run_id!r} of {same.root}, which is already in the comparison",
                location=where,
                hint="runs are told apart by their run id: score the folder again with another --out name",
            )
        out.append(run_dir)
    return out


def _run_id(run_dir: RunDir) -> str:
    """The run id its spec records (the folder's name when the spec cannot be read)."""
    try:
        return run_dir.read_spec().run_id
    except UserError:
        return run_dir.root.name


def finished_view(manifest: Manifest, stage: str) -> Manifest:
    """The run as it stands once ``stage``, its last stage, has succeeded: what its report
    describes (the manifest on disk still says ``running`` while the report is written)."""
    view = manifest.model_copy(deep=True)
    if all(info.status == "completed" for name, info in view.stages.items() if name != stage):
        view.status = "completed"
    info = view.stages.get(stage)
    if info is not None:
        info.status = "completed"
        info.finished_at = time.time()
        info.duration_s = info.finished_at - (info.started_at or info.finished_at)
    return view


class ReportStage:
    """Write the run's reports from its folder alone."""

    name: ClassVar[str] = "report"
    needs_samples: ClassVar[bool] = False
    needs_pages: ClassVar[bool] = False
    needs_backend: ClassVar[bool] = False
    needs_metrics: ClassVar[bool] = False

    def check(self, run_dir: RunDir, stages: Sequence[str]) -> None:
        """A report can always be written (missing parts are shown as missing)."""

    async def run(self, ctx: StageContext) -> StageResult:
        """Render in a worker thread; the report describes the run as completed."""
        view = finished_view(ctx.manifest, self.name)
        written = await anyio.to_thread.run_sync(lambda: report_run(ctx.run_dir, view))
        return StageResult({"files": len(written)})
