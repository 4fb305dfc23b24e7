"""``hf``: any image-text-to-text model of Hugging Face transformers, in process.

Loads a Hub id or a local checkpoint folder through ``AutoProcessor`` and
``AutoModelForImageTextToText`` and prompts it with the model's own chat template.
Defaults are the safe ones: greedy decoding, eager generation with a dynamic cache,
FlashAttention 2 when installed on a GPU else PyTorch SDPA, ``trust_remote_code``
off unless the model's catalogue entry turns it on. Requests that arrive together are
batched (left padding) up to ``batch_size``; every decoding step is timestamped, so
answers carry TTFT, TPOT and peak GPU memory. ``load_format: dummy`` builds the
architecture from its config with random weights (as vLLM's dummy format does), to
measure speed and memory without downloading weights. A sample's JSON schema
constrains decoding with xgrammar (the grammar engine vLLM and SGLang use).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any, Literal

import anyio
from pydantic import Field, PrivateAttr

from ..core import ErrorInfo
from ._base import GenerationRequest, GenerationResult, ModelBackend, register_backend

__all__ = ["HFBackend"]


@register_backend("hf", version="1.0.0")
class HFBackend(ModelBackend):
    """A transformers vision-language model, loaded in this process."""

    model: str = Field(description="Hub id (Qwen/Qwen2-VL-2B-Instruct) or a local checkpoint folder")
    revision: str | None = None
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = "auto"
    """``auto``: bfloat16 on a GPU, float32 on the CPU."""
    device_map: str = "auto"
    """``auto`` (cuda if available, else cpu), ``cpu``, ``cuda``, ``cuda:1``..."""
    attn_implementation: Literal["auto", "flash_attention_2", "sdpa", "eager"] = "auto"
    processor_options: dict[str, Any] = Field(default_factory=dict)
    """Passed to ``AutoProcessor.from_pretrained``, e.g. ``{min_pixels: 200704, max_pixels: 1003520}``."""
    trust_remote_code: bool = False
    """Set only by a catalogue entry that says the model needs its own code."""
    load_format: Literal["auto", "dummy"] = "auto"
    batch_size: int = Field(default=1, ge=1)
    batch_wait_s: float = Field(default=0.02, ge=0)
    """How long a request waits for others to share its batch."""
    cache_implementation: Literal["dynamic", "static"] = "dynamic"
    """``static``: pre-allocated KV cache (the fast path, with ``compile``)."""
    compile: bool = False
    """torch.compile the forward pass (``mode="reduce-overhead"``: CUDA graphs on a GPU)."""
    max_image_pixels: int = Field(default=50_000_000, gt=0)
    """Images larger than this are refused (decompression bombs)."""

    _generator: Any = PrivateAttr(default=None)
    _loaded: Any = PrivateAttr(default=None)

    def model_label(self) -> str:
        return self.model

    async def start(self) -> None:
        from ._hf_generate import HFGenerator
        from ._hf_load import load_model

        self._loaded = await anyio.to_thread.run_sync(
            lambda: load_model(
                self.model,
                revision=self.revision,
                dtype=self.dtype,
                device_map=self.device_map,
                attention=self.attn_implementation,
                processor_options=self.processor_options,
                trust_remote_code=self.trust_remote_code,
                dummy=self.load_format == "dummy",
            )
        )
        kwargs: dict[str, Any] = {}
        if self.cache_implementation == "static":
            kwargs["cache_implementation"] = "static"
        if self.compile:
            import torch

            model = self._loaded.model
            model.forward = torch.compile(model.forward, mode="reduce-overhead", fullgraph=False)
        self._generator = HFGenerator(
            self._loaded,
            batch_size=self.batch_size,
            batch_wait_s=self.batch_wait_s,
            max_image_pixels=self.max_image_pixels,
            generate_kwargs=kwargs,
        )

    async def aclose(self) -> None:
        if self._generator is not None:
            await anyio.to_thread.run_sync(self._generator.close)
            self._generator = None
        self._loaded = None

    def describe(self) -> dict[str, Any]:
        lm = self._loaded
        if lm is None:
            return {"model": self.model}
        return {
            "model": self.model,
            "device": lm.device,
            "dtype": str(lm.dtype),
            "attention": lm.attention,
            "dummy_weights": lm.dummy,
            "transformers": lm.transformers_version,
            "offline": os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0"),
        }

    async def generate_stream(self, request: GenerationRequest) -> AsyncIterator[str | GenerationResult]:
        if self._generator is None:
            yield GenerationResult(
                text=None, error=ErrorInfo(kind="backend", message="start() was not called")
            )
            return
        events = self._generator.submit(request)
        while True:
            item = await events.get()
            yield item
            if isinstance(item, GenerationResult):
                return

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        result: GenerationResult | None = None
        async for item in self.generate_stream(request):
            if isinstance(item, GenerationResult):
                result = item
        assert result is not None
        return result
