"""`EngineBackend`: a serving engine launched for the run plus the ``openai`` client talking to it.

The base of ``vllm`` and ``sglang``; the process handling is in `_engine_process`.
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar, Literal

import anyio
import httpx
from pydantic import Field, PrivateAttr

from ._base import GenerationRequest, GenerationResult, ModelBackend
from ._engine_process import EngineProcess, free_port, group_running, log_tail, redact
from .openai import OpenAIBackend

__all__ = ["EngineBackend", "EngineProcess", "free_port", "group_running", "log_tail"]

logger = logging.getLogger(__name__)

_PLACEHOLDER = re.compile(r"\{(port|host|model|served_model_name)\}")


class EngineBackend(ModelBackend):
    """Base of backends that launch a serving engine and talk to it as an ``openai`` client.

    Subclasses set `engine_name`, `health_path`, `version_paths` and implement
    `check_installed` and `default_command`.
    """

    engine_name: ClassVar[str] = "engine"
    preallocates_gpu_memory: ClassVar[bool] = True
    health_path: ClassVar[str] = "/health"
    version_paths: ClassVar[tuple[str, ...]] = ()
    """Endpoints whose JSON has the engine's ``version``; the first that answers wins."""

    model: str = Field(description="Hub id (Qwen/Qwen2-VL-2B-Instruct) or a local checkpoint folder")
    served_model_name: str | None = None
    """The model name the server answers to; default: `model`."""
    host: str = "127.0.0.1"
    """Interface the engine listens on; ``0.0.0.0`` also serves other machines."""
    port: int = Field(default=0, ge=0, le=65535)
    """0: a free port, chosen at start."""
    tensor_parallel_size: int = Field(default=1, ge=1)
    """GPUs the model is split over."""
    max_model_len: int | None = Field(default=None, ge=1)
    """Context length in tokens; None: the model's own."""
    gpu_memory_utilization: float | None = Field(default=None, gt=0, le=1)
    """Share of GPU memory the engine may take; None: the engine's default."""
    dtype: Literal["auto", "half", "float16", "bfloat16", "float", "float32"] = "auto"
    trust_remote_code: bool = False
    """Set only for models that need their own code from the Hub."""
    extra_args: list[str] = Field(default_factory=list)
    """Appended to the engine's command line as given."""
    env: dict[str, str] = Field(default_factory=dict)
    """Extra environment variables for the engine, e.g. ``{CUDA_VISIBLE_DEVICES: "1"}``."""
    command: list[str] | None = None
    """Replaces the whole launch command; ``{port}``, ``{host}``, ``{model}`` and
    ``{served_model_name}`` in its items are filled in. For custom engines and tests."""
    cwd: Path | None = None
    """Working folder of the engine process; default: the current one."""
    log_file: Path | None = None
    """Where the engine's stdout and stderr go; default: a new ``vlmhb-<engine>-*.log`` in the
    temp folder (the run's ``logs/`` folder when the runner sets it). Kept after the run."""
    startup_timeout_s: float = Field(default=900.0, gt=0)
    """How long loading may take (downloads included) before the engine is stopped."""
    stop_timeout_s: float = Field(default=15.0, gt=0)
    """How long the engine may shut down after SIGTERM before SIGKILL."""
    timeout_s: float = Field(default=120.0, gt=0)
    """Whole-request timeout of the client (`openai` backend option)."""
    max_attempts: int = Field(default=4, ge=1)
    """Tries per request (`openai` backend option)."""
    structured_output: bool = True
    """Send a sample's JSON schema as ``response_format`` (`openai` backend option)."""

    _port: int = PrivateAttr(default=0)
    _engine: EngineProcess | None = PrivateAttr(default=None)
    _client: OpenAIBackend | None = PrivateAttr(default=None)
    _version: str | None = PrivateAttr(default=None)

    @property
    def model_name(self) -> str:
        """The name requests use: `served_model_name` or `model`."""
        return self.served_model_name or self.model

    @property
    def engine(self) -> EngineProcess | None:
        """The engine process of the last `start` (kept after `aclose`, stopped)."""
        return self._engine

    def model_label(self) -> str:
        return self.model

    def check_installed(self) -> None:
        """Raise `MissingDependency` when the engine is not installed."""

    def default_command(self, port: int) -> list[str]:
        """The engine's own launch command for ``port``."""
        raise NotImplementedError

    def engine_command(self) -> list[str]:
        """The launch command: `command` with placeholders filled, else `default_command`."""
        port = self._port or self.port
        if self.command is None:
            return self.default_command(port)
        values = {"port": str(port), "host": self.host, "model": self.model}
        values["served_model_name"] = self.model_name
        return [_PLACEHOLDER.sub(lambda m: values[m[1]], arg) for arg in self.command]

    @property
    def _reach_host(self) -> str:
        """Where this process reaches the engine: a wildcard ``host`` means this machine."""
        return "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host

    @property
    def _url(self) -> str:
        return f"http://{self._reach_host}:{self._port}"

    async def start(self) -> None:
        if self.command is None:
            self.check_installed()
        self._port = self.port or free_port(self._reach_host)
        log = self.log_file
        if log is None:
            fd, name = tempfile.mkstemp(prefix=f"vlmhb-{self.name}-", suffix=".log")
            os.close(fd)
            log = Path(name)
        self._engine = EngineProcess(
            self.engine_command(),
            log_file=log,
            health_url=f"{self._url}{self.health_path}",
            name=self.engine_name,
            startup_timeout_s=self.startup_timeout_s,
            stop_timeout_s=self.stop_timeout_s,
            cwd=self.cwd,
            env=self.env,
        )
        try:
            await self._engine.start()
            self._version = await self._read_version()
            self._client = OpenAIBackend(
                base_url=f"{self._url}/v1",
                model=self.model_name,
                timeout_s=self.timeout_s,
                max_attempts=self.max_attempts,
                structured_output=self.structured_output,
            )
            await self._client.start()
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self.aclose()
            raise

    async def _read_version(self) -> str | None:
        async with httpx.AsyncClient(timeout=5.0, trust_env=False) as client:
            for path in self.version_paths:
                try:
                    response = await client.get(f"{self._url}{path}")
                    version = response.json()["version"]
                except (httpx.HTTPError, ValueError, KeyError, TypeError):
                    continue
                return str(version)
        return None

    async def aclose(self) -> None:
        with anyio.CancelScope(shield=True):
            if self._client is not None:
                await self._client.aclose()
                self._client = None
            if self._engine is not None:
                await self._engine.stop()

    def describe(self) -> dict[str, Any]:
        engine = self._engine
        return {
            "engine": self.engine_name,
            "version": self._version,
            "model": self.model,
            "served_model_name": self.model_name,
            "command": shlex.join(redact(self.engine_command())),
            "log_file": str(engine.log_file) if engine else None,
        }

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        assert self._client is not None, "start() was not called"
        return await self._client.generate(request)

    def generate_stream(self, request: GenerationRequest) -> AsyncIterator[str | GenerationResult]:
        assert self._client is not None, "start() was not called"
        return self._client.generate_stream(request)
