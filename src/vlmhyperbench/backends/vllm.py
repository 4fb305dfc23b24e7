"""``vllm``: launch a vLLM OpenAI-compatible server for the run and query it as ``openai``.

At start the backend runs ``vllm serve MODEL ...`` in its own process group, waits for
``GET /health`` to answer 200, reads the engine version from ``GET /version`` and opens an
`OpenAIBackend` on ``http://HOST:PORT/v1``; at close it stops the client and the engine
(SIGTERM, then SIGKILL after ``stop_timeout_s``), also when the start failed or was
interrupted. The command line is built from the options below; ``extra_args`` adds any
other ``vllm serve`` flag, ``command`` replaces it all (e.g. vLLM in a container).
"""

from __future__ import annotations

import json
import shutil

from pydantic import Field

from ..core import MissingDependency
from ._base import register_backend
from ._engine import EngineBackend

__all__ = ["VLLMBackend"]

INSTALL_HINT = (
    "pip install vllm (on a machine with a supported GPU), or set 'command' to launch it another way"
)


@register_backend("vllm", version="1.0.0")
class VLLMBackend(EngineBackend):
    """A model served by vLLM (``vllm serve``), launched and stopped by the backend.

    Options map to ``vllm serve`` flags: ``host`` → ``--host``, ``port`` → ``--port``,
    ``served_model_name`` → ``--served-model-name``, ``tensor_parallel_size`` →
    ``--tensor-parallel-size``, ``gpu_memory_utilization`` → ``--gpu-memory-utilization``,
    ``dtype`` → ``--dtype``, ``max_model_len`` → ``--max-model-len``,
    ``limit_mm_per_prompt`` → ``--limit-mm-per-prompt`` (JSON), ``trust_remote_code`` →
    ``--trust-remote-code``.
    """

    engine_name = "vLLM"
    health_path = "/health"
    version_paths = ("/version",)

    gpu_memory_utilization: float | None = Field(default=0.9, gt=0, le=1)
    """Share of GPU memory for weights, activations and KV cache; None: vLLM's default."""
    limit_mm_per_prompt: dict[str, int | dict[str, int]] | None = None
    """Most items per prompt by modality, e.g. ``{image: 4}`` for multi-page documents;
    None: vLLM's default for the model."""

    def check_installed(self) -> None:
        if shutil.which("vllm") is None:
            raise MissingDependency(
                "backend 'vllm' needs the 'vllm' command, which is not installed", hint=INSTALL_HINT
            )

    def default_command(self, port: int) -> list[str]:
        cmd = ["vllm", "serve", self.model, "--host", self.host, "--port", str(port),
               "--served-model-name", self.model_name,
               "--tensor-parallel-size", str(self.tensor_parallel_size)]  # fmt: skip
        if self.gpu_memory_utilization is not None:
            cmd += ["--gpu-memory-utilization", str(self.gpu_memory_utilization)]
        cmd += ["--dtype", self.dtype]
        if self.max_model_len is not None:
            cmd += ["--max-model-len", str(self.max_model_len)]
        if self.limit_mm_per_prompt:
            cmd += ["--limit-mm-per-prompt", json.dumps(self.limit_mm_per_prompt)]
        if self.trust_remote_code:
            cmd.append("--trust-remote-code")
        return cmd + self.extra_args
