"""The GPU queue: runs wait for their GPUs in the config's order, with bounded backfill.

`GpuScheduler.acquire` waits until a run's `GpuNeed` fits (see `place`) and reserves the
GPUs; `GpuScheduler.release` returns them. Every decision reads the inventory again
(NVML or ``VLMHB_GPU_INVENTORY``), so a GPU that disappears is no longer assigned, and
a run that can then never fit fails with the reason instead of waiting for ever.

Queue order is the config's run order. Backfill: when the first waiting run cannot
start, a later run that fits may start on the free GPUs; each run it overtakes counts
one skip, and once a waiting run has been skipped `BACKFILL_LIMIT` times nothing
behind it may start before it does. So a stream of small runs cannot starve a large
one; it waits at most for the runs it let through.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import anyio

from ..core import ConfigError
from ._inventory import ENV_GPU_INVENTORY, GpuInfo, read_inventory
from ._placement import GpuNeed, never_fits, place

__all__ = ["BACKFILL_LIMIT", "Allocation", "GpuLease", "GpuScheduler"]

logger = logging.getLogger(__name__)

BACKFILL_LIMIT = 2
"""How many later runs may start before a waiting run that could not start."""
POLL_S = 1.0
"""How often waiting runs look at the inventory again when nothing was released."""


@dataclass(frozen=True, slots=True)
class GpuLease:
    """GPUs reserved for one run's inference stage."""

    run_id: str
    gpus: tuple[GpuInfo, ...]
    memory_mib: int
    """MiB reserved on each GPU (its total for a whole-GPU run)."""
    need: GpuNeed

    @property
    def uuids(self) -> list[str]:
        """The GPUs' UUIDs, by index: what ``CUDA_VISIBLE_DEVICES`` and docker get."""
        return [g.uuid for g in self.gpus]

    def describe(self) -> str:
        """``GPU 0 (GPU-…, 80 GiB), GPU 2 (…): 40 GiB each``."""
        each = "whole" if self.need.memory_mib is None else f"{self.memory_mib / 1024:g} GiB each"
        return f"{', '.join(g.label() for g in self.gpus)}: {each}"


@dataclass(frozen=True, slots=True)
class Allocation:
    """One reservation or release, for the record of what held which GPU when."""

    time: float
    run_id: str
    action: Literal["acquire", "release"]
    uuids: tuple[str, ...]
    memory_mib: int


@dataclass(eq=False)
class _Waiter:
    run_id: str
    need: GpuNeed
    position: int
    skipped: int = 0
    lease: GpuLease | None = None
    error: ConfigError | None = None


def _unschedulable(reason: str) -> ConfigError:
    """The error of a run whose GPU need this machine cannot meet (callers name the run)."""
    return ConfigError(
        f"the run cannot get its GPUs: {reason}",
        hint="lower its resources.gpus or resources.gpu_memory_gb, run it on a larger machine or "
        f"with executor ray, or declare the GPUs in {ENV_GPU_INVENTORY} if NVML cannot see them",
    )


