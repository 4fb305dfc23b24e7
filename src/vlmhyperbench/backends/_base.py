"""The `ModelBackend` interface: one async way to get an answer for one request.

A backend is a pydantic model whose fields are its options (validated from the run
config), with three async methods: `start`, `generate`, `aclose`. Heavy imports and
connections happen in `start`, so importing a backend module is cheap.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from ..core import ErrorInfo, GenerationParams, Registry, Timings, Usage

__all__ = ["GenerationRequest", "GenerationResult", "ModelBackend", "backends", "register_backend"]


class GenerationRequest(BaseModel):
    """What a backend is asked for one sample."""

    model_config = ConfigDict(frozen=True)

    sample_id: str
    images: tuple[Path, ...]
    user: str
    system: str | None = None
    params: GenerationParams = Field(default_factory=GenerationParams)
    json_schema: dict[str, Any] | None = None
    """When set, the answer must be JSON matching it (structured output)."""
    task: str = "vqa"
    hints: dict[str, Any] = Field(default_factory=dict)
    """Sample attributes a non-VLM baseline may use (doc_class, question_type)."""


class GenerationResult(BaseModel):
    """A backend's answer, or the error that prevented one."""

    text: str | None
    usage: Usage = Field(default_factory=Usage)
    timings: Timings | None = None
    finish_reason: str | None = None
    error: ErrorInfo | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


class ModelBackend(BaseModel):
    """Base class of backends; subclasses declare their options as fields."""

    model_config = ConfigDict(extra="forbid")

    name: ClassVar[str]
    preallocates_gpu_memory: ClassVar[bool] = False
    """True when the backend takes a share of whole GPUs whatever the model's size (vLLM's
    ``gpu_memory_utilization``): the GPU scheduler then reserves whole GPUs for it."""

    def model_label(self) -> str:
        """The model's name as shown in reports."""
        return self.name

    async def start(self) -> None:
        """Load or connect; raise a `UserError` when that cannot work (e.g. unreachable)."""

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        """Answer one request. Per-request failures are returned, never raised."""
        raise NotImplementedError

    async def generate_stream(self, request: GenerationRequest) -> AsyncIterator[str | GenerationResult]:
        """Text deltas as they are generated, then the final `GenerationResult`.

        The default yields the whole answer at once; streaming backends override it.
        """
        result = await self.generate(request)
        if result.text:
            yield result.text
        yield result

    async def aclose(self) -> None:
        """Release connections, processes and memory."""

    def describe(self) -> dict[str, Any]:
        """Versions and settings worth recording in the run manifest."""
        return {}


backends: Registry[type[ModelBackend]] = Registry(
    "backends",
    builtins=(
        "vlmhyperbench.backends.openai",
        "vlmhyperbench.backends.tesseract",
        "vlmhyperbench.backends.hf",
        "vlmhyperbench.backends.vllm",
        "vlmhyperbench.backends.sglang",
    ),
    list_command="vlmhb models list",
)

B = TypeVar("B", bound=type[ModelBackend])


def register_backend(name: str, *, version: str = "1") -> Callable[[B], B]:
    """Register a `ModelBackend` subclass under ``name``."""

    def decorator(cls: B) -> B:
        cls.name = name
        backends.register(name, version=version)(cls)
        return cls

    return decorator
