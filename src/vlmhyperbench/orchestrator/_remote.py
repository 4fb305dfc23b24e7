"""Experiments whose ``output_dir`` is ``s3://``: the runner works in a local mirror, synced.

The mirror is ``$VLMHB_CACHE_DIR/s3/mirror/<bucket>-<hash>/<experiment>/`` (`storage.mirror_dir`).
Before a run starts its folder is pulled (so a run resumes from the bucket, from any
machine, even with an empty mirror: answered samples are not asked again); while it runs
its new answers go up as segments (`storage.SegmentPusher`), after each stage and at its
end its files are pushed; after the experiment its comparison files are pushed too. With
``--fresh`` the run's old objects are moved aside in the bucket (``<run>.old-<time>/``),
as its local folder is. The bucket is checked (exists, may be written) before any run starts.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import anyio

from ..core import ConfigError, SourceLocation, UserError
from ..core.events import Event, EventSink
from ..storage import (
    S3Url,
    SegmentPusher,
    check_location,
    is_s3_url,
    list_folders,
    mirror_dir,
    move_aside_remote,
    pull,
    push,
    remote_exists,
    remote_files,
)

__all__ = ["RemoteExperiment", "experiment_root", "output_location", "pull_results", "push_results"]

logger = logging.getLogger(__name__)

RunOutcomeT = TypeVar("RunOutcomeT")

WHERE = SourceLocation(key="--output-dir / output_dir")
"""How the user named the location."""


@dataclass(frozen=True)
class RemoteExperiment:
    """An experiment folder in a bucket and its local mirror."""

    url: S3Url
    """``<output_dir>/<experiment>``."""
    mirror: Path

    async def execute(
        self,
        run_id: str,
        fresh: bool,
        emit: EventSink,
        call: Callable[[EventSink], Awaitable[RunOutcomeT]],
        *,
        synced_by_executor: bool = False,
    ) -> RunOutcomeT:
        """Run ``call`` (one run's `execute_run`) on a pulled mirror, streaming its results up.

        With ``synced_by_executor`` (the ``ray`` executor) the stages run on other machines
        against the bucket: the executor pushes the mirror before each stage and pulls it
        after, so nothing is streamed or pushed from here while the run goes on (a push
        racing the executor's pull would put this mirror's stale manifest over the node's).
        """
        url, local = self.url.child(run_id), self.mirror / run_id
        if fresh and await anyio.to_thread.run_sync(lambda: remote_exists(url, WHERE)):
            aside = await anyio.to_thread.run_sync(lambda: move_aside_remote(url, WHERE))
            logger.warning("moved the old run %s aside in the bucket to %s", run_id, aside)
        elif not fresh:
            pulled = await anyio.to_thread.run_sync(lambda: pull(url, local, where=WHERE))
            logger.info("pulled %s: %d objects, %d bytes", url, pulled.objects, pulled.bytes)
        stage_done = threading.Event()

        def forward(event: Event) -> None:
            if event.kind == "stage_finished" and event.run_id == run_id:
                stage_done.set()
            emit(event)

        async def push_after_stages() -> None:
            while True:
                await anyio.sleep(0.2)
                if stage_done.is_set():
                    stage_done.clear()
                    await anyio.to_thread.run_sync(lambda: push(local, url, where=WHERE))

        try:
            if synced_by_executor:
                outcome = await call(emit)
            else:
                with SegmentPusher(local, url):
                    async with anyio.create_task_group() as tg:
                        tg.start_soon(push_after_stages)
                        outcome = await call(forward)
                        tg.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                await self._final_push(run_id, emit)
        return outcome

    async def _final_push(self, run_id: str, emit: EventSink) -> None:
        url, local = self.url.child(run_id), self.mirror / run_id
        if not local.is_dir():
            return
        try:
            done = await anyio.to_thread.run_sync(lambda: push(local, url, where=WHERE))
            logger.info("pushed %s: %d objects, %d bytes", url, done.objects, done.bytes)
        except UserError as exc:  # the run's results stay in the mirror; the next run pushes them
            logger.error("run %s: pushing to %s failed: %s", run_id, url, exc.render())
            emit(Event("message", run_id, text=f"not stored in {url} (kept in {local}): {exc.render()}"))

    async def finish(self, run_ids: list[str], emit: EventSink) -> None:
        """After the runs: push what is not in the bucket yet (the folder of a run that failed
        before it started, the comparison); the runs' own pushes left the rest unchanged."""
        for run_id in run_ids:
            await self._final_push(run_id, emit)
        if not self.mirror.is_dir():
            return
        folders = [p.name for p in self.mirror.iterdir() if p.is_dir()]
        try:
            await anyio.to_thread.run_sync(lambda: push(self.mirror, self.url, exclude=folders, where=WHERE))
        except UserError as exc:
            logger.error("pushing the comparison to %s failed: %s", self.url, exc.render())
            emit(Event("message", text=f"comparison not stored in {self.url}: {exc.render()}"))


def output_location(value: Path | str) -> Path | S3Url:
    """``--output-dir`` as given: an `S3Url` for ``s3://...``, else a path.

    A `Path` made of an ``s3://`` URL (a CLI option typed as a path) reads ``s3:/...``: its
    ``//`` is restored.

    Raises:
        ConfigError: an ``s3://`` URL that is not valid.
    """
    if isinstance(value, Path) and re.match(r"^s3:/(?!/)", str(value), re.IGNORECASE):
        value = "s3://" + str(value)[4:]
    if not is_s3_url(value):
        return Path(value)
    try:
        return S3Url(str(value))
    except ValueError as exc:
        raise ConfigError(str(exc), location=WHERE, hint="write it as s3://bucket/prefix") from None


def experiment_root(output_dir: Path | S3Url, name: str) -> tuple[Path, RemoteExperiment | None]:
    """The experiment folder to run in, and its bucket location when ``output_dir`` is ``s3://``.

    Raises:
        UserError: the bucket does not exist, may not be written, or its endpoint does not answer.
    """
    if not isinstance(output_dir, S3Url):
        return output_dir / name, None
    url = output_dir.child(name)
    check_location(url, WHERE, write=True)
    remote = RemoteExperiment(url, mirror_dir(url))
    return remote.mirror, remote


_ASIDE = re.compile(r"\.old-\d{8}-\d{6}(-\d+)?$")


def pull_results(url: S3Url, where: SourceLocation | None) -> Path:
    """Pull a run folder, or every run folder of an experiment folder, into its local mirror.

    Raises:
        ConfigError: nothing that looks like a run or an experiment is stored there.
        UserError: the bucket does not exist, access is denied, the endpoint does not answer.
    """
    local = mirror_dir(url)
    if _holds_run(url, where):
        pull(url, local, where=where)
        return local
    runs = [
        name
        for name in list_folders(url, where)
        if not _ASIDE.search(name) and _holds_run(url.child(name), where)
    ]
    if not runs:
        raise ConfigError(
            f"{url} holds no run folder and no experiment folder",
            location=where,
            hint="name s3://bucket/prefix/EXPERIMENT or .../EXPERIMENT/RUN as `vlmhb run` wrote it",
        )
    for name in runs:
        pull(url.child(name), local / name, where=where)
    pull(url, local, exclude=runs, where=where)  # the experiment's own files (its index)
    return local


def push_results(local: Path, url: S3Url, where: SourceLocation | None) -> None:
    """Push back what a report wrote: the run folders' files and the experiment's comparison."""
    if (local / "run_spec.json").is_file():
        push(local, url, where=where)
        return
    folders = [p.name for p in local.iterdir() if p.is_dir()]
    for name in folders:
        if (local / name / "run_spec.json").is_file():
            push(local / name, url.child(name), where=where)
    push(local, url, exclude=folders, where=where)


def _holds_run(url: S3Url, where: SourceLocation | None) -> bool:
    return "run_spec.json" in remote_files(url, where)
