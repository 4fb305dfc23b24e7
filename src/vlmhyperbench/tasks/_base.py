"""The `Task` type and the built-in tasks ``ocr``, ``vqa`` and ``kie``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ..core import Registry, Sample

__all__ = ["ParsedAnswer", "Task", "parse_json_answer", "tasks"]


@dataclass(frozen=True, slots=True)
class ParsedAnswer:
    """The text metrics score, or why the raw answer could not be used."""

    text: str | None
    invalid: str | None = None
    value: Any = None
    """Parsed structure (KIE: the JSON object)."""


@dataclass(frozen=True)
class Task:
    """What is asked: default prompt template (Jinja2), metrics, and answer handling."""

    name: str
    description: str
    default_prompt: str
    default_metrics: tuple[str, ...]
    structured: bool = False
    """Answers are JSON objects compared field by field (KIE)."""

    def parse(self, raw: str, sample: Sample) -> ParsedAnswer:
        """Turn a raw model answer into the text that metrics score."""
        if not self.structured:
            return ParsedAnswer(raw)
        parsed = parse_json_answer(raw)
        if parsed.invalid is not None:
            return parsed
        return ParsedAnswer(canonical_json(parsed.value), value=parsed.value)

    def references(self, sample: Sample) -> tuple[str, ...]:
        """Reference strings in the form `parse` produces."""
        if self.structured and sample.fields is not None:
            return (canonical_json(sample.fields),)
        if self.structured:
            refs = []
            for ref in sample.answers:
                parsed = parse_json_answer(ref)
                refs.append(ref if parsed.invalid else canonical_json(parsed.value))
            return tuple(refs)
        return sample.answers


_FENCE = re.compile(r"^\s*```(?:json|JSON)?\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)


def parse_json_answer(raw: str) -> ParsedAnswer:
    """Parse a JSON object from a model answer; a Markdown code fence is allowed.

    Nothing else is repaired: a malformed answer is reported as invalid with the
    parser's message so it is counted, not silently scored.
    """
    text = raw.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return ParsedAnswer(None, invalid=f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    if not isinstance(value, dict):
        return ParsedAnswer(None, invalid=f"expected a JSON object, got {type(value).__name__}")
    return ParsedAnswer(text, value=value)


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys, non-ASCII kept: equal objects give equal strings."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


tasks: Registry[Task] = Registry("tasks", list_command="vlmhb tasks list")


def _register(task: Task) -> None:
    tasks.register(task.name, version="1", description=task.description)(task)


_register(
    Task(
        "ocr",
        "full-page text recognition",
        "{{ question or 'Transcribe all text in the image, line by line. Output only the text.' }}",
        ("cer", "wer"),
    )
)
_register(
    Task(
        "vqa",
        "question answering about a document (one field per question)",
        "{{ question }}",
        ("anls", "exact_match", "cer"),
    )
)
_register(
    Task(
        "kie",
        "key-information extraction into a JSON object",
        "{{ question or 'Extract the fields of this document as a JSON object.' }}"
        "{% if json_schema %}\nReturn only JSON matching this schema: {{ json_schema | json }}{% endif %}",
        ("anls", "cer"),
        structured=True,
    )
)
