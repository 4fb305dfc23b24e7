"""Reading VLMEvalKit TSV files row by row, with their images (see `vlmevalkit_tsv`).

`TsvFile` parses one file with the `csv` module, one row at a time, knowing each row's
line and byte offset; `TsvImages` turns a row's ``image`` cell into pages (base64, a
list of base64 strings, or another row's ``index``, re-read from that row's offset) or
its ``image_path`` cell into files.
"""

from __future__ import annotations

import csv
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ...core import DatasetError, SourceLocation
from .._base import RowError, resolve_image
from ._base import PageImage, decode_base64, literal_list

__all__ = ["TsvFile", "TsvImages", "TsvRow", "plain_or_list", "tsv_files"]

_REFERENCE_MAX = 64
"""VLMEvalKit: an ``image`` of at most 64 characters is another row's ``index``."""
_CACHED_REFERENCES = 4


@dataclass(frozen=True, slots=True)
class TsvRow:
    """One data row: where it starts and where the next one does, and its cells."""

    line: int
    """1-based number of its first line."""
    offset: int
    """Byte offset of its first line."""
    after: tuple[int, int]
    """(byte offset, lines before) of what follows it."""
    cells: dict[str, str]


class _Lines:
    """The file's lines as text for `csv.reader`, counting bytes and lines handed out
    (the csv reader asks for one line at a time, so a row starts where the last ended)."""

    def __init__(self, fh: IO[bytes], path: Path, offset: int = 0, line: int = 0) -> None:
        self.fh, self.path, self.offset, self.line = fh, path, offset, line

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        raw = self.fh.readline()
        if not raw:
            raise StopIteration
        self.offset += len(raw)
        self.line += 1
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DatasetError(
                f"not UTF-8 text: {exc}", location=SourceLocation(self.path, self.line)
            ) from None
        return text.removeprefix("\ufeff") if self.line == 1 else text


class TsvFile:
    """A VLMEvalKit TSV file, read row by row."""

    def __init__(self, path: Path) -> None:
        csv.field_size_limit(2**31 - 1)  # a cell holds a whole base64 image
        self.path = path
        with path.open("rb") as fh:
            lines = _Lines(fh, path)
            header = next(csv.reader(lines, delimiter="\t"), None)
            self.start = (lines.offset, lines.line)
        self.columns = [c.strip() for c in header or []]
        if "index" not in self.columns or not ({"image", "image_path"} & set(self.columns)):
            raise DatasetError(
                f"not a VLMEvalKit TSV: the header has no 'index' and 'image' (or 'image_path') columns"
                f" (it has: {', '.join(self.columns[:8]) or 'nothing'})",
                location=SourceLocation(path, 1),
                hint="VLMEvalKit TSVs start with a header line such as: index<TAB>image<TAB>question<TAB>answer",
            )

    def rows(self, start: tuple[int, int] | None = None) -> Iterator[TsvRow]:
        """Rows from the first data row, or from ``start`` (byte offset, lines before it)."""
        offset, before = start or self.start
        with self.path.open("rb") as fh:
            fh.seek(offset)
            lines = _Lines(fh, self.path, offset, before)
            reader = csv.reader(lines, delimiter="\t")
            while True:
                offset, line = lines.offset, lines.line + 1
                fields = next(reader, None)
                if fields is None:
                    return
                if fields:  # pandas skips blank lines too
                    cells = dict(zip(self.columns, fields, strict=False))
                    yield TsvRow(line, offset, (lines.offset, lines.line), cells)


