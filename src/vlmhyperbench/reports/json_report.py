"""``report.json``: the `RunReport` itself, for tools, dashboards and comparisons."""

from __future__ import annotations

import logging
from pathlib import Path

from ..core import atomic_write_text, read_json_model
from ._model import RunReport, report_writers

__all__ = ["JsonReport", "read_run_report"]

logger = logging.getLogger(__name__)


@report_writers.register("json", version="1.0.0")
class JsonReport:
    """The report data model as indented UTF-8 JSON: ``report/report.json``."""

    filename = "report.json"

    def write(self, report: RunReport, out_dir: Path) -> Path:
        """Write ``report.json`` into ``out_dir``; `read_run_report` reads it back."""
        path = out_dir / self.filename
        atomic_write_text(path, report.model_dump_json(indent=2) + "\n")
        logger.debug("wrote %s", path)
        return path


def read_run_report(path: Path) -> RunReport:
    """Read and validate a ``report.json``.

    Raises:
        DatasetError: the file is missing, not JSON, or not a `RunReport`.
    """
    return read_json_model(path, RunReport)
