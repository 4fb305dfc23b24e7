"""The dashboard's experiment queue: configs submitted from the browser, run one at a time.

An item is a config saved under the dashboard's state folder
(``$VLMHB_CACHE_DIR/dashboard/state-<RUNS_DIR key>/queue/<n>/``, never inside RUNS_DIR), checked
with `vlmhyperbench.orchestrator.validate.validate_experiment` (what ``vlmhb validate`` runs),
and a row of ``queue_items``. A worker thread starts queued items as ``vlmhb run <config>
--output-dir RUNS_DIR`` in a process group of their own, output to ``run.log`` next to the
config, so its runs appear in RUNS_DIR like any other. Cancelling sends SIGTERM to the group
(``vlmhb run`` then records its runs as interrupted; what was answered stays and a later run
resumes), then SIGKILL after a grace period.

The table has its own metadata (`QueueBase`), on the index's database: the index may be
dropped and rebuilt from RUNS_DIR at any time, the queue may not. When the dashboard starts,
an item left ``running`` whose process is gone is marked ``interrupted`` and can be queued
again.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import JSON, Float, Integer, String, Text, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from .._paths import cache_dir
from ..core import ConfigError, Problem, ProcessRef, RunDir, UserError, log_tail, process_ref
from ..orchestrator.validate import validate_experiment
from .db import runs_dir_key

__all__ = ["CONFIG_SUFFIXES", "ExperimentQueue", "ItemStatus", "QueueBase", "QueueItem", "state_dir"]

logger = logging.getLogger(__name__)

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


def state_dir(runs_dir: Path) -> Path:
    """The dashboard's own files for ``runs_dir``: ``$VLMHB_CACHE_DIR/dashboard/state-<runs_dir_key>``."""
    return cache_dir("dashboard", f"state-{runs_dir_key(runs_dir)}")


def _clean_filename(filename: str) -> str:
    name = Path(filename.replace("\\", "/")).name.strip() or "pasted.yaml"
    if Path(name).suffix.lower() not in CONFIG_SUFFIXES:
        raise ConfigError(
            f"{name}: not a config file vlmhb run reads",
            hint="upload a .yaml, .yml or .json experiment, or a prototype run-matrix .csv",
        )
    return name


