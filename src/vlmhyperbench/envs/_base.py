"""The executor interface (the design's EnvManager) and what every executor shares.

An executor runs one stage of one run — ``python -m vlmhyperbench stage <stage>
--run-dir DIR --dataset DATA --events`` — somewhere: a subprocess here, a virtual
environment, a Docker container, an Apptainer container. The stage reads only its run
folder and the dataset and writes only into the run folder, so the executor's job is
to start it with the right interpreter, mounts and environment variables, relay its
progress events and log, and say how it ended. What crosses into the stage process
(variables, event lines) is defined in `vlmhyperbench.envs._protocol`.
"""

from __future__ import annotations

import json
import logging
import os
import signal
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from ..core import ConfigError, EnvironmentFailure, ExecutorSpec, Registry, RunDir, RunSpec
from ..core.events import EventSink
from ._protocol import (
    ENV_FACTS,
    ENV_GPUS,
    ENV_HEARTBEAT,
    ENV_INSTALL,
    ENV_PATH_MAP,
    ENV_WHEELS,
    decode_event,
)

__all__ = [
    "HEARTBEAT_TIMEOUT_S",
    "ContainerExecutor",
    "ContainerLayout",
    "Executor",
    "LineRelay",
    "StageExit",
    "StageRequest",
    "executors",
    "exit_reason",
    "stage_arguments",
]

logger = logging.getLogger(__name__)

# where things are inside a container (docker, apptainer)
RUN_MOUNT = "/vlmhb/run"
DATA_MOUNT = "/vlmhb/data"
WHEELS_MOUNT = "/vlmhb/wheels"
CACHE_MOUNT = "/vlmhb/cache"
PACKAGES_MOUNT = "/vlmhb/packages"
HEARTBEAT_TIMEOUT_S = 15.0
"""A stage in a container stops when its run's heartbeat is older than this (its vlmhb is gone)."""


@dataclass
class StageRequest:
    """One stage of one run to execute."""

    run_dir: RunDir
    spec: RunSpec
    stage: str
    emit: EventSink
    gpus: list[str] | None = None
    """UUIDs of the GPUs the GPU scheduler assigned to this stage; None: not scheduled
    (no ``resources.gpus``, or not inference), ``executor.gpus`` applies."""
    location: str | None = None
    """The run folder's ``s3://`` URL when it lives in a bucket (``run_dir`` is then this
    machine's mirror of it); None: ``run_dir`` is the run folder."""

    @property
    def dataset(self) -> Path:
        """The dataset folder on the host."""
        return Path(self.spec.dataset.path)

    @property
    def console_log(self) -> Path:
        """Where the stage's stdout/stderr go."""
        return self.run_dir.logs_dir / f"{self.stage}.console.log"

    @property
    def gpu_stage(self) -> bool:
        """Only inference gets GPUs and the network."""
        return self.stage == "infer"


@dataclass
class StageExit:
    """How a stage process ended."""

    returncode: int
    reason: str | None = None
    """Why it failed, in words, when ``returncode`` is not 0."""


def stage_arguments(stage: str, run_dir: str, dataset: str) -> list[str]:
    """The arguments after ``python``: the same command in every environment."""
    return ["-m", "vlmhyperbench", "stage", stage, "--run-dir", run_dir, "--dataset", dataset, "--events"]


def exit_reason(returncode: int, *, oom_killed: bool = False, memory: str | None = None) -> str | None:
    """Words for a stage's exit status (None for success)."""
    if oom_killed:
        limit = f" ({memory})" if memory else ""
        return f"out of memory: the stage hit its memory limit{limit} and was killed"
    if returncode == 0:
        return None
    signum = -returncode if returncode < 0 else (returncode - 128 if returncode > 128 else 0)
    if signum > 0:
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = f"signal {signum}"
        if signum == signal.SIGKILL:
            return f"killed by {name} (the system may have run out of memory)"
        return f"killed by {name}"
    if returncode == 1:
        return "the stage failed (exit code 1)"
    return f"the stage exited with code {returncode}"


