"""Import a public benchmark into the native JSONL layout (images extracted once).

``vlmhb datasets import SOURCE --format F --out DIR`` and the ``benchmark:`` presets
both come here. The result is an ordinary dataset folder:

- ``annotation.jsonl``: one sample per record (`JsonlRow` keys);
- ``images/<sha256[:20]>.<ext>``: every distinct page once, named by its content hash
  (a page shared by many questions, or given twice by an index reference, is written
  once), checked with Pillow on the way;
- ``import.json`` (`ImportReport`): the format, the source, the options, counts and
  the rows that were skipped.

Nothing partial is left behind: the folder is built beside the target and renamed
into place at the end. Bad rows make the import fail listing all of them, unless
``skip_invalid`` keeps the good rows and records the bad ones in ``import.json``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel, Field

from ..._paths import cache_dir
from ...core import DatasetError, Problem, SourceLocation, atomic_write_text
from .._base import RowError
from ._base import ReadOptions, SourceRecord, source_formats
from .pdf import DEFAULT_DPI

__all__ = ["IMPORT_REPORT", "ImportReport", "cached_import", "import_source", "source_key"]

IMPORT_REPORT = "import.json"
_FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "BMP": "bmp", "TIFF": "tif", "WEBP": "webp"}
Progress = Callable[[int], None]


class ImportReport(BaseModel):
    """``import.json``: where an imported dataset came from and what was kept."""

    format: str
    format_origin: str = ""
    source: str
    split: str | None = None
    subset: str | None = None
    dpi: int | None = None
    pages: str | None = None
    limit: int | None = None
    source_key: str = ""
    """Hash of the source files' names, sizes and times and the options (the cache key)."""
    samples: int = 0
    images: int = 0
    image_bytes: int = 0
    skipped: int = 0
    """Rows left out because they were invalid (``skip_invalid``)."""
    skipped_rows: list[str] = Field(default_factory=list)
    """The first 100 skipped rows: where and why."""
    counts: dict[str, dict[str, int]] = Field(default_factory=dict)
    """Samples by ``split``, ``doc_class``, ``question_type`` and ``task``."""
    seconds: float = 0.0
    created_at: float = Field(default_factory=time.time)


def _source_files(source: Path) -> Iterable[Path]:
    if source.is_file():
        yield source
        return
    for dirpath, dirnames, filenames in os.walk(source):
        dirnames.sort()
        for name in sorted(filenames):
            yield Path(dirpath) / name


def source_key(format_name: str, source: Path, options: ReadOptions, limit: int | None) -> str:
    """What identifies an import: format, options and each source file's path, size, mtime."""
    digest = hashlib.sha256()
    entry = source_formats.entry(format_name)
    digest.update(
        json.dumps([format_name, entry.version, str(source.resolve()), repr(options), limit]).encode()
    )
    for path in _source_files(source):
        stat = path.stat()
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


