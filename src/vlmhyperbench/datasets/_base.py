"""Dataset loading: layouts on disk → validated `Sample`s, filters, fingerprint."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from PIL import Image, UnidentifiedImageError

from ..core import DatasetError, Problem, Registry, Sample, SourceLocation

__all__ = [
    "Dataset",
    "DatasetLoader",
    "RowError",
    "apply_filters",
    "dataset_loaders",
    "detect_layout",
    "load_dataset",
    "resolve_image",
]

dataset_loaders: Registry[type[DatasetLoader]] = Registry(
    "datasets",
    builtins=("vlmhyperbench.datasets.prototype_csv", "vlmhyperbench.datasets.jsonl"),
    list_command="vlmhb datasets list",
)


@dataclass(frozen=True)
class Dataset:
    """Samples read from one dataset root, with what identifies their content."""

    root: Path
    layout: str
    annotation_file: Path
    samples: list[Sample]
    fingerprint: str

    def by_id(self) -> dict[str, Sample]:
        """Samples keyed by id."""
        return {s.id: s for s in self.samples}


class DatasetLoader(Protocol):
    """A layout on disk. Implementations are registered with `dataset_loaders`."""

    annotation_name: str
    """File name that identifies the layout inside a dataset root."""

    def load(self, root: Path, *, default_task: str, check_images: bool = True) -> list[Sample]:
        """Read every sample (unfiltered); raise `DatasetError` listing bad rows.

        With ``check_images`` false, image files are neither required nor opened (only
        their paths are checked): for scoring answers, which does not look at pages.
        """
        ...


@dataclass
class RowError:
    """Collects per-row problems so one run of the loader reports all of them."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, where: SourceLocation, message: str, hint: str | None = None) -> None:
        """Record one problem."""
        self.problems.append(Problem(where, message, hint))

    def raise_if_any(self) -> None:
        """Raise a `DatasetError` with every problem (at most 50 shown)."""
        if self.problems:
            shown = self.problems[:50]
            if len(self.problems) > 50:
                shown.append(Problem(None, f"... and {len(self.problems) - 50} more problems"))
            raise DatasetError(problems=shown)


def resolve_image(
    root: Path, rel: str, where: SourceLocation, errors: RowError, *, check_file: bool = True
) -> Path | None:
    """Resolve an image path against the dataset root; refuse escapes and (with
    ``check_file``) missing or unreadable files."""
    if not rel or not rel.strip():
        errors.add(where, "image path is empty")
        return None
    root_resolved = root.resolve()
    path = (root_resolved / rel.strip()).resolve()
    if not path.is_relative_to(root_resolved):
        errors.add(
            where,
            f"'{rel}' resolves outside the dataset",
            "image paths are relative to the folder that holds the annotation file",
        )
        return None
    if not check_file:
        return path
    if not path.is_file():
        errors.add(where, f"image '{rel}' does not exist", f"expected at {path}")
        return None
    try:
        with Image.open(path) as img:
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        errors.add(where, f"image '{rel}' cannot be read: {exc}", "replace the file or drop the row")
        return None
    return path


def detect_layout(root: Path) -> str:
    """The registered layout whose annotation file is present in ``root``."""
    if not root.is_dir():
        raise DatasetError(
            f"dataset folder does not exist: {root}",
            hint="pass the folder that holds annotation.csv or annotation.jsonl",
        )
    found = [e.name for e in dataset_loaders if (root / e.obj.annotation_name).is_file()]
    if not found:
        names = ", ".join(e.obj.annotation_name for e in dataset_loaders)
        raise DatasetError(f"no annotation file in {root}", hint=f"a dataset folder holds one of: {names}")
    if len(found) > 1:
        raise DatasetError(
            f"{root} holds annotation files of several layouts ({', '.join(found)})",
            hint="pass layout explicitly in the run's dataset section",
        )
    return found[0]


def fingerprint(annotation_file: Path, samples: Sequence[Sample]) -> str:
    """SHA-256 over the annotation bytes and each distinct image's path and bytes, in order.

    An absent image (a dataset loaded without ``check_images``) adds its path alone, so
    the fingerprint then differs from that of the complete dataset.
    """
    digest = hashlib.sha256()
    digest.update(annotation_file.read_bytes())
    seen: set[Path] = set()
    for sample in samples:
        for image in sample.images:
            if image in seen:
                continue
            seen.add(image)
            digest.update(str(image.relative_to(annotation_file.parent.resolve())).encode())
            if image.is_file():
                digest.update(image.read_bytes())
    return "sha256:" + digest.hexdigest()


def apply_filters(samples: Iterable[Sample], filters: dict[str, list[str]]) -> list[Sample]:
    """Keep samples whose attributes are in every non-empty filter list (independently)."""
    active = {k: set(v) for k, v in filters.items() if v}
    return [s for s in samples if all(getattr(s, k) in vals for k, vals in active.items())]


def load_dataset(
    root: Path | str, *, layout: str = "auto", default_task: str = "vqa", check_images: bool = True
) -> Dataset:
    """Load every sample of a dataset folder, validated, with its fingerprint.

    Args:
        root: The folder holding the annotation file.
        layout: A registered layout, or ``auto`` to detect it from the annotation file.
        default_task: The task of samples whose layout does not say.
        check_images: Require every image to exist and open (``vlmhb datasets validate``,
            inference). ``False`` checks only that image paths stay inside the dataset:
            enough to score answers, which needs no pages.

    Raises:
        DatasetError: listing every bad row (file:line:column, what, how to fix).
    """
    root = Path(root).expanduser().resolve()
    name = detect_layout(root) if layout == "auto" else layout
    loader = dataset_loaders.get(name)()
    if not root.is_dir():
        raise DatasetError(f"dataset folder does not exist: {root}")
    samples = loader.load(root, default_task=default_task, check_images=check_images)
    annotation = root / loader.annotation_name
    return Dataset(root, name, annotation, samples, fingerprint(annotation, samples))
