"""Hugging Face parquet folders (``hf_parquet``): a dataset repo as downloaded from the Hub.

Where the files are (the layouts ``datasets`` itself writes and reads):

- ``data/<split>-00000-of-00001[-<hash>].parquet``: the default configuration;
- ``<config>/<split>-00000-of-00003.parquet``: one folder per configuration
  (``lmms-lab/DocVQA`` has ``DocVQA/`` and ``InfographicVQA/``); ``subset`` names it;
- ``<config>/<split>/0000.parquet``: the Hub's ``refs/convert/parquet`` branch;
- ``<split>.parquet``, or one ``.parquet`` file given directly;
- the Hub cache folder of a dataset, ``datasets--<org>--<name>`` (or ``models--``): its
  snapshot (the one ``refs/main`` names, or the only one) is read; ``snapshots/<rev>``
  may be given too.

The split is the only one there, or the one asked for; several splits or
configurations and nothing asked is an error listing them, as is a name that is not
there. Files are read with pyarrow in batches of `BATCH_ROWS` rows, pages through a
1 MB buffer: memory holds about two row groups of the file (the Hub writes image data
in row groups of 100 rows), never the split (docs/performance.md measures it).

Images are the ``datasets`` ``Image`` feature (a struct ``{bytes, path}``: the bytes, or
when they are null a file at ``path`` relative to the parquet file, which must stay
inside the source folder), a binary column, or a list of either (several pages).

Columns become `SourceRecord` fields by the first name present in each list below;
every other column (except image columns) is kept in ``metadata`` as it is, with
``source_split`` (and ``source_config`` for a named configuration). These lists cover
DocVQA / InfographicVQA (``lmms-lab/DocVQA``), ChartQA (``HuggingFaceM4/ChartQA``:
``human_or_machine`` 0/1 becomes ``split`` ``human``/``augmented``), TextVQA
(``facebook/textvqa``, ``lmms-lab/textvqa``), OCRBench (``echo840/OCRBench``) and CORD
(``naver-clova-ix/cord-v2``: ``ground_truth`` stays in ``metadata``).
"""

from __future__ import annotations

import datetime
import decimal
import itertools
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from ...core import DatasetError, SourceLocation
from .._base import RowError
from ._base import (
    PageImage,
    ReadOptions,
    SourceRecord,
    missing_files,
    require_module,
    source_formats,
    unknown_choice,
)

__all__ = ["ANSWER_COLUMNS", "BATCH_ROWS", "ID_COLUMNS", "IMAGE_COLUMNS", "QUESTION_COLUMNS", "HfParquet"]

BATCH_ROWS = 16
"""Rows converted to Python objects at a time (16 pages of 1 MB: 16 MB)."""
ID_COLUMNS = ("questionId", "question_id", "qid", "id", "index", "sample_id")
"""``id``; without one, ids are ``<split>-<n>`` (``n``: 1-based position in the split)."""
QUESTION_COLUMNS = ("question", "query", "prompt", "instruction")
ANSWER_COLUMNS = ("answers", "answer", "label", "labels")
"""A list (every item a reference), a string (one reference) or null (no reference)."""
QUESTION_TYPE_COLUMNS = ("question_types", "question_type", "category", "type")
"""A list is joined with ``", "`` (DocVQA's ``question_types``)."""
DOC_CLASS_COLUMNS = ("doc_class", "dataset_name", "dataset")
IMAGE_COLUMNS = ("image", "images", "page", "pages", "img")
"""Preferred image columns; otherwise the first column of an image type."""

_READ_BUFFER = 1 << 20
_SHARD = re.compile(r"(?P<split>\w+(?:\.\w+)*)-\d{5}-of-\d{5}(?:-[0-9A-Za-z]+)?\.parquet")
_CONVERTED = re.compile(r"\d{4,5}\.parquet")
_DEFAULT = "default"


@dataclass(frozen=True)
class _Roles:
    """Which column of a file gives which field."""

    images: tuple[str, ...]
    id: str | None
    question: str | None
    answers: str | None
    question_type: str | None
    doc_class: str | None

    @classmethod
    def of(cls, schema: Any) -> _Roles:
        names = list(schema.names)
        features = _hf_features(schema)
        images = [n for n in names if _is_image(schema.field(n).type, features.get(n))]
        images.sort(key=lambda n: IMAGE_COLUMNS.index(n) if n in IMAGE_COLUMNS else len(IMAGE_COLUMNS))

        def first(candidates: Sequence[str]) -> str | None:
            return next((c for c in candidates if c in names and c not in images), None)

        return cls(
            tuple(images),
            first(ID_COLUMNS),
            first(QUESTION_COLUMNS),
            first(ANSWER_COLUMNS),
            first(QUESTION_TYPE_COLUMNS),
            first(DOC_CLASS_COLUMNS),
        )


