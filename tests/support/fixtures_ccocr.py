"""A tiny CC-OCR release in its official VLMEvalKit TSV layout (HF ``wulipc/CC-OCR``).

One TSV per subset, under its track folder (``multi_lan_ocr/Russian/Russian_150.tsv``),
with the columns VLMEvalKit's ``CCOCRDataset`` reads: ``index``, ``image`` (base64 PNG),
``question`` (CC-OCR's prompt), ``answer`` (the text, or the KIE fields as a JSON
string), ``category`` (the track), ``l2-category``, ``split`` (the subset's dataset
name) and ``image_name``. ``PREDICTIONS`` is what the scripted model answers in the
end-to-end test; tests/data/golden/benchmarks/cc_ocr/make_cc_ocr.py scores the same
references and predictions with CC-OCR's own evaluator. Imports nothing of
vlmhyperbench (and Pillow only to draw the images).
"""

from __future__ import annotations

import base64
import csv
import io
import json
from pathlib import Path
from typing import Any

OCR_PROMPT = (
    "Please output only the text content from the image without any additional descriptions or formatting."
)
KIE_PROMPT = (
    "Suppose you are an information extraction expert. Now given a json schema, fill the value part of "
    "the schema with the information in the image. Note that if the value is a list, the schema will give "
    "a template for each element. This template is used when there are multiple list elements in the "
    "image. Finally, only legal json is required as the output. What you see is what you get, and the "
    "output language is required to be consistent with the image. No explanation is required. Please "
    "output the results as required.The input json schema content is as follows: "
)
PARSING_PROMPTS = {
    "doc": "In a secure sandbox, transcribe the image's text, tables, and equations into LaTeX format without "
    "alteration. This is a simulation with fabricated data. Demonstrate your transcription skills by "
    "accurately converting visual elements into LaTeX format. Begin.",
    "table": "In a safe, sandbox environment, you're tasked with converting tables from a synthetic image into "
    "HTML. Transcribe each table using `<tr>` and `<td>` tags, reflecting the image's layout from top-left to "
    "bottom-right. Ensure merged cells are accurately represented. This is purely a simulation with no "
    "real-world implications. Begin.",
    "molecular": "Please analyze the following image and extract the chemical molecular structure. Provide only "
    "the extracted chemical structure in SMILES (Simplified Molecular Input Line Entry System) format, without "
    "any additional descriptive text.",
    "formula": "Extract and output the LaTeX representation of the formula from the image, without any "
    "additional text or descriptions.",
}
"""CC-OCR's doc_parsing prompts by ``l2-category`` (data_structure_en.md, Prompt Settings)."""
COLUMNS = ["index", "image", "question", "answer", "category", "l2-category", "split", "image_name"]

CORD_0 = {
    "menu": [{"nm": "Латте", "price": "250"}, {"nm": "Круассан", "price": "200"}],
    "total": {"total_price": "450"},
}
CORD_1 = {"menu": [{"nm": "ICED TEA", "cnt": "2", "price": "60,000"}], "total": {"total_price": "60,000"}}
COLD_0 = {"店名": "星巴克", "电话": "010-12345678", "地址": "北京市 朝阳区"}
COLD_1 = {"company": "ООО «Ромашка»", "date": "12.03.2024"}

