"""A stage dies with the ``vlmhb`` process that started it.

Stages run in their own process group (so a Ctrl-C reaches ``vlmhb`` first, which
then stops them cleanly), which also means a ``kill -9`` of ``vlmhb`` would not reach
them: they would go on asking the model and appending answers for nobody. So the stage
watches its parent, in a daemon thread, and stops itself like on SIGTERM (answers
kept, the stage recorded as interrupted) when the parent is gone:

- ``VLMHB_PARENT_PID`` (``local``, ``venv``): the stage's parent process is no longer
  that pid (it was re-parented: the parent died). Noticed within `POLL_S`.
- ``VLMHB_HEARTBEAT_S`` (containers, whose parent is the engine, not ``vlmhb``): the
  run folder's ``.heartbeat``, touched every second by ``vlmhb`` (`Heartbeat`), has
  not changed for that many seconds.

After the parent is gone, stdout leads nowhere: it is pointed at ``/dev/null`` first,
so that writing the next progress event does not fail with a broken pipe.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from pathlib import Path
from types import TracebackType

from typing_extensions import Self

from ..core import RunDir
from ._protocol import ENV_HEARTBEAT, ENV_PARENT_PID

__all__ = ["POLL_S", "Heartbeat", "orphaned", "watch_parent"]

logger = logging.getLogger(__name__)

POLL_S = 0.2
"""How often the stage looks at its parent."""
BEAT_S = 1.0
"""How often ``vlmhb`` touches the heartbeat file."""
GRACE_S = 30.0
"""How long a stopping stage may take to save and exit before it is ended outright."""


class Heartbeat:
    """Touch ``path`` every `BEAT_S` seconds from a daemon thread while the block runs.

    A thread rather than a task: it keeps beating while the event loop is busy, and it
    stops with the process however the process ends.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="vlmhb-heartbeat", daemon=True)

    def _touch(self) -> None:
        try:
            self.path.touch()
        except OSError as exc:  # a full disk must not stop the run; the stage judges staleness
            logger.debug("cannot touch %s: %s", self.path, exc)

    def _beat(self) -> None:
        while not self._stop.wait(BEAT_S):
            self._touch()

    def __enter__(self) -> Self:
        self._touch()
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=BEAT_S * 2)


_stopping = threading.Event()


def orphaned() -> None:
    """Stop this stage because its parent is gone (callable from any thread, once).

    Points stdout/stderr at ``/dev/null``, then sends this process SIGTERM, which the CLI
    turns into a clean interruption (answers kept, the stage recorded as interrupted);
    ends the process outright if that takes longer than `GRACE_S`.
    """
    if _stopping.is_set():
        return
    _stopping.set()
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    logger.warning("the vlmhb process that started this stage is gone: stopping (answers so far are kept)")
    # 143 = 128 + SIGTERM, as if the signal had killed it
    threading.Timer(GRACE_S, os._exit, args=(143,)).start()
    os.kill(os.getpid(), signal.SIGTERM)


def _parent_gone(parent: int | None, beat: Path | None, timeout: float, last: list[float]) -> bool:
    if parent is not None and os.getppid() != parent:
        return True
    if beat is not None:
        try:
            mtime = beat.stat().st_mtime
        except OSError:
            mtime = None
        now = time.monotonic()
        if mtime != last[0]:
            last[0], last[1] = mtime or 0.0, now
        elif now - last[1] > timeout:
            return True
    return False


def watch_parent(run_dir: RunDir) -> bool:
    """Start watching the parent as the environment says (no-op when it says nothing).

    Returns:
        Whether a watcher was started.
    """
    parent = int(os.environ[ENV_PARENT_PID]) if os.environ.get(ENV_PARENT_PID, "").isdigit() else None
    timeout = float(os.environ.get(ENV_HEARTBEAT) or 0)
    beat = run_dir.heartbeat if timeout > 0 else None
    if parent is None and beat is None:
        return False
    last = [-1.0, time.monotonic()]

    def watch() -> None:
        while not _parent_gone(parent, beat, timeout, last):
            time.sleep(POLL_S)
        orphaned()

    threading.Thread(target=watch, name="vlmhb-lifeline", daemon=True).start()
    return True