def _hf_features(schema: Any) -> dict[str, Any]:
    """The ``datasets`` feature types stored in the file's metadata (empty when absent)."""
    raw = (schema.metadata or {}).get(b"huggingface")
    try:
        features = json.loads(raw)["info"]["features"] if raw else {}
    except (ValueError, KeyError, TypeError):
        return {}
    return features if isinstance(features, dict) else {}


def _is_image(kind: Any, feature: Any) -> bool:
    """An ``Image`` feature (or a list of them), or failing that a column whose type is
    binary, a ``{bytes, path}`` struct, or a list of those."""
    while isinstance(feature, dict | list) and feature:
        if isinstance(feature, list):
            feature = feature[0]
        elif feature.get("_type") == "Image":
            return True
        else:
            feature = feature.get("feature") if feature.get("_type") in ("Sequence", "List") else None
    pa = require_module("pyarrow", "the 'hf_parquet' format")
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _is_image(kind.value_type, None)
    if pa.types.is_struct(kind):
        names = {kind.field(i).name for i in range(kind.num_fields)}
        return "bytes" in names and names <= {"bytes", "path"}
    return bool(pa.types.is_binary(kind) or pa.types.is_large_binary(kind))


@source_formats.register("hf_parquet", version="1")
class HfParquet:
    """A Hugging Face dataset repo of parquet files (or its Hub cache folder)."""

    name: ClassVar[str] = "hf_parquet"
    expects: ClassVar[str] = (
        "parquet files named data/<split>-00000-of-0000N.parquet or <config>/<split>-*.parquet "
        "(a dataset downloaded from the Hugging Face Hub, or its cache folder datasets--<org>--<name>)"
    )

    def read(self, source: Path, options: ReadOptions, errors: RowError) -> Iterator[SourceRecord]:
        """Yield the rows of one split of one configuration, shard by shard."""
        require_module("pyarrow", "the 'hf_parquet' format")
        root = _snapshot(source) if source.is_dir() else source.parent
        layout = _layout(root, [source] if source.is_file() else None)
        if not layout:
            found = sorted(p.name for p in root.iterdir())[:8] if root.is_dir() else []
            raise missing_files(source, self, found)
        config = _pick(layout, options.subset, "subset", source, "configurations")
        splits = layout[config]
        split = _pick(splits, options.split, "split", source, "splits")
        numbers = itertools.count(1)
        for path in splits[split]:
            yield from _read_file(path, root, split, config, errors, numbers)


def _snapshot(source: Path) -> Path:
    """The snapshot folder of a Hub cache folder (``datasets--org--name``, or ``models--``
    for files kept in a model repo); else ``source``."""
    snapshots = source / "snapshots"
    if not (source.name.startswith(("datasets--", "models--")) and snapshots.is_dir()):
        return source
    revisions = sorted(p.name for p in snapshots.iterdir() if p.is_dir())
    ref = source / "refs" / "main"
    if ref.is_file() and ref.read_text(encoding="utf-8").strip() in revisions:
        return snapshots / ref.read_text(encoding="utf-8").strip()
    if len(revisions) == 1:
        return snapshots / revisions[0]
    raise DatasetError(
        f"{source} holds {len(revisions)} snapshots and no refs/main naming one",
        hint=f"pass one snapshot folder: {', '.join(str(snapshots / r) for r in revisions) or 'none found'}",
    )


def _layout(root: Path, files: list[Path] | None) -> dict[str, dict[str, list[Path]]]:
    """config → split → shard files (in name order)."""
    if files is None:
        files = sorted(
            p
            for p in root.rglob("*.parquet")
            if not any(part.startswith(".") for part in p.relative_to(root).parts)
        )
    layout: dict[str, dict[str, list[Path]]] = {}
    for path in files:
        rel = path.relative_to(root)
        shard = _SHARD.fullmatch(rel.name)
        if shard is not None:
            split, folder = shard["split"], rel.parent
        elif _CONVERTED.fullmatch(rel.name) and rel.parent != Path("."):
            split, folder = rel.parent.name, rel.parent.parent
        else:
            split, folder = rel.stem, rel.parent
        config = _DEFAULT if folder.as_posix() in (".", "data") else folder.as_posix()
        layout.setdefault(config, {}).setdefault(split, []).append(path)
    return layout


def _pick(found: Mapping[str, Any], wanted: str | None, kind: str, source: Path, plural: str) -> str:
    """The requested name (configurations also case-insensitively), else the only one."""
    if wanted is None:
        if len(found) == 1:
            return next(iter(found))
        raise DatasetError(
            f"{source} holds several {plural}: {', '.join(sorted(found))}",
            hint=f"choose one with {kind} (--{kind})",
        )
    if wanted in found:
        return wanted
    if kind == "subset":
        match = next((n for n in found if n.lower() == wanted.lower()), None)
        if match is not None:
            return match
    raise unknown_choice(kind, wanted, list(found), source)


