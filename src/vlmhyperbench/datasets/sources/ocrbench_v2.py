"""Reader of OCRBench v2 as its authors release it (Yuliang-Liu/MultimodalOCR, ``OCRBench_v2``).

The download holds ``OCRBench_v2.json`` — one JSON list of 10,000 questions — and the
images in ``EN_part/`` and ``CN_part/`` beside it, as each row's ``image_path`` says::

    {"dataset_name": "...", "type": "text spotting en", "id": 0, "image_path": "EN_part/...",
     "question": "...", "answers": [...], "eval": "...", "bbox": [...], "content": [...]}

Each row becomes one record: ``question_type`` is the row's ``type`` (one of the 31 task
types the official ``eval.py`` dispatches on), ``split`` is ``EN`` or ``CN`` (the type's
language suffix, which is how ``get_score.py`` groups them), ``doc_class`` the
``dataset_name``. Every other field (``id``, ``image_path``, ``eval``, ``bbox``,
``content``...) is kept in ``metadata``, with ``source_split: test`` (the only split).

Answers are not always strings: text grounding gives a box (four numbers), key
information extraction and chart parsing give dictionaries. The scorer needs them as
they are, so such a row keeps its ``answers`` unchanged in ``metadata["answers"]`` and
``answers`` holds each one as text (JSON for dictionaries and lists, ``str`` for numbers),
as the Hugging Face copy ``lmms-lab/OCRBench-v2`` stores them.

The annotation file is one JSON document and is parsed whole (text only); images are
opened one at a time by the importer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from ...core import DatasetError, SourceLocation
from .._base import RowError, resolve_image
from ._base import PageImage, ReadOptions, SourceRecord, missing_files, source_formats, unknown_choice
from ._json import json_document

__all__ = ["OcrBenchV2"]

_FILE = "OCRBench_v2.json"
_LANGUAGES = {"en": "EN", "cn": "CN"}
_REQUIRED = ("id", "type", "question", "image_path")


@source_formats.register("ocrbench_v2", version="1")
class OcrBenchV2:
    """OCRBench v2 (``OCRBench_v2.json`` with ``EN_part/`` and ``CN_part/``): 10,000 questions."""

    name: ClassVar[str] = "ocrbench_v2"
    expects: ClassVar[str] = (
        "OCRBench_v2.json ([{dataset_name, type, id, image_path, question, answers, ...}]) "
        "with the images beside it as image_path says (EN_part/..., CN_part/...)"
    )

    def read(self, source: Path, options: ReadOptions, errors: RowError) -> Iterator[SourceRecord]:
        """Yield the questions in file order (``subset``: ``EN`` or ``CN`` keeps one language).

        Raises:
            DatasetError: no ``OCRBench_v2.json``, a split other than ``test``, a subset
                other than ``EN``/``CN``, or a file that is not a JSON list.
        """
        path = _annotation_file(source, self)
        if options.split not in (None, "test"):
            raise unknown_choice("split", options.split, ["test"], source)
        language = None
        if options.subset is not None:
            language = _LANGUAGES.get(options.subset.lower())
            if language is None:
                raise unknown_choice("subset", options.subset, list(_LANGUAGES.values()), source)
        rows = _document(path)
        seen: set[str] = set()
        for number, row in enumerate(rows, start=1):
            where = SourceLocation(path, number)
            record = _record(row, number, where, path.parent, errors, seen)
            if record is not None and (language is None or record.split == language):
                yield record


def _annotation_file(source: Path, reader: OcrBenchV2) -> Path:
    if source.is_file():
        return source
    found = sorted(source.rglob(_FILE), key=lambda p: (len(p.parts), str(p))) if source.is_dir() else []
    if not found:
        names = sorted(p.name for p in source.iterdir())[:8] if source.is_dir() else []
        raise missing_files(source, reader, names)
    return found[0]


def _document(path: Path) -> list[Any]:
    rows = json_document(path)
    if not isinstance(rows, list):
        raise DatasetError(
            "expected a JSON list of questions",
            location=SourceLocation(path),
            hint="is this OCRBench_v2.json?",
        )
    return rows


def _record(
    row: Any, number: int, where: SourceLocation, root: Path, errors: RowError, seen: set[str]
) -> SourceRecord | None:
    """One row as a record, or None after reporting what is wrong with it."""
    if not isinstance(row, dict):
        errors.add(where, "expected an object")
        return None
    missing = [key for key in _REQUIRED if key not in row]
    for key in missing:
        errors.add(where.with_key(key), "required key is missing")
    if missing:
        return None
    kind, question, rel = row["type"], row["question"], row["image_path"]
    language = _LANGUAGES.get(kind.rsplit(" ", 1)[-1]) if isinstance(kind, str) else None
    if language is None:
        errors.add(
            where.with_key("type"), f"'{kind}' is not an OCRBench v2 type (they end in ' en' or ' cn')"
        )
        return None
    if not isinstance(question, str) or not isinstance(rel, str):
        errors.add(
            where.with_key("question" if not isinstance(question, str) else "image_path"), "expected a string"
        )
        return None
    answers = _answers(row.get("answers"), where.with_key("answers"), errors)
    page = resolve_image(root, rel, where.with_key("image_path"), errors, check_file=False)
    if page is not None and not page.is_file():
        errors.add(where.with_key("image_path"), f"image '{rel}' does not exist", f"expected at {page}")
        page = None
    if answers is None or page is None:
        return None
    metadata = {k: v for k, v in row.items() if k not in ("question", "answers", "type")}
    raw = row.get("answers")
    if not (isinstance(raw, list) and all(isinstance(a, str) for a in raw)):
        metadata["answers"] = raw
    return SourceRecord(
        id=_unique_id(str(row["id"]), number, seen),
        images=[PageImage(path=page)],
        question=question,
        answers=answers,
        doc_class=str(row.get("dataset_name", "")),
        question_type=kind,
        split=language,
        metadata={**metadata, "source_split": "test"},
        where=where,
    )


def _answers(value: Any, where: SourceLocation, errors: RowError) -> list[str] | None:
    """The references as text: strings as they are, dictionaries and lists as JSON."""
    if value is None:
        errors.add(where, "required key is missing")
        return None
    items = value if isinstance(value, list) else [value]
    return [_as_text(item) for item in items]


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping | list | bool) or value is None:
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _unique_id(qid: str, number: int, seen: set[str]) -> str:
    """The row's ``id``; a repeated one gets ``-row<N>`` (its 1-based row) so ids stay unique."""
    if qid in seen:
        return f"{qid}-row{number}"
    seen.add(qid)
    return qid
