"""The `Stage` protocol: what a stage needs, and how it runs on a run folder.

A stage is one step of a run (``infer``, ``evaluate``, ``report``). It reads its run
folder (and, if it says so, the dataset's samples, a backend or metrics that whoever
starts it builds for it) and writes only into the folder. The orchestrator knows the
stages only through this protocol and `STAGES`: it never switches on their names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from ..backends import ModelBackend
from ..core import Manifest, RunDir, RunSpec, Sample, StageInfo
from ..metrics import Metric

__all__ = ["Stage", "StageContext", "StageResult"]

Progress = Callable[[int, int], None]
"""``(done, total)`` as the stage advances."""


@dataclass
class StageContext:
    """Everything a stage runs with; built by the orchestrator or by ``vlmhb stage``."""

    run_dir: RunDir
    spec: RunSpec
    manifest: Manifest
    """The run's record as it stands; the stage's own entry is `info`."""
    info: StageInfo
    samples: Sequence[Sample] = ()
    """The run's samples (dataset after filters), when the stage `needs_samples`."""
    backend: ModelBackend | None = None
    """Built but not started, when the stage `needs_backend`."""
    metrics: Sequence[Metric] = ()
    """Built, when the stage `needs_metrics`."""
    env_id: str | None = None
    """Id of the environment the stage runs in (`Manifest.environments`)."""
    progress: Progress = lambda done, total: None


@dataclass
class StageResult:
    """What a stage reports back: counts for the manifest and the terminal."""

    counts: dict[str, int] = field(default_factory=dict)
    registry: dict[str, str] = field(default_factory=dict)
    """Entries to add to `Manifest.registry` (e.g. the backend as it described itself)."""


class Stage(Protocol):
    """One step of a run."""

    name: ClassVar[str]
    needs_samples: ClassVar[bool]
    needs_pages: ClassVar[bool]
    """Whether the samples' images must exist and open (scoring needs none)."""
    needs_backend: ClassVar[bool]
    needs_metrics: ClassVar[bool]

    def check(self, run_dir: RunDir, stages: Sequence[str]) -> None:
        """Raise a `UserError` when the stage cannot run now, given the stages run with it."""

    async def run(self, ctx: StageContext) -> StageResult:
        """Do the stage's work; a user mistake raises `UserError`, a failed sample is data."""
        ...
