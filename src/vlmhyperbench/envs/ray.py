"""``ray`` executor: every stage is a Ray task on a cluster (``executor: {kind: ray, address: …}``).

The driver (this ``vlmhb`` process) connects to the cluster once (`vlmhyperbench.envs._ray_cluster`),
checks that some node can hold the run's resources, and submits each stage as a task
with the run's resources — inference gets ``resources.gpus`` GPUs, ``cpus``, ``memory``
and custom resources; evaluate and report get CPUs only — and, when the run has an
image, the image as the task's container (Ray ``image_uri``). On the node the task runs
``vlmhb stage`` with the run's packages layered over the node's environment
(`vlmhyperbench.envs._ray_task`). Progress events come back through one small actor
per ``vlmhb`` process on the head (`vlmhyperbench.envs._ray_task.ProgressHub`); the
manifest records the node each stage ran on (``stages.<stage>.node``).

A node that dies mid-stage is a system failure: Ray runs the task again elsewhere, up to
``executor.max_retries`` times, and the infer stage resumes from the answers already in
the run folder. A stage that fails for its own reasons exits non-zero and is not retried.

A run folder in a bucket (``output_dir: s3://…``) travels through the bucket, not the
driver's disk: the driver pushes its mirror (spec, manifest) before each stage and hands
the task the run folder's URL; the node pulls it into its own mirror, streams answer
segments while the stage runs and pushes at the end; the driver pulls the result back
before it reads the manifest (`_bucket_sync`; the node side in `_ray_task.node_run_folder`).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import anyio

from ..core import EnvironmentFailure, SourceLocation
from ..core.events import Event
from ..storage import is_s3_url
from ._base import Executor, StageExit, StageRequest, executors, forwarded_env
from ._ray_cluster import connect, progress_hub, ray_module, require_fit
from ._ray_task import NodeOutcome, NodeStage, run_on_node

__all__ = ["RayExecutor"]

logger = logging.getLogger(__name__)

WHERE = SourceLocation(key="--output-dir / output_dir")
"""How the user named a run folder in a bucket, for sync errors."""
GIB = 1024**3
POLL_S = 0.5
"""How often the driver collects the stage's progress events and looks at its task."""


