"""PDF documents as samples: the selected pages rendered to PNG with pypdfium2.

The source is a ``.pdf`` file or a folder searched recursively for ``*.pdf``. Pages are
rendered at ``ReadOptions.dpi`` (a page of W × H points becomes W·dpi/72 × H·dpi/72
pixels) and ``ReadOptions.pages`` selects them (``"1-3,5"``: 1-based, inclusive, in the
order given; all pages when None).

Without questions each PDF is one ``ocr`` sample holding all its selected pages (id: its
path under the folder, without ``.pdf``; no reference text). A folder may instead hold
``questions.jsonl``, one question per line::

    {"pdf": "reports/q3.pdf", "question": "What is the total?", "answers": ["1,234"],
     "pages": "2", "id": "q3-total"}

``pdf`` (relative to the folder) and ``question`` are required; ``answers`` (a string or
a list, none for an unanswered question), ``pages`` (this question's pages, else the
option's) and ``id`` (else ``<pdf stem>-<line>``) are optional; other keys go to
``metadata``. Each line is then one ``vqa`` sample and PDFs no line names are not read.

An encrypted or unreadable PDF, or a page range past its last page, is a problem at the
PDF (or at the question's line) naming the file; the other documents are still read.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from ...core import DatasetError, SourceLocation
from .._base import RowError
from ._base import PageImage, ReadOptions, SourceRecord, missing_files, require_module, source_formats
from ._json import json_line_object

__all__ = ["QUESTIONS_FILE", "PdfPages", "PdfRenderer", "page_ranges"]

QUESTIONS_FILE = "questions.jsonl"
DEFAULT_DPI = 144
"""Resolution pages are rendered at when ``ReadOptions.dpi`` is None."""
_RANGE = re.compile(r"(\d+)(?:-(\d+))?")


def page_ranges(spec: str | None, where: SourceLocation | None = None) -> list[tuple[int, int]] | None:
    """``"1-3,5"`` → ``[(1, 3), (5, 5)]``; None (all pages) for None or an empty string.

    Raises:
        DatasetError: a part is not ``N`` or ``N-M`` with 1 ≤ N ≤ M.
    """
    if spec is None or not spec.strip():
        return None
    ranges = []
    for part in spec.split(","):
        match = _RANGE.fullmatch(part.replace(" ", ""))
        first, last = (int(match[1]), int(match[2] or match[1])) if match else (0, 0)
        if not match or first < 1 or last < first:
            raise DatasetError(
                f"'{part.strip()}' in pages '{spec}' is not a page range",
                location=where or SourceLocation(key="pages"),
                hint="1-based, inclusive ranges separated by commas, e.g. 1-3,5",
            )
        ranges.append((first, last))
    return ranges


def _selected(ranges: list[tuple[int, int]] | None, count: int) -> list[int] | str:
    """The 1-based page numbers (each once, in the order given), or why they cannot be."""
    if ranges is None:
        return list(range(1, count + 1))
    past = [f"{a}-{b}" if a != b else str(a) for a, b in ranges if b > count]
    if past:
        return f"pages {', '.join(past)} go past the end: the PDF has {count} page(s)"
    return list(dict.fromkeys(n for a, b in ranges for n in range(a, b + 1)))


class PdfRenderer:
    """Opens PDFs and renders pages to PNG; remembers the last result (questions on one PDF)."""

    def __init__(self, dpi: int, longest_side: int | None = None) -> None:
        self.pdfium = require_module("pypdfium2", "reading PDF files")
        self.dpi = dpi
        self.longest_side = longest_side
        """When set, each page is scaled to this many pixels on its longer side (not ``dpi``)."""
        self._last: tuple[tuple[Path, str], tuple[list[PageImage], list[int], int]] | None = None

    def render(
        self, path: Path, ranges: list[tuple[int, int]] | None, where: SourceLocation, errors: RowError
    ) -> tuple[list[PageImage], list[int], int] | None:
        """(pages, their 1-based numbers, page count), or None after reporting the problem."""
        key = (path, repr(ranges))
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        pdfium = self.pdfium
        try:
            document = pdfium.PdfDocument(path)
        except pdfium.PdfiumError as exc:
            if getattr(exc, "err_code", None) == pdfium.raw.FPDF_ERR_PASSWORD:
                errors.add(
                    where,
                    f"{_named(path, where)}the PDF is encrypted (password-protected)",
                    "decrypt a copy first, e.g. qpdf --decrypt --password=PASSWORD in.pdf out.pdf",
                )
            else:
                errors.add(
                    where, f"{_named(path, where)}not a readable PDF: {exc}", "re-download or re-export it"
                )
            return None
        try:
            count = len(document)
            numbers = _selected(ranges, count)
            if isinstance(numbers, str):
                errors.add(
                    where, f"{_named(path, where)}{numbers}", "choose pages within the document (--pages)"
                )
                return None
            pages = [self._png(document, number, path, where, errors) for number in numbers]
        finally:
            document.close()
        if any(page is None for page in pages):
            return None
        result = ([p for p in pages if p is not None], numbers, count)
        self._last = (key, result)
        return result

    def _png(
        self, document: Any, number: int, path: Path, where: SourceLocation, errors: RowError
    ) -> PageImage | None:
        try:
            page = document[number - 1]
            try:
                scale = self.dpi / 72
                if self.longest_side is not None:
                    scale = self.longest_side / max(page.get_size())
                image = page.render(scale=scale).to_pil()
            finally:
                page.close()
        except self.pdfium.PdfiumError as exc:
            errors.add(where, f"{_named(path, where)}page {number} cannot be rendered: {exc}")
            return None
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return PageImage(data=buffer.getvalue())


@source_formats.register("pdf", version="1")
class PdfPages:
    """PDF files: one OCR sample per PDF, or the questions of ``questions.jsonl``."""

    name: ClassVar[str] = "pdf"
    expects: ClassVar[str] = (
        "a .pdf file, or a folder of .pdf files (searched recursively), optionally with "
        f"{QUESTIONS_FILE} ({{pdf, question, answers, pages, id}} per line) in the folder"
    )

    def read(self, source: Path, options: ReadOptions, errors: RowError) -> Iterator[SourceRecord]:
        """Yield one sample per PDF (or per question); pages rendered at ``options.dpi``."""
        ranges = page_ranges(options.pages)
        if source.is_file() and source.suffix.lower() != ".pdf":
            raise missing_files(source, self)
        renderer = PdfRenderer(options.dpi or DEFAULT_DPI)
        root = source if source.is_dir() else source.parent
        if source.is_dir() and (source / QUESTIONS_FILE).is_file():
            yield from self._questions(source / QUESTIONS_FILE, ranges, renderer, options, errors)
            return
        pdfs = [source] if source.is_file() else sorted(p for p in source.rglob("*") if _is_pdf(p))
        if not pdfs:
            raise missing_files(source, self, [p.name for p in sorted(source.iterdir())][:8])
        for pdf in pdfs:
            where = SourceLocation(pdf)
            rendered = renderer.render(pdf, ranges, where, errors)
            if rendered is None:
                continue
            pages, numbers, count = rendered
            rel = pdf.relative_to(root).with_suffix("").as_posix()
            yield SourceRecord(
                id=rel,
                images=pages,
                task="ocr",
                split=options.split or "",
                metadata=_pdf_metadata(pdf, root, numbers, count, renderer.dpi),
                where=where,
            )

    def _questions(
        self,
        path: Path,
        ranges: list[tuple[int, int]] | None,
        renderer: PdfRenderer,
        options: ReadOptions,
        errors: RowError,
    ) -> Iterator[SourceRecord]:
        root = path.parent
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                where = SourceLocation(path, number)
                row = _question_row(line, where, errors)
                if row is None:
                    continue
                pdf = (root / row["pdf"]).resolve()
                if not pdf.is_relative_to(root.resolve()) or not pdf.is_file():
                    errors.add(
                        where.with_key("pdf"), f"PDF '{row['pdf']}' does not exist", f"looked in {root}"
                    )
                    continue
                try:
                    own = page_ranges(row["pages"]) if "pages" in row else ranges
                except DatasetError as exc:
                    errors.add(where.with_key("pages"), exc.problems[0].message, exc.problems[0].hint)
                    continue
                rendered = renderer.render(pdf, own, where.with_key("pdf"), errors)
                if rendered is None:
                    continue
                pages, numbers, count = rendered
                extra = {
                    k: v for k, v in row.items() if k not in ("pdf", "question", "answers", "pages", "id")
                }
                yield SourceRecord(
                    id=str(row.get("id") or f"{Path(row['pdf']).stem}-{number}"),
                    images=pages,
                    question=row["question"],
                    answers=row["answers"],
                    task="vqa",
                    split=options.split or "",
                    metadata={**extra, **_pdf_metadata(pdf, root, numbers, count, renderer.dpi)},
                    where=where,
                )


def _named(path: Path, where: SourceLocation) -> str:
    """``"<name>.pdf: "`` when the problem's location is not the PDF itself (a question line)."""
    return "" if where.file == path else f"{path.name}: "


def _is_pdf(path: Path) -> bool:
    return path.suffix.lower() == ".pdf" and path.is_file() and not path.name.startswith(".")


def _pdf_metadata(pdf: Path, root: Path, numbers: list[int], count: int, dpi: int) -> dict[str, Any]:
    return {"pdf": pdf.relative_to(root).as_posix(), "pages": numbers, "page_count": count, "dpi": dpi}


def _question_row(line: str, where: SourceLocation, errors: RowError) -> dict[str, Any] | None:
    """A checked line of questions.jsonl (``answers`` made a list of strings)."""
    row = json_line_object(line, where, errors)
    if row is None:
        return None
    for key in ("pdf", "question"):
        if not isinstance(row.get(key), str) or not row[key].strip():
            errors.add(where.with_key(key), "required string is missing")
            return None
    answers = row.get("answers", [])
    answers = [answers] if isinstance(answers, str) else answers
    if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
        errors.add(where.with_key("answers"), "expected a string or a list of strings")
        return None
    if "pages" in row and not isinstance(row["pages"], str | int):
        errors.add(where.with_key("pages"), 'expected page ranges such as "2" or "1-3,5"')
        return None
    if "pages" in row:
        row["pages"] = str(row["pages"])
    return {**row, "answers": answers}
