"""What the executors keep in the cache folder, and pruning it.

``$VLMHB_CACHE_DIR`` (``~/.cache/vlmhyperbench``) holds the ``venv`` executor's
environments (``venvs/<hash>``: one per resolved requirement set, often GBs with
PyTorch), the project's own wheels (``self/<source hash>``), Apptainer images built
from Docker ones (``sif/``) and Tesseract's page cache (``tesseract/``). An environment
records its last use in the mtime of its ``.vlmhb-complete`` marker, which every run
that reuses it touches; one without the marker is a build that did not finish.

Pruning takes each environment's build lock without waiting and skips one that is
being built. A stage that is running in an environment holds no lock: prune by age
(``older_than_s``), not everything, while runs are going on.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .._paths import cache_dir

__all__ = ["COMPLETE_MARKER", "CachedItem", "cache_folders", "cached_items", "prune", "touch"]

COMPLETE_MARKER = ".vlmhb-complete"


@dataclass(frozen=True)
class CachedItem:
    """One prunable entry: a venv or a built wheel of the project."""

    kind: str  # "venv" | "self"
    path: Path
    size_bytes: int
    last_used: float  # seconds since the epoch
    complete: bool
    requirements: tuple[str, ...] = ()  # a venv's requested lines (requirements.in), the project's first

    @property
    def lock(self) -> Path:
        return self.path.with_suffix(".lock")


def folder_size(path: Path) -> int:
    """Bytes of the regular files under ``path`` (links not followed, each inode once)."""
    total, seen = 0, set()
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512 if st.st_blocks else st.st_size
    return total


def touch(path: Path) -> None:
    """Record a use (the mtime of ``path``); a read-only cache is not an error."""
    with contextlib.suppress(OSError):
        os.utime(path)


def _item(kind: str, path: Path) -> CachedItem:
    marker = path / COMPLETE_MARKER
    if kind == "venv":
        complete = marker.exists()
        stamp = marker if complete else path
        requested = path / "requirements.in"
        lines = requested.read_text(encoding="utf-8").splitlines() if requested.exists() else []
    else:  # a folder with the built wheel: complete once the wheel is there
        complete = any(path.glob("vlmhyperbench-*.whl"))
        stamp, lines = path, []
    try:
        last_used = stamp.stat().st_mtime
    except OSError:
        last_used = 0.0
    return CachedItem(
        kind, path, folder_size(path), last_used, complete, tuple(x for x in lines if x.strip())
    )


def cached_items(root: Path | None = None) -> list[CachedItem]:
    """The prunable entries under the cache folder, most recently used first."""
    base = root or cache_dir()
    items = []
    for folder, kind in (("venvs", "venv"), ("self", "self")):
        parent = base / folder
        if parent.is_dir():
            items += [_item(kind, p) for p in parent.iterdir() if p.is_dir()]
    return sorted(items, key=lambda item: item.last_used, reverse=True)


def cache_folders(root: Path | None = None) -> dict[str, int]:
    """Bytes per top-level folder of the cache (``venvs``, ``self``, ``sif``, ``tesseract``...)."""
    base = root or cache_dir()
    if not base.is_dir():
        return {}
    return {p.name: folder_size(p) for p in sorted(base.iterdir()) if p.is_dir()}


@contextlib.contextmanager
def _try_lock(path: Path) -> Iterator[bool]:
    """Hold ``path``'s exclusive lock if nobody does: yields whether it was taken."""
    if not path.exists():
        yield True
        return
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prune(
    items: list[CachedItem], *, older_than_s: float | None, dry_run: bool = False, now: float | None = None
) -> tuple[list[CachedItem], list[CachedItem]]:
    """Remove unfinished entries and those unused for ``older_than_s`` (all when ``None``).

    Returns (removed or, with ``dry_run``, to be removed; skipped because being built).
    """
    now = time.time() if now is None else now
    removed, busy = [], []
    for item in items:
        stale = older_than_s is None or now - item.last_used >= older_than_s
        if item.complete and not stale:
            continue
        with _try_lock(item.lock) as free:
            if not free:
                busy.append(item)
                continue
            if not dry_run:
                shutil.rmtree(item.path, ignore_errors=True)
        removed.append(item)
    return removed, busy
