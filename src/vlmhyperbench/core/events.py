"""Progress events: how the orchestrator tells a front end what is happening."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = ["Event", "EventSink", "null_sink"]

EventKind = Literal["stage_started", "progress", "stage_finished", "run_failed", "message"]


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened in a run; ``completed``/``total`` for progress."""

    kind: EventKind
    run_id: str = ""
    stage: str = ""
    completed: int = 0
    total: int = 0
    text: str = ""


EventSink = Callable[[Event], None]


def null_sink(event: Event) -> None:
    """Ignore events."""
