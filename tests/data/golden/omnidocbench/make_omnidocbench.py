"""Regenerate omnidocbench.json by running OmniDocBench's end-to-end evaluator on our pages.

The evaluator is opendatalab/OmniDocBench at commit ``COMMIT`` (Apache-2.0; not kept
here): ``pdf_validation.py`` with an ``end2end`` config (``quick_match``; Edit_dist on
text blocks, display formulas and reading order; TEDS and Edit_dist on tables). Set up:

    git -C <mirror> archive 7bd6c2e | tar -x -C /work/scratch/omnidocbench
    python3.11 -m venv /work/scratch/omnidocbench/venv
    /work/scratch/omnidocbench/venv/bin/pip install numpy==1.24.4 scipy==1.10.1 \\
        Levenshtein==0.25.1 rapidfuzz==3.9.7 pylatexenc==3.0a30 beautifulsoup4==4.11.1 \\
        soupsieve==2.3.2.post1 lxml==4.9.3 apted==1.0.3 tqdm pandas==2.0.3 tabulate==0.9.0 \\
        loguru==0.7.2 func-timeout==4.3.5 PyYAML==6.0.2 regex nltk mistune markdown-it-py Pillow
    python tests/data/golden/omnidocbench/make_omnidocbench.py [--official DIR] [--python PY]

(``lxml`` 4.9.3 instead of the pinned 4.9.1, which has no Python 3.11 wheel.) Modules that
the end-to-end path imports but never calls are stubbed (``evaluate``: BLEU/METEOR;
``mmeval``: detection; ``metrics.cdm_metric``: CDM, which needs LaTeX and ImageMagick).

The pages are authored by `build_cases` (English and Cyrillic text, display and inline
formulas, HTML tables with row/colspan, pipe tables, reordered columns, missing and
extra blocks, swapped order, headers and footers, truncated text, an empty prediction,
LaTeX tables, broken HTML). The JSON keeps the inputs and, per page and metric, the
official page value (None where the page has none) and the pooled and page-averaged
figures, plus the official per-attribute page split.
"""

# ruff: noqa: ISC004  (the case table joins long Markdown literals inside its tuples)

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
COMMIT = "7bd6c2ebdb7676e6fd251b0e695e15e09cf3ab5d"
ELEMENTS = ("text_block", "display_formula", "table", "reading_order")
CONFIG = """end2end_eval:
  metrics:
    text_block: {metric: [Edit_dist]}
    display_formula: {metric: [Edit_dist]}
    table: {metric: [TEDS, Edit_dist]}
    reading_order: {metric: [Edit_dist]}
  dataset:
    dataset_name: end2end_dataset
    ground_truth: {data_path: %s}
    prediction: {data_path: %s}
    match_method: quick_match
"""
RUNNER = """
import runpy, sys, types
sys.path.insert(0, %r)
for name in ("evaluate", "mmeval"):
    stub = types.ModuleType(name)
    stub.COCODetection = object
    sys.modules[name] = stub
cdm = types.ModuleType("metrics.cdm_metric")
cdm.CDM = object
sys.modules["metrics.cdm_metric"] = cdm
sys.argv = ["pdf_validation.py", "--config", %r]
runpy.run_path(%r, run_name="__main__")
"""

