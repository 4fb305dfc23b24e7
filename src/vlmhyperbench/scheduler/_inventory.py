"""The GPUs of this machine: from NVML, or from a file that declares them.

NVML (``pynvml`` from nvidia-ml-py, the driver's management library) gives each GPU's
index, UUID, name and memory total/used. ``VLMHB_GPU_INVENTORY=gpus.json`` replaces it
with a declared list, read again at every scheduling decision: tests use it as a fake
NVML, and a user can use it to give the scheduler only some GPUs, or GPUs NVML cannot
see (an unusual driver setup)::

    [{"index": 0, "uuid": "GPU-0", "memory_total_mib": 81920, "memory_used_mib": 0}, ...]

``memory_used_mib`` means what NVML reports: all memory in use on the GPU, including
what runs of this experiment use.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from ..core import ConfigError, SourceLocation, problems_from_validation_error

__all__ = ["ENV_GPU_INVENTORY", "GpuInfo", "read_inventory"]

logger = logging.getLogger(__name__)

ENV_GPU_INVENTORY = "VLMHB_GPU_INVENTORY"
"""Names a JSON file that declares the GPUs instead of asking NVML."""


class GpuInfo(BaseModel):
    """One GPU as the scheduler sees it at one moment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    index: int = Field(ge=0)
    """NVML index (PCI bus order), as ``nvidia-smi`` shows it."""
    uuid: str = Field(min_length=1)
    """``GPU-…`` (or ``MIG-…``): what ``CUDA_VISIBLE_DEVICES`` and docker are given."""
    name: str = ""
    memory_total_mib: int = Field(gt=0)
    memory_used_mib: int = Field(default=0, ge=0)
    """All memory in use on the GPU (by any process), as NVML reports it."""

    def label(self) -> str:
        """``GPU 0 (GPU-…, 80 GiB)`` for messages."""
        return f"GPU {self.index} ({self.uuid}, {self.memory_total_mib / 1024:g} GiB)"


_DECLARED = TypeAdapter(list[GpuInfo])


def _declared(path: Path) -> list[GpuInfo]:
    where = f"{ENV_GPU_INVENTORY}={path}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(
            f"cannot read the GPU inventory file: {exc.strerror or exc}",
            location=SourceLocation(str(path)),
            hint=f"fix the path in {ENV_GPU_INVENTORY}, or unset it to ask the driver (NVML)",
        ) from None
    except ValueError as exc:
        raise ConfigError(
            f"the GPU inventory file is not JSON: {exc}", location=SourceLocation(str(path))
        ) from None
    try:
        gpus = _DECLARED.validate_python(data)
    except ValidationError as exc:
        raise ConfigError(
            f"{where} must be a list of {{index, uuid, memory_total_mib, memory_used_mib}} objects",
            problems=problems_from_validation_error(exc, SourceLocation(str(path))),
        ) from None
    uuids = [g.uuid for g in gpus]
    if len(set(uuids)) != len(uuids) or len({g.index for g in gpus}) != len(gpus):
        raise ConfigError(
            "the GPU inventory lists a GPU twice (same index or uuid)", location=SourceLocation(str(path))
        )
    return sorted(gpus, key=lambda g: g.index)


def _nvml() -> list[GpuInfo]:
    try:
        pynvml: Any = importlib.import_module("pynvml")
    except ImportError:
        logger.debug("pynvml (nvidia-ml-py) is not installed: no GPUs")
        return []
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as exc:  # no driver, no GPU
        logger.debug("NVML is not available (%s): no GPUs", exc)
        return []
    try:
        gpus = []
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
            uuid = pynvml.nvmlDeviceGetUUID(handle)
            name = pynvml.nvmlDeviceGetName(handle)
            gpus.append(
                GpuInfo(
                    index=index,
                    uuid=uuid.decode() if isinstance(uuid, bytes) else str(uuid),
                    name=name.decode() if isinstance(name, bytes) else str(name),
                    memory_total_mib=max(1, int(memory.total) // 2**20),
                    memory_used_mib=int(memory.used) // 2**20,
                )
            )
        return gpus
    except pynvml.NVMLError as exc:  # a GPU fell off the bus while we asked
        logger.warning("reading the GPUs through NVML failed: %s", exc)
        return []
    finally:
        try:
            pynvml.nvmlShutdown()
        except pynvml.NVMLError:
            pass


def read_inventory() -> list[GpuInfo]:
    """The GPUs now, by index: the declared file when ``VLMHB_GPU_INVENTORY`` is set, else NVML.

    Returns an empty list on a machine without NVIDIA GPUs (or without the driver).

    Raises:
        ConfigError: the declared file is missing or invalid.
    """
    declared = os.environ.get(ENV_GPU_INVENTORY)
    if declared:
        return _declared(Path(declared).expanduser())
    return _nvml()
