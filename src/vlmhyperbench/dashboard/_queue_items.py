"""The queue's table and saved configs: `QueueItem` rows (on their own metadata, `QueueBase`, apart
from the index's, so rebuilding the index keeps the queue), the state folder, and the checks of an
uploaded config's name and messages. The state folder itself is `queue.state_dir`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from sqlalchemy import JSON, Float, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ..core import ConfigError, Problem, UserError

__all__ = [
    "ACTIVE",
    "CONFIG_SUFFIXES",
    "ItemStatus",
    "QueueBase",
    "QueueItem",
    "clean_filename",
    "queue_unavailable",
    "renamed",
]

ItemStatus = Literal["queued", "running", "completed", "failed", "cancelled", "interrupted"]
ACTIVE: tuple[ItemStatus, ...] = ("queued", "running")
CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".csv")
"""What ``vlmhb run`` reads from a single file: an experiment, or a prototype run-matrix CSV."""


class QueueBase(DeclarativeBase):
    """Declarative base of the queue's table (apart from the index's: see the module doc)."""


class QueueItem(QueueBase):
    """A config submitted to the queue and what became of it."""

    __tablename__ = "queue_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[float] = mapped_column(Float)
    filename: Mapped[str] = mapped_column(String(255))
    """The name it was uploaded as (``pasted.yaml`` for pasted text)."""
    config_path: Mapped[str] = mapped_column(Text, default="")
    experiment: Mapped[str] = mapped_column(String(255), default="")
    runs: Mapped[list[str]] = mapped_column(JSON, default=list)
    """The run ids the config plans (links to their run pages)."""
    status: Mapped[str] = mapped_column(String(32), default="queued", index=True)
    process: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    """The `ProcessRef` of ``vlmhb run`` while it runs (it leads its own process group)."""
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    returncode: Mapped[int | None] = mapped_column(Integer, nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")
    """Why it ended as it did (the log's last line for a failure)."""

    @property
    def log_path(self) -> Path:
        """``run.log``: what ``vlmhb run`` printed."""
        return Path(self.config_path).parent / "run.log"


def clean_filename(filename: str) -> str:
    name = Path(filename.replace("\\", "/")).name.strip() or "pasted.yaml"
    if Path(name).suffix.lower() not in CONFIG_SUFFIXES:
        raise ConfigError(
            f"{name}: not a config file vlmhb run reads",
            hint="upload a .yaml, .yml or .json experiment, or a prototype run-matrix .csv",
        )
    return name


def queue_unavailable(exc: BaseException) -> UserError:
    """The error shown when the queue's database fails (unless the index gives its own)."""
    return ConfigError(
        f"the dashboard's queue database cannot be used: {str(exc).strip().splitlines()[0]}",
        hint="check that the database is running and reachable (--db URL)",
    )


def renamed(problem: Problem, saved: Path, name: str) -> Problem:
    """``problem`` with the saved file's path shown as the name it was uploaded as."""
    location = problem.location
    if location is not None and location.file is not None and Path(location.file) == saved:
        location = type(location)(name, location.line, location.column, location.key)
    message = problem.message.replace(str(saved), name)
    hint = problem.hint.replace(str(saved), name) if problem.hint else None
    return Problem(location, message, hint)
