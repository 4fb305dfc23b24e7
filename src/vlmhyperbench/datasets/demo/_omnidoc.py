"""The demo's parsing pages as OmniDocBench ground truth: page objects, samples, folder.

A page object has the shape of one entry of the official ``OmniDocBench.json``
(opendatalab/OmniDocBench@7bd6c2e, README "Dataset Format"): ``layout_dets``,
``page_info`` (``page_no``, ``height``, ``width``, ``image_path``,
``page_attribute``) and ``extra.relation``. Photographed copies keep the clean
page's ``layout_dets`` (boxes in the clean page's pixels), as MDPBench does for its
photographed pages, with ``page_attribute.capture`` ``photographed`` (``digital`` for
clean pages: the attribute the ``omnidocbench`` source gives MDPBench pages).
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from PIL import Image

from ._parsing import PARSING_BUILDERS, ParsingPage
from ._photo import PHOTO_LEVELS, apply_photo, choose_photo
from ._render import save_page

__all__ = [
    "ParsingCopy",
    "generate_omnidocbench",
    "page_markdown",
    "page_object",
    "parsing_copies",
    "parsing_sample",
]


class ParsingCopy(NamedTuple):
    """One image of a parsing page: the clean page or a photographed copy."""

    split: str
    file: str
    image: Image.Image
    quality: int | None
    """JPEG quality; None for the clean PNG."""
    steps: list[dict[str, Any]] | None
    severity: int
    page: ParsingPage


def parsing_copies(seed: int, n_per_kind: int, photo_per_kind: int) -> Iterator[ParsingCopy]:
    """Every parsing page (kinds in order, then number), each followed by its photographed copies.

    Page ``k`` of a kind depends only on seed, kind and ``k``; the first ``photo_per_kind``
    pages of each kind are also photographed at every severity of `PHOTO_LEVELS`.
    """
    for kind, builder in PARSING_BUILDERS.items():
        for k in range(1, n_per_kind + 1):
            page_id = f"{kind}-{k:03d}"
            page = builder(random.Random(f"{seed}:{page_id}"), page_id)
            yield ParsingCopy("clean", f"{page_id}.png", page.image, None, None, 0, page)
            for severity in PHOTO_LEVELS if k <= photo_per_kind else ():
                split = f"photo-{severity}"
                rng = random.Random(f"{seed}:{page_id}:{split}")
                steps = choose_photo(rng, severity)
                img, quality = apply_photo(page.image, steps, rng)
                yield ParsingCopy(split, f"{page_id}_{split}.jpg", img, quality, steps, severity, page)


def page_object(item: ParsingCopy) -> dict[str, Any]:
    """The copy's entry of ``OmniDocBench.json``."""
    attributes = {**item.page.attributes, "capture": "photographed" if item.severity else "digital"}
    return {
        "layout_dets": copy.deepcopy(item.page.elements),
        "page_info": {
            "page_no": 0,
            "height": item.image.height,
            "width": item.image.width,
            "image_path": item.file,
            "page_attribute": attributes,
        },
        "extra": {"relation": []},
    }


def page_markdown(page: dict[str, Any]) -> str:
    """The page's reference Markdown, as the OmniDocBench metrics build it (and the
    ``omnidocbench`` source format gives imported pages)."""
    from ...metrics.omnidocbench import reference_markdown

    return reference_markdown(page)


def parsing_sample(item: ParsingCopy, seed: int) -> dict[str, Any]:
    """The ``parse`` sample of one copy (keys in annotation order): id = image stem; doc id as
    the demo's other copies (``<page id>-ph<k>`` for photographed ones)."""
    page = page_object(item)
    stem = item.file.rsplit(".", 1)[0]
    return {
        "id": stem,
        "images": [f"images/{item.file}"],
        "question": "",
        "answers": [page_markdown(page)],
        "doc_class": item.page.attributes["data_source"],
        "question_type": "",
        "task": "parse",
        "split": item.split,
        "fields": None,
        "json_schema": None,
        "metadata": {
            "doc_id": item.page.page_id + (f"-ph{item.severity}" if item.severity else ""),
            "seed": seed,
            "fonts": item.page.fonts,
            "degradation": item.steps,
            "severity": item.severity,
            "lang": "ru",
            "omnidocbench": page,
            "page_attribute": dict(page["page_info"]["page_attribute"]),
        },
    }


def generate_omnidocbench(
    out_dir: Path, *, seed: int | None = None, n_per_kind: int = 4, photo_per_kind: int = 1
) -> Path:
    """Write the demo's Russian parsing pages in OmniDocBench's layout.

    ``OmniDocBench.json`` (a list of page objects, as the official file) and ``images/``
    with the same bytes as in the demo dataset, so that the ``omnidocbench`` source
    format can import them.

    Args:
        out_dir: Output folder (created if missing).
        seed: Seed of every random choice (default: the shipped demo's, ``DEMO_SEED``).
        n_per_kind: Pages of each kind (``payment_invoice``, ``business_letter``).
        photo_per_kind: Pages of each kind also photographed at each severity.

    Returns:
        Path of the written ``OmniDocBench.json``.
    """
    from ._generator import DEMO_SEED  # the generator imports this module

    if n_per_kind < 1 or not 0 <= photo_per_kind <= n_per_kind:
        raise ValueError("need n_per_kind >= 1 and 0 <= photo_per_kind <= n_per_kind")
    seed = DEMO_SEED if seed is None else seed
    images = Path(out_dir) / "images"
    images.mkdir(parents=True, exist_ok=True)
    pages = []
    for item in parsing_copies(seed, n_per_kind, photo_per_kind):
        save_page(item.image, images / item.file, item.quality)
        pages.append(page_object(item))
    path = Path(out_dir) / "OmniDocBench.json"
    path.write_text(json.dumps(pages, ensure_ascii=False, indent=1) + "\n", encoding="utf-8", newline="\n")
    return path
