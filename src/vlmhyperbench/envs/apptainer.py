"""``apptainer`` executor: each stage in an Apptainer (Singularity) container, for HPC clusters.

The same contract as the docker executor, through the ``apptainer`` (or ``singularity``)
command: ``exec --containall`` (clean environment, own /tmp and PID namespace), binds
for the run folder, dataset, wheels, model cache and local packages, ``--nv`` for GPUs
at inference, ``--net --network none`` for evaluation and report. Variables are passed as
``APPTAINERENV_<NAME>`` in the command's own environment, never on its command line, so
secrets do not show in ``ps``. Images are read-only, so packages installed at start go
to a folder under the container's /tmp (see `vlmhyperbench.envs.inject`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

import anyio

from .._paths import cache_dir
from ..core import EnvironmentFailure
from ._base import (
    DATA_MOUNT,
    RUN_MOUNT,
    ContainerExecutor,
    StageExit,
    StageRequest,
    container_layout,
    executors,
    exit_reason,
    host_has_gpus,
    stage_arguments,
)
from ._protocol import BASE_VARIABLES
from .local import run_process

__all__ = ["ApptainerExecutor", "apptainer_command"]


def find_binary(configured: str | None) -> str | None:
    """``apptainer``, else ``singularity``, on PATH (or the configured one)."""
    for name in [configured] if configured else ["apptainer", "singularity"]:
        found = shutil.which(name) if name else None
        if found:
            return found
    return None


def image_id(image: str) -> str | None:
    """sha256 of a local image file (cached beside it by size and mtime); None for URIs."""
    path = Path(image)
    if not path.is_file():
        return None
    stat = path.stat()
    cache = cache_dir("sif")
    key = hashlib.sha256(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:24]
    memo = cache / key
    if memo.exists():
        return memo.read_text().strip()
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    value = f"sha256:{digest.hexdigest()}"
    cache.mkdir(parents=True, exist_ok=True)
    memo.write_text(value)
    return value


def apptainer_command(request: StageRequest, binary: str, image: str) -> tuple[list[str], dict[str, str]]:
    """The command line and the ``APPTAINERENV_*`` variables of one stage (no process started)."""
    ex = request.spec.environment.executor
    infer = request.gpu_stage
    layout = container_layout(request, {"executor": "apptainer", "image": image, "image_id": image_id(image)})
    argv = [binary, "exec", "--containall", "--pwd", RUN_MOUNT]
    gpus = ex.gpus if request.gpus is None else request.gpus  # the scheduler's assignment wins
    if infer and gpus not in ("none", 0) and (gpus != "auto" or host_has_gpus()):
        argv.append("--nv")
        if isinstance(gpus, list):
            layout.env["CUDA_VISIBLE_DEVICES"] = ",".join(str(g) for g in gpus)
    if not infer:
        argv += ["--net", "--network", "none"]
    for bind in layout.binds:
        argv += ["--bind", f"{bind.source}:{bind.target}:{'ro' if bind.read_only else 'rw'}"]
    argv += [image, ex.python or "python3", *stage_arguments(request.stage, RUN_MOUNT, DATA_MOUNT)]
    return argv, {f"APPTAINERENV_{k}": v for k, v in layout.env.items()}


@executors.register("apptainer", description="an Apptainer/Singularity container per stage (HPC)")
class ApptainerExecutor(ContainerExecutor):
    """Each stage in ``apptainer exec`` of the run's image."""

    kind = "apptainer"
    image_hint = "set executor.image (a .sif file or a docker:// URI)"

    def check(self, request: StageRequest) -> None:
        super().check(request)
        if find_binary(self.spec.binary) is None:
            raise EnvironmentFailure(
                "the apptainer executor needs the apptainer or singularity command, which is not on PATH",
                hint="install Apptainer (https://apptainer.org/docs/admin/main/installation.html), "
                "or load its module on the cluster (module load apptainer)",
            )
        image = self.image_for(request.stage)
        if "://" not in image and not Path(image).is_file():
            raise EnvironmentFailure(
                f"apptainer image {image} does not exist",
                hint="build it (apptainer build vlmhb.sif docker-daemon://vlmhyperbench:cpu) or fix the path",
            )

    async def run_stage(self, request: StageRequest) -> StageExit:
        binary = find_binary(self.spec.binary)
        assert binary is not None, "check() ran first"
        image = self.image_for(request.stage)
        argv, variables = await anyio.to_thread.run_sync(lambda: apptainer_command(request, binary, image))
        env: dict[str, Any] = {k: os.environ[k] for k in BASE_VARIABLES if k in os.environ}
        env.update(variables)
        returncode = await run_process(argv, env, request)
        return StageExit(returncode, exit_reason(returncode))
