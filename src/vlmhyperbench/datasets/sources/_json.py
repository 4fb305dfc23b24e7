"""Shared by the readers of JSON annotation files: finding the file of a split, reading
it with located errors, reading answers and ids, and finding each row's page.

The annotation files are single JSON documents and are parsed whole (text only);
pages are found as paths and opened one at a time by the importer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ...core import DatasetError, SourceLocation
from .._base import RowError

__all__ = [
    "ImageFinder",
    "annotation_files",
    "field_text",
    "json_document",
    "other_fields",
    "reference_answers",
    "row_list",
]


def json_document(path: Path) -> Any:
    """The parsed file; invalid JSON is a `DatasetError` at its line and column."""
    try:
        with path.open(encoding="utf-8") as fh:
            return json.load(fh)
    except json.JSONDecodeError as exc:
        raise DatasetError(
            f"not valid JSON: {exc.msg}",
            location=SourceLocation(path, exc.lineno, exc.colno),
            hint="re-download the file; it may be truncated",
        ) from None
    except UnicodeDecodeError as exc:
        raise DatasetError(f"not UTF-8 text: {exc}", location=SourceLocation(path)) from None


def annotation_files(source: Path, pattern: re.Pattern[str]) -> dict[str, list[Path]]:
    """Files under ``source`` (or ``source`` itself) whose name matches ``pattern``, by its
    ``split`` group, shortest path first."""
    candidates = [source] if source.is_file() else sorted(source.rglob("*.json"))
    found: dict[str, list[Path]] = {}
    for path in candidates:
        match = pattern.fullmatch(path.name)
        if match:
            found.setdefault(match["split"], []).append(path)
    for paths in found.values():
        paths.sort(key=lambda p: (len(p.parts), p.name))
    return found


def reference_answers(
    value: Any, where: SourceLocation, errors: RowError, key: str = "answers"
) -> list[str] | None:
    """Reference answers: a list of strings, one string, or nothing (a test split; the
    HF copies of some test splits hold empty strings instead, read as nothing too)."""
    if value is None or (isinstance(value, list) and all(v == "" for v in value)):
        return []
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, list) and all(
        isinstance(v, str | int | float) and not isinstance(v, bool) for v in value
    ):
        return [str(v) for v in value]
    errors.add(where.with_key(key), f"expected a string or a list of strings, got {json.dumps(value)[:60]}")
    return None


def field_text(row: Mapping[str, Any], key: str, where: SourceLocation, errors: RowError) -> str | None:
    """A required string (or integer id) field, as text; a problem at ``where`` when absent."""
    value = row.get(key)
    if isinstance(value, str | int) and not isinstance(value, bool):
        return str(value)
    errors.add(where.with_key(key), "required key is missing" if value is None else "expected a string")
    return None


def row_list(document: Any, path: Path, key: str | None) -> list[Any]:
    """The list of questions: the document itself, or its ``key`` member."""
    rows = document.get(key) if key is not None and isinstance(document, dict) else document
    if not isinstance(rows, list):
        shape = f"an object with a '{key}' list" if key else "a list of questions"
        raise DatasetError(f"expected {shape}", location=SourceLocation(path), hint="is this the right file?")
    return rows


class ImageFinder:
    """Finds a row's page under the source: the path as written or its bare file name,
    in the preferred folders, the annotation file's folder, the source folder, or a folder
    directly inside either of those two (``spdocvqa_images/``, ``train_images/``...). The
    place that held the previous page is tried first, so a page costs a few ``stat`` calls."""

    def __init__(self, root: Path, annotation: Path, preferred: Sequence[str] = ()) -> None:
        self.root = root.resolve()
        self.near = list(dict.fromkeys([self.root, annotation.parent.resolve()]))
        self.bases = [*(b / p for b in self.near for p in preferred), *self.near]
        self._inside: list[Path] | None = None
        self._last: tuple[Path, bool] | None = None

    def _candidates(self) -> Iterator[tuple[Path, bool]]:
        if self._last is not None:
            yield self._last
        if self._inside is None:
            self._inside = [d for p in self.near if p.is_dir() for d in sorted(p.iterdir()) if d.is_dir()]
        for base in dict.fromkeys([*self.bases, *self._inside]):
            yield base, False
            yield base, True

    def find(self, rel: str, where: SourceLocation, errors: RowError) -> Path | None:
        """The page's path, or None after reporting it missing (or outside the source)."""
        name = Path(rel).name
        for base, bare in self._candidates():
            path = (base / (name if bare else rel)).resolve()
            if path.is_relative_to(self.root) and path.is_file():
                self._last = (base, bare)
                return path
        folders = [str(b.relative_to(self.root)) for b in dict.fromkeys([*self.bases, *(self._inside or [])])]
        shown = [f for f in folders if f != "."]
        more = f" and {len(shown) - 8} more" if len(shown) > 8 else ""
        errors.add(
            where,
            f"image '{rel}' does not exist",
            f"looked for '{rel}' and '{name}' in {self.root} and its folders {', '.join(shown[:8]) or '(none)'}{more}",
        )
        return None


def other_fields(row: Mapping[str, Any], skip: set[str], **extra: Any) -> dict[str, Any]:
    """The row's columns except ``skip``, with ``extra``: a record's ``metadata``."""
    return {**{k: v for k, v in row.items() if k not in skip}, **extra}
