"""``docker`` executor: each stage in a container, through the Docker SDK.

Inside the container the run folder is ``/vlmhb/run`` (read-write), the dataset
``/vlmhb/data`` (read-only), the wheels folder ``/vlmhb/wheels`` (read-only), the model
cache ``/vlmhb/cache`` (read-write, ``HF_HOME``) and local packages
``/vlmhb/packages/<n>`` (read-only). The container runs as the host user, gets only
the variables the run allows, GPUs for inference only, and no network for evaluation
and report. Its output streams into ``logs/<stage>.console.log``; it is removed when
the stage ends unless ``keep`` is set.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio

from ..core import EnvironmentFailure, MissingDependency
from ..core.events import Event
from ._base import (
    DATA_MOUNT,
    RUN_MOUNT,
    ContainerExecutor,
    LineRelay,
    StageExit,
    StageRequest,
    container_layout,
    executors,
    exit_reason,
    host_has_gpus,
    stage_arguments,
)

if TYPE_CHECKING:
    from docker.models.containers import Container
    from docker.models.images import Image

    import docker

__all__ = ["DockerExecutor", "PullProgress", "container_settings"]

logger = logging.getLogger(__name__)

NOT_INSTALLED = "No module named vlmhyperbench"
# A pull logs its progress (bytes of all layers) this often.
PULL_REPORT_EVERY_S = 10.0


def _client() -> docker.DockerClient:
    try:
        import docker
    except ImportError:
        raise MissingDependency(
            "the docker executor needs the Docker SDK for Python",
            hint="pip install 'vlmhyperbench[docker]'",
        ) from None
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        raise EnvironmentFailure(
            f"cannot reach the Docker engine: {exc}",
            hint="start it (systemctl start docker, or dockerd) and check that this user may use it "
            "(DOCKER_HOST, the docker group)",
        ) from None
    return client


def _image(
    client: docker.DockerClient, name: str, pull: str, report: Callable[[str], None] | None = None
) -> Image:
    """The image ``name`` under the pull policy; ``report`` hears a pull's progress lines."""
    import docker

    if pull != "always":
        try:
            return client.images.get(name)
        except docker.errors.ImageNotFound:
            if pull == "never":
                raise EnvironmentFailure(
                    f"docker image '{name}' is not on this host (pull: never)",
                    hint="build it (scripts/build_images.sh) or load it (docker load), or allow pulling",
                ) from None
        except docker.errors.APIError as exc:
            raise EnvironmentFailure(
                f"cannot inspect docker image '{name}': {exc.explanation or exc}"
            ) from None
    try:
        return _pull(client, name, report or (lambda line: None))
    except docker.errors.DockerException as exc:
        raise EnvironmentFailure(
            f"docker image '{name}' is not on this host and could not be pulled: {exc}",
            hint="check the image name (docker images lists local ones), the registry login, or build it "
            "with scripts/build_images.sh",
        ) from None


class PullProgress:
    """Folds the engine's pull messages (one JSON object per layer event) into a byte count.

    ``feed`` returns a line worth logging — at most every ``every_s`` seconds — or ``None``;
    an ``error`` message raises, since the engine reports a failed pull in the stream.
    """

    def __init__(self, name: str, every_s: float = PULL_REPORT_EVERY_S) -> None:
        self.name = name
        self.every_s = every_s
        self.started = time.monotonic()
        self._last = self.started
        self._layers: dict[str, tuple[int, int]] = {}  # layer id -> (downloaded, total) bytes

    def feed(self, message: dict[str, Any]) -> str | None:
        if message.get("error"):
            raise EnvironmentFailure(f"pulling docker image '{self.name}' failed: {message['error']}")
        layer, detail = message.get("id"), message.get("progressDetail") or {}
        status = str(message.get("status", ""))
        if layer and status == "Downloading" and detail.get("total"):
            self._layers[layer] = (int(detail.get("current", 0)), int(detail["total"]))
        elif layer and status in ("Download complete", "Already exists", "Pull complete"):
            _, total = self._layers.get(layer, (0, 0))
            self._layers[layer] = (total, total)
        now = time.monotonic()
        if now - self._last < self.every_s:
            return None
        self._last = now
        return self.summary()

    def summary(self) -> str:
        done = sum(current for current, _ in self._layers.values())
        total = sum(size for _, size in self._layers.values())
        elapsed = time.monotonic() - self.started
        return (
            f"pulling {self.name}: {done / 1e6:.0f} of {total / 1e6:.0f} MB "
            f"in {len(self._layers)} layers, {elapsed:.0f} s"
        )