class ExperimentQueue:
    """Queued configs, their ``vlmhb run`` processes, and the worker that starts them.

    Args:
        engine: The database (the index's engine).
        runs_dir: Where the runs go (``--output-dir``).
        root: Where configs and logs are kept (`state_dir` by default).
        parallel: Items running at once.
        grace_s: How long a cancelled run may take to stop before it is killed.
        command: The ``vlmhb`` command (default: this Python's ``-m vlmhyperbench``).
        unavailable: The error to raise for a database failure (the index's message).
    """

    def __init__(
        self,
        engine: Engine,
        runs_dir: Path,
        *,
        root: Path | None = None,
        parallel: int = 1,
        grace_s: float = 10.0,
        command: Sequence[str] | None = None,
        unavailable: Callable[[BaseException], UserError] | None = None,
    ) -> None:
        self.runs_dir = runs_dir.resolve()
        self.root = (root or state_dir(runs_dir)) / "queue"
        self.parallel = max(1, parallel)
        self.grace_s = grace_s
        self.command = list(command or [sys.executable, "-m", "vlmhyperbench"])
        self._unavailable = unavailable or _unavailable
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        try:
            QueueBase.metadata.create_all(engine)
        except SQLAlchemyError as exc:
            raise self._unavailable(exc) from None
        self._lock = threading.RLock()
        self._children: dict[int, subprocess.Popen[bytes]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """A session; a database failure becomes a `UserError` (the pages show it)."""
        try:
            with self._sessions() as session:
                yield session
        except SQLAlchemyError as exc:
            raise self._unavailable(exc) from None

    def items(self) -> list[QueueItem]:
        """Every item, newest first."""
        with self._session() as session:
            return list(session.scalars(select(QueueItem).order_by(QueueItem.id.desc())))

    def get(self, item_id: int) -> QueueItem | None:
        """The item ``item_id``, or None."""
        with self._session() as session:
            return session.get(QueueItem, item_id)

    def submit(self, filename: str, text: str) -> QueueItem:
        """Save and validate a config; queue it when valid (the worker starts it).

        Raises:
            UserError: the config is invalid; every problem is named as ``vlmhb validate``
                names it (with the uploaded file's name), and nothing is queued.
        """
        name = _clean_filename(filename)
        folder = self.root / f"upload-{time.time_ns()}"
        folder.mkdir(parents=True)
        path = folder / name
        path.write_text(text, encoding="utf-8")
        try:
            report = validate_experiment(path)
            if not report.ok:
                raise ConfigError(problems=[Problem(None, m) for m in report.messages()])
        except UserError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise ConfigError(problems=[_renamed(p, path, name) for p in exc.problems]) from None
        with self._lock, self._session() as session:
            item = QueueItem(
                created_at=time.time(),
                filename=name,
                experiment=report.plan.name,
                runs=[run.spec.run_id for run in report.plan.runs],
            )
            session.add(item)
            session.flush()
            final = self.root / str(item.id)
            shutil.rmtree(final, ignore_errors=True)
            folder.rename(final)
            item.config_path = str(final / name)
            session.commit()
        return item

    def cancel(self, item_id: int) -> QueueItem:
        """Cancel a queued item, or stop a running one (its run folders keep their answers).

        Raises:
            ConfigError: no such item, or it has already ended.
        """
        with self._lock:
            item = self._item(item_id)
            if item.status not in ACTIVE:
                raise ConfigError(f"queue item {item_id} has already ended ({item.status})")
            if item.status == "running":
                self._terminate(item)
            return self._update(item_id, status="cancelled", finished_at=time.time(), process=None)

    def requeue(self, item_id: int) -> QueueItem:
        """Queue an item that ended again: ``vlmhb run`` resumes its runs.

        Raises:
            ConfigError: no such item, or it is still queued or running.
        """
        with self._lock:
            item = self._item(item_id)
            if item.status in ACTIVE:
                raise ConfigError(f"queue item {item_id} is {item.status} already")
            return self._update(item_id, status="queued", returncode=None, message="", finished_at=None)

    def recover(self) -> list[int]:
        """Mark items left ``running`` by a process that is gone as ``interrupted``.

        Returns:
            The ids marked.
        """
        marked = []
        with self._lock:
            for item in self._with_status("running"):
                ref = ProcessRef.model_validate(item.process) if item.process else None
                if item.id not in self._children and (ref is None or ref.is_gone()):
                    self._update(
                        item.id,
                        status="interrupted",
                        process=None,
                        finished_at=time.time(),
                        message="the dashboard stopped while it ran; queue it again to resume",
                    )
                    marked.append(item.id)
        return marked

    def poll(self) -> None:
        """Record items whose process ended, and start queued ones while there is room."""
        with self._lock:
            running = 0
            for item in self._with_status("running"):
                if self._ended(item):
                    self._finish(item)
                else:
                    running += 1
            for item in self._with_status("queued")[: max(0, self.parallel - running)]:
                self._start(item)

    def start(self, interval_s: float = 1.0) -> None:
        """Poll in a background thread until `stop`."""
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(interval_s):
                try:
                    self.poll()
                except Exception:  # a database hiccup must not end the worker
                    logger.exception("queue worker: poll failed")

        self._thread = threading.Thread(target=loop, name="vlmhb-dashboard-queue", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the worker thread; running processes go on (they are picked up on restart)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _start(self, item: QueueItem) -> None:
        config = Path(item.config_path)
        argv = [*self.command, "run", str(config), "--output-dir", str(self.runs_dir)]
        with item.log_path.open("ab") as log:
            log.write(f"$ vlmhb run {config.name} --output-dir {self.runs_dir}\n".encode())
            log.flush()
            child = subprocess.Popen(
                argv,
                cwd=config.parent,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: cancel stops it and its stages
            )
        self._children[item.id] = child
        ref = process_ref(child.pid)
        self._update(item.id, status="running", started_at=time.time(), process=ref.model_dump())
        logger.info("queue item %s: started vlmhb run (pid %s)", item.id, child.pid)

    def _ended(self, item: QueueItem) -> bool:
        child = self._children.get(item.id)
        if child is not None:
            return child.poll() is not None
        return item.process is None or ProcessRef.model_validate(item.process).is_gone()

    def _finish(self, item: QueueItem) -> None:
        child = self._children.pop(item.id, None)
        code = child.returncode if child is not None else None
        last = [line for line in log_tail(item.log_path, 5).splitlines() if line.strip()]
        if code is None:  # started by an earlier dashboard: its runs' manifests tell how it ended
            code = 0 if self._runs_completed(item) else None
        status: ItemStatus = "completed" if code == 0 else "failed" if code is not None else "interrupted"
        message = "" if code == 0 else (last[-1].strip() if last else f"vlmhb run ended with status {code}")
        self._update(
            item.id, status=status, returncode=code, finished_at=time.time(), process=None, message=message
        )

    def _runs_completed(self, item: QueueItem) -> bool:
        try:
            manifests = [
                RunDir(self.runs_dir / item.experiment / run_id).read_manifest() for run_id in item.runs
            ]
        except UserError:
            return False
        return all(m.status == "completed" for m in manifests)

    def _terminate(self, item: QueueItem) -> None:
        child = self._children.pop(item.id, None)
        ref = ProcessRef.model_validate(item.process) if item.process else None
        if child is None and (ref is None or ref.is_gone()):
            return
        pgid = child.pid if child is not None else ref.pid  # type: ignore[union-attr]
        _signal_group(pgid, signal.SIGTERM)
        deadline = time.monotonic() + self.grace_s
        while time.monotonic() < deadline:
            if (child.poll() is not None) if child is not None else ref.is_gone():  # type: ignore[union-attr]
                break
            time.sleep(0.05)
        _signal_group(pgid, signal.SIGKILL)  # whatever of the group is left (stage processes)
        if child is not None:
            child.wait(timeout=5)

    def _item(self, item_id: int) -> QueueItem:
        item = self.get(item_id)
        if item is None:
            raise ConfigError(f"there is no queue item {item_id}", hint="the queue page lists them")
        return item

    def _with_status(self, status: ItemStatus) -> list[QueueItem]:
        with self._session() as session:
            query = select(QueueItem).where(QueueItem.status == status).order_by(QueueItem.id)
            return list(session.scalars(query))

    def _update(self, item_id: int, **values: Any) -> QueueItem:
        with self._session() as session:
            item = session.get(QueueItem, item_id)
            assert item is not None, item_id
            for key, value in values.items():
                setattr(item, key, value)
            session.commit()
            return item


def _unavailable(exc: BaseException) -> UserError:
    return ConfigError(
        f"the dashboard's queue database cannot be used: {str(exc).strip().splitlines()[0]}",
        hint="check that the database is running and reachable (--db URL)",
    )


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _renamed(problem: Problem, saved: Path, name: str) -> Problem:
    """``problem`` with the saved file's path shown as the name it was uploaded as."""
    location = problem.location
    if location is not None and location.file is not None and Path(location.file) == saved:
        location = type(location)(name, location.line, location.column, location.key)
    message = problem.message.replace(str(saved), name)
    hint = problem.hint.replace(str(saved), name) if problem.hint else None
    return Problem(location, message, hint)