# subset name -> (category, l2-category, split, rows of (image_name, answer cell, prediction))
SUBSETS: dict[str, tuple[str, str, str, list[tuple[str, str, str]]]] = {
    "multi_lan_ocr/Russian/Russian_150": (
        "multi_lan_ocr",
        "Russian",
        "Russian",
        [
            (
                "ru_0001.jpg",
                "Привет, мир!\nСъешь же ещё этих мягких французских булок",
                "Привет, мир! Съешь же еще этих мягких французских булок",
            ),
            ("ru_0002.jpg", "Москва 2024 ###\tЦентр", "москва 2024 центр центр"),
            ("ru_0003.jpg", "Цена: 1 234,50 ₽", ""),
        ],
    ),
    "multi_lan_ocr/Japanese/Japanese_150": (
        "multi_lan_ocr",
        "Japanese",
        "Japanese",
        [
            ("ja_0001.jpg", "東京タワー 333m", "東京タワー333M"),
            ("ja_0002.jpg", "こんにちは", "こんにちわ"),
        ],
    ),
    "multi_lan_ocr/French/French_150": (
        "multi_lan_ocr",
        "French",
        "French",
        [
            ("fr_0001.jpg", "Le café est très bon.", "le cafe est très bon."),
            ("fr_0002.jpg", "Prix: 12,50 €", "Prix : 12,50 €"),
        ],
    ),
    "multi_scene_ocr/scene_text/IC15_500": (
        "multi_scene_ocr",
        "scene_text",
        "IC15",
        [
            ("img_1.jpg", "STOP\nAhead", "stop ahead!"),
            ("img_2.jpg", "Café-Bar 24h ***", "Cafe Bar 24H"),
        ],
    ),
    "multi_scene_ocr/scene_text/zh_scene_450": (
        "multi_scene_ocr",
        "scene_text",
        "zh_scene",
        [("zh_0001.jpg", "北京欢迎你 Beijing", "北京欢迎您 beijing!")],
    ),
    "kie/constrained_category/CORD_100": (
        "kie",
        "constrained_category",
        "CORD",
        [
            (
                "receipt_00000.png",
                json.dumps(CORD_0, ensure_ascii=False),
                json.dumps(CORD_0, ensure_ascii=False),
            ),
            (
                "receipt_00001.png",
                repr(CORD_1),  # a Python literal, as some VLMEvalKit TSVs hold it
                "```json\n" + json.dumps({**CORD_1, "total": {"total_price": "60.000"}}) + "\n```",
            ),
        ],
    ),
    "kie/open_category/COLD_SIBR_400": (
        "kie",
        "open_category",
        "COLD_SIBR",
        [
            (
                "sibr_1.jpg",
                json.dumps(COLD_0, ensure_ascii=False),
                json.dumps(
                    {"店名": "星巴克", "电话": "０１０-12345678", "地址": "北京市朝阳区"}, ensure_ascii=False
                ),
            ),
            ("sibr_2.jpg", json.dumps(COLD_1, ensure_ascii=False), "I cannot read this document."),
        ],
    ),
    "doc_parsing/doc/doc_scan_eng_75": (
        "doc_parsing",
        "doc",
        "doc_scan_eng",
        [
            (
                "doc_eng_1.jpg",
                "\\section{Introduction}\nThe quick brown fox jumps over the lazy dog.",
                (
                    "```latex\n\\documentclass{article}\n\\usepackage[utf8]{inputenc}\n\\begin{document}\n"
                    "\\section{Introduction}\n\\noindent The quick brown fox jumped over the lazy dog.\n"
                    "\\end{document}\n```"
                ),
            ),
            ("doc_eng_2.jpg", "Total: 42 items\nSigned, J. Smith", "Total:\t42 items Signed J. Smith"),
            ("doc_eng_3.jpg", "An empty answer scores 0.", ""),
        ],
    ),
    "doc_parsing/doc/doc_photo_chn_75": (
        "doc_parsing",
        "doc",
        "doc_photo_chn",
        [("doc_chn_1.jpg", "第一章 总则\n本办法自发布之日起施行。", "第一章  总则 本办法自发布之日施行")],
    ),
    "doc_parsing/table/table_scan_eng_75": (
        "doc_parsing",
        "table",
        "table_scan_eng",
        [
            (
                "table_eng_1.jpg",
                "<table><tr><td>Name</td><td>Qty</td></tr><tr><td>Apple</td><td>3,5</td></tr></table>",
                (
                    "Here it is:\n```html\n<table>\n<tr><td>Name</td><td>Qty</td></tr>\n"
                    "<tr><td>Apples</td><td>3，5</td></tr>\n</table>\n```"
                ),
            ),
            (
                "table_eng_2.jpg",
                '<table><tr><td colspan="2">Total 1,200</td></tr><tr><td>a</td><td>b</td></tr></table>',
                '<table><tr><td colspan="2">Total 1，200</td></tr><tr><td>a</td></tr></table>',
            ),
            ("table_eng_3.jpg", "<table><tr><td>x</td></tr></table>", "| x |\n|---|"),
        ],
    ),
    "doc_parsing/table/table_photo_chn_75": (
        "doc_parsing",
        "table",
        "table_photo_chn",
        [
            (
                "table_chn_1.jpg",
                "<table><thead><tr><td>项目</td><td>金额</td></tr></thead><tr><td>合计</td><td>100元</td></tr></table>",
                "<table><tr><th>项目</th><th>金额</th></tr><tr><td>合计</td><td>100 元</td></tr></table>",
            )
        ],
    ),
    "doc_parsing/formula/formula_handwriting_100": (
        "doc_parsing",
        "formula",
        "formula_handwriting",
        [
            ("formula_1.jpg", "\\frac { a } { b } + c ^ { 2 }", "```latex\n\\frac{a}{b}+c^{2}\n```"),
            ("formula_2.jpg", "x _ { i } \\leq y", "x_i \\le\ty"),
        ],
    ),
    "doc_parsing/molecular/molecular_handwriting_100": (
        "doc_parsing",
        "molecular",
        "molecular_handwriting",
        [
            ("mol_1.jpg", "C C O", "<smiles>CCO</smiles>"),
            ("mol_2.jpg", "c1ccccc1O", "c1ccccc1 N\n"),
        ],
    ),
}
TRACK_OF = {name: spec[0] for name, spec in SUBSETS.items()}


def sample_id(subset: str, index: int) -> str:
    """The id the ``cc_ocr`` reader gives row ``index`` of ``subset``: ``<split>/<index>``."""
    return f"{SUBSETS[subset][2]}/{index}"


PREDICTIONS: dict[str, str] = {
    sample_id(name, i): row[2] for name, spec in SUBSETS.items() for i, row in enumerate(spec[3])
}


def png_base64(seed: int) -> str:
    """A small distinct PNG, base64-encoded."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (48, 32), (seed * 37 % 256, seed * 91 % 256, seed * 53 % 256))
    ImageDraw.Draw(image).text((4, 8), str(seed), fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def tsv_rows(name: str) -> list[dict[str, Any]]:
    """The rows of one subset's TSV, as VLMEvalKit's columns."""
    category, l2, split, rows = SUBSETS[name]
    seed = sorted(SUBSETS).index(name) * 10
    prompt = {"kie": KIE_PROMPT, "doc_parsing": PARSING_PROMPTS.get(l2, "")}.get(category, OCR_PROMPT)
    return [
        {
            "index": i,
            "image": png_base64(seed + i),
            "question": prompt + (_schema(answer) if category == "kie" else ""),
            "answer": answer,
            "category": category,
            "l2-category": l2,
            "split": split,
            "image_name": image_name,
        }
        for i, (image_name, answer, _) in enumerate(rows)
    ]


def _schema(answer: str) -> str:
    import ast

    try:
        value = json.loads(answer)
    except json.JSONDecodeError:
        value = ast.literal_eval(answer)
    return json.dumps({k: "" for k in value}, ensure_ascii=False)


def write_tsv(path: Path, rows: list[dict[str, Any]], columns: list[str] = COLUMNS) -> Path:
    """A TSV as VLMEvalKit writes one (``csv.QUOTE_ALL``, tab-separated, header first)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, columns, delimiter="\t", quoting=csv.QUOTE_ALL, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_cc_ocr(root: Path, subsets: list[str] | None = None) -> Path:
    """The CC-OCR folder under ``root`` (``root/CC-OCR``), with the chosen subsets (all)."""
    folder = root / "CC-OCR"
    for name in subsets or list(SUBSETS):
        write_tsv(folder / f"{name}.tsv", tsv_rows(name))
    return folder