class LineRelay:
    """Splits a stage's output into events (relayed) and log lines (written to the console log)."""

    def __init__(self, log_path: Path, emit: EventSink) -> None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("a", encoding="utf-8")
        self._emit = emit
        self._partial = ""
        self.saw_event = False

    def feed(self, chunk: str) -> None:
        """Take some output; whole lines are handled at once."""
        text = self._partial + chunk
        *lines, self._partial = text.split("\n")
        self.lines(lines)

    def lines(self, lines: Iterable[str]) -> None:
        """Handle whole lines."""
        for raw in lines:
            line = raw.rstrip("\r")
            event = decode_event(line)
            if event is not None:
                self.saw_event = True
                self._emit(event)
            else:
                self._log.write(line + "\n")
        self._log.flush()

    def close(self) -> None:
        """Flush a last unterminated line and close the log."""
        if self._partial:
            self.lines([self._partial])
            self._partial = ""
        self._log.close()


class Executor(ABC):
    """Runs stages of runs in one kind of environment.

    Subclasses register with ``@executors.register("<kind>")`` and implement
    `run_stage`; `check` validates a run's settings before anything starts, so a bad
    mount or image fails that run alone with a clear message.
    """

    kind: ClassVar[str]
    assigns_gpus: ClassVar[bool] = False
    """True when the executor's own system places stages on GPUs (a cluster scheduler such
    as Ray): the local GPU scheduler (`vlmhyperbench.scheduler`) then leaves its runs alone."""
    syncs_location: ClassVar[bool] = False
    """True when the executor's stages work on the bucket at `StageRequest.location`
    themselves (on other machines): the executor pushes the mirror before each stage and
    pulls it back after, and the runner streams no answers from the mirror meanwhile."""

    def __init__(self, spec: ExecutorSpec) -> None:
        self.spec = spec

    def check(self, request: StageRequest) -> None:
        """Raise `ConfigError`/`EnvironmentFailure` when the run cannot start here."""
        check_paths(self.spec)

    @abstractmethod
    async def run_stage(self, request: StageRequest) -> StageExit:
        """Execute one stage to its end; never raise for a stage that merely failed."""


class ContainerExecutor(Executor):
    """An executor whose stages run in an image: which image for which stage, the dataset's bind."""

    image_hint: ClassVar[str] = "set executor.image"

    def image_for(self, stage: str) -> str:
        """The inference image, or the evaluation image for evaluate and report."""
        image = self.spec.image if stage == "infer" else (self.spec.eval_image or self.spec.image)
        if image is None:
            raise EnvironmentFailure(f"the {self.kind} executor needs an image", hint=self.image_hint)
        return image

    def check(self, request: StageRequest) -> None:
        super().check(request)
        if not request.dataset.is_dir():
            raise EnvironmentFailure(
                f"the dataset folder {request.dataset} does not exist, so it cannot be mounted",
                hint="mount or copy the dataset there, or plan the run again",
            )


def check_paths(spec: ExecutorSpec) -> None:
    """Every host path the executor would mount must exist."""
    named = [("executor.model_cache", spec.model_cache), ("executor.wheels", spec.wheels)]
    named += [(f"executor.mounts[{i}].source", m.source) for i, m in enumerate(spec.mounts)]
    for key, path in named:
        if path is not None and not Path(path).expanduser().exists():
            raise ConfigError(
                f"{key}: the folder {path} does not exist",
                hint="create it, or fix the path in the run's executor settings",
            )
    for i, mount in enumerate(spec.mounts):
        if not mount.target.startswith("/"):
            raise ConfigError(
                f"executor.mounts[{i}].target must be an absolute path inside the container, "
                f"not '{mount.target}'"
            )