class _ImageStore:
    """Writes each distinct page once, named by its content hash."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.names: dict[str, str] = {}
        self.bytes = 0

    def add(self, data: bytes, where: SourceLocation, errors: RowError) -> str | None:
        digest = hashlib.sha256(data).hexdigest()[:20]
        known = self.names.get(digest)
        if known is not None:
            return known
        try:
            with Image.open(io.BytesIO(data)) as img:
                kind = img.format or ""
                img.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            errors.add(where, f"the image cannot be read: {exc}", "re-download the source or drop the row")
            return None
        name = f"images/{digest}.{_FORMATS.get(kind, kind.lower() or 'bin')}"
        (self.folder / name).write_bytes(data)
        self.names[digest] = name
        self.bytes += len(data)
        return name


def _row(record: SourceRecord, images: list[str], number: int) -> dict[str, Any]:
    return {
        "id": record.id,
        "images": images,
        "question": record.question,
        "answers": list(record.answers),
        "doc_class": record.doc_class,
        "question_type": record.question_type,
        "task": record.task,
        "split": record.split,
        "fields": record.fields,
        "json_schema": record.json_schema,
        "metadata": {**record.metadata, "source_row": number},
    }


def import_source(
    format_name: str,
    source: Path | str,
    out: Path | str,
    options: ReadOptions | None = None,
    *,
    limit: int | None = None,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    where: SourceLocation | None = None,
    key: str | None = None,
) -> ImportReport:
    """Read ``source`` in format ``format_name`` and write the native layout to ``out``.

    Args:
        limit: Keep only the first ``limit`` valid records (a quick look at a big split).
        skip_invalid: Leave out invalid rows (recorded in ``import.json``) instead of
            failing.
        progress: Called with the number of records read so far.
        where: Where the format was named (for an unknown format's error).
        key: The `source_key`, when the caller has computed it already (the cache).

    Raises:
        DatasetError: the source is missing or not in the format, a split is unknown,
            no record was read, or rows are invalid (all listed) without ``skip_invalid``.
        ConfigError: the format is unknown, or ``out`` exists and is not empty.
    """
    reader_cls = source_formats.get(format_name, where or SourceLocation(key="--format"))
    source = Path(source).expanduser().resolve()
    out = Path(out).expanduser().resolve()
    options = options or ReadOptions()
    if not source.exists():
        raise DatasetError(
            f"source does not exist: {source}",
            hint=f"the '{format_name}' format expects {reader_cls.expects}",
        )
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise DatasetError(
            f"{out} already exists and is not an empty folder",
            hint="choose a new --out folder, or remove the old import first",
        )
    started = time.monotonic()
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.importing-", dir=out.parent))
    try:
        report = _write(reader_cls(), format_name, source, work, options, limit, skip_invalid, progress)
        report.source_key = key or source_key(format_name, source, options, limit)
        report.seconds = round(time.monotonic() - started, 3)
        atomic_write_text(work / IMPORT_REPORT, report.model_dump_json(indent=2) + "\n")
        if out.exists():
            out.rmdir()
        os.replace(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return report


def _write(
    reader: Any,
    format_name: str,
    source: Path,
    work: Path,
    options: ReadOptions,
    limit: int | None,
    skip_invalid: bool,
    progress: Progress | None,
) -> ImportReport:
    (work / "images").mkdir()
    store = _ImageStore(work)
    errors = RowError()
    counts: dict[str, Counter[str]] = {k: Counter() for k in ("split", "doc_class", "question_type", "task")}
    seen_ids: set[str] = set()
    written = 0
    read = 0
    with (work / "annotation.jsonl").open("w", encoding="utf-8") as fh:
        for record in reader.read(source, options, errors):
            read += 1
            if progress is not None and read % 100 == 0:
                progress(read)
            where = record.where or SourceLocation(source)
            if record.id in seen_ids:
                errors.add(
                    where.with_key("id"), f"duplicate id '{record.id}'", "ids must be unique in a split"
                )
                continue
            if not record.images:
                errors.add(where, "the row has no image")
                continue
            names = [
                store.add(page.read(), where.with_key(f"image[{i}]"), errors)
                for i, page in enumerate(record.images)
            ]
            if any(n is None for n in names):
                continue
            seen_ids.add(record.id)
            written += 1
            fh.write(json.dumps(_row(record, [n for n in names if n], written), ensure_ascii=False) + "\n")
            for key, counter in counts.items():
                counter[str(getattr(record, key))] += 1
            if limit is not None and written >= limit:
                break
    if progress is not None:
        progress(read)
    if errors.problems and not skip_invalid:
        errors.problems.append(
            Problem(
                None,
                f"{len(errors.problems)} invalid row(s) in {source}",
                "fix them, or import with --skip-invalid (recorded in import.json)",
            )
        )
        errors.raise_if_any()
    if written == 0:
        split = f" of split '{options.split}'" if options.split else ""
        raise DatasetError(
            f"no samples{split} were read from {source}",
            hint="the split is empty or every row was invalid; `vlmhb datasets import --help` lists the options",
        )
    entry = source_formats.entry(format_name)
    return ImportReport(
        format=format_name,
        format_origin=f"{entry.origin}@{entry.version}",
        source=str(source),
        split=options.split,
        subset=options.subset,
        dpi=(options.dpi or DEFAULT_DPI) if format_name == "pdf" else options.dpi,
        pages=options.pages,
        limit=limit,
        samples=written,
        images=len(store.names),
        image_bytes=store.bytes,
        skipped=len(errors.problems),
        skipped_rows=[p.render() for p in errors.problems[:100]],
        counts={k: dict(sorted(c.items())) for k, c in counts.items()},
    )


def cached_import(
    format_name: str,
    source: Path | str,
    options: ReadOptions | None = None,
    *,
    limit: int | None = None,
    skip_invalid: bool = False,
    where: SourceLocation | None = None,
) -> tuple[Path, ImportReport]:
    """The native copy of ``source`` in the cache folder, imported on first use.

    The cache entry is keyed by `source_key` (file names, sizes, times and options), so a
    changed source is imported again; ``$VLMHB_CACHE_DIR/datasets/`` holds the copies.
    """
    source_formats.get(format_name, where)
    source = Path(source).expanduser().resolve()
    if not source.exists():
        reader = source_formats.get(format_name)
        raise DatasetError(
            f"source does not exist: {source}",
            location=where,
            hint=f"the '{format_name}' format expects {reader.expects}",
        )
    options = options or ReadOptions()
    key = source_key(format_name, source, options, limit)
    target = cache_dir("datasets", f"{format_name}-{key[:16]}")
    report_file = target / IMPORT_REPORT
    if report_file.is_file():
        report = ImportReport.model_validate_json(report_file.read_text(encoding="utf-8"))
        if report.skipped == 0 or skip_invalid:
            return target, report
        shutil.rmtree(target)
    elif target.exists():
        shutil.rmtree(target)  # an import that never finished
    try:
        import_source(format_name, source, target, options, limit=limit, skip_invalid=skip_invalid, key=key)
    except OSError as exc:  # e.g. another process renamed the same import into place first
        if not (target / IMPORT_REPORT).is_file():
            raise DatasetError(
                f"cannot import {source} into the cache: {exc}",
                hint="check the cache folder (VLMHB_CACHE_DIR)",
            ) from None
    return target, ImportReport.model_validate_json((target / IMPORT_REPORT).read_text(encoding="utf-8"))
