"""What a run needs to execute: GPUs, GPU memory, CPUs, memory, custom resources.

`ResourceSpec` is set under ``resources:`` on the experiment, a catalogue entry or a
run (the more specific level wins field by field) and resolved by the planner into
``run_spec.json``. The GPU scheduler (`vlmhyperbench.scheduler`) packs inference stages
onto free GPUs with it; the Ray executor turns it into task options (``num_gpus``,
``memory``, custom resources). Evaluate and report are CPU stages: they never hold GPUs.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["BYTES_PER_PARAM", "Dtype", "ResourceSpec", "estimate_gpu_memory_gb"]

Dtype = Literal["float32", "bfloat16", "float16", "int8", "int4"]
"""How a model's weights are stored in GPU memory."""

BYTES_PER_PARAM: dict[str, float] = {"float32": 4, "bfloat16": 2, "float16": 2, "int8": 1, "int4": 0.5}
"""Bytes per parameter of each `Dtype`."""

KV_CACHE_SHARE = 0.25
"""Default KV-cache and activation allowance: this share of the weights on a GPU..."""
KV_CACHE_MIN_GB = 2.0
"""...and at least this many GiB (which also covers the CUDA context)."""


class ResourceSpec(BaseModel):
    """Resources one run's inference stage needs (``resources:``)."""

    model_config = ConfigDict(extra="forbid")

    gpus: int = Field(default=0, ge=0, le=64)
    """GPUs the inference stage holds (0: a CPU model or a remote API)."""
    gpu_memory_gb: float | None = Field(default=None, gt=0)
    """GiB needed on each of those GPUs; unset: estimated from the catalogue, else a whole GPU."""
    cpus: float = Field(default=1.0, gt=0)
    """CPU cores a stage reserves (Ray ``num_cpus``)."""
    memory_gb: float | None = Field(default=None, gt=0)
    """Host memory a stage reserves, GiB (Ray ``memory``); unset: no reservation."""
    custom: dict[str, float] = Field(default_factory=dict)
    """Custom cluster resources (Ray ``resources``), e.g. ``{node_type_a100: 1}``."""
    kv_cache_gb: float | None = Field(default=None, ge=0)
    """GiB per GPU added to the weights for the KV cache and activations when
    ``gpu_memory_gb`` is estimated; unset: a quarter of the weights on the GPU, at least 2."""


def estimate_gpu_memory_gb(params_b: float, dtype: Dtype, gpus: int, kv_cache_gb: float | None) -> float:
    """GiB one of ``gpus`` GPUs needs for a model of ``params_b`` billion parameters.

    The weights (``params_b`` × 10⁹ × bytes per parameter of ``dtype``, in GiB) are split
    evenly over the GPUs (tensor parallelism), then each GPU gets the KV-cache allowance:
    ``kv_cache_gb``, or by default 25 % of its share of the weights and at least 2 GiB.
    The result is rounded up to a tenth of a GiB.

    Args:
        params_b: Parameters of the model, in billions (vision encoder included).
        dtype: How the weights are stored.
        gpus: GPUs the weights are split over (at least 1).
        kv_cache_gb: The allowance per GPU, or None for the default.
    """
    weights = params_b * 1e9 * BYTES_PER_PARAM[dtype] / 2**30 / max(1, gpus)
    allowance = kv_cache_gb if kv_cache_gb is not None else max(KV_CACHE_MIN_GB, KV_CACHE_SHARE * weights)
    return math.ceil((weights + allowance) * 10) / 10
