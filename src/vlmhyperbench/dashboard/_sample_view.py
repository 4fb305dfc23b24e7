"""What the sample page shows that the index does not hold: the dataset's sample and its files.

The dataset (the run spec's ``dataset.path``) is the source of truth for page images and
the answer's bounding box. It is loaded once per dataset and kept while its annotation
file is unchanged (`dataset_sample`). Files are served only from inside that folder
(`dataset_file`): a path that resolves elsewhere, through ``..`` or a symbolic link, is
refused.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ..core import Sample, UserError
from ..datasets import load_dataset

__all__ = ["IMAGE_SUFFIXES", "PageView", "answer_bbox", "dataset_file", "dataset_sample", "page_views"]

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp"})
"""What the file route serves: page images a browser shows, nothing else of the dataset."""

_ANNOTATIONS = ("annotation.jsonl", "annotation.csv")


def _stamp(root: Path) -> float:
    files = [root, *(root / name for name in _ANNOTATIONS)]
    return max((p.stat().st_mtime for p in files if p.exists()), default=0.0)


@functools.lru_cache(maxsize=4)
def _samples(root: str, stamp: float) -> dict[str, Sample]:
    del stamp  # part of the cache key only: a changed annotation file is read again
    return load_dataset(Path(root), check_images=False).by_id()


def dataset_sample(dataset_path: str, sample_id: str) -> tuple[Sample | None, str | None]:
    """The dataset's sample ``sample_id``, or None and why it cannot be shown."""
    root = Path(dataset_path)
    if not dataset_path or not root.is_dir():
        return None, f"the run's dataset folder {dataset_path or '(none)'} is not there"
    try:
        samples = _samples(str(root.resolve()), _stamp(root))
    except UserError as exc:
        return None, f"the run's dataset cannot be read: {exc.render()}"
    sample = samples.get(sample_id)
    if sample is None:
        return None, f"sample {sample_id!r} is not in the dataset {dataset_path} (changed since the run?)"
    return sample, None


def answer_bbox(sample: Sample) -> tuple[float, float, float, float] | None:
    """The answer's box ``(x_min, y_min, x_max, y_max)`` in pixels of the first page, if given.

    It is ``metadata.answer_bbox``: the prototype's ``annotation.csv`` column of that name,
    or the same key in a JSONL sample's ``metadata``.
    """
    box = sample.metadata.get("answer_bbox")
    if isinstance(box, (list, tuple)) and len(box) == 4 and all(isinstance(v, (int, float)) for v in box):
        x0, y0, x1, y1 = (float(v) for v in box)
        if x1 > x0 and y1 > y0:
            return x0, y0, x1, y1
    return None


@dataclass(frozen=True, slots=True)
class PageView:
    """One page image as the sample page shows it."""

    path: str
    """Relative to the dataset folder (the file route's path)."""
    width: int | None
    height: int | None
    box: tuple[float, float, float, float] | None = None
    """The answer's box as percentages of the page: left, top, width, height."""
    note: str | None = None
    """Why the image cannot be shown, if it cannot."""


def _size(path: Path) -> tuple[int | None, int | None]:
    try:
        with Image.open(path) as img:  # reads the header only
            width, height = img.size
            return int(width), int(height)
    except OSError:
        return None, None


def page_views(dataset_path: str, sample: Sample) -> list[PageView]:
    """The sample's pages, with the answer's box on the first where the dataset has one."""
    root = Path(dataset_path).resolve()
    box = answer_bbox(sample)
    views: list[PageView] = []
    for i, image in enumerate(sample.images):
        resolved = image.resolve()
        if not resolved.is_relative_to(root):
            views.append(PageView(str(image), None, None, note="outside the dataset folder: not served"))
            continue
        rel = resolved.relative_to(root).as_posix()
        if not resolved.is_file():
            views.append(PageView(rel, None, None, note="the image file is missing"))
            continue
        width, height = _size(resolved)
        pct = None
        if i == 0 and box and width and height:
            x0, y0, x1, y1 = box
            pct = (100 * x0 / width, 100 * y0 / height, 100 * (x1 - x0) / width, 100 * (y1 - y0) / height)
        views.append(PageView(rel, width, height, pct))
    return views


def dataset_file(dataset_path: str, rel: str) -> Path | None:
    """The image ``rel`` inside the dataset folder, or None when it resolves outside it,
    is not a file, or is not a page image (`IMAGE_SUFFIXES`)."""
    if not dataset_path:
        return None
    root = Path(dataset_path).resolve()
    target = (root / rel).resolve()
    if not target.is_relative_to(root) or target.suffix.lower() not in IMAGE_SUFFIXES:
        return None
    return target if target.is_file() else None
