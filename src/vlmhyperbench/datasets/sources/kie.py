"""Readers of the key-information-extraction benchmarks SROIE, CORD and FUNSD.

Each document is one record of task ``kie``: its page, the ground truth as ``fields``
(a JSON object), the same object as compact JSON in ``answers``, ``doc_class``
``receipt`` or ``form`` and ``question_type`` ``fields``. Every key or annotation file is
one row: a file that is not JSON, or whose page is missing, is a problem at that file
and the document is left out. The layouts each reader finds are in its ``expects``;
docs/benchmarks.md shows them as folder trees.

- ``sroie`` (ICDAR 2019 SROIE task 3): ``fields`` are ``company``, ``date``, ``address``,
  ``total`` as the key file gives them (a key the file lacks is left out).
- ``cord`` (CORD v2): ``fields`` is the receipt's ``gt_parse``.
- ``funsd`` (FUNSD): ``fields`` are the texts of the entities labelled ``header``,
  ``question`` and ``answer``, by label, in file order (``other`` entities are not
  fields: seqeval's FUNSD labels make them ``O``); question→answer links are kept in
  ``metadata["links"]``.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from ...core import DatasetError, SourceLocation
from .._base import RowError
from ._base import (
    PageImage,
    ReadOptions,
    SourceRecord,
    missing_files,
    pick_split,
    require_module,
    source_formats,
)

__all__ = ["FUNSD_LABELS", "FUNSD_SCHEMA", "SROIE_FIELDS", "SROIE_SCHEMA", "CordV2", "Funsd", "Sroie"]

SROIE_FIELDS = ("company", "date", "address", "total")
SROIE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {name: {"type": "string"} for name in SROIE_FIELDS},
}
"""The four string fields; none is required (a key file may lack one) and other keys are
allowed, so a partial answer is scored field by field rather than refused."""
FUNSD_LABELS = ("header", "question", "answer")
FUNSD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {label: {"type": "array", "items": {"type": "string"}} for label in FUNSD_LABELS},
}
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".JPG", ".JPEG", ".PNG")
_MAX_DEPTH = 4


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _folders(source: Path) -> Iterator[Path]:
    """``source`` and the folders under it, shallowest first, hidden ones skipped."""
    queue = deque([(source, 0)])
    while queue:
        folder, depth = queue.popleft()
        yield folder
        if depth < _MAX_DEPTH:
            children = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
            queue.extend((child, depth + 1) for child in children)


def _split_of(folder: str) -> str:
    """The split a release's folder name stands for: ``training_data`` and
    ``0325updated.task2train(626p)`` are ``train``, ``testing_data`` and ``task3-test(347p)``
    are ``test``; any other name is its own split (``dev``)."""
    low = folder.lower()
    for word in ("train", "test"):
        if word in low:
            return word
    return low


def _json_row(path: Path, errors: RowError) -> Any:
    """The parsed file; a file that is not UTF-8 JSON is a row problem (None returned)."""
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        errors.add(
            SourceLocation(path, exc.lineno, exc.colno),
            f"not valid JSON: {exc.msg}",
            "re-download the file, or import with --skip-invalid to leave this document out",
        )
    except UnicodeDecodeError as exc:
        errors.add(SourceLocation(path), f"not UTF-8 text: {exc}", "re-save the file as UTF-8")
    return None


def _page(folder: Path, stem: str, where: SourceLocation, errors: RowError) -> Path | None:
    """``folder/<stem>.jpg`` (or .jpeg, .png); a missing page is a row problem."""
    for suffix in _IMAGE_SUFFIXES:
        path = folder / f"{stem}{suffix}"
        if path.is_file():
            return path
    errors.add(where, f"image '{stem}' does not exist (looked for .jpg, .jpeg and .png)", f"in {folder}")
    return None


def _record(
    doc_id: str,
    page: PageImage,
    fields: dict[str, Any],
    split: str,
    where: SourceLocation,
    kind: tuple[str, dict[str, Any] | None],
    **metadata: Any,
) -> SourceRecord:
    """A document's record; ``kind`` is (doc_class, json_schema)."""
    return SourceRecord(
        id=doc_id,
        images=[page],
        answers=[_compact(fields)],
        doc_class=kind[0],
        question_type="fields",
        task="kie",
        split=split,
        fields=fields,
        json_schema=kind[1],
        metadata={"source_split": split, **metadata},
        where=where,
    )