def _read_file(
    path: Path, root: Path, split: str, config: str, errors: RowError, numbers: Iterator[int]
) -> Iterator[SourceRecord]:
    """The records of one parquet file; ``numbers`` counts the rows of the split."""
    pq = require_module("pyarrow.parquet", "the 'hf_parquet' format")
    try:
        # Pages are read through a 1 MB buffer, not the whole column chunk at once
        # (pre_buffer): memory stays near two row groups' worth of images.
        parquet = pq.ParquetFile(path, pre_buffer=False, buffer_size=_READ_BUFFER)
    except Exception as exc:  # noqa: BLE001 (pyarrow raises ArrowInvalid, OSError...)
        raise DatasetError(
            f"cannot read the parquet file: {exc}",
            location=SourceLocation(path),
            hint="re-download it; it may be truncated",
        ) from None
    roles = _Roles.of(parquet.schema_arrow)
    skip = {*roles.images, roles.id, roles.question, roles.answers}
    row = 0
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
        for values in batch.to_pylist():
            row += 1
            number = next(numbers)
            where = SourceLocation(path, row)
            pages = _pages(values, roles.images, path, root, where, errors)
            answers = _answers(values.get(roles.answers) if roles.answers else None, where, roles, errors)
            if pages is None or answers is None:
                continue
            record = _record(values, roles, split, number, pages, answers, where)
            record.metadata.update({k: _jsonable(v) for k, v in values.items() if k not in skip})
            record.metadata["source_split"] = split
            if config != _DEFAULT:
                record.metadata["source_config"] = config
            yield record


def _record(
    values: Mapping[str, Any],
    roles: _Roles,
    split: str,
    number: int,
    pages: list[PageImage],
    answers: list[str],
    where: SourceLocation,
) -> SourceRecord:
    qid = values.get(roles.id) if roles.id else None
    kinds = values.get(roles.question_type) if roles.question_type else None
    origin = values.get("human_or_machine")
    return SourceRecord(
        id=str(qid) if qid is not None and str(qid) != "" else f"{split}-{number}",
        images=pages,
        question=str(values.get(roles.question) or "") if roles.question else "",
        answers=answers,
        doc_class=str(values.get(roles.doc_class) or "") if roles.doc_class else "",
        question_type=", ".join(map(str, kinds)) if isinstance(kinds, list) else str(kinds or ""),
        split={0: "human", 1: "augmented"}.get(origin, split) if isinstance(origin, int) else split,
        where=where,
    )


def _answers(value: Any, where: SourceLocation, roles: _Roles, errors: RowError) -> list[str] | None:
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return [str(v) for v in value]
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return [str(value)]
    errors.add(
        where.with_key(str(roles.answers)), f"expected a string or a list of strings, got {str(value)[:60]}"
    )
    return None


def _pages(
    values: Mapping[str, Any],
    columns: Sequence[str],
    path: Path,
    root: Path,
    where: SourceLocation,
    errors: RowError,
) -> list[PageImage] | None:
    """The row's pages from its first image column; None after reporting a bad one."""
    if not columns:
        errors.add(where, "the file has no image column", f"expected one of: {', '.join(IMAGE_COLUMNS)}")
        return None
    column = columns[0]
    value = values.get(column)
    items = value if isinstance(value, list) else [value]
    pages = []
    for i, item in enumerate(items):
        key = f"{column}[{i}]" if isinstance(value, list) else column
        page = _page(item, path, root, where.with_key(key), errors)
        if page is None:
            return None
        pages.append(page)
    if not pages:
        errors.add(where.with_key(column), "the row has no image")
        return None
    return pages


def _page(item: Any, path: Path, root: Path, where: SourceLocation, errors: RowError) -> PageImage | None:
    if isinstance(item, bytes | bytearray) and item:
        return PageImage(data=bytes(item))
    if isinstance(item, dict):
        if item.get("bytes"):
            return PageImage(data=bytes(item["bytes"]))
        if item.get("path"):
            return _image_file(str(item["path"]), path, root, where, errors)
    errors.add(where, "the row has no image (no bytes and no path)")
    return None


def _image_file(
    rel: str, path: Path, root: Path, where: SourceLocation, errors: RowError
) -> PageImage | None:
    """An image the row names by path, relative to its parquet file; symlinks (the Hub
    cache links files to ``blobs/``) are followed only after the containment check."""
    target = Path(os.path.normpath(path.parent / rel))
    if not target.is_relative_to(Path(os.path.normpath(root))):
        errors.add(
            where,
            f"image path '{rel}' resolves outside the dataset",
            "image paths are relative to the folder that holds the parquet file",
        )
        return None
    if not target.is_file():
        errors.add(where, f"image '{rel}' does not exist", f"expected at {target}")
        return None
    return PageImage(path=target)


def _jsonable(value: Any) -> Any:
    """A metadata value as JSON can hold it (bytes become a note of their size)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | datetime.timedelta):
        return str(value)
    return value
