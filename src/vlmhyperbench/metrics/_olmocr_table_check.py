"""olmOCR-bench's ``table`` test: a cell, and what is next to it and above/left of it in a table.

Written anew to give the results of olmocr 0.4.27 (``olmocr/bench/tests.py``
``TableTest.run``), explanations included, word for word.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from ._olmocr_tables import Table, page_tables
from ._olmocr_text import normalize_text

__all__ = ["TableQuery", "table_check"]


@dataclass(frozen=True)
class TableQuery:
    """What a ``table`` test asks (strings already normalised by `normalize_text`)."""

    cell: str
    up: str = ""
    down: str = ""
    left: str = ""
    right: str = ""
    top_heading: str = ""
    left_heading: str = ""
    max_diffs: int = 0
    ignore_markdown_tables: bool = False

    def threshold(self, expected: str) -> float:
        """The similarity (rapidfuzz ``ratio`` / 100) a cell needs to count as ``expected``."""
        return max(0.5, 1.0 - (self.max_diffs / (len(expected) if len(expected) > 0 else 1)))


def table_check(query: TableQuery, page: str) -> tuple[bool, str]:
    """Pass when some cell of some table of the page is similar enough to ``query.cell`` and
    every relation the test sets holds for that cell (see docs/metrics.md).

    The page's Markdown tables (unless ``ignore_markdown_tables``), then its HTML tables,
    are searched; a relation is skipped when the cell is on the table's edge in its
    direction. Headings are looked for among the cell's column (row) headers first, then the
    header rows (columns) above (left of) it, then, when nothing was found, any non-empty
    cell above (left of) it; the best similarity must reach the threshold.

    Raises:
        MissingDependency: the page has an HTML table and beautifulsoup4 is missing.
        ValueError: an HTML ``rowspan``/``colspan`` is not an integer.
    """
    tables = page_tables(page, markdown=not query.ignore_markdown_tables)
    if not tables:
        return False, "No tables found in the content"
    threshold = query.threshold(query.cell)
    reasons: list[str] = []
    for table in tables:
        for r, row in enumerate(table.cells):
            for c, text in enumerate(row):
                if fuzz.ratio(query.cell, normalize_text(text)) / 100.0 < threshold:
                    continue
                failed = _relations(query, table, r, c)
                if not failed:
                    return True, ""
                reasons.extend(failed)
    if not reasons:
        return False, f"No cell matching '{query.cell}' found in any table with threshold {threshold}"
    return (
        False,
        f"Found cells matching '{query.cell}' but relationships were not satisfied: {'; '.join(reasons)}",
    )


def _relations(query: TableQuery, table: Table, r: int, c: int) -> list[str]:
    """Why the cell at (r, c) does not satisfy the test; empty when it does."""
    cells = table.cells
    failed = []
    neighbours = (
        (query.up, r > 0, r - 1, c, "Cell above"),
        (query.down, r < len(cells) - 1, r + 1, c, "Cell below"),
        (query.left, c > 0, r, c - 1, "Cell to the left"),
        (query.right, c < table.width - 1, r, c + 1, "Cell to the right"),
    )
    for expected, inside, i, j, what in neighbours:
        if not expected or not inside:
            continue
        found = normalize_text(cells[i][j])
        similarity = fuzz.ratio(expected, found) / 100.0
        if similarity < query.threshold(expected):
            failed.append(
                f"{what} '{found}' doesn't match expected '{expected}' (similarity: {similarity:.2f})"
            )
    if query.top_heading:
        column = [row[c] for row in cells]
        headers = table.col_headers.get(c, [])
        failed += _heading(query, query.top_heading, headers, table.header_rows, column, r, "Top", (r, c))
    if query.left_heading:
        headers = table.row_headers.get(r, [])
        failed += _heading(query, query.left_heading, headers, table.header_cols, cells[r], c, "Left", (r, c))
    return failed


def _heading(
    query: TableQuery,
    expected: str,
    headers: list[tuple[int, str]],
    header_lines: set[int],
    line: list[str],
    at: int,
    what: str,
    where: tuple[int, int],
) -> list[str]:
    """Check a top (left) heading: ``line`` is the cell's column (row), ``at`` its index there.

    The candidates are searched in three rounds (see `table_check`); the first two stop at a
    similar enough one, the last (only when nothing was found at all) keeps the best.
    """
    threshold = query.threshold(expected)
    best: list[Any] = ["", 0.0]  # the most similar candidate so far and its similarity
    found = _scan((text for _, text in headers), expected, threshold, best, stop=True)
    if not found and header_lines:
        candidates = (line[i] for i in sorted(header_lines) if i < at and line[i].strip())
        found = _scan(candidates, expected, threshold, best, stop=True)
    if not found and not best[0] and at > 0:
        _scan((line[i] for i in range(at) if line[i].strip()), expected, threshold, best, stop=False)
    best, best_similarity = best
    if not best:
        return [f"No {what.lower()} heading found for cell at ({where[0]}, {where[1]})"]
    if best_similarity < threshold:
        return [
            f"{what} heading '{best}' doesn't match expected '{expected}' (similarity: {best_similarity:.2f})"
        ]
    return []


def _scan(candidates: Iterator[str], expected: str, threshold: float, best: list[Any], *, stop: bool) -> bool:
    """Raise ``best`` to any more similar candidate; with ``stop``, end at one reaching ``threshold``."""
    for candidate in candidates:
        text = normalize_text(candidate)
        similarity = fuzz.ratio(expected, text) / 100.0
        if similarity > best[1]:
            best[:] = [text, similarity]
            if stop and similarity >= threshold:
                return True
    return False
