"""Readers of the formats public benchmarks ship in, and what they yield.

A reader (`SourceReader`) turns a downloaded benchmark — a folder or a file in its
official layout — into `SourceRecord`s, one question at a time: image bytes or an
image file per page, the question, the reference answers and everything else the
benchmark gives (kept in ``metadata``). It never loads a whole split into memory and
never touches the network. `import_source` (``_import.py``) writes the records into the
native JSONL layout, so validation, filters, fingerprints and reports work the same on
every dataset.

Bad rows (a corrupt base64 image, a missing image file, an answer that is not a
literal) are reported through the `RowError` the importer passes in, each with its
``file:row`` and column, and the row is skipped; the importer then refuses the import
(or, asked to, records the skipped rows). Problems with the source as a whole (no
file of the expected name, an unknown split) raise `DatasetError` naming the files the
format expects.
"""

from __future__ import annotations

import ast
import base64
import binascii
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from ...core import DatasetError, MissingDependency, Registry, SourceLocation
from .._base import RowError

__all__ = [
    "PageImage",
    "ReadOptions",
    "SourceReader",
    "SourceRecord",
    "decode_base64",
    "literal_list",
    "pick_split",
    "require_module",
    "source_formats",
]

source_formats: Registry[type[SourceReader]] = Registry(
    "source_formats",
    builtins=(
        "vlmhyperbench.datasets.sources.hf_parquet",
        "vlmhyperbench.datasets.sources.vlmevalkit_tsv",
        "vlmhyperbench.datasets.sources.vqa",
        "vlmhyperbench.datasets.sources.kie",
        "vlmhyperbench.datasets.sources.pdf",
        "vlmhyperbench.datasets.sources.ocrbench_v2",
        "vlmhyperbench.datasets.sources.omnidocbench",
        "vlmhyperbench.datasets.sources.olmocr_bench",
    ),
    list_command="vlmhb datasets list",
)


@dataclass(frozen=True, slots=True)
class PageImage:
    """One page of a record: encoded image bytes, or an image file on disk."""

    data: bytes | None = None
    path: Path | None = None

    def read(self) -> bytes:
        """The encoded bytes (reads the file when the page is a path)."""
        if self.data is not None:
            return self.data
        if self.path is None:
            raise ValueError("a PageImage needs data or a path")
        return self.path.read_bytes()


@dataclass(slots=True)
class SourceRecord:
    """One question on one document, as read from a public benchmark.

    The fields are those of `Sample` (``images`` are pages still to be written);
    ``where`` is the row it came from, so that the importer can name it when an image
    turns out to be unreadable.
    """

    id: str
    images: list[PageImage]
    question: str = ""
    answers: list[str] = field(default_factory=list)
    doc_class: str = ""
    question_type: str = ""
    task: str = "vqa"
    split: str = ""
    fields: dict[str, Any] | None = None
    json_schema: dict[str, Any] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    where: SourceLocation | None = None


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """What part of a source to read."""

    split: str | None = None
    """The split (``val``, ``test``...); the format's default when None."""
    subset: str | None = None
    """A configuration or subset (HF config folder, CC-OCR track, OCRBench v2 part)."""
    dpi: int | None = None
    """PDF pages are rendered at this resolution; None: the format's default (``pdf``:
    144 dpi; ``olmocr_bench``: 2048 pixels on the longer side, as olmOCR-bench renders)."""
    pages: str | None = None
    """PDF page ranges, 1-based and inclusive: ``"1-3,5"``; all pages when None."""


class SourceReader(Protocol):
    """A format public datasets ship in. Registered with `source_formats`."""

    name: ClassVar[str]
    expects: ClassVar[str]
    """The files the format expects, as said in errors, e.g. ``data/<split>-*.parquet``."""

    def read(self, source: Path, options: ReadOptions, errors: RowError) -> Iterator[SourceRecord]:
        """Yield the records of ``source`` one by one (bad rows go to ``errors``).

        Raises:
            DatasetError: the source as a whole is not in this format, or the split or
                subset does not exist (the message lists those that do).
        """
        ...


def require_module(module: str, what: str, extra: str = "benchmarks") -> Any:
    """Import an optional module or fail naming the extra that installs it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependency(
            f"{what} needs the Python package '{module}'",
            hint=f"pip install 'vlmhyperbench[{extra}]'",
        ) from None


def decode_base64(text: str, where: SourceLocation, errors: RowError) -> bytes | None:
    """Strict base64 (whitespace allowed); a bad string is a problem at ``where``."""
    try:
        data = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        errors.add(
            where,
            f"the image is not valid base64: {exc}",
            "re-download the file; a truncated download is the usual cause",
        )
        return None
    if not data:
        errors.add(where, "the image is empty")
        return None
    return data


def literal_list(text: str, where: SourceLocation, errors: RowError) -> list[str] | None:
    """A cell that holds a Python-literal list (``"['5', 'five']"``) or a plain string.

    Parsed with `ast.literal_eval` (never ``eval``); a plain string that does not start
    with ``[`` is one answer. A ``[`` string that is not a literal list is a problem.
    """
    stripped = text.strip()
    if not stripped.startswith("["):
        return [text]
    try:
        value = ast.literal_eval(stripped)
    except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
        errors.add(where, f"'{stripped[:60]}' looks like a list but is not a Python literal: {exc}")
        return None
    if not isinstance(value, list | tuple):
        errors.add(where, f"expected a list, got {type(value).__name__}")
        return None
    return [str(v) for v in value]


def missing_files(
    source: Path, reader: type[SourceReader] | SourceReader, found: Sequence[str] = ()
) -> DatasetError:
    """The error for a source that does not hold what the format expects."""
    seen = f"; it holds: {', '.join(found[:8])}" if found else ""
    return DatasetError(
        f"{source} is not a '{reader.name}' source{seen}",
        hint=f"the '{reader.name}' format expects {reader.expects}",
    )


def unknown_choice(kind: str, value: str, available: Sequence[str], source: Path) -> DatasetError:
    """The error for a split or subset the source does not have."""
    listing = ", ".join(sorted(available)) or "none"
    return DatasetError(
        f"{source} has no {kind} '{value}'",
        hint=f"{kind}s found there: {listing}",
    )


def pick_split(found: Mapping[str, Any], options: ReadOptions, default: str, source: Path) -> str:
    """The split to read: the requested one, else ``default`` when present, else the only one."""
    split = options.split
    if split is None:
        split = default if default in found or len(found) != 1 else next(iter(found))
    if split not in found:
        raise unknown_choice("split", split, list(found), source)
    return split
