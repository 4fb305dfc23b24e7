"""The prototype's layout: ``annotation.csv`` (``;``, UTF-8 with or without BOM) + images.

Columns: ``data_index;split;image_path;question;answer;doc_class;question_type;answer_bbox``.
A sample's id is the 0-based position of its row among the data rows, which is the
``id`` the prototype wrote into its answers CSV (``id;model_answer``); ``data_index``
(shared by the questions of one image) is kept in metadata.
"""

from __future__ import annotations

import ast
from pathlib import Path

from ..core import Sample, SourceLocation, read_semicolon_csv
from ._base import RowError, dataset_loaders, resolve_image

__all__ = ["REQUIRED_COLUMNS", "PrototypeCsvLoader"]

REQUIRED_COLUMNS = ("image_path", "question", "answer", "doc_class", "question_type")
KNOWN_COLUMNS = ("data_index", "split", *REQUIRED_COLUMNS, "answer_bbox")
TASK_ALIASES = {"VQA": "vqa", "OCR": "ocr", "KIE": "kie"}


@dataset_loaders.register("prototype_csv", version="1")
class PrototypeCsvLoader:
    """``annotation.csv`` of the VLMHyperBench prototype (v0.1)."""

    annotation_name = "annotation.csv"

    def load(self, root: Path, *, default_task: str) -> list[Sample]:
        """Read every row; every bad row is reported with its line and column."""
        path = root / self.annotation_name
        _, rows = read_semicolon_csv(path, required=REQUIRED_COLUMNS, expected=KNOWN_COLUMNS)
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