def _pull(client: docker.DockerClient, name: str, report: Callable[[str], None]) -> Image:
    """Pull ``name`` (``repo[:tag]`` or ``repo@digest``); progress is logged and reported."""
    from docker.utils import parse_repository_tag

    def say(line: str) -> None:
        logger.info("%s", line)
        report(line)

    repository, tag = parse_repository_tag(name)
    progress = PullProgress(name)
    say(f"pulling {name}")
    for message in client.api.pull(repository, tag=tag or "latest", stream=True, decode=True):
        line = progress.feed(message)
        if line:
            say(line)
    image = client.images.get(name)
    digests = ", ".join(image.attrs.get("RepoDigests") or [image.id])
    say(f"pulled {name} in {time.monotonic() - progress.started:.1f} s: {digests}")
    return image


def _device_requests(gpus: object) -> list[Any]:
    from docker.types import DeviceRequest

    if gpus in ("none", 0) or (gpus == "auto" and not host_has_gpus()):
        return []
    if gpus in ("all", "auto"):
        return [DeviceRequest(count=-1, capabilities=[["gpu"]])]
    if isinstance(gpus, int):
        return [DeviceRequest(count=gpus, capabilities=[["gpu"]])]
    if isinstance(gpus, list):
        return [DeviceRequest(device_ids=[str(g) for g in gpus], capabilities=[["gpu"]])]
    raise EnvironmentFailure(f"executor.gpus must be auto, all, none, a count or a list of ids, not {gpus!r}")


def container_settings(request: StageRequest, executor: DockerExecutor, image: Image) -> dict[str, Any]:
    """Keyword arguments of ``containers.create`` for one stage (no engine calls)."""
    from docker.types import Mount

    ex = request.spec.environment.executor
    infer = request.gpu_stage
    facts = {
        "executor": "docker",
        "image": executor.image_for(request.stage),
        "image_id": image.id,
        "image_digests": list(image.attrs.get("RepoDigests") or []),
    }
    layout = container_layout(request, facts)
    gpus = ex.gpus if request.gpus is None else request.gpus  # the scheduler's assignment wins
    settings: dict[str, Any] = {
        "image": image.id,
        "entrypoint": [ex.python or "python3"],
        "command": stage_arguments(request.stage, RUN_MOUNT, DATA_MOUNT),
        "environment": layout.env,
        "mounts": [Mount(b.target, b.source, type="bind", read_only=b.read_only) for b in layout.binds],
        "user": ex.user or f"{os.getuid()}:{os.getgid()}",
        "working_dir": RUN_MOUNT,
        "network_mode": ex.network if infer else "none",
        "device_requests": _device_requests(gpus) if infer else [],
        "labels": {
            "org.vlmhyperbench.experiment": request.spec.experiment,
            "org.vlmhyperbench.run": request.spec.run_id,
            "org.vlmhyperbench.stage": request.stage,
        },
        "name": f"vlmhb-{request.spec.run_id[:40]}-{request.stage}-{uuid.uuid4().hex[:6]}",
        "detach": True,
    }
    if ex.memory:
        settings["mem_limit"] = ex.memory
    if ex.shm_size:
        settings["shm_size"] = ex.shm_size
    return settings


