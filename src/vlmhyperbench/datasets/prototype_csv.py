"""The prototype's layout: ``annotation.csv`` (``;``, UTF-8 with or without BOM) + images.

Columns: ``data_index;split;image_path;question;answer;doc_class;question_type;answer_bbox``.
A sample's id is the 0-based position of its row among the data rows, which is the
``id`` the prototype wrote into its answers CSV (``id;model_answer``); ``data_index``
(shared by the questions of one image) is kept in metadata.
"""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path

from ..core import DatasetError, Sample, SourceLocation, read_text_utf8
from ._base import RowError, dataset_loaders, resolve_image

__all__ = ["PrototypeCsvLoader", "REQUIRED_COLUMNS"]

REQUIRED_COLUMNS = ("image_path", "question", "answer", "doc_class", "question_type")
KNOWN_COLUMNS = ("data_index", "split", *REQUIRED_COLUMNS, "answer_bbox")
TASK_ALIASES = {"VQA": "vqa", "OCR": "ocr", "KIE": "kie"}


def read_semicolon_csv(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and ``(line_number, row)`` pairs of a ``;``-separated UTF-8 CSV."""
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
    return header, rows


@dataset_loaders.register("prototype_csv", version="1")
class PrototypeCsvLoader:
    """``annotation.csv`` of the VLMHyperBench prototype (v0.1)."""

    annotation_name = "annotation.csv"

    def load(self, root: Path, *, default_task: str) -> list[Sample]:
        """Read every row; every bad row is reported with its line and column."""
        path = root / self.annotation_name
        header, rows = read_semicolon_csv(path)
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise DatasetError(
                f"missing column(s) {', '.join(missing)}; found {', '.join(header)}",
                location=SourceLocation(path, 1),
                hint="expected header: " + ";".join(KNOWN_COLUMNS),
            )
        task = TASK_ALIASES.get(root.parent.name, default_task)
        errors = RowError()
        samples: list[Sample] = []
        for index, (line, row) in enumerate(rows):
            image = resolve_image(root, row["image_path"], SourceLocation(path, line, "image_path"), errors)
            bbox = _parse_bbox(row.get("answer_bbox", ""), SourceLocation(path, line, "answer_bbox"), errors)
            if image is None:
                continue
            samples.append(
                Sample(
                    id=str(index),
                    images=(image,),
                    question=row["question"],
                    answers=(row["answer"],),
                    doc_class=row["doc_class"].strip(),
                    question_type=row["question_type"].strip(),
                    task=task,
                    split=row.get("split", "").strip(),
                    metadata={"data_index": row.get("data_index", ""), "answer_bbox": bbox, "line": line},
                )
            )
        errors.raise_if_any()
        return samples


def _parse_bbox(text: str, where: SourceLocation, errors: RowError) -> list[float] | None:
    if not text.strip():
        return None
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        errors.add(where, f"not a list literal: {text!r}", "write it as [x_min, y_min, x_max, y_max]")
        return None
    if not (
        isinstance(value, (list, tuple))
        and len(value) == 4
        and all(isinstance(v, (int, float)) for v in value)
    ):
        errors.add(where, f"expected 4 numbers, got {text!r}", "write it as [x_min, y_min, x_max, y_max]")
        return None
    return [float(v) for v in value]
