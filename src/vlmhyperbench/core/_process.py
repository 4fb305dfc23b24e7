"""Which process owns a run folder, and whether it is still alive.

A manifest records its owner (the ``vlmhb`` process that planned and drives the run).
When that process is killed outright (``kill -9``, a lost terminal, an OOM kill), it
cannot record anything; whoever reads the manifest next sees ``running`` from a process
that is gone, and reads it as ``interrupted`` instead (`vlmhyperbench.core.RunDir`).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from pydantic import BaseModel, ConfigDict

__all__ = ["ProcessRef", "process_ref", "this_process"]


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux), to tell a reused pid apart;
    -1 for a process that has ended but is not reaped yet (a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after its last ')'
    fields = stat.rsplit(")", 1)[-1].split()
    if fields and fields[0] in ("Z", "X"):  # a zombie has ended; only its parent has not noticed
        return -1
    try:
        return int(fields[19])  # field 22 of proc(5), counted from field 3
    except (IndexError, ValueError):
        return None


class ProcessRef(BaseModel):
    """A process on a host: enough to tell later whether it still runs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pid: int
    host: str
    start_ticks: int | None = None
    """Start time since boot in clock ticks (Linux ``/proc``); tells a reused pid apart."""

    def is_gone(self) -> bool:
        """True only when this process has certainly ended.

        A process of another host (or another container, whose host name differs) cannot
        be checked from here and counts as alive.
        """
        if self.host != socket.gethostname():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # exists, owned by another user
            return False
        if self.start_ticks is not None:
            ticks = _start_ticks(self.pid)
            return ticks is not None and ticks != self.start_ticks
        return False


def this_process() -> ProcessRef:
    """The calling process."""
    return process_ref(os.getpid())


def process_ref(pid: int) -> ProcessRef:
    """The process ``pid`` of this host (a child just started, for instance)."""
    return ProcessRef(pid=pid, host=socket.gethostname(), start_ticks=_start_ticks(pid))
