"""The driver's connection to a Ray cluster, and the check that a run fits on one of its nodes.

One ``vlmhb`` process talks to one cluster: the first ``ray`` stage connects (bounded
in time: ``ray.init`` can wait a long while for an address where nothing answers), and
every later stage and run reuses the connection. An address that failed is not tried
again by the next run, so ten runs against a wrong address fail at once, not after ten
timeouts.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from types import ModuleType
from typing import Any
from urllib.parse import urlparse

from ..core import ConfigError, EnvironmentFailure, ExecutorSpec, MissingDependency, SourceLocation, UserError

__all__ = ["CONNECT_TIMEOUT_S", "cluster_address", "connect", "progress_hub", "ray_module", "require_fit"]

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 30.0
"""How long connecting to the cluster may take before the address counts as unreachable."""
_ADDRESS_KEY = "executor.address / --ray-address"
_RESOURCE_KEYS = {"CPU": "resources.cpus", "GPU": "resources.gpus", "memory": "resources.memory_gb"}


class _State:
    """This process's connection: the address connected to, and addresses that failed."""

    lock = threading.Lock()
    connected: str | None = None
    failed: dict[str, UserError] = {}  # noqa: RUF012 (one per process, on purpose)
    hub: Any = None


def ray_module() -> ModuleType:
    """The ``ray`` package, or the extra to install."""
    try:
        import ray
    except ImportError:
        raise MissingDependency(
            "the ray executor needs ray, which is not installed",
            location=SourceLocation(key="executor.kind"),
            hint="pip install 'vlmhyperbench[ray]'",
        ) from None
    return ray


def cluster_address(spec: ExecutorSpec) -> str:
    """``executor.address`` (or ``--ray-address``), else Ray's own ``RAY_ADDRESS``."""
    address = spec.address or os.environ.get("RAY_ADDRESS")
    if not address:
        raise ConfigError(
            "the ray executor needs the address of a Ray cluster",
            location=SourceLocation(key=_ADDRESS_KEY),
            hint="pass --ray-address HOST:6379, set executor.address in the config or RAY_ADDRESS; "
            "`ray start --head` starts a cluster (docs/cluster.md)",
        )
    return address


def _probe(address: str, timeout: float) -> None:
    """Open a TCP connection to the address's port, so an address where nothing listens fails fast."""
    if address in ("auto", "local"):
        return
    parsed = urlparse(address if "://" in address else f"gcs://{address}")
    host, port = parsed.hostname, parsed.port
    if host is None or port is None:
        raise ConfigError(
            f"'{address}' is not a Ray cluster address",
            location=SourceLocation(key=_ADDRESS_KEY),
            hint="write HOST:PORT (the head's GCS port, 6379 by default), ray://HOST:10001 or auto",
        )
    try:
        socket.create_connection((host, port), timeout=min(timeout, 10.0)).close()
    except OSError as exc:
        raise EnvironmentFailure(
            f"cannot reach the Ray cluster at {address}: {exc}",
            location=SourceLocation(key=_ADDRESS_KEY),
            hint="check the address and that the head node runs (`ray status --address ...`)",
        ) from None


def _init(ray: Any, address: str, timeout: float) -> None:
    """``ray.init`` in a thread, given up after ``timeout`` seconds."""
    errors: list[BaseException] = []

    def init() -> None:
        try:
            ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
        except Exception as exc:  # noqa: BLE001 (reported below, in the caller's thread)
            errors.append(exc)

    thread = threading.Thread(target=init, name="vlmhb-ray-init", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive() or errors:
        why = f"{type(errors[0]).__name__}: {errors[0]}" if errors else f"no answer within {timeout:.0f} s"
        raise EnvironmentFailure(
            f"cannot connect to the Ray cluster at {address}: {why}",
            location=SourceLocation(key=_ADDRESS_KEY),
            hint="check that the address is the head's GCS port and that this machine runs the "
            "same Ray and Python versions as the cluster",
        )


def connect(spec: ExecutorSpec, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Connect this process to the run's cluster, once.

    Raises:
        ConfigError: no address, or another cluster than the one already connected.
        EnvironmentFailure: nothing answers at the address within ``timeout``.
    """
    address = cluster_address(spec)
    ray = ray_module()
    with _State.lock:
        if address in _State.failed:
            raise _State.failed[address]
        connected = _State.connected
        try:
            if address != connected:
                _probe(address, timeout)
            if connected is not None or ray.is_initialized():
                if connected not in (None, address):
                    raise ConfigError(
                        f"this vlmhb process is connected to the Ray cluster at {connected}, not {address}",
                        location=SourceLocation(key=_ADDRESS_KEY),
                        hint="give every ray run of the experiment the same address",
                    )
                _State.connected = connected or address
                return
            _init(ray, address, timeout)
        except UserError as exc:
            _State.failed[address] = exc
            raise
        _State.connected = address
        logger.info("connected to the Ray cluster at %s", address)


def _need(options: dict[str, Any]) -> dict[str, float]:
    need = {"CPU": float(options.get("num_cpus", 1)), "GPU": float(options.get("num_gpus", 0))}
    if options.get("memory"):
        need["memory"] = float(options["memory"])
    need.update({k: float(v) for k, v in (options.get("resources") or {}).items()})
    return {k: v for k, v in need.items() if v > 0}


def _words(resources: dict[str, float]) -> str:
    def one(key: str, value: float) -> str:
        if key == "memory":
            return f"{value / 1024**3:.1f} GiB memory"
        return f"{value:g} {key}" if key in ("CPU", "GPU") else f"{value:g} of '{key}'"

    return ", ".join(one(k, v) for k, v in resources.items())


def require_fit(options: dict[str, Any], run_id: str, stage: str) -> None:
    """Fail the run before it starts when no live node has all it asks for.

    Raises:
        ConfigError: naming what is missing and the largest amount one node has.
    """
    ray = ray_module()
    need = _need(options)
    nodes = [node["Resources"] for node in ray.nodes() if node.get("Alive")]
    if any(all(node.get(k, 0.0) >= v for k, v in need.items()) for node in nodes):
        return
    best = {k: max((node.get(k, 0.0) for node in nodes), default=0.0) for k in need}
    short = next((k for k, v in need.items() if best[k] < v), next(iter(need)))
    raise ConfigError(
        f"run {run_id}: the {stage} stage needs {_words(need)}, and no node of the Ray cluster has "
        f"that much (the most one node has: {_words(best)})",
        location=SourceLocation(key=_RESOURCE_KEYS.get(short, f"resources.custom.{short}")),
        hint="lower the run's resources:, or add a node that has them "
        "(ray start --num-gpus N / --resources '{\"name\": N}')",
    )


def _head_node(ray: Any) -> str:
    """The head node's id (this process's node when there is no head to be seen)."""
    for node in ray.nodes():
        if node.get("Alive") and "node:__internal_head__" in node.get("Resources", {}):
            return str(node["NodeID"])
    return str(ray.get_runtime_context().get_node_id())


def progress_hub() -> Any:
    """This process's `ProgressHub` actor, started on the head node at first use.

    On the head, a worker node's death does not take the progress of other stages along;
    it needs no CPU, and it ends with this process.
    """
    ray = ray_module()
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from ._ray_task import ProgressHub

    with _State.lock:
        if _State.hub is None:
            strategy = NodeAffinitySchedulingStrategy(node_id=_head_node(ray), soft=False)
            actor = ray.remote(ProgressHub).options(num_cpus=0, scheduling_strategy=strategy)
            _State.hub = actor.remote()
        return _State.hub
