"""GPU-aware scheduling on one machine: which run's inference gets which GPUs, and when.

- `read_inventory` / `GpuInfo`: the GPUs now, from NVML or from the file named by
  ``VLMHB_GPU_INVENTORY`` (a declared inventory, re-read at every decision).
- `GpuNeed`: what a run asks for (``resources.gpus`` × ``resources.gpu_memory_gb``).
- `GpuScheduler`: runs wait in config order (bounded backfill), get distinct GPUs with
  enough free memory, never more than a GPU has; `GpuLease` is what a run holds.

The orchestrator holds a run's GPUs for its ``infer`` stage only and hands them to the
executor (``CUDA_VISIBLE_DEVICES``, docker device requests, apptainer ``--nv``). Runs on
the ``ray`` executor are scheduled by Ray instead. See docs/gpu-scheduling.md.
"""

from ._inventory import ENV_GPU_INVENTORY, GpuInfo, read_inventory
from ._placement import GpuNeed, free_mib, never_fits, place
from ._scheduler import BACKFILL_LIMIT, Allocation, GpuLease, GpuScheduler

__all__ = [
    "BACKFILL_LIMIT",
    "ENV_GPU_INVENTORY",
    "Allocation",
    "GpuInfo",
    "GpuLease",
    "GpuNeed",
    "GpuScheduler",
    "free_mib",
    "never_fits",
    "place",
    "read_inventory",
]
