"""Semicolon-separated CSV files, the prototype's format for every table."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Sequence
from pathlib import Path

from ._io import read_text_utf8
from .errors import DatasetError, SourceLocation, UserError

__all__ = ["CsvRows", "read_semicolon_csv"]

logger = logging.getLogger(__name__)

CsvRows = list[tuple[int, dict[str, str]]]
"""``(line_number, {column: cell})`` for each non-empty data row."""


def read_semicolon_csv(
    path: Path,
    *,
    required: Sequence[str] = (),
    expected: Sequence[str] = (),
    error: type[UserError] = DatasetError,
) -> tuple[list[str], CsvRows]:
    """Header and rows of a ``;``-separated UTF-8 CSV (BOM allowed).

    Args:
        path: The file.
        required: Columns that must be present; otherwise ``error`` names the missing ones.
        expected: The full header (defaults to ``required``): shown in the hint, and any
            other column is ignored with a warning naming it (the prototype's pandas
            readers tolerated extra columns).
        error: The `UserError` subclass to raise for a wrong header.
    """
    text = read_text_utf8(path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise DatasetError("the file is empty", location=SourceLocation(path, 1)) from None
    if len(header) == 1 and ("," in header[0] or "\t" in header[0]):
        raise DatasetError(
            f"only one column '{header[0][:60]}' was found",
            location=SourceLocation(path, 1),
            hint="the separator must be ';' (semicolon), as in the prototype's files",
        )
    rows: list[tuple[int, dict[str, str]]] = []
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise DatasetError(
                f"expected {len(header)} cells separated by ';', found {len(cells)}",
                location=SourceLocation(path, line),
                hint="quote cells that contain ';' or line breaks with double quotes",
            )
        rows.append((line, dict(zip(header, cells))))
    missing = [c for c in required if c not in header]
    if missing:
        raise error(
            f"missing column(s) {', '.join(missing)}; found {', '.join(header)}",
            location=SourceLocation(path, 1),
            hint="expected header: " + ";".join(expected or required),
        )
    known = expected or required
    extra = [c for c in header if known and c not in known]
    if extra:
        logger.warning(
            "%s: ignoring column(s) %s (known: %s)",
            SourceLocation(path, 1),
            ", ".join(f"'{c}'" for c in extra),
            ";".join(known),
        )
    return header, rows