@executors.register(
    "ray", description="a Ray task per stage on a Ray cluster (pip install 'vlmhyperbench[ray]')"
)
class RayExecutor(Executor):
    """Each stage as a Ray task; the run folder on a path every node sees, or in a bucket."""

    kind = "ray"
    assigns_gpus = True  # Ray places stages on GPUs; the local GPU scheduler leaves these runs alone
    syncs_location = True  # a run folder in a bucket is pulled and pushed by the node (`_bucket_sync`)

    def check(self, request: StageRequest) -> None:
        super().check(request)
        connect(self.spec)
        require_fit(self.task_options(request), request.spec.run_id, request.stage)

    def image(self, stage: str) -> str | None:
        """The container the stage runs in: the inference image, or the evaluation image."""
        return self.spec.image if stage == "infer" else (self.spec.eval_image or self.spec.image)

    def task_options(self, request: StageRequest) -> dict[str, Any]:
        """Ray task options: resources of the stage, retries, and the container when there is one."""
        res = request.spec.resources
        options: dict[str, Any] = {
            "num_cpus": res.cpus,
            "num_gpus": res.gpus if request.gpu_stage else 0,
            "max_retries": self.spec.max_retries,
            "retry_exceptions": False,  # a stage that fails by itself is not retried
        }
        if request.gpu_stage:
            if res.memory_gb is not None:
                options["memory"] = int(res.memory_gb * GIB)
            if res.custom:
                options["resources"] = dict(res.custom)
        image = self.image(request.stage)
        if image is not None:
            options["runtime_env"] = {"image_uri": image}
        return options

    def job(self, request: StageRequest) -> NodeStage:
        """What the node needs to run the stage."""
        spec = request.spec.environment
        ex = spec.executor
        url = request.spec.dataset.url
        return NodeStage(
            run_dir=request.location or str(request.run_dir.root.resolve()),
            dataset=url if url is not None and is_s3_url(url) else str(request.dataset.resolve()),
            stage=request.stage,
            requirements=[item.args() for item in spec.items(request.stage)],
            image=self.image(request.stage),
            install_args=list(ex.install_args),
            wheels=str(ex.wheels) if ex.wheels is not None else None,
            env=forwarded_env(ex, request.spec) if request.gpu_stage else dict(ex.env),
            gpu_stage=request.gpu_stage,
        )

    async def run_stage(self, request: StageRequest) -> StageExit:
        ray = ray_module()
        hub = progress_hub()
        key = f"{request.run_dir.root}:{request.stage}:{uuid.uuid4().hex}"
        task = _remote_task().options(**self.task_options(request))
        async with _bucket_sync(request):
            ref = task.remote(self.job(request), hub, key)
            try:
                await _relay(ray, hub, key, ref, request)
                outcome = await self._outcome(ref)
            except BaseException:
                ray.cancel(ref)  # the task stops its stage (SIGTERM: the answers so far are kept)
                raise
        if outcome.node_id:
            self._record_node(request, outcome.node_id)
        return StageExit(outcome.returncode, outcome.reason)

    async def _outcome(self, ref: Any) -> NodeOutcome:
        """The task's result; a task Ray gave up on becomes a failed stage with Ray's reason."""
        ray = ray_module()
        try:
            result: NodeOutcome = await ref
            return result
        except ray.exceptions.RayError as exc:
            lines = [line.strip() for line in str(exc).splitlines() if line.strip()] or [type(exc).__name__]
            if isinstance(exc, ray.exceptions.RuntimeEnvSetupError):
                raise EnvironmentFailure(
                    f"Ray could not set up the stage's environment: {lines[0]}",
                    hint="check executor.image (Ray image_uri needs podman on the nodes)",
                ) from None
            if isinstance(exc, ray.exceptions.RayTaskError):  # raised on the node: not retried
                return NodeOutcome(1, f"the stage's Ray task failed on its node: {lines[-1]}", "", "")
            why = f"the Ray task was lost {self.spec.max_retries + 1} times (node or worker died): {lines[0]}"
            return NodeOutcome(1, why, "", "")

    @staticmethod
    def _record_node(request: StageRequest, node_id: str) -> None:
        manifest = request.run_dir.read_manifest()
        info = manifest.stages.get(request.stage)
        if info is not None:
            info.node = node_id
            request.run_dir.write_manifest(manifest)


@contextlib.asynccontextmanager
async def _bucket_sync(request: StageRequest) -> AsyncIterator[None]:
    """For a run folder in a bucket: push this machine's mirror before the stage (the spec
    and the manifest the node needs), pull the node's results after it (manifest, answer
    segments, metrics), so the runner reads what the node wrote. Nothing for a shared path."""
    if request.location is None:
        yield
        return
    from ..storage import pull, push

    local, url = request.run_dir.root, request.location
    await anyio.to_thread.run_sync(lambda: push(local, url, where=WHERE))
    try:
        yield
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(lambda: pull(url, local, where=WHERE))


@functools.cache
def _remote_task() -> Any:
    """`run_on_node` as a Ray remote function (made once: Ray exports it to the cluster once)."""
    return ray_module().remote(run_on_node)


async def _relay(ray: Any, hub: Any, key: str, ref: Any, request: StageRequest) -> None:
    """Emit the stage's progress events until its task ends; progress is best effort."""
    done = False
    while not done:
        done = bool(ray.wait([ref], timeout=0)[0])
        try:
            events = await hub.take.remote(key)
        except ray.exceptions.RayError as exc:  # the answers are on disk; only the display misses them
            logger.debug("run %s: progress events not read: %s", request.spec.run_id, exc)
            events = []
        for event in events:
            request.emit(Event(**event))
        if not done:
            await anyio.sleep(POLL_S)