T1 = (
    '<table><thead><tr><th rowspan="2">Показатель</th><th colspan="2">Год</th></tr>'
    "<tr><th>2022</th><th>2023</th></tr></thead><tbody><tr><td>Выручка</td><td>10,5</td><td>12,1</td></tr>"
    "<tr><td>Прибыль</td><td>1,2</td><td>1,9</td></tr></tbody></table>"
)
T2 = (
    "<table><tr><td>Item</td><td>Qty</td><td>Price</td></tr><tr><td>Apples</td><td>3</td><td>1.20</td></tr>"
    "<tr><td>Pears</td><td>5</td><td>0.80</td></tr></table>"
)
T3 = (
    '<table><tr><td colspan="3">Summary of results</td></tr><tr><td>Model</td><td>F1</td><td>Acc</td></tr>'
    '<tr><td rowspan="2">Base</td><td>0.71</td><td>0.80</td></tr><tr><td>0.69</td><td>0.79</td></tr></table>'
)
LOREM_EN = (
    "The quick brown fox jumps over the lazy dog while the committee reviews the annual report.",
    "Document parsing turns page images into structured text, tables and formulas for search.",
    "Results are averaged over pages; each page contributes its own normalised edit distance.",
    "A second paragraph describes the method in more detail and lists the main assumptions.",
)
LOREM_RU = (
    "Настоящий договор заключён между обществом с ограниченной ответственностью и заказчиком.",
    "Исполнитель обязуется выполнить работы в срок до тридцать первого декабря текущего года.",
    "Оплата производится безналичным расчётом в течение десяти банковских дней после подписания акта.",
    "Стороны несут ответственность в соответствии с действующим законодательством Российской Федерации.",
)


def _page(
    stem: str, items: list[dict[str, Any]], attrs: dict[str, Any], relations: list[Any] | None = None
) -> dict[str, Any]:
    dets = []
    for anno_id, item in enumerate(items):
        det = {"category_type": item["cat"], "poly": [0, 0, 10, 0, 10, 10, 0, 10], "ignore": False,
               "order": item.get("order", anno_id + 1), "anno_id": anno_id, "attribute": {}}  # fmt: skip
        for key in ("text", "latex", "html"):
            if key in item:
                det[key] = item[key]
        if item["cat"] == "table":
            det.setdefault("latex", "\\begin{tabular}{ll} a & b \\\\ \\end{tabular}")
        dets.append(det)
    info = {"page_attribute": attrs, "page_no": 0, "height": 1000, "width": 800, "image_path": f"{stem}.jpg"}
    return {"layout_dets": dets, "page_info": info, "extra": {"relation": relations or []}}


def _attrs(source: str, language: str, layout: str, issues: list[str] | None = None) -> dict[str, Any]:
    return {"data_source": source, "language": language, "layout": layout, "special_issue": issues or []}


def _t(text: str, order: int | None = None, cat: str = "text_block") -> dict[str, Any]:
    item: dict[str, Any] = {"cat": cat, "text": text}
    if order is not None:
        item["order"] = order
    return item


def _f(latex: str) -> dict[str, Any]:
    return {"cat": "equation_isolated", "latex": latex}


def _tab(html: str) -> dict[str, Any]:
    return {"cat": "table", "html": html}


