"""Answers in the bucket: immutable segments of complete ``answers.jsonl`` lines.

S3 has no append, so the answers written since the last push go up as a new object
``answers.segments/<seq:08d>-<writer>.jsonl`` (``writer``: a random id drawn for each
segment, so two writers never overwrite each other's segments, even copies of one mirror). A PUT is all or nothing: a writer killed
mid-upload loses that segment only, and its lines are asked again on resume. A pull
appends the segments it has not merged yet, in name order, to the local ``answers.jsonl``,
dropping a line already there and a second answer to a sample already answered (a
retried worker): every answer is in the file once.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from typing_extensions import Self

from ._index import ANSWERS, SEGMENTS, FileEntry, SyncIndex, sha256_bytes
from ._url import S3Url

if TYPE_CHECKING:
    from s3fs import S3FileSystem  # type: ignore[import-untyped]

__all__ = [
    "SEGMENT_ANSWERS_ENV",
    "SEGMENT_SECONDS_ENV",
    "merge_segments",
    "push_segment",
    "segment_settings",
]

logger = logging.getLogger(__name__)

SEGMENT_ANSWERS_ENV = "VLMHB_S3_SEGMENT_ANSWERS"
"""Push a segment once this many new answers are written (default 100)."""
SEGMENT_SECONDS_ENV = "VLMHB_S3_SEGMENT_SECONDS"
"""... or once the oldest unpushed answer is this many seconds old (default 10)."""


def segment_settings() -> tuple[int, float]:
    """``(answers, seconds)`` from the environment, with the defaults 100 and 10."""
    answers = int(os.environ.get(SEGMENT_ANSWERS_ENV) or 100)
    seconds = float(os.environ.get(SEGMENT_SECONDS_ENV) or 10.0)
    return max(1, answers), max(0.1, seconds)


def _seq(name: str) -> int:
    head = name.partition("-")[0]
    return int(head) if head.isdigit() else 0


def pending_answers(mirror: Path, index: SyncIndex) -> bytes:
    """The complete lines of ``answers.jsonl`` not yet in a segment."""
    path = mirror / ANSWERS
    if not path.is_file() or path.stat().st_size <= index.answers_bytes:
        return b""
    with path.open("rb") as fh:
        fh.seek(index.answers_bytes)
        data = fh.read()
    return data[: data.rfind(b"\n") + 1]


def push_segment(fs: S3FileSystem, mirror: Path, url: S3Url, index: SyncIndex) -> FileEntry | None:
    """Upload the new complete answer lines as one segment; update ``index`` (not written here)."""
    data = pending_answers(mirror, index)
    if not data:
        return None
    seq = max((_seq(n) for n in index.segments), default=0) + 1
    name = f"{seq:08d}-{uuid.uuid4().hex[:12]}.jsonl"
    fs.pipe_file(url.child(SEGMENTS, name).path, data)
    entry = FileEntry(sha256=sha256_bytes(data), size=len(data))
    index.segments[name] = entry
    index.answers_bytes += len(data)
    return entry


def _known(path: Path) -> tuple[set[str], set[str]]:
    """Hashes of the lines of ``answers.jsonl`` and the sample ids answered there."""
    lines: set[str] = set()
    answered: set[str] = set()
    if path.is_file():
        for raw in path.read_bytes().splitlines():
            _note(raw, lines, answered)
    return lines, answered


def _note(raw: bytes, lines: set[str], answered: set[str]) -> bool:
    """Record a line; False when it adds nothing (seen, or a sample already answered)."""
    digest = sha256_bytes(raw.strip())
    if not raw.strip() or digest in lines:
        return False
    try:
        data = json.loads(raw)
    except ValueError:
        return False
    sample_id = str(data.get("sample_id")) if isinstance(data, dict) else None
    if sample_id is None or sample_id in answered:
        return False
    lines.add(digest)
    if data.get("error") is None and data.get("answer") is not None:
        answered.add(sample_id)
    return True


def merge_segments(fs: S3FileSystem, mirror: Path, url: S3Url, index: SyncIndex) -> tuple[int, int]:
    """Append the segments not merged yet to ``answers.jsonl``; ``(objects, bytes)`` downloaded."""
    prefix = url.child(SEGMENTS).path
    try:
        listed = fs.ls(prefix, detail=False, refresh=True)
    except FileNotFoundError:
        return 0, 0
    names = sorted(p.rsplit("/", 1)[-1] for p in listed)
    new = [n for n in names if n.endswith(".jsonl") and n not in index.segments]
    if not new:
        return 0, 0
    path = mirror / ANSWERS
    lines, answered = _known(path)
    moved = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as out:
        for name in new:
            data = fs.cat_file(f"{prefix}/{name}")
            moved += len(data)
            kept = [raw for raw in data.splitlines() if _note(raw, lines, answered)]
            if len(kept) < len(data.splitlines()):
                logger.info(
                    "segment %s: %d line(s) already merged left out", name, len(data.splitlines()) - len(kept)
                )
            out.write(b"".join(raw + b"\n" for raw in kept))
            index.segments[name] = FileEntry(sha256=sha256_bytes(data), size=len(data))
        out.flush()
        os.fsync(out.fileno())
    index.answers_bytes = path.stat().st_size
    return len(new), moved


class SegmentPusher:
    """Streams new answer lines of a growing ``answers.jsonl`` to the bucket from a thread.

    A segment goes up once ``every_answers`` new lines are written or the oldest unpushed
    line is ``every_seconds`` old; leaving the ``with`` block pushes what is left. Defaults
    from ``$VLMHB_S3_SEGMENT_ANSWERS`` (100) and ``$VLMHB_S3_SEGMENT_SECONDS`` (10).
    """

    def __init__(
        self,
        mirror: Path,
        url: S3Url,
        *,
        every_answers: int | None = None,
        every_seconds: float | None = None,
        poll_s: float = 0.2,
    ) -> None:
        default_answers, default_seconds = segment_settings()
        self.mirror = Path(mirror)
        self.url = S3Url(url)
        self.every_answers = every_answers or default_answers
        self.every_seconds = every_seconds or default_seconds
        self.poll_s = poll_s
        self.segments = 0
        """Segments uploaded so far."""
        self.error: BaseException | None = None
        """The last upload error (retried at the next tick, raised on exit if it persists)."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="vlmhb-s3-segments", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.flush()

    def flush(self) -> bool:
        """Push the complete lines not pushed yet now; True when a segment went up."""
        from ._fs import filesystem
        from ._index import mirror_lock

        with mirror_lock(self.mirror):
            index = SyncIndex.read(self.mirror)
            entry = push_segment(filesystem(), self.mirror, self.url, index)
            if entry is not None:
                index.write(self.mirror)
                self.segments += 1
        return entry is not None

    def _loop(self) -> None:
        since: float | None = None
        while not self._stop.wait(self.poll_s):
            try:
                index = SyncIndex.read(self.mirror)
                new = pending_answers(self.mirror, index).count(b"\n")
                if not new:
                    since = None
                    continue
                since = since or time.monotonic()
                if new >= self.every_answers or time.monotonic() - since >= self.every_seconds:
                    self.flush()
                    since = None
                self.error = None
            except Exception as exc:  # noqa: BLE001 (a network error: retried at the next tick)
                self.error = exc
                logger.warning("pushing answers to %s failed (retrying): %s", self.url, exc)
