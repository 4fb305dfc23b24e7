"""Where a stage runs and what it ran with: executor settings and the environment record.

`ExecutorSpec` is what the user asks for (per experiment, model or run); the planner
resolves it into the run's `EnvironmentSpec` (``run_spec.json``). Each stage, wherever
it runs, records an `EnvironmentInfo` in the manifest and stamps its id on every
answer it writes, so a run folder tells which environment, image and package versions
produced each answer.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "EnvironmentInfo",
    "EnvironmentSpec",
    "ExecutorSpec",
    "InstallItem",
    "InstallReport",
    "MountSpec",
]


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MountSpec(_Config):
    """An extra host folder made visible inside a container."""

    source: Path
    """Host path; it must exist."""
    target: str
    """Absolute path inside the container."""
    read_only: bool = True


class ExecutorSpec(_Config):
    """How and where a run's stages execute (``executor:`` in the config).

    Set on the experiment, on a catalogue entry (per model) or on a run; the more
    specific level overrides the fields it sets.
    """

    kind: str = "local"
    """``local`` (a subprocess here, the default), ``venv``, ``docker``, ``apptainer``,
    ``ray`` (a Ray task per stage on a cluster), or ``inline`` (in this process: no
    isolation, for debugging)."""
    image: str | None = None
    """Docker image or Apptainer image (``.sif``/``docker://``) for inference; the
    catalogue entry's ``docker_image`` when not set."""
    eval_image: str | None = None
    """Image for the evaluate and report stages (CPU); ``image`` when not set."""
    python: str | None = None
    """venv: the interpreter to build the environment with (default: this one);
    docker/apptainer: the interpreter command inside the image (default ``python3``)."""
    gpus: str | int | list[int | str] = "auto"
    """Inference only: ``auto`` (all GPUs when the host has NVIDIA devices), ``all``,
    ``none``, a count, or device ids. Evaluate and report never get GPUs."""
    network: str = "host"
    """Inference network (docker): ``host``, ``none``, ``bridge`` or a network name.
    Evaluate and report always run with no network."""
    pass_env: list[str] = Field(default_factory=list)
    """Host environment variables passed by name (the host environment is never passed whole)."""
    secrets: list[str] = Field(default_factory=list)
    """Like ``pass_env``, but the values are never written anywhere (API keys, tokens)."""
    env: dict[str, str] = Field(default_factory=dict)
    """Literal variables set inside the environment."""
    mounts: list[MountSpec] = Field(default_factory=list)
    model_cache: Path | None = None
    """Host folder of model weights, mounted read-write with ``HF_HOME`` pointing at it."""
    wheels: Path | None = None
    """Folder of wheels used first when installing (``--find-links``); mounted read-only."""
    user: str | None = None
    """docker: ``uid:gid`` to run as; the host user's by default, so files stay theirs."""
    memory: str | None = None
    """docker: memory limit (``8g``); exceeding it marks the run failed as out of memory."""
    shm_size: str | None = None
    """docker: size of /dev/shm (``2g``) for data loaders."""
    pull: Literal["missing", "never", "always"] = "missing"
    """docker: pull the image when it is not here (``missing``), never, or always."""
    keep: bool = False
    """docker: keep stopped containers for debugging (``docker logs``/``docker start -ai``)."""
    installer: Literal["uv", "pip"] = "uv"
    """What installs packages at environment start; pip when uv is not there."""
    install_args: list[str] = Field(default_factory=list)
    """Extra installer arguments (``--index-url ...``)."""
    binary: str | None = None
    """apptainer: the ``apptainer``/``singularity`` executable (found on PATH by default)."""
    address: str | None = None
    """ray: the cluster's address (``HOST:6379``, ``ray://HOST:10001`` or ``auto``);
    ``--ray-address`` overrides it, and Ray's ``RAY_ADDRESS`` is used when neither is set."""
    max_retries: int = Field(default=3, ge=0, le=100)
    """ray: how many times a stage is run again after its node (or worker) died; a stage that
    fails by itself is never retried."""

    @property
    def isolated(self) -> bool:
        """True when stages run in an environment other than this process's."""
        return self.kind not in ("inline", "local")


class InstallItem(_Config):
    """One thing to install at environment start."""

    requirement: str
    """A requirement (``name==1.2``), a ``git+URL@ref`` or a local path."""
    editable: bool = False
    source: Literal["pypi", "git", "local", "requirement"] = "requirement"
    package: str | None = None
    """The package registry entry it came from, if any."""

    def args(self, path_map: dict[str, str] | None = None) -> list[str]:
        """Installer arguments, with host paths replaced by where they are mounted."""
        req = self.requirement
        if self.source == "local" and path_map:
            req = path_map.get(req, req)
        return ["-e", req] if self.editable else [req]


class EnvironmentSpec(_Config):
    """The resolved environment of a run, written into ``run_spec.json``."""

    executor: ExecutorSpec = Field(default_factory=ExecutorSpec)
    run_mode: Literal["prod", "dev"] = "prod"
    install: dict[str, list[InstallItem]] = Field(default_factory=dict)
    """Stage (``infer``, ``evaluate``) → what that stage installs at start."""

    def items(self, stage: str) -> list[InstallItem]:
        """What ``stage`` installs (``report`` shares ``evaluate``'s environment)."""
        return self.install.get("evaluate" if stage == "report" else stage, [])


class InstallReport(BaseModel):
    """What the dependency injection at environment start did."""

    installer: str
    command: list[str]
    returncode: int
    duration_s: float
    log: str
    """The install log, relative to the run folder."""
    target: str | None = None
    """Folder installed into when the environment itself was read-only."""


class EnvironmentInfo(BaseModel):
    """The environment one stage ran in (``manifest.json`` → ``environments``)."""

    id: str = ""
    executor: str
    image: str | None = None
    image_id: str | None = None
    """Docker image id (``sha256:...``) or the Apptainer image file's sha256."""
    image_digests: list[str] = Field(default_factory=list)
    """Registry digests of the image, when it came from a registry."""
    venv: str | None = None
    env_hash: str | None = None
    """Hash of the resolved requirements the cached environment was built from."""
    python: str = ""
    platform: str = ""
    hostname: str = ""
    packages: dict[str, str] = Field(default_factory=dict)
    """Every distribution installed in the environment → its version."""
    install: InstallReport | None = None
    unsatisfied: list[str] = Field(default_factory=list)
    """Requirements the environment does not satisfy (``local``, which never installs)."""
    recorded_at: float = Field(default_factory=time.time)

    def with_id(self) -> EnvironmentInfo:
        """A copy whose ``id`` hashes what makes two records differ (packages, install, gaps)."""
        key = json.dumps(
            [
                self.executor,
                self.image_id,
                self.venv,
                self.python,
                self.platform,
                sorted(self.packages.items()),
                self.install.command if self.install else None,
                self.unsatisfied,
            ],
            sort_keys=True,
        )
        return self.model_copy(update={"id": hashlib.sha256(key.encode()).hexdigest()[:12]})