@source_formats.register("sroie", version="1")
class Sroie:
    """ICDAR 2019 SROIE task 3 (key information extraction from scanned receipts)."""

    name: ClassVar[str] = "sroie"
    expects: ClassVar[str] = (
        "<split>/img/<name>.jpg with <split>/entities/<name>.txt (the Kaggle 'SROIE2019' layout), "
        "data/img/ with data/key/<name>.json (zzzDavid/ICDAR-2019-SROIE: the train split), or <name>.jpg "
        "beside <name>.txt key files (the RRC '0325updated.task2train(626p)' folder); each key file is "
        "a JSON object with company, date, address, total"
    )

    def read(self, source: Path, options: ReadOptions, errors: RowError) -> Iterator[SourceRecord]:
        """Yield the receipts of one split (``test`` by default, else the only one)."""
        found = self._splits(source)
        split = pick_split(found, options, "test", source)
        images, keys = found[split]
        for key in sorted(p for p in keys.iterdir() if p.suffix in (".txt", ".json") and p.is_file()):
            where = SourceLocation(key)
            page = _page(images, key.stem, where.with_key("image"), errors)
            fields = self._fields(key, errors)
            if page is None or fields is None:
                continue
            yield _record(
                key.stem,
                PageImage(path=page),
                fields,
                split,
                where,
                ("receipt", SROIE_SCHEMA),
                key_file=key.name,
            )

    def _splits(self, source: Path) -> dict[str, tuple[Path, Path]]:
        """(image folder, key folder) by split, the shallowest of each split."""
        if not source.is_dir():
            raise missing_files(source, self)
        found: dict[str, tuple[Path, Path]] = {}
        for folder in _folders(source):
            img = folder / "img"
            keys = next((folder / n for n in ("entities", "key") if (folder / n).is_dir()), None)
            if img.is_dir() and keys is not None:
                split = "train" if keys.name == "key" and folder.name == "data" else _split_of(folder.name)
                found.setdefault(split, (img, keys))
            elif self._side_by_side(folder):
                found.setdefault(_split_of(folder.name), (folder, folder))
        if not found:
            raise missing_files(source, self, [p.name for p in sorted(source.iterdir())])
        return found

    @staticmethod
    def _side_by_side(folder: Path) -> bool:
        """A folder of receipts whose .txt files are key files (task 1 and 2 .txt files hold boxes)."""
        texts = sorted(folder.glob("*.txt"))
        if not texts or not any(folder.glob("*.jpg")):
            return False
        try:
            return isinstance(json.loads(texts[0].read_text(encoding="utf-8-sig")), dict)
        except (ValueError, UnicodeDecodeError):
            return False

    @staticmethod
    def _fields(key: Path, errors: RowError) -> dict[str, str] | None:
        value = _json_row(key, errors)
        if value is None:
            return None
        if not isinstance(value, dict):
            errors.add(SourceLocation(key), f"expected a JSON object, got {type(value).__name__}")
            return None
        bad = [k for k in SROIE_FIELDS if k in value and not isinstance(value[k], str)]
        if bad:
            errors.add(SourceLocation(key, key=bad[0]), "expected a string")
            return None
        return {k: value[k] for k in SROIE_FIELDS if k in value}


