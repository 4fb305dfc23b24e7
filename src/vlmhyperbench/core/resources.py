"""What a run needs to execute: GPUs, GPU memory, CPUs, memory, custom resources.

`ResourceSpec` is set under ``resources:`` on the experiment, a catalogue entry or a
run (the more specific level wins field by field) and resolved by the planner into
``run_spec.json``. The GPU scheduler (`vlmhyperbench.scheduler`) packs inference stages
onto free GPUs with it; the Ray executor turns it into task options (``num_gpus``,
``memory``, custom resources). Evaluate and report are CPU stages: they never hold GPUs.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ResourceSpec"]


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
