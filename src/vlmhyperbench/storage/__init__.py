"""Run folders and datasets on S3-compatible storage (AWS S3, MinIO, Ceph...) through s3fs.

The API works on any machine with only a URL and the environment's credentials
(``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE`` and
``~/.aws/config``; nothing credential-like is ever written anywhere):

- `pull` (url, local) → `SyncReport`: download the files whose sha256 differs from the
  local copy and append the answer segments not merged yet to ``answers.jsonl`` (a line
  already there, or a second answer to an answered sample, is left out).
- `push` (local, url) → `SyncReport`: upload the files whose sha256 differs from the
  bucket's index, and the new complete answer lines as one immutable segment.
- `SegmentPusher` (mirror, url): a ``with`` block that streams new answer lines of a
  growing ``answers.jsonl`` as segments every N answers or T seconds
  (``$VLMHB_S3_SEGMENT_ANSWERS``, default 100; ``$VLMHB_S3_SEGMENT_SECONDS``, default 10).
- `fetch_dataset` (url) → Path: a dataset folder downloaded once per machine into
  ``$VLMHB_CACHE_DIR/s3/datasets`` and reused while its objects' ETags are unchanged.
- `mirror_dir` (url): the local mirror of a run or experiment URL under
  ``$VLMHB_CACHE_DIR/s3/mirror``; `check_location`: the bucket exists and may be used.

Layout of a run in the bucket: its files as on disk except ``answers.jsonl``, which is
``answers.segments/<seq:08d>-<writer>.jsonl``; ``.vlmhb-sync.json`` holds every file's
sha256 and size. docs/cluster.md ("S3 and smart sync") and docs/design/storage.md.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ._dataset import fetch_dataset, sync_dataset
from ._fs import check_location, filesystem
from ._index import INDEX, SEGMENTS, SyncIndex
from ._segments import SEGMENT_ANSWERS_ENV, SEGMENT_SECONDS_ENV, SegmentPusher
from ._sync import SyncReport, list_folders, move_aside_remote, pull, push, remote_exists, remote_files
from ._url import S3Url, is_s3_url

__all__ = [
    "INDEX",
    "SEGMENTS",
    "SEGMENT_ANSWERS_ENV",
    "SEGMENT_SECONDS_ENV",
    "S3Url",
    "SegmentPusher",
    "SyncIndex",
    "SyncReport",
    "check_location",
    "fetch_dataset",
    "filesystem",
    "is_s3_url",
    "list_folders",
    "mirror_dir",
    "move_aside_remote",
    "pull",
    "push",
    "remote_exists",
    "remote_files",
    "sync_dataset",
]


def mirror_dir(url: str) -> Path:
    """``$VLMHB_CACHE_DIR/s3/mirror/<bucket>-<hash of the URL>/<last part>``: where ``url`` is mirrored."""
    from .._paths import cache_dir

    source = S3Url(url)
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    return cache_dir("s3", "mirror", f"{source.bucket}-{digest}", source.name)
