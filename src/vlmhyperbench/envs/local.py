"""``local`` and ``venv`` executors: the stage as a subprocess on this machine.

``local`` runs it with this interpreter and this environment (crash isolation only:
a segfault in a model library fails the run, not the experiment). ``venv`` runs it with
the interpreter of a virtual environment built by uv from the run's requirements and
cached by their resolved hash (see `vlmhyperbench.envs.venv`); only an allow-list of
variables crosses into it.
"""

from __future__ import annotations

import codecs
import json
import os
import signal
import sys
from subprocess import PIPE, STDOUT
from typing import Any

import anyio
from anyio.abc import Process

from ._base import (
    Executor,
    LineRelay,
    StageExit,
    StageRequest,
    executors,
    exit_reason,
    forwarded_env,
    scheduled_gpu_env,
    stage_arguments,
)
from ._protocol import BASE_VARIABLES, ENV_FACTS, ENV_INSTALL, ENV_PARENT_PID, ENV_PATH_MAP, ENV_WHEELS

__all__ = ["LocalExecutor", "VenvExecutor", "run_process"]

TERMINATE_GRACE_S = 10.0


async def _stop(process: Process) -> None:
    """SIGTERM the stage's process group (it saves and exits), SIGKILL after a grace period."""
    for sig, wait in ((signal.SIGTERM, TERMINATE_GRACE_S), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        with anyio.move_on_after(wait):
            await process.wait()
            return


async def run_process(argv: list[str], env: dict[str, str], request: StageRequest) -> int:
    """Run ``argv`` in its own process group, relaying its output; stop it when cancelled."""
    relay = LineRelay(request.console_log, request.emit)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    process = await anyio.open_process(
        argv, stdout=PIPE, stderr=STDOUT, env=env, cwd=str(request.run_dir.root), start_new_session=True
    )
    try:
        assert process.stdout is not None
        async for chunk in process.stdout:
            relay.feed(decoder.decode(chunk))
        return await process.wait()
    finally:
        relay.feed(decoder.decode(b"", final=True))
        relay.close()
        if process.returncode is None:
            with anyio.CancelScope(shield=True):
                await _stop(process)


@executors.register("local", description="a subprocess in this Python environment (the default)")
class LocalExecutor(Executor):
    """The stage in a subprocess of this interpreter, with this environment."""

    kind = "local"

    async def interpreter(self, request: StageRequest) -> tuple[str, dict[str, Any]]:
        """The Python to run the stage with, and the facts the stage records about it."""
        return sys.executable, {"executor": self.kind}

    def environment(self, request: StageRequest) -> dict[str, str]:
        """Variables of the stage process (``local``: this process's, whole)."""
        return {**os.environ, **forwarded_env(self.spec, request.spec)}

    async def run_stage(self, request: StageRequest) -> StageExit:
        python, facts = await self.interpreter(request)
        dataset = str(request.dataset.resolve())
        argv = [python, *stage_arguments(request.stage, str(request.run_dir.root.resolve()), dataset)]
        env = self.environment(request)
        env.update(scheduled_gpu_env(request))
        env[ENV_FACTS] = json.dumps(facts)
        env[ENV_PARENT_PID] = str(os.getpid())  # the stage stops when this process is gone
        returncode = await run_process(argv, env, request)
        return StageExit(returncode, exit_reason(returncode))


@executors.register("venv", description="a cached virtual environment per set of requirements, built with uv")
class VenvExecutor(LocalExecutor):
    """The stage in a virtual environment holding vlmhyperbench and the run's packages."""

    kind = "venv"

    async def interpreter(self, request: StageRequest) -> tuple[str, dict[str, Any]]:
        from .venv import ensure_venv

        built = await anyio.to_thread.run_sync(lambda: ensure_venv(request, self.spec))
        return str(built.python), {"executor": self.kind, "venv": str(built.root), "env_hash": built.env_hash}

    def environment(self, request: StageRequest) -> dict[str, str]:
        env = {k: os.environ[k] for k in BASE_VARIABLES if k in os.environ}
        env.update(forwarded_env(self.spec, request.spec))
        env[ENV_INSTALL] = "1"
        env[ENV_PATH_MAP] = "{}"
        if self.spec.wheels is not None:
            env[ENV_WHEELS] = str(self.spec.wheels)
        return env
