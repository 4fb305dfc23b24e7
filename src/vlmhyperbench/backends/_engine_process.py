"""Serving engines as child processes: `EngineProcess`.

`EngineProcess` launches a server command in its own process group, sends its output to a
log file, waits for ``GET /health`` to answer 200 and stops the whole group again (SIGTERM,
then SIGKILL). A process that exits during startup fails at once with its exit code and
log tail; a cancelled start (Ctrl-C) still stops it; ``atexit`` is the last resort.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import re
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import httpx

from ..core import UserError, log_tail

__all__ = ["EngineProcess", "exit_text", "free_port", "group_running", "log_tail", "redact"]

logger = logging.getLogger(__name__)

_SECRET_FLAG = re.compile(r"^--?[\w-]*(key|token|secret|password)$", re.IGNORECASE)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` now (bound to port 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def redact(command: Sequence[str]) -> list[str]:
    """``command`` with the values of secret-looking flags (``--api-key``...) replaced by ``***``."""
    out: list[str] = []
    hide_next = False
    for arg in command:
        flag, eq, _ = arg.partition("=")
        secret = _SECRET_FLAG.match(flag) is not None
        out.append(
            "***" if hide_next and not arg.startswith("-") else f"{flag}=***" if secret and eq else arg
        )
        hide_next = secret and not eq
    return out


@dataclass(eq=False)
class EngineProcess:
    """A server command run as a child process group until `stop` (or interpreter exit).

    Attributes:
        command: The program and its arguments.
        log_file: Where the child's stdout and stderr go (appended).
        health_url: Polled during startup until it answers 200.
        name: Shown in messages, e.g. ``vLLM``.
        startup_timeout_s: How long startup may take before the process is stopped.
        stop_timeout_s: How long `stop` waits after SIGTERM before SIGKILL.
        cwd: Working folder of the child; None: the current one.
        env: Variables added to this process's environment for the child.
        poll_interval_s: Pause between health checks.
    """

    command: list[str]
    log_file: Path
    health_url: str
    name: str = "engine"
    startup_timeout_s: float = 900.0
    stop_timeout_s: float = 15.0
    cwd: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    poll_interval_s: float = 0.25
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _stopped: bool = field(default=False, init=False, repr=False)

    @property
    def pid(self) -> int | None:
        """The child's process id (also its process group id); None before `start`."""
        return self._proc.pid if self._proc is not None else None

    async def start(self) -> None:
        """Launch the command and wait until it is healthy; stop it on any failure."""
        self._spawn()
        try:
            await self._wait_healthy()
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self.stop()
            raise

    def _spawn(self) -> None:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        # Python engines buffer stdout in blocks when it is a file; the log should be live.
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.env}
        with self.log_file.open("a", encoding="utf-8", buffering=1) as log:
            log.write(f"$ {shlex.join(redact(self.command))}\n")
            try:
                self._proc = subprocess.Popen(
                    self.command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=self.cwd,
                    env=env,
                    start_new_session=True,
                )
            except OSError as exc:
                raise UserError(
                    f"cannot start {self.name}: {exc}", hint="check that the command's program is installed"
                ) from None
        atexit.register(self._terminate)
        logger.info("started %s (pid %d), log: %s", self.name, self._proc.pid, self.log_file)

    async def _wait_healthy(self) -> None:
        assert self._proc is not None
        deadline = anyio.current_time() + self.startup_timeout_s
        async with httpx.AsyncClient(timeout=2.0, trust_env=False) as client:
            while (code := self._proc.poll()) is None:
                try:
                    if (await client.get(self.health_url)).status_code == 200:
                        return
                except httpx.HTTPError as exc:
                    logger.debug("%s not ready: %s", self.health_url, exc)
                if anyio.current_time() >= deadline:
                    raise self._failure(
                        f"did not become healthy within {self.startup_timeout_s:g} s "
                        f"(GET {self.health_url}) and was stopped",
                        "raise startup_timeout_s (a first run downloads the weights), or look for a hang",
                    )
                await anyio.sleep(self.poll_interval_s)
        raise self._failure(f"exited with {exit_text(code)} during startup", "the log says why")

    def _failure(self, what: str, hint: str) -> UserError:
        tail = log_tail(self.log_file)
        return UserError(f"{self.name} {what}; last lines of {self.log_file}:\n{tail}", hint=hint)

    async def stop(self) -> None:
        """SIGTERM the process group, wait ``stop_timeout_s``, then SIGKILL. Idempotent."""
        if self._proc is None or self._stopped:
            return
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(self._terminate)
        atexit.unregister(self._terminate)
        logger.info("stopped %s (pid %d, %s)", self.name, self._proc.pid, exit_text(self._proc.returncode))

    def _terminate(self) -> None:
        """Blocking stop; also the ``atexit`` hook of last resort when nobody called `stop`."""
        if self._proc is None or self._stopped:
            return
        self._signal(signal.SIGTERM)
        if not self._wait_gone(self.stop_timeout_s):
            logger.warning("%s ignored SIGTERM for %g s; killing it", self.name, self.stop_timeout_s)
            self._signal(signal.SIGKILL)
            self._wait_gone(2.0)
        self._stopped = True

    def _signal(self, sig: signal.Signals) -> None:
        assert self._proc is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, sig)  # start_new_session: the group id is the child's pid

    def _wait_gone(self, timeout: float) -> bool:
        """Wait until the child has exited and nothing is left running in its process group."""
        assert self._proc is not None
        deadline = time.monotonic() + timeout
        while self._proc.poll() is None or group_running(self._proc.pid):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True


def group_running(pgid: int) -> bool:
    """Whether a process of group ``pgid`` runs; zombies do not count where ``/proc`` tells."""
    if not Path("/proc/self/stat").exists():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return True
    # Orphans that exit become zombies until PID 1 reaps them, which a container's PID 1
    # may never do; they hold no resources, so they do not count.
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _ppid, pgrp = stat.read_text().rpartition(")")[2].split()[:3]
        except (OSError, ValueError):
            continue
        if pgrp == str(pgid) and state != "Z":
            return True
    return False


def exit_text(code: int | None) -> str:
    return f"signal {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit code {code}"
