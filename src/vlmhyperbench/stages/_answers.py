"""Answers files a user may bring: our JSONL, minimal JSONL, or the prototype CSV."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from ..core import (
    AnswerRecord,
    DatasetError,
    Problem,
    SourceLocation,
    problems_from_validation_error,
    read_semicolon_csv,
    read_text_utf8,
)

__all__ = ["ANSWERS_CSV_COLUMNS", "LoadedAnswer", "read_answers_file"]

_MINIMAL_KEYS = {"sample_id", "answer", "error"}
"""What a minimal answers JSONL line may hold; anything more makes it an `AnswerRecord`."""

ANSWERS_CSV_COLUMNS = ("id", "model_answer")
"""The prototype's answers CSV (``;``, UTF-8 with BOM): the sample id (0-based row of
``annotation.csv``) and the raw answer."""


@dataclass(frozen=True, slots=True)
class LoadedAnswer:
    """An answer to score: text (None when the request failed) and where it came from."""

    sample_id: str
    answer: str | None
    error: str | None
    line: int
    record: AnswerRecord | None = None


def read_answers_file(path: Path) -> dict[str, LoadedAnswer]:
    """Answers by sample id.

    - ``.jsonl``: one object per line with ``sample_id`` and ``answer`` (null when
      ``error`` is set); extra keys are kept if the line is a full `AnswerRecord`. A
      sample id seen more than once keeps its last successful answer (a resumed run
      appends retries).
    - ``.csv``: the prototype's ``id;model_answer`` (``;``, UTF-8 with or without BOM).
    """
    if not path.is_file():
        raise DatasetError(
            f"answers file not found: {path}", hint="pass answers.jsonl or an id;model_answer CSV"
        )
    if path.suffix.lower() == ".csv":
        return _read_csv(path)
    return _read_jsonl(path)


def _read_jsonl(path: Path) -> dict[str, LoadedAnswer]:
    answers: dict[str, LoadedAnswer] = {}
    problems: list[Problem] = []
    lines = read_text_utf8(path).split("\n")
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            if number == len(lines):  # torn last line of a killed writer
                break
            problems.append(Problem(SourceLocation(path, number, exc.colno), f"not valid JSON: {exc.msg}"))
            continue
        loaded = _from_object(data, number, path, problems)
        if loaded is None:
            continue
        previous = answers.get(loaded.sample_id)
        if previous is None or previous.answer is None or loaded.answer is not None:
            answers[loaded.sample_id] = loaded
    if problems:
        raise DatasetError(problems=problems[:50])
    return answers


def _from_object(data: object, number: int, path: Path, problems: list[Problem]) -> LoadedAnswer | None:
    where = SourceLocation(path, number)
    if not isinstance(data, dict):
        problems.append(Problem(where, "expected a JSON object"))
        return None
    if "sample_id" not in data:
        problems.append(
            Problem(
                where.with_key("sample_id"),
                "field 'sample_id' is missing",
                "each line needs sample_id and answer",
            )
        )
        return None
    answer = data.get("answer")
    if answer is not None and not isinstance(answer, str):
        problems.append(
            Problem(where.with_key("answer"), f"expected a string or null, got {type(answer).__name__}")
        )
        return None
    record = None
    try:
        record = AnswerRecord.model_validate(data)
    except ValidationError as exc:
        # a minimal line (sample_id, answer, error) needs no more; a line that carries what an
        # AnswerRecord records (timings, usage...) must carry it validly, or its speed is lost
        if set(data) - _MINIMAL_KEYS:
            problems.extend(problems_from_validation_error(exc, where))
            return None
    error = data.get("error")
    message = (error.get("message") if isinstance(error, dict) else str(error)) if error else None
    if answer is None and message is None:
        message = "no answer"
    return LoadedAnswer(str(data["sample_id"]), answer, message, number, record)


def _read_csv(path: Path) -> dict[str, LoadedAnswer]:
    id_column, answer_column = ANSWERS_CSV_COLUMNS
    _, rows = read_semicolon_csv(path, required=ANSWERS_CSV_COLUMNS)
    answers: dict[str, LoadedAnswer] = {}
    for line, row in rows:
        sample_id = row[id_column].strip()
        if sample_id in answers:
            raise DatasetError(
                f"duplicate id '{sample_id}' (first on line {answers[sample_id].line})",
                location=SourceLocation(path, line, "id"),
            )
        answers[sample_id] = LoadedAnswer(sample_id, row[answer_column], None, line)
    return answers
