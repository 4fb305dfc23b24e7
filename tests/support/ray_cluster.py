"""A real two-node Ray cluster on this machine, for the ``ray`` executor's tests.

The head (``--num-cpus 2 --num-gpus 0``) and a worker node with two fake GPUs and a
custom resource ``worker`` are each started with ``ray start --block`` in a session of
their own, on free ports and their own temporary folders. Every process of a node —
raylet, workers, the stages they run — stays in that session, so `kill_worker` ends
the worker node like a machine that dies, and `stop` ends exactly this cluster's
processes (``ray stop`` would end every Ray on the machine, other people's too).

Starting it needs ray (``pip install 'vlmhyperbench[ray]'``); where it cannot start the
tests skip, except under CI, where they fail.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

from tests.conftest import ON_CI

__all__ = ["LoopbackRayCluster", "ray_cluster"]

STARTED = "Ray runtime started"
NODE_ENV = {
    # a dead node is declared dead after ~3 s instead of ~30 s, so the retry test stays short
    "RAY_health_check_initial_delay_ms": "1000",
    "RAY_health_check_period_ms": "1000",
    "RAY_health_check_timeout_ms": "1000",
    "RAY_health_check_failure_threshold": "3",
    # Ray's own clean-up of a dead worker's children off: the stage must stop by itself
    # (the parent-death signal of the ray executor), as on Ray versions or settings without it
    "RAY_kill_child_processes_on_worker_exit": "0",
    "RAY_kill_child_processes_on_worker_exit_with_raylet_subreaper": "0",
    "RAY_process_group_cleanup_enabled": "0",
}


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@dataclass
class _Node:
    process: subprocess.Popen[bytes]
    log: Path

    def processes(self) -> list[psutil.Process]:
        """Every process of this node: those in the session ``ray start`` opened."""
        found = []
        for proc in psutil.process_iter():
            with contextlib.suppress(psutil.Error, ProcessLookupError, PermissionError):
                if os.getsid(proc.pid) == self.process.pid:
                    found.append(proc)
        return found

    def kill(self) -> None:
        """SIGKILL the whole node at once, like a machine that loses power."""
        for proc in self.processes():
            with contextlib.suppress(psutil.Error):
                proc.send_signal(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


@dataclass
class LoopbackRayCluster:
    """A head and a worker node on 127.0.0.1."""

    address: str
    root: Path
    head: _Node
    worker: _Node
    extra: list[_Node] = field(default_factory=list)

    def kill_worker(self) -> None:
        """End the worker node and everything it runs (its stages too)."""
        self.worker.kill()

    def stop(self) -> None:
        """End every process of this cluster (and only those)."""
        for node in (*self.extra, self.worker, self.head):
            node.kill()


def _ray_start(args: list[str], log: Path, env: dict[str, str], timeout: float = 90) -> _Node:
    ray = str(Path(sys.executable).parent / "ray")
    out = log.open("wb")
    process = subprocess.Popen(
        [ray, "start", "--block", "--disable-usage-stats", *args],
        stdout=out,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    node = _Node(process, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if STARTED in log.read_text(errors="replace"):
            return node
        if process.poll() is not None:
            break
        time.sleep(0.2)
    node.kill()
    raise RuntimeError(f"ray start did not come up: {log.read_text(errors='replace')[-2000:]}")


def _node_ports() -> list[str]:
    """Explicit free ports for everything a node listens on (two nodes share one machine)."""
    names = [
        "--node-manager-port",
        "--object-manager-port",
        "--metrics-export-port",
        "--dashboard-agent-listen-port",
        "--dashboard-agent-grpc-port",
        "--runtime-env-agent-port",
    ]
    return [f"{name}={port}" for name, port in zip(names, _free_ports(len(names)), strict=True)]


def start_cluster(
    root: Path, *, head_env: dict[str, str] | None = None, worker_env: dict[str, str] | None = None
) -> LoopbackRayCluster:
    """Start the head and the worker node; raise with the log when either does not come up.

    ``head_env``/``worker_env`` add variables to one node's environment (its Ray workers
    and their stages inherit them), e.g. a cache folder of its own, as a machine has.
    """
    root.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **NODE_ENV}
    env.pop("RAY_ADDRESS", None)
    port, client_port = _free_ports(2)
    small = ["--node-ip-address=127.0.0.1", "--object-store-memory=100000000"]
    head = _ray_start(
        [
            "--head",
            f"--port={port}",
            f"--ray-client-server-port={client_port}",
            "--num-cpus=2",
            "--num-gpus=0",
            "--include-dashboard=false",
            f"--temp-dir={root / 'head'}",
            *small,
            *_node_ports(),
        ],
        root / "head.log",
        {**env, **(head_env or {})},
    )
    address = f"127.0.0.1:{port}"
    try:
        worker = _ray_start(
            [
                f"--address={address}",
                "--num-cpus=2",
                "--num-gpus=2",
                '--resources={"worker": 1}',
                f"--temp-dir={root / 'worker'}",
                *small,
                *_node_ports(),
            ],
            root / "worker.log",
            {**env, **(worker_env or {})},
        )
    except BaseException:
        head.kill()
        raise
    return LoopbackRayCluster(address, root, head, worker)


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[LoopbackRayCluster]:
    """The session's loopback Ray cluster (skips without ray, fails on CI)."""
    try:
        import ray  # noqa: F401
    except ImportError:
        if ON_CI:
            pytest.fail("ray is not installed: pip install 'vlmhyperbench[ray]'")
        pytest.skip("ray is not installed: pip install 'vlmhyperbench[ray]'")
    # a short path: Ray's socket names must stay under the 107-byte limit of AF_UNIX
    root = Path(f"/tmp/vlmhb-ray-{os.getpid()}")
    try:
        cluster = start_cluster(root)
    except RuntimeError as exc:
        if ON_CI:
            pytest.fail(f"the loopback Ray cluster did not start: {exc}")
        pytest.skip(f"the loopback Ray cluster did not start: {exc}")
    try:
        yield cluster
    finally:
        cluster.stop()
        import shutil

        shutil.rmtree(root, ignore_errors=True)
