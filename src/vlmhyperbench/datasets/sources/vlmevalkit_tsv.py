"""VLMEvalKit TSV files (``vlmevalkit_tsv``) and CC-OCR, which ships in them (``cc_ocr``).

The format is what open-compass/VLMEvalKit reads (``vlmeval/dataset/image_base.py``,
``ImageBaseDataset.__init__`` and ``dump_image``; ``vlmeval/smp/file.py``: a
tab-separated file with a header, fields quoted with ``"`` where needed):

- ``index``: the question's id;
- ``image``: the page as base64 (JPEG/PNG), **or** a string of at most 64 characters
  that is the ``index`` of another row whose image this row shares, **or** a
  Python-literal list of base64 strings (several pages). A row whose ``image`` is empty
  is left out by VLMEvalKit; here it is an invalid row (``--skip-invalid`` leaves it
  out the same way);
- ``image_path``: without an ``image`` column, the page files, relative to the TSV's
  folder or to ``images/<TSV name>/`` beside it (VLMEvalKit's ``LMUData/images/<name>``);
- ``question``; ``answer``: one string, or a Python-literal list of them
  (``"['5', 'five']"``), parsed with `ast.literal_eval` (VLMEvalKit uses ``eval``); a
  string that is not a literal list is one answer, as in VLMEvalKit;
- ``category`` (the question type), ``split``; every other column goes to ``metadata``.

Reading streams: rows are parsed one at a time with the `csv` module (pandas would load
the whole file: hundreds of MB of base64). For image references the reader keeps, for
every row with an image of its own, its ``index`` and byte offset in the file (tens of
bytes a row), and re-reads a referenced row from its offset when another row names it
(the last few are cached); a reference to a later row scans ahead once. Memory does not
grow with the images.

A source is a ``.tsv`` file or a folder holding some. With several, ``subset`` names one:
its path in the folder without ``.tsv``, case-insensitively, or the part before a ``_``
(``subset: DocVQA`` with ``split: val`` is ``DocVQA_VAL.tsv``); without a subset the
``split`` picks the file whose name ends in it. A source with a single file reads it
whatever the subset says (a VLMEvalKit TSV is one dataset; presets name the HF
configuration as their subset).

The split: a file whose name ends in ``_VAL``, ``_TEST``... holds that split (another is
an error naming it) and every row is read; its ``split`` column, if any, is the part
``Sample.split`` holds (ChartQA_TEST's halves). Otherwise a ``split`` column filters the
rows when a split is asked for (checked first, in one pass over the file: an unknown
split lists the values found); without one the whole file is read.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from ...core import DatasetError, SourceLocation
from .._base import RowError
from ._base import ReadOptions, SourceRecord, missing_files, source_formats, unknown_choice
from ._tsv import TsvFile, TsvImages, TsvRow, plain_or_list, tsv_files

__all__ = ["CC_OCR_TRACKS", "CcOcr", "VlmEvalKitTsv"]

_NAME_SPLIT = re.compile(r"_(?P<split>val|validation|dev|test|train)$", re.IGNORECASE)
_CORE = ("index", "image", "question", "answer")


def _name_split(name: str) -> str | None:
    match = _NAME_SPLIT.search(name)
    return match["split"].lower() if match else None


@source_formats.register("vlmevalkit_tsv", version="1")
class VlmEvalKitTsv:
    """A VLMEvalKit TSV (``DocVQA_VAL.tsv``, ``ChartQA_TEST.tsv``, ``OCRBench.tsv``...)."""

    name: ClassVar[str] = "vlmevalkit_tsv"
    expects: ClassVar[str] = (
        "a VLMEvalKit .tsv file (columns index, image (base64), question, answer...) or a folder holding some"
    )

    def read(self, source: Path, options: ReadOptions, errors: RowError) -> Iterator[SourceRecord]:
        """Yield the rows of one file (see the module for how the file and split are chosen)."""
        path = self._file(source, options)
        tsv = TsvFile(path)
        named = _name_split(path.stem)
        if options.split and named and options.split != named:
            raise unknown_choice("split", options.split, [named], path)
        wanted = None
        if options.split and not named and "split" in tsv.columns:
            found = {row.cells.get("split", "") for row in tsv.rows()}
            if options.split not in found:
                raise unknown_choice("split", options.split, sorted(found), path)
            wanted = options.split
        images = TsvImages(tsv)
        for row in tsv.rows():
            images.note(row)
            if wanted is not None and row.cells.get("split", "") != wanted:
                continue
            record = self._record(row, named or options.split or "", images, tsv, errors)
            if record is not None:
                yield record

    def _file(self, source: Path, options: ReadOptions) -> Path:
        files = tsv_files(source)
        if not files:
            raise missing_files(source, self, sorted(p.name for p in source.iterdir()))
        chosen = dict(files)
        if options.subset is not None:
            subset = options.subset.lower()
            chosen = {n: p for n, p in files.items() if n.lower() == subset} or {
                n: p for n, p in files.items() if n.lower().startswith(f"{subset}_")
            }
            if not chosen and len(files) > 1:
                raise unknown_choice("subset", options.subset, list(files), source)
            chosen = chosen or files  # one file: a VLMEvalKit TSV is one dataset, whatever it is called
        if len(chosen) > 1 and options.split:
            chosen = {n: p for n, p in chosen.items() if _name_split(n) == options.split} or chosen
        if len(chosen) == 1:
            return next(iter(chosen.values()))
        raise DatasetError(
            f"{source} holds several TSV files: {', '.join(chosen)}",
            hint="choose one with subset (--subset), the file's name without .tsv",
        )

    def _record(
        self, row: TsvRow, source_split: str, images: TsvImages, tsv: TsvFile, errors: RowError
    ) -> SourceRecord | None:
        where = SourceLocation(tsv.path, row.line)
        cells = row.cells
        index = cells.get("index", "").strip()
        if not index:
            errors.add(where.with_key("index"), "the index is empty")
            return None
        pages = images.pages(row, errors)
        answer = cells.get("answer", "")
        if pages is None:
            return None
        return SourceRecord(
            id=index,
            images=pages,
            question=cells.get("question", ""),
            answers=plain_or_list(answer) if answer.strip() else [],
            question_type=cells.get("category", ""),
            split=cells.get("split", "").strip() or source_split,
            metadata={
                **{k: v for k, v in cells.items() if k not in _CORE},
                "source_split": source_split or cells.get("split", ""),
                "source_file": tsv.path.name,
            },
            where=where,
        )


CC_OCR_TRACKS = ("multi_scene_ocr", "multi_lan_ocr", "doc_parsing", "kie")
"""CC-OCR's four tracks: the TSVs' ``category`` column and the top folders of its release."""


def _logical_name(path: Path, source: Path) -> str:
    """A CC-OCR file's name from its track folder on (``multi_lan_ocr/Russian/Russian_150``),
    wherever the source was given; else its path inside the source."""
    parts = path.with_suffix("").parts
    tracks = [i for i, part in enumerate(parts) if part in CC_OCR_TRACKS]
    if tracks:
        return "/".join(parts[tracks[-1] :])
    return path.stem if source.is_file() else path.relative_to(source).with_suffix("").as_posix()


def _json_like(text: str) -> Any:
    """VLMEvalKit's CC-OCR ``_load_json_like``: JSON, else repaired JSON, else a Python literal."""
    import json_repair

    for parse in (json.loads, lambda s: json_repair.repair_json(s, return_objects=True), ast.literal_eval):
        try:
            value = parse(text)
        except Exception:  # noqa: BLE001 (each parser fails in its own way; the next is tried)
            continue
        if isinstance(value, dict | list):
            return value
    return None


