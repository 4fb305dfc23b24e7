"""Smart sync of a local mirror folder with an ``s3://`` prefix: only what changed moves."""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from ..core import SourceLocation
from ._fs import filesystem, s3_errors
from ._index import INDEX, SyncIndex, local_files, mirror_lock
from ._segments import merge_segments, push_segment
from ._url import S3Url

logger = logging.getLogger(__name__)

__all__ = ["SyncReport", "list_folders", "move_aside_remote", "pull", "push", "remote_exists", "remote_files"]


@dataclass
class SyncReport:
    """What one sync moved."""

    url: str
    objects: int = 0
    """Objects uploaded or downloaded (the index object included)."""
    bytes: int = 0
    """Bytes uploaded or downloaded."""
    unchanged: int = 0
    """Files found equal on both sides by hash, not moved."""
    segments: int = 0
    """Answer segments uploaded or merged."""
    seconds: float = 0.0


def push(
    local: Path,
    url: str,
    *,
    exclude: Collection[str] = (),
    where: SourceLocation | None = None,
) -> SyncReport:
    """Upload the files of ``local`` whose hash differs from the bucket's index, and new answers.

    Args:
        local: The mirror folder.
        url: ``s3://bucket/prefix`` it mirrors.
        exclude: Top-level names of ``local`` left out (the run folders, when pushing an
            experiment folder's own files).
        where: The config key or flag that named the location, for errors.

    Raises:
        UserError: the bucket does not exist, access is denied, the endpoint does not answer.
    """
    target = S3Url(url)
    report = SyncReport(str(target))
    started = time.perf_counter()
    fs = filesystem()
    with mirror_lock(local), s3_errors(target, where):
        index = SyncIndex.read(local)
        remote = SyncIndex.parse(_cat(fs, target.child(INDEX).path))
        files = local_files(local, index.files, exclude)
        for rel, entry in files.items():
            old = remote.files.get(rel)
            if old is not None and old.sha256 == entry.sha256:
                report.unchanged += 1
                continue
            fs.put_file(str(local / rel), target.child(rel).path)
            report.objects += 1
            report.bytes += entry.size
        segment = push_segment(fs, local, target, index)
        if segment is not None:
            report.objects += 1
            report.segments += 1
            report.bytes += segment.size
        index.files = files
        if report.objects > report.segments:  # files went up: the bucket's index says so
            merged = SyncIndex(files={**remote.files, **files})
            data = merged.remote_bytes()
            fs.pipe_file(target.child(INDEX).path, data)
            report.objects += 1
            report.bytes += len(data)
        if local.is_dir():
            index.write(local)
    report.seconds = time.perf_counter() - started
    return report


def pull(
    url: str, local: Path, *, exclude: Collection[str] = (), where: SourceLocation | None = None
) -> SyncReport:
    """Download the files whose hash differs from the local copy, and merge new answer segments.

    Answers written here and not pushed yet are pushed first, so that nothing is lost
    when the segments of other writers are appended after them.

    Raises:
        UserError: the bucket does not exist, access is denied, the endpoint does not answer.
    """
    source = S3Url(url)
    report = SyncReport(str(source))
    started = time.perf_counter()
    fs = filesystem()
    with mirror_lock(local), s3_errors(source, where):
        index = SyncIndex.read(local)
        raw = _cat(fs, source.child(INDEX).path)
        report.objects += 1 if raw else 0
        report.bytes += len(raw or b"")
        remote = SyncIndex.parse(raw)
        if push_segment(fs, local, source, index) is not None:
            report.segments += 1
        files = local_files(local, index.files, exclude)
        gone: list[str] = []
        for rel, entry in remote.files.items():
            have = files.get(rel)
            if have is not None and have.sha256 == entry.sha256:
                report.unchanged += 1
                continue
            target = local / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.pull")
            try:
                fs.get_file(source.child(rel).path, str(tmp))
            except FileNotFoundError as exc:  # deleted from the bucket behind the index's back
                if "bucket" in str(exc).lower():
                    raise
                logger.warning("%s is in the index of %s but not in the bucket", rel, source)
                gone.append(rel)
                continue
            tmp.replace(target)
            report.objects += 1
            report.bytes += entry.size
        if gone:  # the index forgets them, so that the next push uploads them again
            for rel in gone:
                del remote.files[rel]
            fs.pipe_file(source.child(INDEX).path, remote.remote_bytes())
        merged, moved = merge_segments(fs, local, source, index)
        report.objects += merged
        report.segments += merged
        report.bytes += moved
        if local.is_dir():
            index.files = local_files(local, files, exclude)
            index.write(local)
    report.seconds = time.perf_counter() - started
    return report


def remote_exists(url: str, where: SourceLocation | None = None) -> bool:
    """True when anything is stored under ``url/``."""
    target = S3Url(url)
    fs = filesystem()
    with s3_errors(target, where):
        found = fs.call_s3("list_objects_v2", Bucket=target.bucket, Prefix=target.key + "/", MaxKeys=1)
    return bool(found.get("KeyCount"))


def remote_files(url: str, where: SourceLocation | None = None) -> list[str]:
    """The files the bucket's index lists under ``url/`` (relative paths; empty when there is none)."""
    target = S3Url(url)
    fs = filesystem()
    with s3_errors(target, where):
        return sorted(SyncIndex.parse(_cat(fs, target.child(INDEX).path)).files)


def list_folders(url: str, where: SourceLocation | None = None) -> list[str]:
    """The names of the folders directly under ``url/``, sorted."""
    target = S3Url(url)
    fs = filesystem()
    with s3_errors(target, where):
        try:
            entries = fs.ls(target.path, detail=True, refresh=True)
        except FileNotFoundError as exc:
            if "bucket" in str(exc).lower():
                raise
            return []
    return sorted(e["name"].rsplit("/", 1)[-1] for e in entries if e.get("type") == "directory")


def move_aside_remote(url: str, where: SourceLocation | None = None) -> str:
    """Move every object under ``url/`` to ``url.old-<time>/`` (copy, then delete) and return it."""
    target = S3Url(url)
    aside = S3Url(f"{target}.old-{time.strftime('%Y%m%d-%H%M%S')}")
    fs = filesystem()
    with s3_errors(target, where):
        fs.copy(target.path + "/", aside.path + "/", recursive=True)
        fs.rm(target.path + "/", recursive=True)
    return str(aside)


def _cat(fs: object, path: str) -> bytes | None:
    try:
        return fs.cat_file(path)  # type: ignore[attr-defined,no-any-return]
    except FileNotFoundError as exc:
        if "bucket" in str(exc).lower():
            raise
        return None
