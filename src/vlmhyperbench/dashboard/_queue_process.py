"""The queue's ``vlmhb run`` processes: started in a process group of their own, output to the
item's ``run.log``; stopped with SIGTERM to the group, then SIGKILL after a grace period."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from ..config.loader import BASE_DIR_ENV
from ..core import ProcessRef

__all__ = ["start_run", "stop_group"]


def start_run(
    command: Sequence[str], config: Path, runs_dir: Path, config_dir: Path, log_path: Path
) -> subprocess.Popen[bytes]:
    """Start ``vlmhb run CONFIG --output-dir RUNS_DIR`` in ``config_dir``, the config's relative
    paths starting there (``$VLMHB_CONFIG_BASE_DIR``), printing to ``log_path``."""
    argv = [*command, "run", str(config), "--output-dir", str(runs_dir)]
    with log_path.open("ab") as log:
        log.write(f"$ vlmhb run {config.name} --output-dir {runs_dir}\n".encode())
        log.flush()
        return subprocess.Popen(
            argv,
            cwd=config_dir,
            env={**os.environ, BASE_DIR_ENV: str(config_dir)},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: cancel stops it and its stages
        )


def stop_group(child: subprocess.Popen[bytes] | None, ref: ProcessRef | None, grace_s: float) -> None:
    """Stop the process group of ``child`` (this dashboard's) or of ``ref`` (an earlier one's):
    SIGTERM, then SIGKILL to whatever is left after ``grace_s`` (stage processes)."""
    if child is None and (ref is None or ref.is_gone()):
        return
    pgid = child.pid if child is not None else ref.pid  # type: ignore[union-attr]
    _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if (child.poll() is not None) if child is not None else ref.is_gone():  # type: ignore[union-attr]
            break
        time.sleep(0.05)
    _signal_group(pgid, signal.SIGKILL)  # whatever of the group is left (stage processes)
    if child is not None:
        child.wait(timeout=5)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass
