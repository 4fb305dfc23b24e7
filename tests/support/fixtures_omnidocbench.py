"""A tiny OmniDocBench and MDPBench in their official layouts, Cyrillic pages included.

``PAGES`` imitate ``OmniDocBench.json`` (v1.5 keys: ``layout_dets`` with ``category_type``,
``poly``, ``ignore``, ``order``, ``anno_id``, ``text``/``latex``/``html``,
``line_with_spans``, ``attribute``; ``page_info`` with ``page_no``, ``height``, ``width``,
``image_path``, ``page_attribute``; ``extra.relation``). ``MDP_PAGES`` imitate MDPBench's
``MDPBench_public.json`` (``page_info`` holds only ``image_path`` and
``page_attribute.language``). ``PREDICTIONS`` and ``MDP_PREDICTIONS`` are a model's Markdown
per page id. The golden scripts of tests/data/golden/benchmarks/omnidocbench import this
module to run the official evaluators on the same pages, so it imports Pillow only.
"""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

from PIL import Image

POLY = [10.0, 10.0, 200.0, 10.0, 200.0, 40.0, 10.0, 40.0]
TABLE = (
    '<table><tr><td rowspan="2">Товар</td><td>Кол-во</td><td>Цена</td></tr>'
    '<tr><td>2</td><td>100</td></tr><tr><td colspan="3">Итого: 200</td></tr></table>'
)


def _det(i: int, category: str, order: int | None, **content: Any) -> dict[str, Any]:
    det = {
        "category_type": category,
        "poly": POLY,
        "ignore": False,
        "order": order,
        "anno_id": i,
        "line_with_spans": [],
        "attribute": {},
        **content,
    }
    return det


def _page(
    name: str, dets: list[dict[str, Any]], attributes: dict[str, Any], number: int = 0
) -> dict[str, Any]:
    return {
        "layout_dets": dets,
        "page_info": {
            "page_no": number,
            "height": 1684,
            "width": 1200,
            "image_path": name,
            "page_attribute": attributes,
        },
        "extra": {"relation": []},
    }


def _attributes(source: str, language: str, layout: str, watermark: bool = False) -> dict[str, Any]:
    return {
        "data_source": source,
        "language": language,
        "layout": layout,
        "watermark": watermark,
        "fuzzy_scan": False,
        "colorful_backgroud": False,
    }


PAGES: list[dict[str, Any]] = [
    _page(
        "ru_invoice_1.png",
        [
            _det(0, "title", 0, text="Счёт-фактура № 17"),
            _det(1, "text_block", 1, text="Поставщик: ООО «Ромашка», г. Москва."),
            _det(2, "table", 2, html=TABLE, latex=""),
            _det(3, "page_number", 3, text="1"),
        ],
        _attributes("research_report", "russian", "single_column"),
    ),
    _page(
        "ru_letter_2.jpg",
        [
            _det(0, "text_block", 0, text="Уважаемый Иван Петрович!"),
            _det(1, "text_block", 1, text="Сообщаем, что поставка задерживается на неделю."),
            _det(2, "equation_isolated", 2, latex="$$E = mc^2$$"),
            _det(3, "header", None, text="ООО «Ромашка»"),
        ],
        _attributes("book", "russian", "double_column", watermark=True),
        number=1,
    ),
    _page(
        "en_paper_3.png",
        [
            _det(0, "title", 0, text="A Short Note"),
            _det(1, "text_block", 1, text="We study the parsing of whole pages."),
            _det(2, "text_block", 2, text="Results are in the table below."),
        ],
        _attributes("academic_literature", "en", "single_column"),
        number=2,
    ),
]

PREDICTIONS: dict[str, str] = {
    "ru_invoice_1": "# Счёт-фактура № 17\n\nПоставщик: ООО «Ромашка», г. Москва\n\n"
    "<table><tr><td>Товар</td><td>Кол-во</td><td>Цена</td></tr><tr><td>2</td><td>100</td></tr></table>\n",
    "ru_letter_2": "Уважаемый Иван Петрович!\n\nСообщаем, что поставка задерживается.\n\n$$E = m c^{3}$$\n",
    "en_paper_3": "Results are in the table below.\n\nWe study the parsing of pages.\n",
}

MDP_PAGES: list[dict[str, Any]] = [
    {
        "layout_dets": [_det(0, "text_block", 0, text="Привет, мир.")],
        "page_info": {"image_path": name, "page_attribute": {"language": "Russian"}},
        "extra": {"relation": []},
    }
    for name in ("ru_note_33.jpeg", "ru_note_33_indoor_light_top_wrinkle.JPEG")
] + [
    {
        "layout_dets": [_det(0, "text_block", 0, text="Hallo Welt.")],
        "page_info": {"image_path": "de_book_12.jpg", "page_attribute": {"language": "German"}},
        "extra": {"relation": []},
    }
]

MDP_PREDICTIONS: dict[str, str] = {
    "ru_note_33": "Привет, мир.",
    "ru_note_33_indoor_light_top_wrinkle": "Превед, мир.",
    "de_book_12": "Hallo Welt.",
}


def png(color: tuple[int, int, int] = (255, 255, 255), size: tuple[int, int] = (24, 32)) -> bytes:
    """A tiny image (its colour makes each page's bytes distinct)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def write_omnidocbench(
    root: Path,
    pages: list[Any] | None = None,
    *,
    annotation: str = "OmniDocBench.json",
    images: str = "images",
    indent: int | None = 2,
) -> Path:
    """``root/OmniDocBench.json`` and ``root/images/<image_path>`` for each page; returns ``root``."""
    pages = copy.deepcopy(PAGES if pages is None else pages)
    (root / images).mkdir(parents=True, exist_ok=True)
    for i, page in enumerate(pages):
        info = page.get("page_info") if isinstance(page, dict) else None
        if isinstance(info, dict) and isinstance(info.get("image_path"), str):
            (root / images / info["image_path"]).write_bytes(png((i * 40 % 256, 128, 200)))
    (root / annotation).write_text(json.dumps(pages, ensure_ascii=False, indent=indent), encoding="utf-8")
    return root


def write_mdpbench(root: Path) -> Path:
    """MDPBench's public layout: ``MDPBench_public.json`` and ``MDPBench_img_public/``."""
    return write_omnidocbench(
        root, MDP_PAGES, annotation="MDPBench_public.json", images="MDPBench_img_public"
    )
