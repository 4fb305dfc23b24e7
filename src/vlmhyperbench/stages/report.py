"""Report stage: per-run reports and the experiment's comparison."""

from __future__ import annotations

from pathlib import Path

from ..core import RunDir

__all__ = ["report_run", "write_experiment_comparison"]


def report_run(run_dir: RunDir) -> list[Path]:
    """Write ``report/report.{md,json,html}`` of one run."""
    from ..reports import write_run_report  # plotly is imported only when reporting

    return write_run_report(run_dir)


def write_experiment_comparison(experiment_dir: Path, run_dirs: list[RunDir]) -> list[Path]:
    """Write ``comparison.{md,csv,html}`` over the runs that have metrics."""
    from ..reports import write_comparison

    return write_comparison(experiment_dir, run_dirs)