def build_cases() -> list[tuple[dict[str, Any], str]]:
    """The authored pages and their predicted Markdown."""
    en, ru = LOREM_EN, LOREM_RU
    cases: list[tuple[str, list[dict[str, Any]], dict[str, Any], str, list[Any] | None]] = [
        ("en_exact", [_t("Annual Report", cat="title"), _t(en[0]), _t(en[1])],
         _attrs("research_report", "english", "single_column"), f"# Annual Report\n\n{en[0]}\n\n{en[1]}\n", None),
        ("ru_typos", [_t("Договор поставки", cat="title"), _t(ru[0]), _t(ru[1])],
         _attrs("book", "russian", "single_column", ["fuzzy_scan"]),
         f"## Договор поставкн\n\n{ru[0].replace('о', 'о', 3).replace('ответственностью', 'ответствениостью')}\n\n"
         f"{ru[1].replace('тридцать', 'тридцат')}\n", None),
        ("ru_header_footer", [_t("ООО «Ромашка» — счёт №15", cat="header"), _t(ru[2]), _t(ru[3]),
                              _t("Страница 2 из 5", cat="footer"), _t("2", cat="page_number")],
         _attrs("exam_paper", "russian", "double_column"),
         f"ООО «Ромашка» — счёт №15\n\n{ru[2]}\n\n{ru[3]}\n\n2\n", None),
        ("en_formulas", [_t(en[2]), _f("$$\n\\frac{a+b}{c} = \\sum_{i=1}^{n} x_i^2\n$$"), _t(en[3]),
                         _f("$$ E = m c^{2} $$")],
         _attrs("academic_literature", "english", "single_column"),
         f"{en[2]}\n\n$$\\frac{{a+b}}{{c}} = \\sum_{{i=1}}^{{n}} x_i^{{2}}$$\n\n{en[3]}\n\n\\[ E = mc^2 \\]\n", None),
        ("en_inline", [_t("The energy $E=mc^2$ of a body at rest, and $x_i$ its position."), _t(en[0])],
         _attrs("academic_literature", "english", "single_column"),
         f"The energy $E = mc^{{2}}$ of a body at rest, and $x_{{i}}$ its position.\n\n{en[0]}\n", None),
        ("ru_table_span", [_t("Таблица 1 — Основные показатели", cat="table_caption"), _tab(T1), _t(ru[0])],
         _attrs("research_report", "russian", "single_column"),
         "Таблица 1 — Основные показатели\n\n" + T1.replace("12,1", "12.1") + f"\n\n{ru[0]}\n", None),
        ("en_pipe_table", [_t(en[1]), _tab(T2)], _attrs("magazine", "english", "single_column", ["watermark"]),
         f"{en[1]}\n\n| Item | Qty | Price |\n|---|---|---|\n| Apples | 3 | 1.20 |\n| Pears | 5 | 0.80 |\n", None),
        ("en_table_reordered", [_tab(T2), _t(en[2])], _attrs("magazine", "english", "double_column"),
         "<table><tr><td>Qty</td><td>Item</td><td>Price</td></tr><tr><td>3</td><td>Apples</td><td>1.20</td></tr>"
         f"<tr><td>5</td><td>Pears</td><td>0.80</td></tr></table>\n\n{en[2]}\n", None),
        ("en_table_missing", [_t(en[3]), _tab(T3)], _attrs("academic_literature", "english", "double_column"),
         f"{en[3]}\n", None),
        ("en_extra_table", [_tab(T2), _t(en[0])], _attrs("colorful_textbook", "english", "single_column"),
         f"{T2}\n\n{en[0]}\n\n<table><tr><td>Extra cell one</td><td>Extra cell two</td></tr></table>\n", None),
        ("ru_missing_block", [_t(ru[0]), _t(ru[1]), _t(ru[2])], _attrs("book", "russian", "single_column"),
         f"{ru[0]}\n\n{ru[2]}\n", None),
        ("en_extra_blocks", [_t(en[0]), _t(en[1])], _attrs("note", "english", "single_column"),
         f"{en[0]}\n\nHallucinated paragraph about nothing in particular.\n\n{en[1]}\n\nAnother invented line.\n", None),
        ("en_order_swapped", [_t(en[0]), _t(en[1]), _t(en[2]), _t(en[3])],
         _attrs("newspaper", "english", "three_column"), f"{en[2]}\n\n{en[0]}\n\n{en[3]}\n\n{en[1]}\n", None),
        ("ru_empty", [_t(ru[0]), _f("$$ a^2 + b^2 = c^2 $$"), _tab(T1)], _attrs("exam_paper", "russian", "single_column"),
         "", None),
        ("ru_truncated_gt", [_t("Исполнитель обязуется выполнить работы"), _t(" в срок до тридцать первого декабря."),
                             _t(ru[3])], _attrs("newspaper", "russian", "double_column"),
         f"Исполнитель обязуется выполнить работы в срок до тридцать первого декабря.\n\n{ru[3]}\n",
         [{"source_anno_id": 0, "target_anno_id": 1, "relation_type": "truncated"}]),
        ("en_truncated_pred", [_t(en[0] + " " + en[1]), _t(en[2])], _attrs("book", "english", "single_column"),
         f"{en[0]}\n\n{en[1]}\n\n{en[2]}\n", None),
        ("en_latex_table", [_tab(T2), _t(en[1])], _attrs("academic_literature", "english", "single_column"),
         "\\begin{tabular}{lll} Item & Qty & Price \\\\ Apples & 3 & 1.20 \\\\ \\end{tabular}\n\n" + en[1] + "\n", None),
        ("en_formula_array", [_f("\\begin{array}{l} a = b + c \\\\ d = e - f \\end{array}"), _t(en[3])],
         _attrs("academic_literature", "english", "single_column"),
         f"$$ a = b + c $$\n\n$$ d = e + f $$\n\n{en[3]}\n", None),
        ("en_formula_as_text", [_t(en[2]), _f("$$ x = y + 1 $$")], _attrs("PPT2PDF", "english", "single_column"),
         f"{en[2]}\n\nx = y + 1\n", None),
        ("ru_invoice", [_t("Счёт на оплату № 42 от 01.02.2024", cat="title"), _t("Поставщик: ООО «Вектор», ИНН 7701234567"),
                        _tab("<table><tr><td>№</td><td>Товар</td><td>Кол-во</td><td>Сумма</td></tr><tr><td>1</td>"
                             "<td>Бумага А4</td><td>10</td><td>2 500,00</td></tr><tr><td>2</td><td>Картридж</td>"
                             "<td>2</td><td>7 800,00</td></tr></table>"),
                        _t("Итого к оплате: 10 300,00 руб.")],
         _attrs("research_report", "russian", "single_column", ["colorful_backgroud"]),
         "# Счёт на оплату № 42 от 01.02.2024\n\nПоставщик: ООО «Вектор», ИНН 7701234567\n\n"
         "| № | Товар | Кол-во | Сумма |\n| --- | --- | --- | --- |\n| 1 | Бумага А4 | 10 | 2 500,00 |\n"
         "| 2 | Картридж | 2 | 7 800,00 |\n\nИтого к оплате: 10 300,00 руб.\n", None),
        ("en_captions_code", [_t("Figure 2: Training loss.", cat="figure_caption"), _t(en[1]),
                              _t("for i in range(3): print(i)", cat="code_txt"), _t("(1)", cat="equation_caption")],
         _attrs("academic_literature", "english", "double_column"),
         f"Figure 2: Training loss.\n\n{en[1]}\n\n```python\nfor i in range(3): print(i)\n```\n\n(1)\n", None),
        ("en_single_newlines", [_t("First line of a note"), _t("Second line of a note"), _t("Third line here")],
         _attrs("note", "english", "other_layout"), "First line of a note\nSecond line of the note\nThird line here\n", None),
        ("en_broken_html", [_tab(T3), _t(en[0])], _attrs("research_report", "english", "single_column"),
         '<table><tr><td colspan="x">Summary of results<tr><td>Model</td><td>F1\n\n' + en[0] + "\n", None),
        ("en_thead_span", [_tab(T3)], _attrs("research_report", "english", "single_column", ["watermark", "fuzzy_scan"]),
         '<table><thead><tr><th colspan="3"><span>Summary of results</span></th></tr></thead><tbody><tr><td>Model</td>'
         '<td>F1</td><td>Acc</td></tr><tr><td rowspan="2"><b>Base</b></td><td>0.71</td><td>0.80</td></tr><tr>'
         "<td>0.69</td><td>0.97</td></tr></tbody></table>\n", None),
        ("ru_only_headers", [_t("Колонтитул верхний", cat="header"), _t("17", cat="page_number")],
         _attrs("book", "russian", "single_column"), "Колонтитул верхний\n\nКакой-то текст\n", None),
        ("ru_mixed_long", [_t(ru[0] + " " + ru[1], cat="text_block"), _t("Раздел 2. Порядок расчётов", cat="title"),
                           _t(ru[2]), _f("$$ S = \\sum_{k=1}^{N} p_k q_k $$"), _t(ru[3])],
         _attrs("book", "russian", "1andmore_column"),
         f"{ru[0]}\n{ru[1]}\n\n### Раздел 2. Порядок расчётов\n\n{ru[3]}\n\n$$ S=\\sum_{{k=1}}^N p_k q_k $$\n\n{ru[2]}\n", None),
        ("ru_pipe_colon", [_tab("<table><tr><td>Статья</td><td>Сумма</td></tr><tr><td>Аренда</td><td>40</td></tr>"
                                "<tr><td>Итого: расходы</td><td>40</td></tr></table>"), _t(ru[1])],
         _attrs("research_report", "russian", "single_column"),
         f"| Статья | Сумма |\n|:---|---:|\n| Аренда | 40 |\n| Итого: расходы | 40 |\n\n{ru[1]}\n", None),
        ("en_dash_block", [_t("—"), _t(en[0]), _t(en[1]), _t(en[2])], _attrs("book", "english", "single_column"),
         f"{en[1]}\n\n{en[0]}\n\n{en[2]}\n", None),
        ("en_two_tables_swapped", [_tab(T2), _t(en[3]), _tab(T3)], _attrs("academic_literature", "english", "double_column"),
         f"{T3}\n\n{en[3]}\n\n{T2.replace('Pears', 'Peas')}\n", None),
    ]  # fmt: skip
    return [(_page(stem, items, attrs, rel), md) for stem, items, attrs, md, rel in cases]


