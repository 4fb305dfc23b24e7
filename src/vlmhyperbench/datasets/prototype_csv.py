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

__all__ = [
    "ANNOTATION_COLUMNS",
    "DATA_DIRS",
    "REQUIRED_COLUMNS",
    "TASK_FOLDERS",
    "PrototypeCsvLoader",
    "task_of_folder",
]

DATA_DIRS = {
    "datasets": "Datasets",
    "model_answers": "ModelsAnswers",
    "model_metrics": "ModelsMetrics",
    "prompt_collections": "PromptCollections",
    "system_prompts": "SystemPrompts",
    "reports": "Reports",
}
"""The prototype's ``data_dirs`` keys and the folder names its default config gives them
(``Datasets/<task>/<name>/annotation.csv`` is this layout)."""

ANNOTATION_COLUMNS = (
    "data_index",
    "split",
    "image_path",
    "question",
    "answer",
    "doc_class",
    "question_type",
    "answer_bbox",
)
"""The prototype's ``annotation.csv`` header, in its order; other columns are ignored."""
REQUIRED_COLUMNS = ("image_path", "question", "answer", "doc_class", "question_type")
TASK_FOLDERS = {"VQA": "vqa", "OCR": "ocr", "KIE": "kie"}
"""The prototype's task names (``Datasets/<task>/``, the run matrix's ``task``) → ours."""


def task_of_folder(name: str) -> str:
    """Our task name for a prototype task name: ``VQA`` → ``vqa``; others lower-cased."""
    return TASK_FOLDERS.get(name.strip(), name.strip().lower())


@dataset_loaders.register("prototype_csv", version="1")
class PrototypeCsvLoader:
    """``annotation.csv`` of the VLMHyperBench prototype (v0.1)."""

    annotation_name = "annotation.csv"

    def load(self, root: Path, *, default_task: str, check_images: bool = True) -> list[Sample]:
        """Read every row; every bad row is reported with its line and column."""
        path = root / self.annotation_name
        _, rows = read_semicolon_csv(path, required=REQUIRED_COLUMNS, expected=ANNOTATION_COLUMNS)
        task = TASK_FOLDERS.get(root.parent.name, default_task)
        errors = RowError()
        samples: list[Sample] = []
        for index, (line, row) in enumerate(rows):
            where = SourceLocation(path, line, "image_path")
            image = resolve_image(root, row["image_path"], where, errors, check_file=check_images)
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