@source_formats.register("funsd", version="1")
class Funsd:
    """FUNSD (form understanding in noisy scanned documents) as released by its authors."""

    name: ClassVar[str] = "funsd"
    expects: ClassVar[str] = (
        "dataset/training_data/ and dataset/testing_data/, each with annotations/<name>.json "
        '({"form": [{id, text, label, words, linking}]}) and images/<name>.png'
    )

    def read(self, source: Path, options: ReadOptions, errors: RowError) -> Iterator[SourceRecord]:
        """Yield the forms of one split (``test`` by default)."""
        if not source.is_dir():
            raise missing_files(source, self)
        found: dict[str, Path] = {}
        for folder in _folders(source):
            if (folder / "annotations").is_dir() and (folder / "images").is_dir():
                found.setdefault(_split_of(folder.name), folder)
        if not found:
            raise missing_files(source, self, [p.name for p in sorted(source.iterdir())])
        split = pick_split(found, options, "test", source)
        folder = found[split]
        for path in sorted((folder / "annotations").glob("*.json")):
            where = SourceLocation(path)
            page = _page(folder / "images", path.stem, where.with_key("image"), errors)
            parsed = self._entities(path, errors)
            if page is None or parsed is None:
                continue
            fields, links = parsed
            yield _record(
                path.stem,
                PageImage(path=page),
                fields,
                split,
                where,
                ("form", FUNSD_SCHEMA),
                annotation_file=path.name,
                links=links,
            )

    @staticmethod
    def _entities(path: Path, errors: RowError) -> tuple[dict[str, list[str]], list[list[str]]] | None:
        """Entity texts by label, and the (question, answer) text pairs of the links."""
        document = _json_row(path, errors)
        if document is None:
            return None
        form = document.get("form") if isinstance(document, dict) else None
        if not isinstance(form, list):
            errors.add(SourceLocation(path, key="form"), "expected an object with a 'form' list")
            return None
        fields: dict[str, list[str]] = {label: [] for label in FUNSD_LABELS}
        texts: dict[int, tuple[str, str]] = {}
        for index, entity in enumerate(form):
            where = SourceLocation(path, key=f"form[{index}]")
            label = entity.get("label") if isinstance(entity, dict) else None
            text = entity.get("text") if isinstance(entity, dict) else None
            if label not in (*FUNSD_LABELS, "other") or not isinstance(text, str):
                errors.add(
                    where,
                    "expected an entity with a 'text' string and a label of header, "
                    f"question, answer or other; got label {json.dumps(label)}",
                )
                return None
            eid = entity.get("id")
            texts[eid if isinstance(eid, int) else index] = (label, text)
            if label != "other" and text.strip():
                fields[label].append(text)
        links: list[list[str]] = []
        for entity in form:
            for pair in entity.get("linking") or []:
                if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(i, int) for i in pair)):
                    continue
                head, tail = texts.get(pair[0]), texts.get(pair[1])
                if head and tail and (head[0], tail[0]) == ("question", "answer"):
                    if [head[1], tail[1]] not in links:
                        links.append([head[1], tail[1]])
        return fields, links


