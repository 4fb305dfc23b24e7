"""Reader of olmOCR-bench (``bench_data/*.jsonl`` test files + ``bench_data/pdfs/``).

The layout is that of ``allenai/olmOCR-bench`` on Hugging Face (the source may be the
download or its ``bench_data`` folder)::

    bench_data/arxiv_math.jsonl  headers_footers.jsonl  ...   one unit test per line
    bench_data/pdfs/arxiv_math/2503.01234_pg1.pdf  ...        the tested PDFs

A test line is ``{"pdf": "<path under pdfs/>", "page": 1, "id": "...", "type":
"present" | "absent" | "order" | "table" | "math" | "baseline", ...}`` (olmocr 0.4.27:
olmocr/bench/tests.py ``load_single_test``). Each tested page becomes one ``parse``
sample:

- ``id`` — ``<pdf path under pdfs/, without .pdf>_pg<page>`` (the stem of olmOCR-bench's
  ``<...>_pg<page>_repeat<k>.md`` answer files), e.g. ``arxiv_math/2503.01234_pg1_pg1``;
- ``split`` — the stem of the test file its tests come from (``+``-joined when a page
  is tested by several files); ``doc_class`` — the PDF's folder under ``pdfs/``;
- ``metadata["olmocr_tests"]`` — the page's tests, each exactly as its line;
  ``metadata["olmocr_test_files"]`` — test id → the stem of its file;
  ``metadata["pdf"]``, ``metadata["page"]``; no reference ``answers``.

As olmocr/bench/benchmark.py does, a PDF with no ``baseline`` test gets one on page 1,
``{"pdf", "page": 1, "id": "<pdf>_baseline", "type": "baseline"}``, counted in its own
group ``baseline`` (the README's "Base" column). ``--split`` reads one test file.

Pages are rendered with pdfium to 2048 pixels on the longer side, the default of
olmOCR-bench's renderer (olmocr/data/renderpdf.py ``render_pdf_to_base64png``, used at
2048 by its ChatGPT, Claude and Gemini runners; the olmOCR pipeline uses 1288), or at
``ReadOptions.dpi`` when one is given. Bad input goes to the importer's `RowError` at
``file:line``: a line that is not JSON, a test without ``pdf``/``page``/``id``, a test
of an unknown type (the known ones are listed), a test olmocr's loader refuses (a
missing or unexpected field, an empty text: the metric's ``parse_test``), a duplicate id,
a PDF that does not exist, a page past the PDF's end.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ...core import SourceLocation, read_text_utf8
from ...metrics.olmocr_bench import TEST_TYPES, InvalidTest, parse_test
from .._base import RowError
from ._base import ReadOptions, SourceRecord, missing_files, source_formats, unknown_choice
from ._json import json_line_object
from .pdf import PdfRenderer

__all__ = ["BASELINE_GROUP", "LONGEST_SIDE", "OlmocrBench"]

BASELINE_GROUP = "baseline"
"""The group of the baseline tests olmOCR-bench adds to PDFs without one."""
LONGEST_SIDE = 2048
"""Pixels on the longer side of a rendered page (without a ``dpi``)."""


@dataclass(slots=True)
class _Page:
    tests: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    """Test id → the stem of its file."""
    where: SourceLocation | None = None
    """The first line that tests the page."""


@source_formats.register("olmocr_bench", version="1")
class OlmocrBench:
    """olmOCR-bench: one ``parse`` sample per tested PDF page, with the page's unit tests."""

    name: ClassVar[str] = "olmocr_bench"
    expects: ClassVar[str] = (
        "a folder (bench_data, or the download holding it) with <file>.jsonl test files "
        "({pdf, page, id, type, ...} per line) and pdfs/<path>.pdf"
    )

    def read(self, source: Path, options: ReadOptions, errors: RowError) -> Iterator[SourceRecord]:
        """Yield each tested page, rendered, with its tests (PDF by PDF, in file order)."""
        root = _bench_root(source)
        if root is None:
            found = sorted(p.name for p in source.iterdir()) if source.is_dir() else []
            raise missing_files(source, self, found)
        files = sorted(root.glob("*.jsonl"))
        stems = [f.stem for f in files]
        if options.split is not None and options.split not in stems:
            raise unknown_choice("split", options.split, stems, root)
        chosen = [f for f in files if options.split in (None, f.stem)]
        pages = _read_tests(chosen, errors)
        _add_baselines(pages, root / "pdfs", whole=options.split is None)
        renderer = PdfRenderer(options.dpi or 72, longest_side=None if options.dpi else LONGEST_SIDE)
        for (pdf, number), page in pages.items():
            record = _record(root / "pdfs", pdf, number, page, renderer, options, errors)
            if record is not None:
                yield record


def _bench_root(source: Path) -> Path | None:
    """The folder holding the ``*.jsonl`` files and ``pdfs/``."""
    for folder in (source, source / "bench_data"):
        if folder.is_dir() and (folder / "pdfs").is_dir() and any(folder.glob("*.jsonl")):
            return folder
    return None


