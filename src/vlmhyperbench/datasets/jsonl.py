"""The JSONL layout: ``annotation.jsonl``, one sample per line, images beside it.

Each line is an object with keys ``id`` (string, unique), ``images`` (list of paths
relative to the dataset folder, page order), ``question``, ``answers`` (list of
reference strings), ``doc_class``, ``question_type``, ``task`` (``ocr``/``vqa``/``kie``),
and optional ``split``, ``fields`` (object: structured ground truth for KIE),
``json_schema`` (object: JSON Schema of the expected answer) and ``metadata`` (object).
See docs/datasets.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..core import DatasetError, Sample, SourceLocation, problems_from_validation_error, read_text_utf8
from ._base import RowError, dataset_loaders, resolve_image

__all__ = ["JsonlLoader", "JsonlRow"]


class JsonlRow(BaseModel):
    """One line of ``annotation.jsonl`` as written on disk."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    images: list[str] = Field(min_length=1)
    question: str = ""
    answers: list[str] = Field(default_factory=list)
    doc_class: str = ""
    question_type: str = ""
    task: str | None = None
    split: str = ""
    fields: dict[str, Any] | None = None
    json_schema: dict[str, Any] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


@dataset_loaders.register("jsonl", version="1")
class JsonlLoader:
    """``annotation.jsonl``: one JSON object per line (see module docstring)."""

    annotation_name = "annotation.jsonl"

    def load(self, root: Path, *, default_task: str, check_images: bool = True) -> list[Sample]:
        """Read every line; every bad line is reported with its number."""
        path = root / self.annotation_name
        text = read_text_utf8(path)
        errors = RowError()
        samples: list[Sample] = []
        first_line: dict[str, int] = {}
        for number, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            where = SourceLocation(path, number)
            try:
                row = JsonlRow.model_validate(json.loads(raw))
            except json.JSONDecodeError as exc:
                errors.add(SourceLocation(path, number, exc.colno), f"not valid JSON: {exc.msg}")
                continue
            except ValidationError as exc:
                errors.problems.extend(problems_from_validation_error(exc, where))
                continue
            if row.id in first_line:
                errors.add(
                    SourceLocation(path, number, key="id"),
                    f"duplicate sample id '{row.id}' (first on line {first_line[row.id]})",
                    "sample ids must be unique within a dataset",
                )
                continue
            first_line[row.id] = number
            images = [
                resolve_image(
                    root,
                    rel,
                    SourceLocation(path, number, key=f"images[{i}]"),
                    errors,
                    check_file=check_images,
                )
                for i, rel in enumerate(row.images)
            ]
            resolved = [img for img in images if img is not None]
            if len(resolved) != len(images):
                continue
            data = row.model_dump(exclude={"images", "task", "metadata"})
            samples.append(
                Sample(
                    **data,
                    images=tuple(resolved),
                    task=row.task or default_task,
                    metadata={**row.metadata, "line": number},
                )
            )
        if not samples and not errors.problems:
            raise DatasetError("the annotation file has no samples", location=SourceLocation(path))
        errors.raise_if_any()
        return samples
