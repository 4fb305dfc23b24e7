"""Reader of OmniDocBench / MDPBench ground truth (``OmniDocBench.json`` + ``images/``).

OmniDocBench (opendatalab/OmniDocBench, v1.5: 1,355 pages) ships one JSON list of pages
and the page images; the Hugging Face copy ``opendatalab/OmniDocBench`` has the same
layout (``pdfs/`` beside it holds the same pages as PDF and is not read)::

    OmniDocBench/
      OmniDocBench.json     [{"layout_dets": [...], "page_info": {...}, "extra": {"relation": [...]}}]
      images/<name>.jpg

Each page is ``{"layout_dets": [{category_type, poly, ignore, order, anno_id,
text|latex|html, line_with_spans, attribute...}], "page_info": {page_no, height, width,
image_path, page_attribute: {data_source, language, layout, watermark, fuzzy_scan,
colorful_backgroud}}, "extra": {"relation": [...]}}``. MDPBench (Yuliang-Liu/MultimodalOCR,
``MDPBench/``; HF ``Delores-Lin/MDPBench``) uses the same page objects in
``MDPBench_public.json`` beside ``MDPBench_img_public/``, with only ``image_path`` and
``page_attribute: {language}`` in ``page_info``; a photographed page's image name is the
digital page's name (``<lang>_<type>_<n>``) with its capture conditions appended
(``ru_note_33_indoor_light_wrinkle_right_hold``).

One page is one record: ``id`` is the image name without its extension (the official
``<image stem>.md`` naming of predictions), ``task`` is ``parse``, ``doc_class`` the
``data_source``, ``split`` the ``language`` page attribute; ``metadata["omnidocbench"]``
is the page object exactly as in the file (the metrics read it), ``metadata["page_attribute"]``
the page attributes (for MDPBench also ``capture``: ``digital`` or ``photographed``, by the
rule of MDPBench's evaluator: a digital page's name has three ``_``-separated parts) and
``answers`` the page's reference Markdown (`reference_markdown`), so that plain text
metrics work too. The file (about 100 MB) is read one page at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from ...core import SourceLocation
from .._base import RowError
from ._base import PageImage, ReadOptions, SourceRecord, missing_files, source_formats, unknown_choice
from ._json import ImageFinder, json_array_items

__all__ = ["OmniDocBenchSource", "mdpbench_capture"]

_FILE = re.compile(r"(OmniDocBench|MDPBench)[\w.-]*\.json", re.IGNORECASE)
_PREFERRED_FILES = ("OmniDocBench.json", "MDPBench_public.json")
_IMAGE_FOLDERS = ("images", "MDPBench_img_public")


@source_formats.register("omnidocbench", version="1")
class OmniDocBenchSource:
    """OmniDocBench / MDPBench page-parsing ground truth: one record per page."""

    name: ClassVar[str] = "omnidocbench"
    expects: ClassVar[str] = (
        "OmniDocBench.json (a JSON list of pages: {layout_dets, page_info: {image_path, page_attribute}, "
        "extra}) with the page images in images/ beside it, or MDPBench's MDPBench_public.json with "
        "MDPBench_img_public/"
    )

    def read(self, source: Path, options: ReadOptions, errors: RowError) -> Iterator[SourceRecord]:
        """Yield the pages in file order (``subset``: keep the pages of one ``language``).

        Raises:
            DatasetError: no ``OmniDocBench*.json`` or ``MDPBench*.json``, a split other
                than ``test``, a file that is not a JSON list, or a subset no page has.
        """
        path = _annotation_file(source, self)
        if options.split not in (None, "test"):
            raise unknown_choice("split", options.split, ["test"], source)
        root = source if source.is_dir() else source.parent
        finder = ImageFinder(root, path, _IMAGE_FOLDERS)
        mdpbench = path.name.lower().startswith("mdpbench")
        languages: set[str] = set()
        kept = 0
        for index, start, page in json_array_items(path):
            where = SourceLocation(start.file, start.line, start.column, f"[{index}]")
            record = _record(page, where, finder, errors, mdpbench, options.subset, languages)
            if record is not None:
                kept += 1
                yield record
        if options.subset is not None and not kept and languages:
            raise unknown_choice("subset", options.subset, sorted(languages), source)


def _annotation_file(source: Path, reader: OmniDocBenchSource) -> Path:
    if source.is_file():
        if source.suffix.lower() != ".json":
            raise missing_files(source, reader, [source.name])
        return source
    found = sorted(
        (p for p in source.rglob("*.json") if _FILE.fullmatch(p.name)) if source.is_dir() else [],
        key=lambda p: (len(p.parts), p.name not in _PREFERRED_FILES, p.name),
    )
    if not found:
        names = sorted(p.name for p in source.iterdir())[:8] if source.is_dir() else []
        raise missing_files(source, reader, names)
    return found[0]


def mdpbench_capture(stem: str) -> str:
    """``digital`` or ``photographed``: MDPBench's evaluator counts a page as digital when
    its image name has three ``_``-separated parts (``ru_note_33``)."""
    return "digital" if len([p for p in stem.split("_") if p]) == 3 else "photographed"


def _record(
    page: Any,
    where: SourceLocation,
    finder: ImageFinder,
    errors: RowError,
    mdpbench: bool,
    subset: str | None,
    languages: set[str],
) -> SourceRecord | None:
    """One page as a record, or None after reporting what is wrong with it (or when its
    language is not ``subset``; the languages seen are added to ``languages``)."""
    if not isinstance(page, dict):
        errors.add(where, f"expected a page object, got {type(page).__name__}")
        return None
    info = page.get("page_info")
    if not isinstance(info, dict):
        errors.add(
            where.with_key("page_info"), "required key is missing" if info is None else "expected an object"
        )
        return None
    rel = info.get("image_path")
    if not isinstance(rel, str) or not rel.strip():
        errors.add(where.with_key("page_info.image_path"), "expected the page image's file name")
        return None
    attributes = info.get("page_attribute", {})
    if not isinstance(attributes, dict):
        errors.add(where.with_key("page_info.page_attribute"), "expected an object")
        return None
    language = str(attributes.get("language", ""))
    languages.add(language)
    if subset is not None and language != subset:
        return None
    ok = _check_layout(page.get("layout_dets"), where.with_key("layout_dets"), errors)
    extra = page.get("extra", {})
    if not isinstance(extra, dict):
        errors.add(where.with_key("extra"), 'expected an object ({"relation": [...]})')
        ok = False
    image = finder.find(rel, where.with_key("page_info.image_path"), errors)
    if image is None or not ok:
        return None
    stem = Path(rel.strip()).stem
    flat = dict(attributes)
    if mdpbench:
        flat["capture"] = mdpbench_capture(stem)
    return SourceRecord(
        id=stem,
        images=[PageImage(path=image)],
        answers=_reference(page),
        doc_class=str(attributes.get("data_source", "")),
        task="parse",
        split=language,
        metadata={"omnidocbench": page, "page_attribute": flat, "source_split": "test"},
        where=where,
    )


def _check_layout(dets: Any, where: SourceLocation, errors: RowError) -> bool:
    """``layout_dets`` is a list of element objects, each with its ``category_type``."""
    if not isinstance(dets, list):
        errors.add(
            where,
            "the page has no layout_dets" if dets is None else "expected a list of elements",
            "every page of OmniDocBench.json lists its elements in layout_dets",
        )
        return False
    ok = True
    for i, det in enumerate(dets):
        if not isinstance(det, dict) or not isinstance(det.get("category_type"), str):
            errors.add(where.with_key(f"[{i}]"), "expected an element object with a category_type")
            ok = False
    return ok


def _reference(page: dict[str, Any]) -> list[str]:
    """The page's reference Markdown, as the OmniDocBench metrics read the page."""
    from ...metrics.omnidocbench import (
        reference_markdown,
    )  # imported when a page is read, not with the format

    return [reference_markdown(page)]
