"""Reports: per-run Markdown, JSON and HTML reports, and the per-experiment comparison.

``write_run_report(run_dir)`` builds a `RunReport` from a run directory and renders it
with each requested writer from `report_writers` (``md``, ``json``, ``html`` and
plugins registered under the ``vlmhyperbench.reports`` entry point group) into
``<run_dir>/report/``. ``write_comparison`` writes the experiment's leaderboard.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from ..core import Manifest, RunDir
from ._build import build_run_report
from ._model import REPORT_SCHEMA_VERSION, ReportWriter, RunReport, report_writers
from ._stats import Distribution, Performance, distribution, percentile
from .comparison import ComparisonRow, comparison_rows, write_comparison
from .json_report import read_run_report

__all__ = [
    "REPORT_SCHEMA_VERSION",
    "ComparisonRow",
    "Distribution",
    "Performance",
    "ReportWriter",
    "RunReport",
    "build_run_report",
    "comparison_rows",
    "distribution",
    "percentile",
    "read_run_report",
    "report_writers",
    "write_comparison",
    "write_run_report",
]

logger = logging.getLogger(__name__)

DEFAULT_FORMATS = ("md", "json", "html")


def write_run_report(
    run_dir: RunDir, formats: Sequence[str] = DEFAULT_FORMATS, *, manifest: Manifest | None = None
) -> list[Path]:
    """Build the run's report and write it in each format into ``run_dir.report_dir``.

    Args:
        run_dir: The run directory; missing answers or metrics are reported, not fatal.
        formats: Registered writer names, e.g. ``("md", "json", "html")``.
        manifest: The run's record to describe instead of ``manifest.json``.

    Returns:
        The written files, in the order of ``formats``.

    Raises:
        ConfigError: a format is not registered (checked before anything is written).
        DatasetError: the run directory has no readable run spec.
    """
    if isinstance(formats, str):
        formats = (formats,)
    writers = [report_writers.get(name) for name in formats]
    report = build_run_report(run_dir, manifest=manifest)
    paths = [writer().write(report, run_dir.report_dir) for writer in writers]
    logger.info(
        "wrote %s report of run %s: %s", "/".join(formats), report.run_id, ", ".join(p.name for p in paths)
    )
    return paths