def _read_tests(files: list[Path], errors: RowError) -> dict[tuple[str, int], _Page]:
    """Tests grouped by (pdf, page), pages in order of first appearance."""
    pages: dict[tuple[str, int], _Page] = {}
    seen: dict[str, SourceLocation] = {}
    for path in files:
        for number, line in enumerate(read_text_utf8(path).split("\n"), start=1):
            if not line.strip():
                continue
            where = SourceLocation(path, number)
            test = _checked_test(line, where, errors)
            if test is None:
                continue
            if test["id"] in seen:
                errors.add(
                    where.with_key("id"),
                    f"duplicate test id '{test['id']}' (first at {seen[test['id']]})",
                    "test ids must be unique across the test files",
                )
                continue
            seen[test["id"]] = where
            page = pages.setdefault((test["pdf"], test["page"]), _Page(where=where))
            page.tests.append(test)
            page.files[test["id"]] = path.stem
    return pages


def _checked_test(line: str, where: SourceLocation, errors: RowError) -> dict[str, Any] | None:
    """A test line with a known type, a ``pdf``, a ``page`` ≥ 1 and an ``id``."""
    test = json_line_object(line, where, errors)
    if test is None:
        return None
    kind = test.get("type")
    if kind not in TEST_TYPES:
        errors.add(
            where.with_key("type"),
            f"unknown test type {kind!r}",
            f"olmOCR-bench's test types: {', '.join(TEST_TYPES)}",
        )
        return None
    for key in ("pdf", "id"):
        if not isinstance(test.get(key), str) or not test[key].strip():
            errors.add(where.with_key(key), f"'{key}' must be a non-empty string")
            return None
    page = test.get("page")
    if not isinstance(page, int) or isinstance(page, bool) or page < 1:
        errors.add(where.with_key("page"), f"'page' must be a page number ≥ 1, got {page!r}")
        return None
    try:
        parse_test(test)
    except InvalidTest as exc:
        errors.add(where, f"invalid '{kind}' test: {exc}", "olmocr.bench's load_tests refuses it too")
        return None
    return test


def _add_baselines(pages: dict[tuple[str, int], _Page], pdfs: Path, *, whole: bool) -> None:
    """A baseline test on page 1 of each PDF without one (olmocr/bench/benchmark.py ``main``).

    With ``whole`` (every test file read) also for PDFs that no test names, as the
    official runner adds them for every PDF under ``pdfs/``.
    """
    names = list(dict.fromkeys(pdf for pdf, _ in pages))
    if whole:
        found = sorted(p.relative_to(pdfs).as_posix() for p in pdfs.rglob("*.pdf") if p.is_file())
        known = set(names)
        names += [name for name in found if name not in known]
    with_baseline = {
        pdf for (pdf, _), page in pages.items() if any(t["type"] == "baseline" for t in page.tests)
    }
    for pdf in names:
        if pdf in with_baseline:
            continue
        test_id = f"{pdf}_baseline"
        page = pages.setdefault((pdf, 1), _Page())
        page.tests.append({"pdf": pdf, "page": 1, "id": test_id, "type": "baseline"})
        page.files[test_id] = BASELINE_GROUP


def _record(
    pdfs: Path,
    pdf: str,
    number: int,
    page: _Page,
    renderer: PdfRenderer,
    options: ReadOptions,
    errors: RowError,
) -> SourceRecord | None:
    """The page's sample, or None after reporting why it cannot be rendered."""
    where = (page.where or SourceLocation(pdfs / pdf)).with_key("pdf")
    path = (pdfs / pdf).resolve()
    if not path.is_relative_to(pdfs.resolve()) or not path.is_file():
        errors.add(where, f"PDF '{pdf}' does not exist", f"looked in {pdfs}")
        return None
    count = _page_count(renderer, path)
    if count is not None and number > count:
        errors.add(
            (page.where or SourceLocation(pdfs / pdf)).with_key("page"),
            f"page {number} of '{pdf}' does not exist: the PDF has {count} page(s)",
            "pages are numbered from 1",
        )
        return None
    rendered = renderer.render(path, [(number, number)], where, errors)
    if rendered is None:
        return None
    images, _, count = rendered
    stem = pdf[: -len(".pdf")] if pdf.lower().endswith(".pdf") else pdf
    files = sorted({f for f in page.files.values() if f != BASELINE_GROUP}) or [BASELINE_GROUP]
    render = {"dpi": options.dpi} if options.dpi else {"longest_side": LONGEST_SIDE}
    return SourceRecord(
        id=f"{stem}_pg{number}",
        images=images,
        task="parse",
        split="+".join(files),
        doc_class=Path(pdf).parent.as_posix().strip("."),
        metadata={
            "olmocr_tests": page.tests,
            "olmocr_test_files": page.files,
            "pdf": pdf,
            "page": number,
            "page_count": count,
            **render,
        },
        where=where,
    )


def _page_count(renderer: PdfRenderer, path: Path) -> int | None:
    """The PDF's page count; None when it cannot be opened (`PdfRenderer.render` says why)."""
    try:
        document = renderer.pdfium.PdfDocument(path)
    except renderer.pdfium.PdfiumError:
        return None
    try:
        return len(document)
    finally:
        document.close()
