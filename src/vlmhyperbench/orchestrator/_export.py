"""Export an experiment's completed runs to its trackers (``export:``) after their reports.

An export that fails is reported (an event, a log record, `ExportOutcome.error`) and changes
nothing in the run: the run stays completed and its folder is only read.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..core import UserError
from ..core.events import Event, EventSink
from ..export import ExportResult, ExportTarget, export_run

__all__ = ["ExportOutcome", "export_completed"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ExportOutcome:
    """One run's export to one tracker: its result, or why it failed."""

    run_id: str
    to: str
    result: ExportResult | None
    error: str | None = None


def export_completed(
    runs: Sequence[tuple[str, Path]], targets: Sequence[ExportTarget], emit: EventSink
) -> list[ExportOutcome]:
    """Export each ``(run_id, run folder)`` to each target, one at a time; never raises."""
    return [_export_one(run_id, folder, target, emit) for run_id, folder in runs for target in targets]


def _export_one(run_id: str, folder: Path, target: ExportTarget, emit: EventSink) -> ExportOutcome:
    try:
        result = export_run(folder, target)
    except UserError as exc:
        error = exc.render()
    except Exception as exc:  # a tracker's failure must not lose the run
        # not a user error: the traceback goes to the log, as for any bug
        logger.warning("run %s: export to %s failed", run_id, target.to, exc_info=True)
        error = f"{type(exc).__name__}: {exc}"
    else:
        emit(Event("message", run_id, "export", text=f"{target.to}: {result.location}"))
        return ExportOutcome(run_id, target.to, result)
    emit(Event("message", run_id, "export", text=f"export to {target.to} failed: {error}"))
    return ExportOutcome(run_id, target.to, None, error)