@dataclass(eq=False)
class GpuScheduler:
    """Reserves GPUs of this machine for inference stages; see the module docstring."""

    inventory: Callable[[], Sequence[GpuInfo]] = read_inventory
    """Reads the GPUs now (called at every decision)."""
    backfill_limit: int = BACKFILL_LIMIT
    poll_s: float = POLL_S
    history: list[Allocation] = field(default_factory=list)
    """Every reservation and release, in order."""
    _leases: dict[int, GpuLease] = field(default_factory=dict, init=False)
    _waiting: list[_Waiter] = field(default_factory=list, init=False)
    _changed: anyio.Event | None = field(default=None, init=False)
    _dirty: bool = field(default=True, init=False)
    """Something changed (a release, a new waiter) since the last decision."""
    _decided_at: float = field(default=0.0, init=False)

    def check(self, need: GpuNeed) -> None:
        """Raise the `ConfigError` of a need the GPUs here cannot meet even when all are free."""
        reason = never_fits(need, self.inventory())
        if reason is not None:
            raise _unschedulable(reason)

    async def acquire(self, run_id: str, need: GpuNeed, position: int) -> GpuLease:
        """Wait for ``need`` to fit, in queue order (``position``: the run's place in the config).

        Raises:
            ConfigError: the need can no longer fit (a GPU disappeared) or never could.
        """
        waiter = _Waiter(run_id, need, position)
        self._waiting.append(waiter)
        self._waiting.sort(key=lambda w: w.position)
        self._dirty = True
        try:
            while True:
                self._decide()
                if waiter.lease is not None:
                    return waiter.lease
                if waiter.error is not None:
                    raise waiter.error
                changed = self._event()
                with anyio.move_on_after(self.poll_s):
                    await changed.wait()
        except BaseException:
            if waiter.lease is not None:  # granted, then cancelled before it was handed over
                self.release(waiter.lease)
            raise
        finally:
            if waiter in self._waiting:
                self._waiting.remove(waiter)

    def release(self, lease: GpuLease) -> None:
        """Return the GPUs of ``lease`` (releasing twice does nothing)."""
        if self._leases.pop(id(lease), None) is None:
            return
        self.history.append(
            Allocation(time.time(), lease.run_id, "release", tuple(lease.uuids), lease.memory_mib)
        )
        logger.info("run %s released %s", lease.run_id, ", ".join(g.label() for g in lease.gpus))
        self._dirty = True
        self._wake()

    def reserved(self) -> dict[str, int]:
        """MiB reserved on each GPU (by uuid) now."""
        out: dict[str, int] = {}
        for lease in self._leases.values():
            for uuid in lease.uuids:
                out[uuid] = out.get(uuid, 0) + lease.memory_mib
        return out

    def _decide(self) -> None:
        """Grant every waiter that may start now, fail those that never can.

        Every waiting run calls this when woken; the inventory is read again when
        something changed, or when the last reading is ``poll_s`` old (a GPU freed or
        lost outside the experiment), not once per waiting run.
        """
        now = time.monotonic()
        if not self._dirty and now - self._decided_at < self.poll_s:
            return
        self._dirty, self._decided_at = False, now
        gpus = list(self.inventory())
        reserved = self.reserved()
        passed: list[_Waiter] = []  # still waiting, ahead of the one considered
        changed = False
        for waiter in list(self._waiting):
            if waiter.lease is not None or waiter.error is not None:
                continue
            reason = never_fits(waiter.need, gpus)
            if reason is not None:
                waiter.error = _unschedulable(reason)
                changed = True
                continue
            blocked = any(w.skipped >= self.backfill_limit for w in passed)
            chosen = None if blocked else place(waiter.need, gpus, reserved)
            if chosen is None:
                passed.append(waiter)
                continue
            lease = self._grant(waiter, chosen)
            for uuid in lease.uuids:
                reserved[uuid] = reserved.get(uuid, 0) + lease.memory_mib
            for earlier in passed:
                earlier.skipped += 1
            changed = True
        if changed:
            self._wake()

    def _grant(self, waiter: _Waiter, chosen: tuple[GpuInfo, ...]) -> GpuLease:
        need = waiter.need
        # a whole-GPU run reserves the largest of its GPUs' totals, so nothing else fits there
        memory = need.memory_mib if need.memory_mib is not None else max(g.memory_total_mib for g in chosen)
        lease = GpuLease(waiter.run_id, chosen, memory, need)
        self._leases[id(lease)] = lease
        waiter.lease = lease
        self.history.append(Allocation(time.time(), lease.run_id, "acquire", tuple(lease.uuids), memory))
        logger.info("run %s got %s", lease.run_id, lease.describe())
        return lease

    def _event(self) -> anyio.Event:
        if self._changed is None:
            self._changed = anyio.Event()
        return self._changed

    def _wake(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None
