"""`Sample`: one question on one document, the unit every stage works on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Sample", "TaskName"]

TaskName = str
"""Registered task name: ``ocr``, ``vqa``, ``kie`` or a plugin's."""


class Sample(BaseModel):
    """One question asked about one document (one or more page images)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    """Unique within the dataset; answers refer to it."""
    images: tuple[Path, ...] = Field(min_length=1)
    """Absolute paths of the page images, in page order (inside the dataset root)."""
    question: str = ""
    """The dataset's own question text (the prompt when nothing overrides it)."""
    answers: tuple[str, ...] = ()
    """Reference answers; text metrics take the best match over them."""
    doc_class: str = ""
    """Document type, e.g. ``passport``, ``invoice``."""
    question_type: str = ""
    """The field asked for, e.g. ``Серия и номер паспорта``; ``full_text`` for OCR."""
    task: TaskName = "vqa"
    split: str = ""
    """Subset label such as ``clean`` or ``degraded``."""
    fields: dict[str, Any] | None = None
    """Structured ground truth for key-information extraction."""
    json_schema: dict[str, Any] | None = None
    """JSON Schema the answer must satisfy (structured output), if any."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """Anything else from the dataset (row number, bbox, generator seed...)."""

    @property
    def field_key(self) -> tuple[str, str]:
        """(doc_class, question_type): the group of the ``by_field`` aggregator."""
        return (self.doc_class, self.question_type)
