"""The tables olmOCR-bench's ``table`` test looks in: Markdown pipe tables and HTML tables.

Written anew to give the grids of olmocr 0.4.27 (``olmocr/bench/tests.py``:
``parse_markdown_tables``, ``parse_html_tables``), quirks included, because the test's
pass/fail depends on them:

* Markdown: a table is a run of at least two consecutive lines containing ``|``; the first
  line made only of ``-``, ``:``, spaces (and pipes) is the separator; other lines made only
  of those characters are dropped; cells are split on every ``|`` and stripped, one empty
  cell at each end removed; rows are padded with empty cells. Row 0 is the header row and
  heads every column; column 0 is the header column and heads every row below row 0.
* HTML (BeautifulSoup's ``html.parser``; every ``<table>``, nested ones too; rows are all
  ``<tr>`` below it): a row's cells are its ``<th>``/``<td>`` in order; a ``rowspan`` copies
  the text into the rows below at the same column (cells those rows have before it are
  placed first), while a ``colspan`` only moves the next cell's column on — the row itself
  gets no extra cell (rows below get empty ones). Rows with a ``<th>`` and ``<thead>`` rows
  are header rows; columns of ``<th>`` cells are header columns. ``<br>`` is a line break.
  A span that is not an integer raises ``ValueError`` (the test then fails with that message,
  as the official runner records it). One guard the official code lacks: a ``colspan`` over
  `MAX_SPAN` counts as `MAX_SPAN` (a huge one would exhaust memory there).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..core import MissingDependency

__all__ = ["MAX_SPAN", "Table", "html_tables", "markdown_tables", "page_tables"]

MAX_SPAN = 1000
"""Largest ``colspan`` followed; a larger one counts as this."""
_RULE_CHARS = frozenset("- :")
_RULE_LINE_CHARS = frozenset("- :|")


@dataclass
class Table:
    """A table as a rectangular grid of cell texts, with what heads its rows and columns."""

    cells: list[list[str]]
    """Rows of cell texts, all of one length (short rows padded with "")."""
    header_rows: set[int] = field(default_factory=set)
    header_cols: set[int] = field(default_factory=set)
    col_headers: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    """Column → (row, text) of the header cells above it, in the order they were found."""
    row_headers: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    """Row → (column, text) of the header cells left of it, in the order they were found."""

    @property
    def width(self) -> int:
        return len(self.cells[0]) if self.cells else 0


@lru_cache(maxsize=64)
def page_tables(content: str, *, markdown: bool) -> tuple[Table, ...]:
    """The page's Markdown tables (when ``markdown``), then its HTML tables; cached, since a
    page has many table tests (the tables are shared: do not change them).

    Raises:
        MissingDependency: the page has a ``<table`` and beautifulsoup4 is not installed.
        ValueError: an HTML ``rowspan``/``colspan`` is not an integer.
    """
    return (*(markdown_tables(content) if markdown else ()), *html_tables(content))


def markdown_tables(content: str) -> list[Table]:
    """Every Markdown pipe table of a page (see the module's note)."""
    tables: list[Table] = []
    block: list[str] = []
    for line in [*content.strip().split("\n"), ""]:  # the sentinel closes a last table
        if "|" in line:
            block.append(line)
            continue
        if len(block) >= 2:
            rows = _pipe_rows(block)
            if rows:
                tables.append(_markdown_table(rows))
        block = []
    return tables


def _pipe_rows(lines: list[str]) -> list[list[str]]:
    separator = next(
        (
            i
            for i, line in enumerate(lines)
            if (rest := line.replace("|", "").strip()) and set(rest) <= _RULE_CHARS
        ),
        None,
    )
    rows = []
    for i, line in enumerate(lines):
        if i == separator or (line.strip() and set(line) <= _RULE_LINE_CHARS):
            continue
        cells = [cell.strip() for cell in line.split("|")]
        if cells and cells[0] == "":
            cells = cells[1:]
        if cells and cells[-1] == "":
            cells = cells[:-1]
        if cells:
            rows.append(cells)
    return rows


def _markdown_table(rows: list[list[str]]) -> Table:
    width = max(len(row) for row in rows)
    cells = [row + [""] * (width - len(row)) for row in rows]
    return Table(
        cells=cells,
        header_rows={0},
        header_cols={0} if width > 0 else set(),
        col_headers={col: [(0, cells[0][col])] for col in range(width)},
        row_headers={row: [(0, cells[row][0])] for row in range(1, len(cells))} if width > 0 else {},
    )


def html_tables(content: str) -> list[Table]:
    """Every HTML table of a page, nested ones too (see the module's note).

    Raises:
        MissingDependency: the page has a ``<table`` and beautifulsoup4 is not installed.
        ValueError: a ``rowspan``/``colspan`` is not an integer.
    """
    if "<table" not in content.lower():
        return []
    try:
        bs4: Any = importlib.import_module("bs4")
    except ImportError:
        raise MissingDependency(
            "olmOCR-bench 'table' tests read HTML tables with BeautifulSoup (package beautifulsoup4)",
            hint="pip install 'vlmhyperbench[parse]'",
        ) from None
    soup = bs4.BeautifulSoup(content, "html.parser")
    return [table for element in soup.find_all("table") if (table := _html_table(element)) is not None]


def _html_table(element: Any) -> Table | None:
    rows = element.find_all(["tr"])
    table = Table(cells=[])
    head = element.find("thead")
    if head:
        for tr in head.find_all("tr"):
            table.header_rows.add(rows.index(tr))  # the first row equal to it, as the official code
    spanned: dict[tuple[int, int], str] = {}  # (row, column) → text placed there by a span
    col_spans: dict[str, set[int]] = {}  # header text → columns its colspan covers
    row_spans: dict[str, set[int]] = {}  # header text → rows its rowspan covers
    for r, tr in enumerate(rows):
        texts: list[str] = []
        c = 0
        if tr.find("th"):
            table.header_rows.add(r)
        for cell in tr.find_all(["th", "td"]):
            while (r, c) in spanned:
                texts.append(spanned[(r, c)])
                c += 1
            for br in cell.find_all("br"):
                br.replace_with("\n")
            text = cell.get_text().strip()
            rowspan = int(cell.get("rowspan", 1))
            colspan = min(int(cell.get("colspan", 1)), MAX_SPAN)
            texts.append(text)
            for i in range(min(rowspan, len(rows) - r)):  # rows past the end are never read
                for j in range(colspan):
                    if i or j:
                        spanned[(r + i, c + j)] = text if (j == 0 and i > 0) else ""
            if cell.name == "th":
                _head_cell(table, r, c, text, rowspan, colspan, len(rows), col_spans, row_spans)
            if cell.name == "td" and rowspan > 1 and c in table.header_cols:
                for i in range(1, min(rowspan, len(rows) - r)):
                    table.row_headers.setdefault(r + i, []).append((c, text))
            c += colspan
        table.cells.append(texts)
    if not table.cells:
        return None
    _spread_headers(table, col_spans, row_spans)
    width = max(len(row) for row in table.cells)
    table.cells = [row + [""] * (width - len(row)) for row in table.cells]
    return table


def _head_cell(
    table: Table,
    r: int,
    c: int,
    text: str,
    rowspan: int,
    colspan: int,
    n_rows: int,
    col_spans: dict[str, set[int]],
    row_spans: dict[str, set[int]],
) -> None:
    """Record a ``<th>``: its columns are header columns, the rows it spans header rows."""
    for j in range(colspan):
        table.header_cols.add(c + j)
    for i in range(1, min(rowspan, n_rows - r)):
        table.header_rows.add(r + i)
    for j in range(colspan):
        table.col_headers.setdefault(c + j, []).append((r, text))
        if text and colspan > 1:
            col_spans.setdefault(text, set()).add(c + j)
    if text and rowspan > 1:
        row_spans.setdefault(text, set()).update(r + i for i in range(min(rowspan, n_rows - r)))


def _spread_headers(table: Table, col_spans: dict[str, set[int]], row_spans: dict[str, set[int]]) -> None:
    """Give a spanning header to the cells it covers (and, for columns, to every later column
    of the data rows), then make each header column's cells head their rows."""
    rows = table.cells
    for text, columns in col_spans.items():
        for col in columns:
            for r in range(len(rows)):
                if r in table.header_rows:
                    continue
                for j in range(col, len(rows[r])):
                    heads = table.col_headers.setdefault(j, [])
                    if not any(h == text for _, h in heads):
                        top = min(row for row, _ in table.col_headers.get(col, [(0, "")]))
                        heads.append((top, text))
    for text, covered in row_spans.items():
        for r in covered:
            if r < len(rows):
                first = min(table.header_cols) if table.header_cols else 0
                heads = table.row_headers.setdefault(r, [])
                if not any(h == text for _, h in heads):
                    heads.append((first, text))
    for col in table.header_cols:
        for r, row in enumerate(rows):
            if col < len(row) and row[col].strip():
                heads = table.row_headers.setdefault(r, [])
                if not any(h == row[col] for _, h in heads):
                    heads.append((col, row[col]))