@source_formats.register("cc_ocr", version="1")
class CcOcr:
    """CC-OCR (Yang et al. 2024) as released for VLMEvalKit: one TSV per subset."""

    name: ClassVar[str] = "cc_ocr"
    expects: ClassVar[str] = (
        "the CC-OCR TSVs (HF wulipc/CC-OCR): <track>/<group>/<Name>_<n>.tsv with tracks "
        "multi_scene_ocr, multi_lan_ocr, doc_parsing, kie (or VLMEvalKit's CCOCR.tsv)"
    )

    def read(self, source: Path, options: ReadOptions, errors: RowError) -> Iterator[SourceRecord]:
        """Yield the rows of the chosen subset (a file, or every file of a track); split ``test``.

        VLMEvalKit's combined ``CCOCR.tsv`` (all tracks in one file) takes a track as subset.
        """
        if options.split not in (None, "test"):
            raise unknown_choice("split", options.split, ["test"], source)
        files = {_logical_name(p, source): p for p in tsv_files(source).values()}
        if not files:
            raise missing_files(source, self, sorted(p.name for p in source.iterdir()))
        combined = len(files) == 1 and next(iter(files)).split("/")[0] not in CC_OCR_TRACKS
        if combined and options.subset is not None:
            yield from self._combined(next(iter(files.values())), options.subset, errors)
            return
        for name in self._chosen(files, options.subset, source):
            tsv = TsvFile(files[name])
            images = TsvImages(tsv)
            for row in tsv.rows():
                images.note(row)
                record = self._record(row, name, images, tsv, errors)
                if record is not None:
                    yield record

    def _combined(self, path: Path, track: str, errors: RowError) -> Iterator[SourceRecord]:
        """The rows of one track of a file that holds them all."""
        tsv = TsvFile(path)
        images = TsvImages(tsv)
        seen: set[str] = set()
        for row in tsv.rows():
            images.note(row)
            seen.add(row.cells.get("category", ""))
            if row.cells.get("category", "") == track:
                yield from filter(None, [self._record(row, path.stem, images, tsv, errors)])
        if track not in seen:
            raise unknown_choice("subset", track, sorted(seen), path)

    def _chosen(self, files: dict[str, Path], subset: str | None, source: Path) -> list[str]:
        if subset is None:
            return sorted(files)
        wanted = subset.strip("/")
        chosen = sorted(n for n in files if n == wanted or n.startswith(f"{wanted}/"))
        if not chosen:
            groups = {n.rsplit("/", 1)[0] for n in files if "/" in n} | {n.split("/")[0] for n in files}
            raise unknown_choice("subset", subset, sorted({*files, *groups}), source)
        return chosen

    def _record(
        self, row: TsvRow, name: str, images: TsvImages, tsv: TsvFile, errors: RowError
    ) -> SourceRecord | None:
        where = SourceLocation(tsv.path, row.line)
        cells = row.cells
        track = cells.get("category", "").strip() or name.split("/")[0]
        if track not in CC_OCR_TRACKS:
            errors.add(
                where.with_key("category"),
                f"unknown CC-OCR track '{track}'",
                f"expected one of {CC_OCR_TRACKS}",
            )
            return None
        dataset = cells.get("split", "").strip() or Path(name).name
        pages = images.pages(row, errors)
        fields, answers = self._truth(track, cells.get("answer", ""), where.with_key("answer"), errors)
        if pages is None or answers is None:
            return None
        return SourceRecord(
            id=f"{dataset}/{cells.get('index', '').strip()}",
            images=pages,
            question=cells.get("question", ""),
            answers=answers,
            doc_class=cells.get("l2-category", ""),
            task="kie" if track == "kie" else "ocr",
            split=dataset,
            fields=fields,
            metadata={
                **{k: v for k, v in cells.items() if k not in ("image", "question", "answer", "split")},
                "track": track,
                "subset": name if name.split("/")[0] in CC_OCR_TRACKS else f"{track}/{dataset}",
                "source_split": "test",
            },
            where=where,
        )

    def _truth(
        self, track: str, answer: str, where: SourceLocation, errors: RowError
    ) -> tuple[dict[str, Any] | None, list[str] | None]:
        """(fields, answers): a KIE answer is a JSON object (or list); OCR text is one answer,
        as it is (CC-OCR compares ``str(answer)``, never a list)."""
        if track != "kie":
            return None, [answer]
        value = _json_like(answer)
        if isinstance(value, dict):
            return value, []
        if isinstance(value, list):
            return None, [json.dumps(value, ensure_ascii=False)]
        errors.add(where, f"a KIE answer must be a JSON object, got '{answer[:60]}'")
        return None, None
