"""The node side of the ``ray`` executor: what one Ray task does on whichever node runs it.

The task is plain Python in the node's own environment (which holds vlmhyperbench, like
every image of the cluster). It finds the run folder and the dataset on the node
(`node_run_folder`, `node_dataset`), runs ``python -m vlmhyperbench stage …`` there as a
child process — wrapped in ``uv run --with <requirement> …`` so the run's packages sit in
a cached overlay on top of the node's environment, or plainly inside the model's
container image — writes the child's log lines to ``logs/<stage>.console.log`` and sends
its progress events back to the driver through the driver's `ProgressHub` actor.

The child stays in the Ray worker's process group, so a node that dies takes it along;
a worker that alone dies (Ray's memory monitor) sends its child SIGTERM (Linux's parent
death signal; ``uv run`` passes it on), and the stage saves and stops. Either way Ray
retries the task on another node, where the infer stage resumes from the answers
already in the run folder.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import RunDir
from ..core.events import Event
from ._base import LineRelay, exit_reason, stage_arguments
from ._protocol import ENV_FACTS, ENV_GPUS, ENV_INSTALL, ENV_PARENT_PID, ENV_WHEELS
from .inject import find_uv

if TYPE_CHECKING:
    from ..storage import S3Url

__all__ = [
    "NodeOutcome",
    "NodeStage",
    "ProgressHub",
    "node_dataset",
    "node_run_folder",
    "run_on_node",
    "stage_command",
]

FLUSH_S = 0.5
"""How often buffered progress events go to the driver's hub."""


class ProgressHub:
    """A Ray actor holding the progress events of a driver's running stages, by stage key.

    One per ``vlmhb`` process, on the head node: tasks add their stage's events, the
    driver takes them every half second. A task retried on another node keeps adding
    under the same key.
    """

    def __init__(self) -> None:
        self._events: dict[str, list[dict[str, Any]]] = {}

    def put(self, key: str, events: list[dict[str, Any]]) -> None:
        """Add events of the stage ``key``."""
        self._events.setdefault(key, []).extend(events)

    def take(self, key: str) -> list[dict[str, Any]]:
        """The events of stage ``key`` since the last take."""
        return self._events.pop(key, [])


@dataclass(frozen=True)
class NodeStage:
    """Everything the task needs, sent by the driver with the task (in memory, never written)."""

    run_dir: str
    """Where the run folder is: a path on the shared file system, or its ``s3://`` URL."""
    dataset: str
    """The dataset folder: a path every node sees, or its ``s3://`` URL."""
    stage: str
    requirements: list[list[str]] = field(default_factory=list)
    """The stage's install items as installer arguments (``["pkg==1"]``, ``["-e", "path"]``)."""
    image: str | None = None
    """The container image the task runs in (Ray ``image_uri``); None: the node's environment."""
    install_args: list[str] = field(default_factory=list)
    wheels: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    """Variables the run passes in (``pass_env``, ``secrets``, ``env``); secrets stay in memory."""
    gpu_stage: bool = False


@dataclass(frozen=True)
class NodeOutcome:
    """How the stage ended, and where it ran."""

    returncode: int
    reason: str | None
    node_id: str
    hostname: str


# --- where the run folder and the dataset live on the node (the one place to change for S3) ---


@contextlib.contextmanager
def node_run_folder(location: str) -> Iterator[RunDir]:
    """The run folder as a local path on this node, for the duration of the stage.

    A path every node sees (NFS, Lustre, a shared disk) is used as it is. An ``s3://``
    location is pulled into this node's mirror (`storage.mirror_dir`: the answer segments
    already in the bucket, those of a node that died included, are merged, so inference
    resumes from them); a `storage.SegmentPusher` streams new answers to the bucket while
    the stage runs, and the mirror is pushed back when the stage ends — also when it
    fails or is stopped. A node that dies loses at most the segment in flight. The
    credentials are this node's own (its environment or AWS config), never sent.
    """
    from ..storage import S3Url, SegmentPusher, is_s3_url, mirror_dir, pull, push

    if not is_s3_url(location):
        yield RunDir(Path(location))
        return
    url = S3Url(location)
    mirror = mirror_dir(url)
    _forget_stale_mirror(mirror, url)
    pull(url, mirror)
    try:
        with SegmentPusher(mirror, url):
            yield RunDir(mirror)
    finally:
        push(mirror, url)


def _forget_stale_mirror(mirror: Path, url: S3Url) -> None:
    """Empty this node's mirror when it holds answers of another run at the same URL.

    Its index names answer segments the bucket no longer has (the run was started afresh,
    its old objects moved aside): merging or pushing from it would mix the two runs.
    """
    from ..storage import SEGMENTS, SyncIndex, filesystem

    merged = set(SyncIndex.read(mirror).segments)
    if not merged:
        return
    try:
        listed = filesystem().ls(url.child(SEGMENTS).path, detail=False, refresh=True)
    except FileNotFoundError:
        listed = []
    if not merged <= {str(p).rsplit("/", 1)[-1] for p in listed}:
        shutil.rmtree(mirror, ignore_errors=True)


def node_dataset(location: str) -> Path:
    """The dataset folder on this node: a shared path as it is; an ``s3://`` dataset is
    fetched once per node into ``$VLMHB_CACHE_DIR/s3/datasets`` and reused while unchanged."""
    from ..storage import fetch_dataset, is_s3_url

    return fetch_dataset(location) if is_s3_url(location) else Path(location)


# --- the stage process ---