class TsvImages:
    """A row's pages: its own base64, the image of the row it names, or its files."""

    def __init__(self, tsv: TsvFile) -> None:
        self.tsv = tsv
        self.offsets: dict[str, tuple[int, int]] = {}
        """``index`` → (offset, lines before) of every row seen with an image of its own."""
        self.frontier: tuple[int, int] | None = tsv.start
        """Where the rows not looked at yet start (None: the end of the file was reached)."""
        self.cache: OrderedDict[str, str] = OrderedDict()

    def note(self, row: TsvRow) -> None:
        """Remember where a row with an image of its own is (the main pass calls this)."""
        if len(row.cells.get("image", "")) > _REFERENCE_MAX:
            self.offsets[row.cells.get("index", "").strip()] = (row.offset, row.line - 1)
        if self.frontier is not None and row.after[0] > self.frontier[0]:
            self.frontier = row.after

    def pages(self, row: TsvRow, errors: RowError) -> list[PageImage] | None:
        """The pages of ``row``; None after reporting why it has none."""
        where = SourceLocation(self.tsv.path, row.line)
        if "image" not in self.tsv.columns:
            return self._files(row.cells.get("image_path", ""), where.with_key("image_path"), errors)
        where = where.with_key("image")
        text = row.cells.get("image", "")
        if not text.strip():
            hint = "VLMEvalKit leaves such rows out: import with --skip-invalid to do the same"
            errors.add(where, "the image is empty", hint)
            return None
        if len(text) <= _REFERENCE_MAX:
            index = text.strip()
            referenced = self._referenced(index)
            if referenced is None:
                errors.add(where, f"refers to index '{index}', which has no image of its own in the file")
                return None
            text, where = referenced, where.with_key(f"(the image of index {index})")
        return self._decoded(text, where, errors)

    def _decoded(self, text: str, where: SourceLocation, errors: RowError) -> list[PageImage] | None:
        stripped = text.strip()
        items = literal_list(stripped, where, errors) if len(stripped) > 1 and stripped[-1] == "]" else [text]
        if not items:
            if items is not None:
                errors.add(where, "the list of images is empty")
            return None
        pages = []
        for i, item in enumerate(items):
            data = decode_base64(item, where.with_key(f"[{i}]") if len(items) > 1 else where, errors)
            if data is None:
                return None
            pages.append(PageImage(data=data))
        return pages

    def _referenced(self, index: str) -> str | None:
        if index in self.cache:
            self.cache.move_to_end(index)
            return self.cache[index]
        place = self.offsets.get(index) or self._scan_ahead(index)
        if place is None:
            return None
        row = next(self.tsv.rows(place))
        text = row.cells.get("image", "")
        self.cache[index] = text
        if len(self.cache) > _CACHED_REFERENCES:
            self.cache.popitem(last=False)
        return text

    def _scan_ahead(self, index: str) -> tuple[int, int] | None:
        """Look for a row not read yet (a reference forward); the file is scanned once."""
        if self.frontier is None:
            return None
        for row in self.tsv.rows(self.frontier):
            self.note(row)
            if index in self.offsets:
                return self.offsets[index]
        self.frontier = None
        return None

    def _files(self, text: str, where: SourceLocation, errors: RowError) -> list[PageImage] | None:
        names = plain_or_list(text)
        if not any(n.strip() for n in names):
            errors.add(where, "the row has no image path")
            return None
        folder = self.tsv.path.parent
        pages = []
        for name in names:
            bases = (folder, folder / "images" / self.tsv.path.stem)
            base = next((b for b in bases if (b / name.strip()).is_file()), folder)
            path = resolve_image(base, name, where, errors)
            if path is None:
                return None
            pages.append(PageImage(path=path))
        return pages


def plain_or_list(text: str) -> list[str]:
    """VLMEvalKit's reading of an ``answer`` or ``image_path`` cell (``istype``/``toliststr``):
    a literal list when it is one, else the plain string."""
    stripped = text.strip()
    if len(stripped) > 1 and stripped[0] == "[" and stripped[-1] == "]":
        parsed = literal_list(stripped, SourceLocation(), RowError())
        if parsed is not None:
            return parsed
    return [text]


def tsv_files(source: Path) -> dict[str, Path]:
    """name (path inside the folder without ``.tsv``) → file."""
    if source.is_file():
        return {source.stem: source}
    files = sorted(
        p
        for p in source.rglob("*.tsv")
        if not any(part.startswith(".") for part in p.relative_to(source).parts)
    )
    return {p.relative_to(source).with_suffix("").as_posix(): p for p in files}
