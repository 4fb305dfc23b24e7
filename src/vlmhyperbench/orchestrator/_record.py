"""A stage's entry in the manifest and its log file, kept while the stage runs.

Runs may execute side by side in one process (``--executor inline --jobs 2``); each
stage's log file must get only its own run's lines. The package logger is shared, so
each stage's file handler keeps only records logged from that stage's task: the stage
sets a context variable, which anyio carries into the tasks and worker threads it
starts.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio

from ..core import Manifest, RunDir, StageInfo, UserError, log_tail
from ..core.contracts import RunStatus
from ..core.events import Event, EventSink

if sys.version_info >= (3, 11):
    from builtins import BaseExceptionGroup
else:  # pragma: no cover (anyio brings the backport on 3.10)
    from exceptiongroup import BaseExceptionGroup  # type: ignore[import-not-found, unused-ignore]

__all__ = ["record_stage_failure", "stage_record"]

_current_stage: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "vlmhb_stage", default=None
)
"""(run folder, stage) of the stage the current task works for."""

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

logger = logging.getLogger(__name__)


class _OnlyThisStage(logging.Filter):
    def __init__(self, key: tuple[str, str]) -> None:
        super().__init__()
        self.key = key

    def filter(self, record: logging.LogRecord) -> bool:
        return _current_stage.get() == self.key


def _outcome(exc: BaseException) -> tuple[RunStatus, str]:
    """(status, error) of a stage that raised ``exc``.

    An interruption that reached the stage inside a task group arrives wrapped in a
    `BaseExceptionGroup` (which task it hit is a matter of timing): a group of nothing but
    interruptions is an interruption, and a group of one exception is that exception.
    """
    if isinstance(exc, BaseExceptionGroup):
        _, rest = exc.split((KeyboardInterrupt, anyio.get_cancelled_exc_class()))
        if rest is None:
            return "interrupted", "interrupted"
        if len(rest.exceptions) == 1:
            return _outcome(rest.exceptions[0])
    if isinstance(exc, UserError):
        return "failed", exc.render()
    if isinstance(exc, (KeyboardInterrupt, anyio.get_cancelled_exc_class())):
        return "interrupted", "interrupted"
    return "failed", f"{type(exc).__name__}: {exc}"


@contextlib.contextmanager
def stage_record(run_dir: RunDir, manifest: Manifest, name: str, emit: EventSink) -> Iterator[StageInfo]:
    """Record the stage in the manifest (running → completed, failed or interrupted) and
    send its log lines to ``logs/<stage>.log``, only this run's."""
    info = StageInfo(status="running", started_at=time.time())
    manifest.stages[name] = info
    run_dir.write_manifest(manifest)
    run_dir.logs_dir.mkdir(parents=True, exist_ok=True)
    key = (str(run_dir.root), name)
    handler = logging.FileHandler(run_dir.log_file(name), encoding="utf-8")
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(_OnlyThisStage(key))
    package_logger = logging.getLogger("vlmhyperbench")
    package_logger.addHandler(handler)
    token = _current_stage.set(key)
    logger.info("run %s: stage %s started", manifest.run_id, name)
    emit(Event("stage_started", manifest.run_id, name))
    try:
        yield info
        info.status = "completed"
    except BaseException as exc:
        info.status, info.error = _outcome(exc)
        logger.error("stage %s %s: %s", name, info.status, info.error)
        raise
    finally:
        _current_stage.reset(token)
        info.finished_at = time.time()
        info.duration_s = info.finished_at - (info.started_at or info.finished_at)
        package_logger.removeHandler(handler)
        handler.close()
        info.log_tail = log_tail(run_dir.log_file(name)) if info.error is not None else None
        run_dir.write_manifest(manifest)
        emit(Event("stage_finished", manifest.run_id, name, text=info.status))


def record_stage_failure(run_dir: RunDir, stage: str, reason: str, log: Path) -> Manifest:
    """Record a stage that ended badly in its own environment (crash, kill, OOM, exit code).

    The stage may have recorded why itself; when it could not (killed, crashed, refused
    to start), the reason and the last line of its console log are recorded here.
    """
    manifest = run_dir.read_manifest()
    info = manifest.stages.get(stage) or StageInfo(started_at=time.time())
    interrupted = reason == "interrupted"
    if info.status not in ("failed", "interrupted") or not info.error:
        last = [line for line in log_tail(log, 5).splitlines() if line.strip()]
        info.error = f"{reason}: {last[-1].strip()}" if last and not interrupted else reason
    info.status = "interrupted" if interrupted else "failed"
    info.finished_at = info.finished_at or time.time()
    info.duration_s = info.finished_at - (info.started_at or info.finished_at)
    info.log_tail = log_tail(log) or info.log_tail
    manifest.stages[stage] = info
    return manifest
