"""Readers of the official JSON layouts of DocVQA, InfographicVQA, ChartQA, TextVQA, OCRBench.

Each reader finds the annotation file of the requested split anywhere under the
source folder (or is given that file), then yields one record per question, with
the page as a path found beside it (see `_json.ImageFinder`). Every field of the official
row that is not the question, the answers or the id is kept in ``metadata``; the
source split is ``metadata["source_split"]``. A row whose image is missing is a
problem at ``file:row`` (``row`` is the 1-based position of the question in the
file's list). The annotation files are single JSON documents and are parsed whole
(text only); page images are opened one at a time by the importer.

The same benchmarks also ship as Hugging Face parquet and VLMEvalKit TSV files, read
by the generic ``hf_parquet`` and ``vlmevalkit_tsv`` formats.
"""

from __future__ import annotations

import re
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
    source_formats,
    unknown_choice,
)
from ._json import (
    ImageFinder,
    annotation_files,
    field_text,
    json_document,
    other_fields,
    reference_answers,
    row_list,
)

__all__ = ["ChartQaJson", "OcrBenchJson", "RrcDocVqa", "TextVqaJson"]


@source_formats.register("docvqa", version="1")
class RrcDocVqa:
    """DocVQA (single page) and InfographicVQA as released on the RRC portal."""

    name: ClassVar[str] = "docvqa"
    expects: ClassVar[str] = (
        "<split>_v1.0[_withQT].json (DocVQA) or infographicsVQA_<split>_v1.0[_withQT].json "
        "(InfographicVQA), anywhere in the folder, with the pages beside them "
        "(spdocvqa_images/, infographicsvqa_images/, or as the file's 'image' path says)"
    )
    _SUBSETS: ClassVar[dict[str, re.Pattern[str]]] = {
        "DocVQA": re.compile(r"(?P<split>train|val|test)_v1\.0(?P<qt>_withQT)?\.json"),
        "InfographicVQA": re.compile(
            r"infographics?VQA_(?P<split>train|val|test)_v1\.0(?P<qt>_withQT)?\.json"
        ),
    }

    def read(self, source: Path, options: ReadOptions, errors: RowError) -> Iterator[SourceRecord]:
        """Yield the questions of one split (test: no answers; its scores come from the RRC server)."""
        subset, found = self._files(source, options)
        split = pick_split(found, options, "val", source)
        path = min(found[split], key=lambda p: ("_withQT" not in p.name, len(p.parts)))  # QT: a superset
        document = json_document(path)
        header = {k: v for k, v in document.items() if k != "data"} if isinstance(document, dict) else {}
        root = source if source.is_dir() else path.parent
        images = ImageFinder(root, path)
        image_key = "image" if subset == "DocVQA" else "image_local_name"
        for number, row in enumerate(row_list(document, path, "data"), start=1):
            where = SourceLocation(path, number)
            if not isinstance(row, dict):
                errors.add(where, "expected an object")
                continue
            qid, question = (
                field_text(row, "questionId", where, errors),
                field_text(row, "question", where, errors),
            )
            rel = field_text(row, image_key, where, errors)
            answers = reference_answers(row.get("answers"), where, errors)
            page = images.find(rel, where.with_key(image_key), errors) if rel is not None else None
            if qid is None or question is None or answers is None or page is None:
                continue
            types = row.get("question_types")
            yield SourceRecord(
                id=qid,
                images=[PageImage(path=page)],
                question=question,
                answers=answers,
                doc_class="document" if subset == "DocVQA" else "infographic",
                question_type=", ".join(map(str, types)) if isinstance(types, list) else "",
                split=split,
                metadata=other_fields(
                    row, {"questionId", "question", "answers"}, **header, source_split=split
                ),
                where=where,
            )

    def _files(self, source: Path, options: ReadOptions) -> tuple[str, dict[str, list[Path]]]:
        kinds = {name: annotation_files(source, pattern) for name, pattern in self._SUBSETS.items()}
        present = [name for name, found in kinds.items() if found]
        if not present:
            raise missing_files(source, self)
        subset = options.subset
        if subset is None:
            if len(present) > 1:
                raise DatasetError(
                    f"{source} holds both DocVQA and InfographicVQA annotation files",
                    hint="choose one with subset: DocVQA or subset: InfographicVQA (--subset)",
                )
            subset = present[0]
        match = next((n for n in kinds if n.lower() == subset.lower()), None)
        if match is None or not kinds[match]:
            raise unknown_choice("subset", subset, present, source)
        return match, kinds[match]


