"""The sync index: sha256 and size of every file a mirror and its bucket prefix hold.

``.vlmhb-sync.json`` lives both in the bucket (``<url>/.vlmhb-sync.json``: the files there)
and in the local mirror (what was last pulled or pushed, plus the answer segments merged
into ``answers.jsonl`` and how many of its bytes are already in segments). Hashes, not
modification times, say what changed: clocks differ across machines. Locally the mtime
and size only spare re-hashing a file that did not change.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Collection, Iterator
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = [
    "ANSWERS",
    "INDEX",
    "SEGMENTS",
    "FileEntry",
    "SyncIndex",
    "atomic_write",
    "local_files",
    "mirror_lock",
    "sha256_bytes",
]

INDEX = ".vlmhb-sync.json"
"""The index object's name, in the bucket prefix and in the mirror."""
ANSWERS = "answers.jsonl"
"""Travels as segments, never as a whole file."""
SEGMENTS = "answers.segments"
"""The bucket folder of answer segments: ``<seq:08d>-<writer>.jsonl``, complete lines only."""

_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


class FileEntry(BaseModel):
    """One file's content hash and size (and, locally, the mtime it was hashed at)."""

    model_config = ConfigDict(extra="ignore")

    sha256: str
    size: int
    mtime_ns: int | None = None


class SyncIndex(BaseModel):
    """What a location holds: files by relative path; locally also the merged answer segments."""

    model_config = ConfigDict(extra="ignore")

    version: int = 1
    files: dict[str, FileEntry] = Field(default_factory=dict)
    segments: dict[str, FileEntry] = Field(default_factory=dict)
    """Local only: the segments whose lines ``answers.jsonl`` holds."""
    answers_bytes: int = 0
    """Local only: how many bytes at the start of ``answers.jsonl`` are in the bucket already."""

    @classmethod
    def parse(cls, data: bytes | None) -> SyncIndex:
        """An index from its JSON (an empty one when absent or unreadable: everything is compared)."""
        if not data:
            return cls()
        try:
            return cls.model_validate(json.loads(data))
        except (ValueError, ValidationError):
            return cls()

    @classmethod
    def read(cls, mirror: Path) -> SyncIndex:
        """The mirror's index."""
        path = mirror / INDEX
        return cls.parse(path.read_bytes() if path.is_file() else None)

    def write(self, mirror: Path) -> None:
        """Write the mirror's index atomically."""
        atomic_write(mirror / INDEX, self.model_dump_json(indent=1).encode())

    def remote_bytes(self) -> bytes:
        """The bucket's copy: the files alone."""
        return (
            SyncIndex(files={k: FileEntry(sha256=v.sha256, size=v.size) for k, v in self.files.items()})
            .model_dump_json(indent=1, exclude={"segments", "answers_bytes"})
            .encode()
        )


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def local_files(
    mirror: Path, known: dict[str, FileEntry], exclude: Collection[str] = ()
) -> dict[str, FileEntry]:
    """Every file of the mirror by relative path, hashed unless size and mtime match ``known``.

    Left out: dot files anywhere (the index, ``.heartbeat``, atomic-write temporaries),
    ``answers.jsonl`` (it travels as segments) and the top-level names in ``exclude``.
    """
    out: dict[str, FileEntry] = {}
    for path in _walk(mirror, exclude):
        rel = path.relative_to(mirror).as_posix()
        stat = path.stat()
        old = known.get(rel)
        if old is not None and old.size == stat.st_size and old.mtime_ns == stat.st_mtime_ns:
            out[rel] = old
        else:
            out[rel] = FileEntry(sha256=_sha256_file(path), size=stat.st_size, mtime_ns=stat.st_mtime_ns)
    return out


def _walk(mirror: Path, exclude: Collection[str]) -> Iterator[Path]:
    if not mirror.is_dir():
        return
    for top in sorted(mirror.iterdir()):
        if top.name.startswith(".") or top.name in exclude or top.name in (ANSWERS, SEGMENTS):
            continue
        if top.is_file():
            yield top
        elif top.is_dir():
            for dirpath, dirnames, filenames in os.walk(top):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if not name.startswith("."):
                        yield Path(dirpath) / name


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def mirror_lock(mirror: Path) -> threading.Lock:
    """The lock that serialises syncs of one mirror within this process (pusher thread and runner)."""
    key = mirror.resolve()
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.Lock())
