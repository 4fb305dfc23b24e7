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
    "json_array_items",
    "json_document",
    "json_line_object",
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


def json_line_object(line: str, where: SourceLocation, errors: RowError) -> dict[str, Any] | None:
    """One line of a JSONL file as an object; a line that is not JSON or not an object is a
    row problem at ``where`` (the column of a syntax error), and None."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        errors.add(SourceLocation(where.file, where.line, exc.colno), f"not valid JSON: {exc.msg}")
        return None
    if not isinstance(row, dict):
        errors.add(where, f"expected a JSON object, got {type(row).__name__}")
        return None
    return row


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


class _Cursor:
    """A window on a text file read in chunks, that knows the line and column of each offset."""

    def __init__(self, fh: Any, path: Path, chunk_size: int) -> None:
        self.fh, self.path, self.chunk_size = fh, path, chunk_size
        self.buf, self.pos, self.eof = "", 0, False
        self.line, self.column = 1, 1  # of buf[0]

    def more(self) -> bool:
        """Read the next chunk (dropping what was consumed); False at the end of the file."""
        if self.eof:
            return False
        try:
            chunk = self.fh.read(self.chunk_size)
        except UnicodeDecodeError as exc:
            raise DatasetError(f"not UTF-8 text: {exc}", location=self.where(len(self.buf))) from None
        if not chunk:
            self.eof = True
            return False
        if self.pos:
            newlines = self.buf.count("\n", 0, self.pos)
            if newlines:
                self.line += newlines
                self.column = self.pos - self.buf.rfind("\n", 0, self.pos)
            else:
                self.column += self.pos
            self.buf, self.pos = self.buf[self.pos :], 0
        self.buf += chunk
        return True

    def where(self, offset: int) -> SourceLocation:
        """The line and column of ``buf[offset]``."""
        last = self.buf.rfind("\n", 0, offset)
        line = self.line + self.buf.count("\n", 0, offset)
        return SourceLocation(self.path, line, offset - last if last >= 0 else self.column + offset)

    def peek(self) -> str:
        """The next character that is not white space ('' at the end of the file)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.more():
                return ""

    def fail(self, message: str) -> DatasetError:
        return DatasetError(
            message, location=self.where(self.pos), hint="re-download the file; it may be truncated"
        )


def json_array_items(path: Path, chunk_size: int = 1 << 20) -> Iterator[tuple[int, SourceLocation, Any]]:
    """The items of the JSON list in ``path``, one at a time, without reading the whole file.

    Yields ``(index, where, item)``: the 0-based index and the line and column the item
    starts at. Memory holds one item (and one chunk) at a time, so a 100 MB annotation
    file costs what its largest item does.

    Raises:
        DatasetError: the file is not a JSON list, is not valid JSON (at its line and
            column), is truncated, or is not UTF-8.
    """
    decoder = json.JSONDecoder()
    with path.open(encoding="utf-8") as fh:
        cursor = _Cursor(fh, path, chunk_size)
        if cursor.peek() != "[":
            raise DatasetError(
                "expected a JSON list", location=cursor.where(cursor.pos), hint="is this the right file?"
            )
        cursor.pos += 1
        index = 0
        while True:
            head = cursor.peek()
            if head == "]" and index == 0:
                cursor.pos += 1
                break
            if not head:
                raise cursor.fail("the file ends inside the list")
            while True:
                start = cursor.pos  # reading more drops what was read before, moving the offsets
                try:
                    item, end = decoder.raw_decode(cursor.buf, start)
                except json.JSONDecodeError as exc:
                    if cursor.more():
                        continue
                    raise DatasetError(
                        f"not valid JSON: {exc.msg}",
                        location=cursor.where(exc.pos),
                        hint="re-download the file; it may be truncated",
                    ) from None
                if end < len(cursor.buf) or not cursor.more():  # a number may go on in the next chunk
                    break
            yield index, cursor.where(start), item
            index += 1
            cursor.pos = end
            head = cursor.peek()
            if head == "]":
                cursor.pos += 1
                break
            if not head:
                raise cursor.fail("the file ends inside the list")
            if head != ",":
                raise cursor.fail("expected ',' or ']' after an item of the list")
            cursor.pos += 1
            if cursor.peek() == "]":
                raise cursor.fail("a ']' after a ',' (a trailing comma is not JSON)")
        if cursor.peek():
            raise cursor.fail("extra data after the list")
