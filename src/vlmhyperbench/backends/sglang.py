"""``sglang``: launch an SGLang server for the run and query it as ``openai``.

At start the backend runs ``python -m sglang.launch_server --model-path MODEL ...`` with
this interpreter, in its own process group, waits for ``GET /health`` to answer 200
(SGLang answers 503 until the model is loaded and a one-token health generation
succeeds), reads the version from ``GET /server_info`` (``/get_server_info`` in older
releases) and opens an `OpenAIBackend` on ``http://HOST:PORT/v1``. At close it stops
the client and the engine, also when the start failed or was interrupted.
"""

from __future__ import annotations

import importlib.util
import sys

from ..core import MissingDependency
from ._base import register_backend
from ._engine import EngineBackend

__all__ = ["SGLangBackend"]

INSTALL_HINT = "pip install \"sglang[all]\" (on a machine with a supported GPU), or set 'command'"


@register_backend("sglang", version="1.0.0")
class SGLangBackend(EngineBackend):
    """A model served by SGLang (``sglang.launch_server``), launched and stopped by the backend.

    Options map to SGLang server arguments: ``model`` → ``--model-path``, ``host`` →
    ``--host``, ``port`` → ``--port``, ``served_model_name`` → ``--served-model-name``,
    ``tensor_parallel_size`` → ``--tp-size``, ``gpu_memory_utilization`` →
    ``--mem-fraction-static`` (left to SGLang, which sizes it by GPU, unless set),
    ``dtype`` → ``--dtype``, ``max_model_len`` → ``--context-length``,
    ``trust_remote_code`` → ``--trust-remote-code``. SGLang turns on multimodal input for
    vision-language models by itself.
    """

    engine_name = "SGLang"
    health_path = "/health"
    version_paths = ("/server_info", "/get_server_info")

    def check_installed(self) -> None:
        if importlib.util.find_spec("sglang") is None:
            raise MissingDependency(
                f"backend 'sglang' needs the sglang package, which is not installed in {sys.executable}",
                hint=INSTALL_HINT,
            )

    def default_command(self, port: int) -> list[str]:
        cmd = [sys.executable, "-m", "sglang.launch_server", "--model-path", self.model,
               "--host", self.host, "--port", str(port), "--served-model-name", self.model_name,
               "--tp-size", str(self.tensor_parallel_size)]  # fmt: skip
        if self.gpu_memory_utilization is not None:
            cmd += ["--mem-fraction-static", str(self.gpu_memory_utilization)]
        cmd += ["--dtype", self.dtype]
        if self.max_model_len is not None:
            cmd += ["--context-length", str(self.max_model_len)]
        if self.trust_remote_code:
            cmd.append("--trust-remote-code")
        return cmd + self.extra_args
