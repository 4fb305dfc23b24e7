"""Datasets under ``s3://``: downloaded once per machine into ``$VLMHB_CACHE_DIR/s3/datasets``.

The cached copy is keyed by the URL and by a version: a hash over every object's key,
size and ETag, read from one listing. The same version is never downloaded twice; a
changed object makes a new version. A download goes to a temporary folder renamed into
place at the end, so two processes fetching at once both end with one complete copy.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path

from ..core import DatasetError, SourceLocation
from ._fs import filesystem, s3_errors
from ._sync import SyncReport
from ._url import S3Url

__all__ = ["dataset_cache_root", "fetch_dataset", "sync_dataset"]


def dataset_cache_root(url: str) -> Path:
    """``$VLMHB_CACHE_DIR/s3/datasets/<bucket>-<hash of the URL>``: the versions of one dataset URL,
    each ``<version>/<last part of the URL>/``."""
    from .._paths import cache_dir

    source = S3Url(url)
    return cache_dir("s3", "datasets", f"{source.bucket}-{hashlib.sha256(source.encode()).hexdigest()[:16]}")


def fetch_dataset(url: str, *, where: SourceLocation | None = None) -> Path:
    """The local folder holding the dataset at ``url``, downloaded now unless cached already."""
    return sync_dataset(url, where=where)[0]


def sync_dataset(url: str, *, where: SourceLocation | None = None) -> tuple[Path, SyncReport]:
    """`fetch_dataset`, with what it moved (nothing when the cached version is current).

    Raises:
        DatasetError: nothing is stored under ``url``.
        UserError: the bucket does not exist, access is denied, the endpoint does not answer.
    """
    source = S3Url(url)
    report = SyncReport(str(source))
    started = time.perf_counter()
    fs = filesystem()
    with s3_errors(source, where):
        listed = fs.find(source.path, detail=True, refresh=True)
        objects = {
            info["name"][len(source.path) + 1 :]: info
            for info in listed.values()
            if info.get("type") == "file" and info["name"].startswith(source.path + "/")
        }
        objects = {rel: info for rel, info in objects.items() if rel and not rel.endswith("/")}
        if not objects:
            raise DatasetError(
                f"nothing is stored under {source}",
                location=where,
                hint="upload the dataset folder first (aws s3 sync DATASET s3://...), or fix the URL",
            )
        version = hashlib.sha256(
            "\n".join(
                f"{rel}\t{info.get('size')}\t{info.get('ETag', '')}" for rel, info in sorted(objects.items())
            ).encode()
        ).hexdigest()[:16]
        root = dataset_cache_root(source)
        target = root / version  # holding <name>/, so the folder keeps the dataset's name
        if target.is_dir():
            report.unchanged = len(objects)
            report.seconds = time.perf_counter() - started
            return target / source.name, report
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=root))
        try:
            for rel, info in objects.items():
                dest = tmp / source.name / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                fs.get_file(info["name"], str(dest))
                report.objects += 1
                report.bytes += int(info.get("size") or 0)
            try:
                os.rename(tmp, target)
            except OSError:  # another process renamed its complete copy first
                if not target.is_dir():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    report.seconds = time.perf_counter() - started
    return target / source.name, report
