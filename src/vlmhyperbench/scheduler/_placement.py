"""Where a run's GPUs can go right now: the packing rule, without queues or time.

A GPU's free memory is its total minus the larger of what NVML reports in use and what
runs of this experiment have reserved on it: memory in use beyond our reservations
belongs to some other program, and memory we reserved counts even before the run has
allocated it. A run that takes whole GPUs (no ``gpu_memory_gb``) gets GPUs none of our
runs holds. Among the GPUs that fit, the fullest go first (best fit), so that large
holes stay free for large runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..core import ResourceSpec
from ._inventory import GpuInfo

__all__ = ["GpuNeed", "free_mib", "never_fits", "place"]


@dataclass(frozen=True, slots=True)
class GpuNeed:
    """What a run's inference stage asks of this machine's GPUs."""

    count: int
    """Distinct GPUs (≥ 1)."""
    memory_mib: int | None
    """MiB on each of them; None: whole GPUs."""

    @classmethod
    def of(cls, resources: ResourceSpec) -> GpuNeed | None:
        """The need of a run's `ResourceSpec`; None when it asks for no GPU."""
        if resources.gpus == 0:
            return None
        memory = resources.gpu_memory_gb
        return cls(resources.gpus, None if memory is None else math.ceil(memory * 1024))

    def describe(self) -> str:
        """``2 GPUs with 40 GiB each`` or ``1 whole GPU``."""
        plural = "s" if self.count > 1 else ""
        if self.memory_mib is None:
            return f"{self.count} whole GPU{plural}"
        each = " each" if self.count > 1 else ""
        return f"{self.count} GPU{plural} with {self.memory_mib / 1024:g} GiB{each}"


def free_mib(gpu: GpuInfo, reserved_mib: int) -> int:
    """MiB a new reservation may take on ``gpu`` when ``reserved_mib`` is reserved there."""
    return gpu.memory_total_mib - max(gpu.memory_used_mib, reserved_mib)


def place(need: GpuNeed, gpus: Sequence[GpuInfo], reserved: Mapping[str, int]) -> tuple[GpuInfo, ...] | None:
    """``need.count`` distinct GPUs that fit the need now, by index; None when there are not enough.

    Args:
        need: What the run asks for.
        gpus: The inventory now.
        reserved: MiB reserved on each GPU (by uuid) by runs holding it.
    """
    if need.memory_mib is None:
        fitting = [(0, g) for g in gpus if reserved.get(g.uuid, 0) == 0]
    else:
        free = [(free_mib(g, reserved.get(g.uuid, 0)), g) for g in gpus]
        fitting = [(f, g) for f, g in free if f >= need.memory_mib]
    if len(fitting) < need.count:
        return None
    fitting.sort(key=lambda pair: (pair[0], pair[1].index))
    return tuple(sorted((g for _, g in fitting[: need.count]), key=lambda g: g.index))


def never_fits(need: GpuNeed, gpus: Sequence[GpuInfo]) -> str | None:
    """Why ``need`` cannot fit on these GPUs even with none of them reserved; None if it can."""
    if not gpus:
        return f"it asks for {need.describe()} and this machine has no GPU (NVML finds none)"
    if need.count > len(gpus):
        have = "GPU" if len(gpus) == 1 else "GPUs"
        return f"it asks for {need.describe()} and this machine has {len(gpus)} {have}"
    if need.memory_mib is not None:
        big = [g for g in gpus if g.memory_total_mib >= need.memory_mib]
        if len(big) < need.count:
            largest = max(g.memory_total_mib for g in gpus) / 1024
            return (
                f"it asks for {need.describe()} and only {len(big)} of this machine's GPUs "
                f"have that much memory (the largest has {largest:g} GiB)"
            )
    return None