def _clean(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value


def run_official(official: Path, python: str, cases: list[tuple[dict[str, Any], str]]) -> dict[str, Any]:
    """Run ``pdf_validation.py`` on the cases; return its figures."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "preds").mkdir()
        (work / "result").mkdir()  # the evaluator writes there before creating it
        (work / "gt.json").write_text(json.dumps([page for page, _ in cases], ensure_ascii=False), "utf-8")
        for page, md in cases:
            stem = page["page_info"]["image_path"][:-4]
            (work / "preds" / f"{stem}.md").write_text(md, "utf-8")
        (work / "end2end.yaml").write_text(CONFIG % (work / "gt.json", work / "preds"), "utf-8")
        runner = RUNNER % (str(official), str(work / "end2end.yaml"), str(official / "pdf_validation.py"))
        done = subprocess.run([python, "-c", runner], cwd=work, capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"the official evaluator failed:\n{done.stderr[-4000:]}")
        result = work / "result"
        save = "preds_quick_match"
        summary = json.loads((result / f"{save}_metric_result.json").read_text("utf-8"))
        per_page: dict[str, dict[str, Any]] = {}
        for element in ELEMENTS:
            path = result / f"{save}_{element}_per_page_edit.json"
            edits = json.loads(path.read_text("utf-8")) if path.exists() else {}
            for image, value in edits.items():
                per_page.setdefault(image[:-4], {})[f"{element}_edit"] = _clean(value)
        tables = json.loads((result / f"{save}_table_result.json").read_text("utf-8"))
        for key in ("TEDS", "TEDS_structure_only"):
            scores: dict[str, list[float]] = {}
            for sample in tables:
                scores.setdefault(sample["img_id"][:-4], []).append(sample["metric"][key])
            for stem, values in scores.items():
                per_page.setdefault(stem, {})[key] = sum(values) / len(values)
    return {"summary": summary, "per_page": per_page}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--official", type=Path, default=Path("/work/scratch/omnidocbench"))
    parser.add_argument("--python", default="/work/scratch/omnidocbench/venv/bin/python")
    args = parser.parse_args()
    cases = build_cases()
    official = run_official(args.official, args.python, cases)
    out = {
        "evaluator": f"opendatalab/OmniDocBench@{COMMIT} pdf_validation.py end2end quick_match",
        "python": sys.version.split()[0],
        "cases": [{"page": page, "markdown": md} for page, md in cases],
        **official,
    }
    text = json.dumps(out, ensure_ascii=False, indent=1, allow_nan=False, default=_clean)
    (HERE / "omnidocbench.json").write_text(text + "\n", "utf-8")


if __name__ == "__main__":
    main()
