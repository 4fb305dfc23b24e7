"""The dashboard's experiment queue: configs submitted from the browser, run one at a time.

An item is a config saved under the dashboard's state folder
(``$VLMHB_CACHE_DIR/dashboard/state-<RUNS_DIR key>/queue/<n>/``, never inside RUNS_DIR), checked
with `vlmhyperbench.orchestrator.validate.validate_experiment` (what ``vlmhb validate`` runs),
and a row of ``queue_items`` (`_queue_items`: on the index's database, but not dropped with the
index). A worker thread starts queued items as ``vlmhb run <config> --output-dir RUNS_DIR``
(`_queue_process`), so their runs appear in RUNS_DIR like any other. A config's relative paths
(``dataset:``, prompt files...) start from the folder the dashboard was started in, as for
``vlmhb run`` of a config saved there. Cancelling stops the run's process group (its runs are
recorded as interrupted; what was answered stays and a later run resumes). When the dashboard
starts, an item left ``running`` whose process is gone is marked ``interrupted``.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from .._paths import cache_dir
from ..config import load_experiment
from ..core import ConfigError, Problem, ProcessRef, RunDir, UserError, log_tail, process_ref
from ..orchestrator.validate import validate_experiment
from ._queue_items import (
    ACTIVE,
    CONFIG_SUFFIXES,
    ItemStatus,
    QueueBase,
    QueueItem,
    clean_filename,
    queue_unavailable,
    renamed,
)
from ._queue_process import start_run, stop_group
from .db import runs_dir_key

__all__ = ["CONFIG_SUFFIXES", "ExperimentQueue", "ItemStatus", "QueueBase", "QueueItem", "state_dir"]

logger = logging.getLogger(__name__)


def state_dir(runs_dir: Path) -> Path:
    """The dashboard's own files for ``runs_dir``: ``$VLMHB_CACHE_DIR/dashboard/state-<runs_dir_key>``."""
    return cache_dir("dashboard", f"state-{runs_dir_key(runs_dir)}")


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
        config_dir: Where configs' relative paths start from (default: the working directory
            now, i.e. the folder the dashboard was started in).
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
        config_dir: Path | None = None,
    ) -> None:
        self.runs_dir = runs_dir.resolve()
        self.config_dir = (config_dir or Path.cwd()).resolve()
        self.root = (root or state_dir(runs_dir)) / "queue"
        self.parallel = max(1, parallel)
        self.grace_s = grace_s
        self.command = list(command or [sys.executable, "-m", "vlmhyperbench"])
        self._unavailable = unavailable or queue_unavailable
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
        name = clean_filename(filename)
        folder = self.root / f"upload-{time.time_ns()}"
        folder.mkdir(parents=True)
        path = folder / name
        path.write_text(text, encoding="utf-8")
        try:
            report = validate_experiment(load_experiment(path, base_dir=self.config_dir))
            if not report.ok:
                raise ConfigError(problems=[Problem(None, m) for m in report.messages()])
        except UserError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise ConfigError(problems=[renamed(p, path, name) for p in exc.problems]) from None
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
        child = start_run(self.command, Path(item.config_path), self.runs_dir, self.config_dir, item.log_path)
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
        stop_group(child, ref, self.grace_s)

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
