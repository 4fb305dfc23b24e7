"""olmOCR-bench test objects: checked as olmocr 0.4.27 loads them, and run on a page.

A test is a dict exactly as its ``*.jsonl`` line (``olmocr/bench/tests.py``: the
``BasePDFTest`` dataclasses and their ``__post_init__`` checks). `parse_test` checks it and
gives an `OlmocrTest`; `OlmocrTest.run` gives ``(passed, explanation)`` on a page's Markdown.
Where the official loader would stop the whole benchmark (an unknown type, a missing or an
unexpected field, an empty text), `parse_test` raises `InvalidTest` with the reason, which
the metric records as that test's failure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._olmocr_table_check import TableQuery, table_check
from ._olmocr_text import baseline_check, normalize_text, order_check, presence_check

__all__ = ["TEST_TYPES", "InvalidTest", "OlmocrTest", "parse_test"]

_REQUIRED = object()
_COMMON: dict[str, Any] = {"pdf": _REQUIRED, "page": _REQUIRED, "id": _REQUIRED, "type": _REQUIRED}
_COMMON |= {"max_diffs": 0, "checked": None, "url": None}
_TABLE = {
    "cell": _REQUIRED,
    "up": "",
    "down": "",
    "left": "",
    "right": "",
    "top_heading": "",
    "left_heading": "",
}
_PRESENCE = {"text": _REQUIRED, "case_sensitive": True, "first_n": None, "last_n": None}
_FIELDS: dict[str, dict[str, Any]] = {
    "baseline": {
        "max_length": None,
        "max_length_skips_image_alt_tags": False,
        "max_repeats": 30,
        "check_disallowed_characters": True,
    },
    "present": _PRESENCE,
    "absent": _PRESENCE,
    "order": {"before": _REQUIRED, "after": _REQUIRED},
    "table": {**_TABLE, "ignore_markdown_tables": False},
    "math": {"math": _REQUIRED, "ignore_dollar_delimited": False},
}
TEST_TYPES = tuple(_FIELDS)
"""The test types of olmocr 0.4.27 (``TestType``)."""
_TEXTS = ("text", "before", "after", "cell", "math")
_OPTIONAL_NUMBERS = ("first_n", "last_n", "max_length")


class InvalidTest(ValueError):
    """A test object olmOCR-bench would refuse to load; the message says why."""


@dataclass(frozen=True)
class OlmocrTest:
    """One checked test: its id, type and every field (defaults filled in)."""

    id: str
    type: str
    fields: Mapping[str, Any]

    def run(self, page: str) -> tuple[bool, str]:
        """``(passed, explanation)`` on a page's Markdown; the explanation is "" on a pass.

        A ``rowspan``/``colspan`` that is not an integer fails the test with Python's message,
        as the official runner records the exception. ``math`` tests render with KaTeX
        (`vlmhyperbench.metrics._katex`).

        Raises:
            MissingDependency: a package the test type needs is not installed.
        """
        f = self.fields
        if self.type in ("present", "absent"):
            return presence_check(
                f["text"],
                page,
                absent=self.type == "absent",
                max_diffs=f["max_diffs"],
                case_sensitive=bool(f["case_sensitive"]),
                first_n=f["first_n"],
                last_n=f["last_n"],
            )
        if self.type == "order":
            return order_check(f["before"], f["after"], page, max_diffs=f["max_diffs"])
        if self.type == "table":
            query = TableQuery(
                **{key: normalize_text(f[key] or "") for key in _TABLE},
                max_diffs=f["max_diffs"],
                ignore_markdown_tables=bool(f["ignore_markdown_tables"]),
            )
            try:
                return table_check(query, page)
            except ValueError as exc:  # an HTML span that is not a number
                return False, str(exc)
        if self.type == "math":
            from ._katex import math_test_passes

            return math_test_passes(
                f["math"], page, ignore_dollar_delimited=bool(f["ignore_dollar_delimited"])
            )
        return baseline_check(
            page,
            max_length=f["max_length"],
            max_length_skips_image_alt_tags=bool(f["max_length_skips_image_alt_tags"]),
            max_repeats=f["max_repeats"],
            check_disallowed_characters=bool(f["check_disallowed_characters"]),
        )


def parse_test(obj: object) -> OlmocrTest:
    """Check a test object as olmocr's ``load_single_test`` does.

    Raises:
        InvalidTest: not an object, an unknown type, a missing or unexpected field, a field
            of the wrong kind, or one of the official checks fails (its message, verbatim).
    """
    if not isinstance(obj, Mapping):
        raise InvalidTest(f"a test must be a JSON object, got {type(obj).__name__}")
    kind = obj.get("type")
    if kind not in _FIELDS:
        raise InvalidTest(f"unknown test type {kind!r}")
    spec = _COMMON | _FIELDS[kind]
    unexpected = [key for key in obj if key not in spec]
    if unexpected:
        raise InvalidTest(f"unexpected field '{unexpected[0]}' in a '{kind}' test")
    missing = [key for key, default in spec.items() if default is _REQUIRED and key not in obj]
    if missing:
        raise InvalidTest(f"missing field '{missing[0]}' in a '{kind}' test")
    fields = {key: obj.get(key, default) for key, default in spec.items()}
    _check_kinds(fields)
    _check_values(kind, fields)
    return OlmocrTest(id=str(fields["id"]), type=kind, fields=fields)


def _check_kinds(fields: dict[str, Any]) -> None:
    for key in _TEXTS:
        if key in fields and not isinstance(fields[key], str):
            raise InvalidTest(f"'{key}' must be a string, got {fields[key]!r}")
    for key in _TABLE:
        if key in fields and not isinstance(fields[key], str | None):
            raise InvalidTest(f"'{key}' must be a string, got {fields[key]!r}")
    for key in (*_OPTIONAL_NUMBERS, "max_repeats"):
        value = fields.get(key)
        if key not in fields or (value is None and key in _OPTIONAL_NUMBERS):
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidTest(f"'{key}' must be a whole number, got {value!r}")


def _check_values(kind: str, fields: dict[str, Any]) -> None:
    """The official ``__post_init__`` checks, with their messages."""
    if not fields["pdf"]:
        raise InvalidTest("PDF filename cannot be empty")
    if not fields["id"]:
        raise InvalidTest("Test ID cannot be empty")
    max_diffs = fields["max_diffs"]
    if not isinstance(max_diffs, int) or max_diffs < 0:
        raise InvalidTest("Max diffs must be positive number or 0")
    if kind in ("present", "absent") and not normalize_text(fields["text"]).strip():
        raise InvalidTest("Text field cannot be empty")
    if kind == "order":
        before, after = normalize_text(fields["before"]), normalize_text(fields["after"])
        if not before.strip():
            raise InvalidTest("Before field cannot be empty")
        if not after.strip():
            raise InvalidTest("After field cannot be empty")
        if max_diffs > len(before) // 2 or max_diffs > len(after) // 2:
            raise InvalidTest("Max diffs is too large for this test, greater than 50% of the search string")
    if kind == "math" and not fields["math"].strip():
        raise InvalidTest("Math test must have non-empty math expression")