def forwarded_env(spec: ExecutorSpec, run: RunSpec) -> dict[str, str]:
    """Variables passed into an environment: the allow-list, secrets by name, literals.

    The backend's ``api_key_env`` names a secret that is passed too. A name that is not
    set on the host is an error (a missing key would fail every request later).
    """
    names = list(dict.fromkeys([*spec.pass_env, *spec.secrets]))
    key_env = run.backend.options.get("api_key_env")
    if isinstance(key_env, str) and key_env and key_env not in names:
        names.append(key_env)
    out: dict[str, str] = {}
    for name in names:
        if name in os.environ:
            out[name] = os.environ[name]
        elif name in spec.secrets or name in spec.pass_env:
            raise ConfigError(
                f"environment variable {name} is to be passed into the run's environment but is not set",
                hint=f"export {name}=... before running, or remove it from executor.pass_env/secrets",
            )
    out.update(spec.env)
    return out


@dataclass
class Bind:
    """A host path visible inside a container."""

    source: str
    target: str
    read_only: bool = True


@dataclass
class ContainerLayout:
    """What a container-based stage sees: binds and variables (the same for every engine)."""

    binds: list[Bind]
    env: dict[str, str]


def container_layout(request: StageRequest, facts: dict[str, object]) -> ContainerLayout:
    """Binds and variables of a stage in a container: run folder, dataset, wheels, cache, packages.

    Inference gets the allow-listed variables and secrets and the model cache; evaluate
    and report get only the literal ``env``. The stage is told to install its packages
    (``VLMHB_INSTALL``), where local packages are mounted (``VLMHB_PATH_MAP``) and what
    the executor knows of the environment (``VLMHB_ENVIRONMENT``).
    """
    spec = request.spec.environment
    ex = spec.executor
    infer = request.gpu_stage
    binds = [
        Bind(str(request.run_dir.root.resolve()), RUN_MOUNT, read_only=False),
        Bind(str(request.dataset.resolve()), DATA_MOUNT),
    ]
    env = forwarded_env(ex, request.spec) if infer else dict(ex.env)
    path_map: dict[str, str] = {}
    for n, item in enumerate(spec.items(request.stage)):
        if item.source == "local":
            path_map[item.requirement] = f"{PACKAGES_MOUNT}/{n}"
            binds.append(Bind(item.requirement, path_map[item.requirement]))
    if ex.wheels is not None:
        binds.append(Bind(str(ex.wheels), WHEELS_MOUNT))
        env[ENV_WHEELS] = WHEELS_MOUNT
    if ex.model_cache is not None and infer:
        binds.append(Bind(str(ex.model_cache), CACHE_MOUNT, read_only=False))
        env["HF_HOME"] = CACHE_MOUNT
    binds += [Bind(str(m.source), m.target, m.read_only) for m in ex.mounts]
    if request.gpus is not None:
        env[ENV_GPUS] = ",".join(request.gpus)
    env.update(
        {
            ENV_FACTS: json.dumps(facts),
            ENV_PATH_MAP: json.dumps(path_map),
            ENV_INSTALL: "1",
            ENV_HEARTBEAT: str(HEARTBEAT_TIMEOUT_S),
            "HOME": "/tmp",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return ContainerLayout(binds, env)


def scheduled_gpu_env(request: StageRequest) -> dict[str, str]:
    """``CUDA_VISIBLE_DEVICES`` and ``VLMHB_GPUS`` for a stage the GPU scheduler placed, else nothing."""
    if request.gpus is None:
        return {}
    ids = ",".join(request.gpus)
    return {"CUDA_VISIBLE_DEVICES": ids, ENV_GPUS: ids}


def host_has_gpus() -> bool:
    """Whether this host shows NVIDIA devices."""
    return Path("/dev/nvidiactl").exists() or Path("/proc/driver/nvidia/version").exists()


executors: Registry[type[Executor]] = Registry(
    "executors",
    builtins=(
        "vlmhyperbench.envs.local",
        "vlmhyperbench.envs.docker",
        "vlmhyperbench.envs.apptainer",
        "vlmhyperbench.envs.ray",
    ),
    list_command="vlmhb executors list",
)
