"""A run's states in ``events.jsonl`` and the GPUs it holds, as the runner drives it.

The states (`RunState`): ``queued`` (waiting for a slot among ``jobs`` or for GPUs),
``preparing`` (its folder opened, GPUs assigned), ``running`` (inference), ``evaluating``
(evaluate, report), then ``completed``, ``failed``, ``cancelled`` (stopped before it
started) or ``interrupted`` (stopped while it ran). A run is queued before its folder
may be opened (``--fresh`` moves an old one aside first), so the first states are held
back and written when it is.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from ..core import RunDir, RunSpec, RunState, RunStateRecord
from ..envs import executors
from ..scheduler import GpuLease, GpuNeed, GpuScheduler

__all__ = ["RunControl", "RunStates", "gpu_need"]

logger = logging.getLogger(__name__)


def gpu_need(spec: RunSpec, stages: frozenset[str]) -> GpuNeed | None:
    """What the run's inference asks of this machine's GPUs; None when it is not scheduled here
    (no GPUs asked, no inference now, or an executor that places GPUs itself, like Ray)."""
    if "infer" not in stages or spec.only_evaluate:
        return None
    kind = spec.environment.executor.kind
    if kind != "inline" and executors.get(kind).assigns_gpus:
        return None
    return GpuNeed.of(spec.resources)


@dataclass(eq=False)
class RunStates:
    """Writes one run's states to its ``events.jsonl``."""

    run_id: str
    last: RunState | None = None
    _run_dir: RunDir | None = None
    _pending: list[RunStateRecord] = field(default_factory=list)

    def set(
        self,
        state: RunState,
        stage: str | None = None,
        detail: str | None = None,
        gpus: list[str] | None = None,
    ) -> None:
        """Record that the run entered ``state`` now."""
        record = RunStateRecord(
            time=time.time(), run_id=self.run_id, state=state, stage=stage, detail=detail, gpus=gpus or []
        )
        self.last = state
        logger.debug("run %s: %s %s", self.run_id, state, stage or "")
        if self._run_dir is None:
            self._pending.append(record)
        else:
            self._run_dir.append_state(record)

    def attach(self, run_dir: RunDir) -> None:
        """The run's folder is ready: write the states held back, then write as they come."""
        self._run_dir = run_dir
        for record in self._pending:
            run_dir.append_state(record)
        self._pending.clear()

    def attach_if_exists(self, run_dir: RunDir) -> None:
        """Attach to a folder an earlier attempt made; keep holding back when there is none."""
        if run_dir.run_spec.exists():
            self.attach(run_dir)


@dataclass(eq=False)
class RunControl:
    """What the runner keeps of one run: its states and the GPUs reserved for its inference."""

    states: RunStates
    scheduler: GpuScheduler | None = None
    lease: GpuLease | None = None

    def opened(self, run_dir: RunDir) -> None:
        """The run's folder is open: ``preparing``, with the GPUs it got."""
        self.states.attach(run_dir)
        if self.lease is not None:
            self.states.set("preparing", detail=self.lease.describe(), gpus=self.lease.uuids)
        else:
            self.states.set("preparing")

    def gpus_for(self, stage: str) -> list[str] | None:
        """The GPUs the stage gets (inference only); None: not scheduled."""
        return self.lease.uuids if stage == "infer" and self.lease is not None else None

    def stage_started(self, stage: str) -> None:
        """``running`` for inference, ``evaluating`` for evaluate and report."""
        self.states.set("running" if stage == "infer" else "evaluating", stage=stage)

    def stage_ended(self, stage: str) -> None:
        """Inference is over: its GPUs go back to the scheduler (evaluate needs none)."""
        if stage == "infer":
            self.release()

    def release(self) -> None:
        """Return the GPUs, if the run holds any."""
        if self.lease is not None and self.scheduler is not None:
            self.scheduler.release(self.lease)
        self.lease = None
