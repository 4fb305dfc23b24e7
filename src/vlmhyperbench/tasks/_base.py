"""The `Task` type and the built-in tasks ``ocr``, ``vqa``, ``kie`` and ``parse``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ..core import DatasetError, Registry, Sample
from ..core.json_schema import UnsupportedSchema, schema_errors

__all__ = ["PARSE_PROMPT", "ParsedAnswer", "Task", "parse_json_answer", "tasks"]


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
        """Turn a raw model answer into the text that metrics score (strictly).

        For structured tasks, and for any sample with a JSON schema, the answer must be
        a JSON object (one Markdown code fence around it is allowed) that validates
        against the sample's schema; otherwise it is invalid and scored as empty.
        """
        if not (self.structured or sample.json_schema):
            return ParsedAnswer(raw)
        return _checked(parse_json_answer(raw), sample)

    def repair(self, raw: str, sample: Sample) -> ParsedAnswer:
        """The lenient reading of an invalid structured answer: JSON repaired, then checked."""
        import json_repair

        try:
            value = json_repair.repair_json(raw, return_objects=True)
        except Exception as exc:  # noqa: BLE001 (the repairer is best-effort on arbitrary text)
            return ParsedAnswer(None, invalid=f"cannot repair: {exc}")
        if not isinstance(value, dict):
            return ParsedAnswer(None, invalid="no JSON object found")
        return _checked(ParsedAnswer(json.dumps(value, ensure_ascii=False), value=value), sample)

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


def _checked(parsed: ParsedAnswer, sample: Sample) -> ParsedAnswer:
    """Validate a parsed object against the sample's schema; canonical text when valid."""
    if parsed.invalid is not None:
        return parsed
    if sample.json_schema:
        try:
            errors = schema_errors(parsed.value, sample.json_schema)
        except UnsupportedSchema as exc:
            raise DatasetError(
                f"sample '{sample.id}': its json_schema cannot be used: {exc}",
                hint="see docs/metrics.md for the supported JSON Schema keywords",
            ) from None
        if errors:
            return ParsedAnswer(
                None, invalid="does not match the schema: " + "; ".join(errors[:5]), value=parsed.value
            )
    return ParsedAnswer(canonical_json(parsed.value), value=parsed.value)


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

PARSE_PROMPT = (
    "Convert this document page to Markdown. Keep the natural reading order. Write tables "
    "as HTML (<table> with rowspan/colspan where cells span) or as Markdown pipe tables, "
    "and formulas in LaTeX: $...$ inline, $$...$$ for display equations. "
    "Output only the Markdown of the page."
)
"""The generic page-parsing prompt (model families' own prompts: ``builtin:parse/<family>``)."""

_register(
    Task(
        "parse",
        "page parsing: a page to Markdown with HTML or pipe tables and LaTeX formulas",
        "{{ question or '" + PARSE_PROMPT + "' }}",
        ("ned", "cer"),
    )
)