@executors.register("docker", description="a container per stage through the Docker SDK")
class DockerExecutor(ContainerExecutor):
    """Each stage in a fresh container of the run's image."""

    kind = "docker"

    def check(self, request: StageRequest) -> None:
        super().check(request)
        client = _client()
        if self.spec.pull == "never":
            _image(client, self.image_for(request.stage), "never")

    async def run_stage(self, request: StageRequest) -> StageExit:
        client = await anyio.to_thread.run_sync(_client)
        name = self.image_for(request.stage)
        spec = request.spec

        def report(line: str) -> None:
            request.emit(Event("message", spec.run_id, request.stage, text=line))

        image = await anyio.to_thread.run_sync(lambda: _image(client, name, self.spec.pull, report))
        settings = container_settings(request, self, image)
        container = await anyio.to_thread.run_sync(lambda: _create(client, settings, name))
        logger.info(
            "run %s: stage %s in container %s (%s)",
            request.spec.run_id,
            request.stage,
            container.short_id,
            name,
        )
        relay = LineRelay(request.console_log, request.emit)
        try:
            # abandoned on cancel: the container is killed below, which ends the wait
            result = await anyio.to_thread.run_sync(
                lambda: _run(container, relay, name), abandon_on_cancel=True
            )
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(lambda: _kill(container))
            raise
        finally:
            relay.close()
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(lambda: self._cleanup(container, request))
        code, oom = result
        reason = exit_reason(code, oom_killed=oom, memory=self.spec.memory)
        if code != 0 and _mentions(request, NOT_INSTALLED):
            reason = (
                f"image '{name}' does not have vlmhyperbench installed ({NOT_INSTALLED}); build the image "
                "from docker/Dockerfile.cpu or docker/Dockerfile.gpu, or install the project into it"
            )
        return StageExit(code, reason)

    def _cleanup(self, container: Container, request: StageRequest) -> None:
        if self.spec.keep:
            logger.warning(
                "kept container %s of run %s stage %s: docker logs %s; docker rm %s",
                container.name,
                request.spec.run_id,
                request.stage,
                container.name,
                container.name,
            )
            return
        try:
            container.remove(force=True)
        except Exception as exc:  # noqa: BLE001 - cleanup must not hide the stage's outcome
            logger.warning("could not remove container %s: %s", container.name, exc)


def _create(client: docker.DockerClient, settings: dict[str, Any], name: str) -> Container:
    import docker

    try:
        return client.containers.create(**settings)
    except docker.errors.APIError as exc:
        raise EnvironmentFailure(
            f"cannot create a container of image '{name}': {exc.explanation or exc}"
        ) from None


def _run(container: Container, relay: LineRelay, image: str) -> tuple[int, bool]:
    """Start the container, stream its output, wait; (exit code, killed for memory)."""
    import docker

    try:
        container.start()
    except docker.errors.APIError as exc:
        text = str(exc.explanation or exc)
        hint = None
        if "executable file not found" in text or "no such file or directory" in text:
            hint = (
                "the image has no Python at the executor's `python` command (python3 by default); "
                "use an image built from docker/Dockerfile.cpu, or set executor.python"
            )
        raise EnvironmentFailure(
            f"cannot start the container of image '{image}': {text}", hint=hint
        ) from None
    # the log is pumped in a thread of its own; event sinks must accept calls from any thread
    reader = threading.Thread(target=_pump, args=(container, relay), daemon=True)
    reader.start()
    status = container.wait()
    reader.join(timeout=30)
    container.reload()
    state = container.attrs.get("State", {})
    return int(status.get("StatusCode", state.get("ExitCode", 1))), bool(state.get("OOMKilled"))


def _pump(container: Container, relay: LineRelay) -> None:
    for chunk in container.logs(stream=True, follow=True):
        relay.feed(chunk.decode("utf-8", errors="replace"))


def _kill(container: Container) -> None:
    try:
        container.kill()
    except Exception as exc:  # noqa: BLE001 - it may have stopped already
        logger.debug("kill %s: %s", container.name, exc)


def _mentions(request: StageRequest, text: str) -> bool:
    try:
        return text in request.console_log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