def stage_command(job: NodeStage, run_dir: Path, dataset: Path) -> list[str]:
    """The command line of the stage on this node.

    Without an image, the run's requirements are layered over this environment with
    ``uv run --with`` (uv caches the overlay: a second run with the same set starts in
    well under a second, and nothing of the node's environment is copied).
    """
    python = sys.executable
    stage = [*stage_arguments(job.stage, str(run_dir), str(dataset))]
    if job.image is not None or not job.requirements:
        return [python, *stage]
    uv = find_uv(python)
    if uv is None:
        raise RuntimeError(f"uv is not installed on node {platform.node()} (pip install uv)")
    argv = [uv, "run", "--no-project", "--python", python]
    for args in job.requirements:
        argv += ["--with-editable", args[1]] if args[0] == "-e" else ["--with", args[0]]
    if job.wheels:
        argv += ["--find-links", job.wheels]
    argv += [*job.install_args, "--", "python", *stage]
    return argv


def _environment(job: NodeStage, gpus: list[str], node_id: str, direct: bool) -> dict[str, str]:
    env = {**os.environ, **job.env}
    env[ENV_FACTS] = json.dumps({"executor": "ray", "image": job.image, "node": node_id})
    env.pop(ENV_PARENT_PID, None)
    if direct:  # the stage's parent is this worker (not uv): it also watches for it to go
        env[ENV_PARENT_PID] = str(os.getpid())
    env["PYTHONUNBUFFERED"] = "1"
    if job.image is not None:  # in a container the stage installs its packages at start, as in docker
        env[ENV_INSTALL] = "1"
        if job.wheels:
            env[ENV_WHEELS] = job.wheels
    if not job.gpu_stage:
        env["CUDA_VISIBLE_DEVICES"] = ""
    elif gpus:  # Ray already set CUDA_VISIBLE_DEVICES; the stage records the ids in the manifest
        env[ENV_GPUS] = ",".join(gpus)
    return env


class _Batcher:
    """Collects events and sends them to the driver's hub every `FLUSH_S` seconds.

    Sends are fire-and-forget while the stage runs: a task blocked in ``ray.get`` gives
    its CPUs back to Ray, which would then start more stages on the node than their
    ``num_cpus`` allow. Earlier sends are checked without blocking (``ray.wait`` with a
    zero timeout); the events of one that failed — right after a node dies the hub can be
    unreachable for a few seconds — are sent again with the next flush (the latest
    `KEEP` of them). Only the last flush, after the stage process ended, waits for the
    hub, for a while.
    """

    KEEP = 1000
    FINAL_TRIES = 10

    def __init__(self, hub: Any, key: str) -> None:
        self._hub = hub
        self._key = key
        self._pending: list[dict[str, Any]] = []
        self._sent: list[tuple[Any, list[dict[str, Any]]]] = []
        self._last = time.monotonic()

    def __call__(self, event: Event) -> None:
        self._pending.append(asdict(event))
        if event.kind != "progress" or time.monotonic() - self._last > FLUSH_S:
            self.flush()

    def _check_sent(self, timeout: float) -> None:
        """Forget delivered sends; put the events of failed ones back in front of the pending."""
        import ray

        if not self._sent:
            return
        refs = [ref for ref, _ in self._sent]
        ready, _ = ray.wait(refs, num_returns=len(refs), timeout=timeout)
        done = set(ready)
        failed: list[dict[str, Any]] = []
        still: list[tuple[Any, list[dict[str, Any]]]] = []
        for ref, events in self._sent:
            if ref not in done:
                still.append((ref, events))
                continue
            try:
                ray.get(ref, timeout=0)
            except Exception:  # noqa: BLE001 (progress is best effort; the answers are on disk)
                failed.extend(events)
        self._sent = still
        self._pending = (failed + self._pending)[-self.KEEP :]

    def flush(self, final: bool = False) -> None:
        """Send what is pending without waiting; the final flush waits for the hub (best effort)."""
        self._last = time.monotonic()
        for attempt in range(self.FINAL_TRIES if final else 1):
            self._check_sent(timeout=0)
            if self._pending:
                self._sent.append((self._hub.put.remote(self._key, self._pending), self._pending))
                self._pending = []
            if not final:
                return
            self._check_sent(timeout=10)
            if not self._pending and not self._sent:
                return
            if attempt + 1 < self.FINAL_TRIES:
                time.sleep(1.0)


def _parent_death_signal() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has Linux send the child SIGTERM when this worker dies."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before the fork, as Ray does for its own
    pr_set_pdeathsig = 1

    def set_signal() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM)

    return set_signal


def _run_child(argv: list[str], env: dict[str, str], run_dir: RunDir, stage: str, batcher: _Batcher) -> int:
    """Run the stage, relaying its output; stop it (SIGTERM, then SIGKILL) if the task is cancelled."""
    relay = LineRelay(run_dir.logs_dir / f"{stage}.console.log", batcher)
    child = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=str(run_dir.root),
        text=True,
        preexec_fn=_parent_death_signal(),  # noqa: PLW1509 (resolved before the fork; Ray does the same)
    )
    try:
        assert child.stdout is not None
        for line in child.stdout:
            relay.lines([line.rstrip("\n")])
        return child.wait()
    finally:
        relay.close()
        batcher.flush(final=True)
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()


def run_on_node(job: NodeStage, hub: Any, key: str) -> NodeOutcome:
    """The body of the Ray task: run one stage here and say how it ended."""
    import ray

    context = ray.get_runtime_context()
    node_id = context.get_node_id()
    gpus = [str(g) for g in context.get_accelerator_ids().get("GPU", [])]
    with node_run_folder(job.run_dir) as run_dir:
        dataset = node_dataset(job.dataset)
        argv = stage_command(job, run_dir.root, dataset)
        env = _environment(job, gpus, node_id, direct=argv[0] == sys.executable)
        returncode = _run_child(argv, env, run_dir, job.stage, _Batcher(hub, key))
    return NodeOutcome(returncode, exit_reason(returncode), node_id, platform.node())