@source_formats.register("cord", version="1")
class CordV2:
    """CORD v2 (receipts): the Hugging Face parquet files or the released json/image folders."""

    name: ClassVar[str] = "cord"
    expects: ClassVar[str] = (
        "naver-clova-ix/cord-v2's data/<split>-*.parquet (columns image, ground_truth), or "
        "<split>/json/<name>.json with <split>/image/<name>.png whose JSON has gt_parse (CORD v1/v2; "
        "v0 has none)"
    )
    _PARQUET: ClassVar[re.Pattern[str]] = re.compile(r"(?P<split>[A-Za-z_]+)-.*\.parquet")

    def read(self, source: Path, options: ReadOptions, errors: RowError) -> Iterator[SourceRecord]:
        """Yield the receipts of one split (``test`` by default)."""
        found = self._splits(source)
        split = pick_split(found, options, "test", source)
        where = found[split]
        if isinstance(where, list):
            for path in where:
                yield from self._parquet(path, split, errors)
        else:
            yield from self._folder(where, split, errors)

    def _splits(self, source: Path) -> dict[str, list[Path] | Path]:
        found: dict[str, list[Path] | Path] = {}
        files = [source] if source.is_file() else sorted(source.rglob("*.parquet"))
        for path in files:
            match = self._PARQUET.fullmatch(path.name)
            if match:
                parts = found.setdefault(match["split"], [])
                assert isinstance(parts, list)
                parts.append(path)
        if source.is_dir():
            for folder in _folders(source):
                if (folder / "json").is_dir() and (folder / "image").is_dir():
                    found.setdefault(folder.name.lower(), folder)
        if not found:
            raise missing_files(source, self)
        return found

    def _folder(self, folder: Path, split: str, errors: RowError) -> Iterator[SourceRecord]:
        for path in sorted((folder / "json").glob("*.json")):
            where = SourceLocation(path)
            page = _page(folder / "image", path.stem, where.with_key("image"), errors)
            truth = _json_row(path, errors)
            record = self._record(path.stem, page, truth, split, where, errors) if truth is not None else None
            if page is not None and record is not None:
                yield record

    def _parquet(self, path: Path, split: str, errors: RowError) -> Iterator[SourceRecord]:
        pq = require_module("pyarrow.parquet", "reading CORD parquet files")
        try:
            table = pq.ParquetFile(path)
        except Exception as exc:  # noqa: BLE001 (pyarrow raises several kinds for a bad file)
            raise DatasetError(f"not a readable parquet file: {exc}", location=SourceLocation(path)) from None
        names = table.schema_arrow.names
        if not {"image", "ground_truth"} <= set(names):
            raise DatasetError(
                f"expected the columns image and ground_truth; it has {', '.join(names)}",
                location=SourceLocation(path),
                hint="is this naver-clova-ix/cord-v2?",
            )
        number = 0
        for batch in table.iter_batches(batch_size=16, columns=["image", "ground_truth"]):
            for row in batch.to_pylist():
                number += 1
                where = SourceLocation(path, number)
                image = row["image"].get("bytes") if isinstance(row["image"], dict) else None
                truth = self._ground_truth(row["ground_truth"], where.with_key("ground_truth"), errors)
                if not image:
                    errors.add(where.with_key("image"), "the row has no image bytes")
                    continue
                if truth is not None:
                    image_id = (
                        truth.get("meta", {}).get("image_id") if isinstance(truth.get("meta"), dict) else None
                    )
                    doc_id = f"receipt_{image_id:05d}" if isinstance(image_id, int) else f"row_{number:05d}"
                    record = self._record(doc_id, PageImage(data=image), truth, split, where, errors)
                    if record is not None:
                        yield record

    @staticmethod
    def _ground_truth(text: Any, where: SourceLocation, errors: RowError) -> dict[str, Any] | None:
        try:
            value = json.loads(text) if isinstance(text, str) else None
        except json.JSONDecodeError as exc:
            errors.add(where, f"not valid JSON: {exc.msg} at column {exc.colno}")
            return None
        if not isinstance(value, dict):
            errors.add(where, "expected a JSON object (a string holding gt_parse, meta, valid_line)")
            return None
        return value

    @staticmethod
    def _record(
        doc_id: str,
        page: PageImage | Path | None,
        truth: Any,
        split: str,
        where: SourceLocation,
        errors: RowError,
    ) -> SourceRecord | None:
        """The receipt's record with ``gt_parse`` as its fields; None (reported) without one."""
        parse = truth.get("gt_parse") if isinstance(truth, dict) else None
        if not isinstance(parse, dict):
            errors.add(
                where.with_key("gt_parse"),
                "no gt_parse object" if parse is None else "gt_parse is not an object",
                "CORD v0 files have only valid_line; the benchmark scores v2's gt_parse "
                "(huggingface.co/datasets/naver-clova-ix/cord-v2)",
            )
            return None
        if page is None:
            return None
        image = page if isinstance(page, PageImage) else PageImage(path=page)
        return _record(doc_id, image, parse, split, where, ("receipt", None), meta=truth.get("meta"))