@source_formats.register("chartqa", version="1")
class ChartQaJson:
    """ChartQA as released in vis-nlp/ChartQA: human-written and machine-generated questions."""

    name: ClassVar[str] = "chartqa"
    expects: ClassVar[str] = (
        "<split>/<split>_human.json and <split>/<split>_augmented.json ([{imgname, query, label}]) "
        "with the charts in <split>/png/ (the 'ChartQA Dataset' folder or the folder holding it)"
    )
    _PATTERN: ClassVar[re.Pattern[str]] = re.compile(
        r"(?P<split>train|val|test)_(?P<kind>human|augmented)\.json"
    )

    def read(self, source: Path, options: ReadOptions, errors: RowError) -> Iterator[SourceRecord]:
        """Yield the human questions, then the augmented ones; ``split`` is ``human``/``augmented``."""
        found = annotation_files(source, self._PATTERN)
        if not found:
            raise missing_files(source, self)
        split = pick_split(found, options, "test", source)
        for kind in ("human", "augmented"):
            path = next((p for p in found[split] if p.name == f"{split}_{kind}.json"), None)
            if path is not None:
                yield from self._file(path, kind, split, source, errors)

    def _file(
        self, path: Path, kind: str, split: str, source: Path, errors: RowError
    ) -> Iterator[SourceRecord]:
        images = ImageFinder(source if source.is_dir() else path.parent, path, preferred=("png",))
        for number, row in enumerate(row_list(json_document(path), path, None), start=1):
            where = SourceLocation(path, number)
            if not isinstance(row, dict):
                errors.add(where, "expected an object")
                continue
            query, label = (
                field_text(row, "query", where, errors),
                reference_answers(row.get("label"), where, errors, "label"),
            )
            name = field_text(row, "imgname", where, errors)
            page = images.find(name, where.with_key("imgname"), errors) if name is not None else None
            if query is None or label is None or page is None:
                continue
            yield SourceRecord(
                id=f"{split}-{kind}-{number}",
                images=[PageImage(path=page)],
                question=query,
                answers=label,
                doc_class="chart",
                split=kind,
                metadata=other_fields(row, {"query", "label"}, source_split=split, source_file=path.name),
                where=where,
            )


@source_formats.register("textvqa", version="1")
class TextVqaJson:
    """TextVQA 0.5.1 as released by Facebook AI (dl.fbaipublicfiles.com/textvqa)."""

    name: ClassVar[str] = "textvqa"
    expects: ClassVar[str] = (
        "TextVQA_0.5.1_<split>.json ({data: [{question_id, image_id, question, answers...}]}) "
        "with the images as train_images/<image_id>.jpg (train and val) or test_images/<image_id>.jpg"
    )
    _PATTERN: ClassVar[re.Pattern[str]] = re.compile(
        r"TextVQA_(?P<version>[\d.]+)_(?P<split>train|val|test)\.json"
    )

    def read(self, source: Path, options: ReadOptions, errors: RowError) -> Iterator[SourceRecord]:
        """Yield the questions of one split with their ten human answers (none for test)."""
        found = annotation_files(source, self._PATTERN)
        if not found:
            raise missing_files(source, self)
        split = pick_split(found, options, "val", source)
        path = found[split][0]
        document = json_document(path)
        header = {k: v for k, v in document.items() if k != "data"} if isinstance(document, dict) else {}
        folder = "test_images" if split == "test" else "train_images"
        images = ImageFinder(source if source.is_dir() else path.parent, path, preferred=(folder,))
        for number, row in enumerate(row_list(document, path, "data"), start=1):
            where = SourceLocation(path, number)
            if not isinstance(row, dict):
                errors.add(where, "expected an object")
                continue
            qid, question = (
                field_text(row, "question_id", where, errors),
                field_text(row, "question", where, errors),
            )
            image_id = field_text(row, "image_id", where, errors)
            answers = reference_answers(row.get("answers"), where, errors)
            page = images.find(f"{image_id}.jpg", where.with_key("image_id"), errors) if image_id else None
            if qid is None or question is None or answers is None or page is None:
                continue
            yield SourceRecord(
                id=qid,
                images=[PageImage(path=page)],
                question=question,
                answers=answers,
                split=split,
                metadata=other_fields(
                    row, {"question_id", "question", "answers"}, **header, source_split=split
                ),
                where=where,
            )


@source_formats.register("ocrbench", version="1")
class OcrBenchJson:
    """OCRBench v1 as released in Yuliang-Liu/MultimodalOCR (1,000 questions, one split)."""

    name: ClassVar[str] = "ocrbench"
    expects: ClassVar[str] = (
        "OCRBench.json ([{dataset_name, id, image_path, question, answers, type}]) "
        "with the images under OCRBench_Images/ as image_path says"
    )

    def read(self, source: Path, options: ReadOptions, errors: RowError) -> Iterator[SourceRecord]:
        """Yield the 1,000 questions; ``question_type`` is the category, ``doc_class`` the source dataset."""
        found = annotation_files(source, re.compile(r"(?P<split>OCRBench)\.json"))
        if not found:
            raise missing_files(source, self)
        if options.split not in (None, "test"):
            raise unknown_choice("split", options.split, ["test"], source)
        path = found["OCRBench"][0]
        images = ImageFinder(source if source.is_dir() else path.parent, path, preferred=("OCRBench_Images",))
        for number, row in enumerate(row_list(json_document(path), path, None), start=1):
            record = self._record(row, SourceLocation(path, number), images, errors)
            if record is not None:
                yield record

    def _record(
        self, row: Any, where: SourceLocation, images: ImageFinder, errors: RowError
    ) -> SourceRecord | None:
        """One question; its id is ``<dataset_name>-<id>``, since an ``id`` repeats across
        the source datasets."""
        if not isinstance(row, dict):
            errors.add(where, "expected an object")
            return None
        name, qid, question, kind, rel = (
            field_text(row, key, where, errors)
            for key in ("dataset_name", "id", "question", "type", "image_path")
        )
        answers = reference_answers(row.get("answers"), where, errors)
        page = images.find(rel, where.with_key("image_path"), errors) if rel is not None else None
        if name is None or qid is None or question is None or kind is None or answers is None or page is None:
            return None
        return SourceRecord(
            id=f"{name}-{qid}",
            images=[PageImage(path=page)],
            question=question,
            answers=answers,
            doc_class=name,
            question_type=kind,
            split="test",
            metadata=other_fields(row, {"question", "answers"}, source_split="test"),
            where=where,
        )
