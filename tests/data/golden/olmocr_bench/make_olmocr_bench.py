"""Regenerate olmocr_bench.json by running olmOCR-bench's own checker (olmocr 0.4.27).

Run it with the interpreter of a venv that has ``olmocr[bench]==0.4.27`` (PyPI, Apache-2.0)::

    /work/scratch/olmocr-venv/bin/python tests/data/golden/olmocr_bench/make_olmocr_bench.py

It writes, for the pages and tests authored below (Cyrillic and English text, HTML tables
with rowspan/colspan/thead/th, Markdown tables, reordered columns, headers and footers with
``first_n``/``last_n``, swapped order, missing text, repeated garbage, blank and empty pages,
case sensitivity, fancy quotes/dashes/µ, broken HTML, invalid test lines):

* ``checks``: for each (test, page) pair, ``olmocr.bench.tests.load_single_test(test)`` and
  its ``run(page)``: ``passed`` and ``explanation``, or ``invalid`` with the loader's error;
* ``benchmark``: a small bench folder (two ``*.jsonl`` files, blank one-page PDFs, a
  candidate with several ``_pg1_repeat<k>.md`` per page) scored by
  ``python -m olmocr.bench.benchmark``: its per-file ``passed``/``total`` (the report's lines)
  and the inputs and result of its ``calculate_bootstrap_ci`` call, with NumPy's global
  generator seeded with 0 just before it (the official runner does not seed it).

``math`` tests are left to ``tests/data/golden/olmocr_bench/math/`` (KaTeX rendering).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

OLMOCR_VERSION = "0.4.27"
HERE = Path(__file__).parent

RU_LETTER = """ООО «Ромашка» — Служебная записка № 17

**Кому:** директору по развитию
__От:__ отдела закупок<br>г. Москва

Уважаемый Иван Петрович!

Просим согласовать закупку оборудования на сумму 1 250 000 руб. – срок поставки
до 15 марта 2025 г. Толщина покрытия 25 µm, допуск ± 2 µm.
Ответственный: А. В. Смирнова, тел. +7 (495) 123‑45‑67.

*С уважением,* отдел закупок

Страница 1 из 3 — Конфиденциально
"""

EN_ARTICLE = """Journal of Document Analysis, Vol. 12

# Robust Parsing of Scanned Pages

Abstract. We study how vision-language models read “difficult” pages — faded scans,
two-column layouts and tables — and propose a benchmark of unit tests.

1 Introduction

Optical character recognition has a long history. Early systems read one font.

2 Related Work

Page segmentation methods split a page into blocks before reading them.

Page 7
"""

TABLES_HTML = """Таблица 1. Поставки по кварталам

<table>
  <thead>
    <tr><th rowspan="2">Товар</th><th colspan="2">2024</th><th>Итого</th></tr>
    <tr><th>I кв.</th><th>II кв.</th><th>руб.</th></tr>
  </thead>
  <tbody>
    <tr><td>Бумага А4</td><td>120</td><td>95</td><td>215</td></tr>
    <tr><td rowspan="2">Картридж</td><td>14</td><td>18</td><td>32</td></tr>
    <tr><td>7</td><td>9</td><td>16</td></tr>
    <tr><td>Степлер<br/>большой</td><td colspan="2">нет данных</td><td>0</td></tr>
  </tbody>
</table>

<table><tr><th>Region</th><th>Sales</th></tr>
<tr><th>North</th><td>1,200</td></tr>
<tr><th>South</th><td>950</td></tr></table>
"""

TABLES_MD = """Table 2: Model comparison

| Model | Params | Accuracy |
|:------|-------:|:--------:|
| olmOCR | 7B | 82.4 |
| Marker | – | 70.1 |
| Tesseract | n/a | 41.9 |

Reordered copy (columns swapped):

Accuracy | Model
--- | ---
82.4 | olmOCR
70.1 | Marker
"""

TABLES_SPAN = """<table>
<tr><th>Отдел</th><th>Сотрудник</th><th colspan="2">Часы</th></tr>
<tr><th rowspan="3">Продажи</th><td>Иванов</td><td rowspan="2" colspan="2">40 / 38</td></tr>
<tr><td>Петрова</td><td>доп.</td></tr>
<tr><td>Сидоров</td><td>35</td><td>36</td></tr>
<tr><td rowspan="2">Склад</td><td>Козлов</td><td>20</td><td>22</td></tr>
<tr><td>Орлова</td><td>18</td><td>19</td></tr>
</table>
<table><tr><td>outer</td><td><table><tr><th>inner head</th></tr><tr><td>inner cell</td></tr></table></td></tr></table>
"""

GARBAGE = "Results of the survey are summarised below.\n\n" + "ha" * 80
GARBAGE_SHORT = "Итоги опроса приведены ниже. " + "ab" * 10
CJK = "Summary of results 結果の概要 😀 done"
BLANK = "![a photo of a mountain lake at dawn with long reflections](figure1.png)\n"
BROKEN_HTML = """<table><tr><td rowspan="x">A</td><td>B</td></tr><tr><td>C</td></table>"""
UNCLOSED_HTML = """<table><tr><th>Name<th>Value<tr><td>alpha<td>1<tr><td>beta<td>2</table>"""
CASE = "THE QUICK BROWN FOX jumps over the lazy dog. Быстрая Лиса."

PAGES: dict[str, str] = {
    "ru_letter": RU_LETTER,
    "en_article": EN_ARTICLE,
    "tables_html": TABLES_HTML,
    "tables_md": TABLES_MD,
    "tables_span": TABLES_SPAN,
    "garbage": GARBAGE,
    "garbage_short": GARBAGE_SHORT,
    "cjk": CJK,
    "blank": BLANK,
    "empty": "",
    "broken_html": BROKEN_HTML,
    "unclosed_html": UNCLOSED_HTML,
    "case": CASE,
}


def _t(page: str, number: int, kind: str, **fields: Any) -> dict[str, Any]:
    return {"pdf": f"docs/{page}.pdf", "page": 1, "id": f"{page}_{number:02d}", "type": kind, **fields}


TESTS: list[dict[str, Any]] = [
    # present / absent, normalisation, first_n / last_n, case
    _t("ru_letter", 1, "present", text="Служебная записка № 17", first_n=80),
    _t("ru_letter", 2, "present", text="Страница 1 из 3 - Конфиденциально", last_n=60),
    _t("ru_letter", 3, "absent", text="Страница 1 из 3", first_n=80),
    _t("ru_letter", 4, "present", text="Толщина покрытия 25 μm, допуск ± 2 μm."),
    _t("ru_letter", 5, "present", text='ООО "Ромашка"'),
    _t("ru_letter", 6, "present", text="ООО «Ромашка» - Служебная"),
    _t("ru_letter", 7, "present", text="тел. +7 (495) 123-45-67"),
    _t("ru_letter", 8, "present", text="Кому: директору по развитию"),
    _t("ru_letter", 9, "present", text="От: отдела закупок г. Москва"),
    _t("ru_letter", 10, "present", text="С уважением, отдел закупок"),
    _t(
        "ru_letter",
        11,
        "present",
        text="Просим согласовать закупку оборудования на сумму 1 250 000 руб. - срок",
    ),
    _t("ru_letter", 12, "present", text="Просим согласовать закупку оборудованя", max_diffs=1),
    _t("ru_letter", 13, "present", text="Просим сгласовать закупку обрудованя", max_diffs=2),
    _t("ru_letter", 14, "absent", text="Конфиденциально", first_n=50, last_n=10),
    _t("ru_letter", 15, "present", text="Уважаемый Иван Петрович!", first_n=40, last_n=40),
    _t("ru_letter", 16, "order", before="Уважаемый Иван Петрович", after="С уважением"),
    _t("ru_letter", 17, "order", before="С уважением", after="Уважаемый Иван Петрович"),
    _t("ru_letter", 18, "order", before="Уважаемый Иван Петрвич", after="С уваженим", max_diffs=1),
    _t("ru_letter", 19, "order", before="Служебная записка", after="Ответственный", max_diffs=2),
    _t("ru_letter", 20, "baseline"),
    _t("en_article", 1, "present", text='read "difficult" pages - faded scans', case_sensitive=False),
    _t("en_article", 2, "absent", text="Journal of Document Analysis", first_n=100),
    _t("en_article", 3, "absent", text="Page 7", last_n=20),
    _t("en_article", 4, "order", before="1 Introduction", after="2 Related Work"),
    _t("en_article", 5, "order", before="2 Related Work", after="1 Introduction"),
    _t("en_article", 6, "order", before="Optical character recognition", after="Page segmentation methods"),
    _t("en_article", 7, "present", text="Conclusion and future work"),
    _t("en_article", 8, "absent", text="Conclusion and future work"),
    _t("en_article", 9, "present", text="ROBUST PARSING OF SCANNED PAGES"),
    _t("en_article", 10, "present", text="ROBUST PARSING OF SCANNED PAGES", case_sensitive=False),
    _t(
        "en_article",
        11,
        "order",
        before="Early systems read one font",
        after="Page segmentatoin",
        max_diffs=2,
    ),
    # HTML tables
    _t("tables_html", 1, "table", cell="120", top_heading="I кв.", left_heading="Бумага А4"),
    _t("tables_html", 2, "table", cell="95", top_heading="2024", left="120", right="215"),
    _t("tables_html", 3, "table", cell="7", up="14", left_heading="Картридж"),
    _t("tables_html", 4, "table", cell="32", top_heading="Итого", down="16"),
    _t("tables_html", 5, "table", cell="Степлер большой", right="нет данных"),
    _t("tables_html", 6, "table", cell="0", left="нет данных"),
    _t("tables_html", 7, "table", cell="1,200", top_heading="Sales", left_heading="North"),
    _t("tables_html", 8, "table", cell="950", left_heading="North"),
    _t("tables_html", 9, "table", cell="215", top_heading="2024"),
    _t("tables_html", 10, "table", cell="Бумага А4", top_heading="Товар", down="Картридж"),
    _t("tables_html", 11, "table", cell="9", left="7", top_heading="II кв."),
    _t("tables_html", 12, "table", cell="Картридж", up="Бумага А4", right="14", ignore_markdown_tables=True),
    _t("tables_html", 13, "table", cell="Папка", left_heading="Товар"),
    _t("tables_html", 14, "table", cell="14", top_heading="I кв", left_heading="Картрдж", max_diffs=1),
    _t("tables_span", 1, "table", cell="Петрова", left_heading="Продажи", top_heading="Сотрудник"),
    _t("tables_span", 2, "table", cell="35", top_heading="Часы", left="Сидоров"),
    _t("tables_span", 3, "table", cell="36", top_heading="Часы", left_heading="Продажи"),
    _t("tables_span", 4, "table", cell="Орлова", left_heading="Склад", up="Козлов"),
    _t("tables_span", 5, "table", cell="18", left_heading="Склад"),
    _t("tables_span", 6, "table", cell="40 / 38", down="", right="", left="Иванов"),
    _t("tables_span", 7, "table", cell="Петрова", right="40 / 38"),
    _t("tables_span", 8, "table", cell="inner cell", top_heading="inner head"),
    _t("tables_span", 9, "table", cell="inner cell", left="outer"),
    _t("tables_span", 11, "table", cell="доп.", left="40 / 38"),
    _t("tables_span", 12, "table", cell="доп.", left=""),
    _t("tables_span", 10, "table", cell="22", left="20", top_heading="Часы", left_heading="Козлов"),
    # Markdown tables
    _t("tables_md", 1, "table", cell="82.4", top_heading="Accuracy", left_heading="olmOCR"),
    _t("tables_md", 2, "table", cell="7B", up="Params", down="-", left="olmOCR", right="82.4"),
    _t("tables_md", 3, "table", cell="olmOCR", left="82.4"),
    _t("tables_md", 4, "table", cell="Marker", top_heading="Model", left_heading="70.1"),
    _t("tables_md", 5, "table", cell="41.9", left="n/a", up="70.1"),
    _t("tables_md", 6, "table", cell="82.4", ignore_markdown_tables=True),
    _t("tables_md", 7, "table", cell="Tesseract", right="n/a", top_heading="Modle", max_diffs=1),
    _t("tables_md", 8, "order", before="Table 2", after="Reordered copy"),
    # baseline: repetition, blank pages, characters
    _t("garbage", 1, "baseline"),
    _t("garbage", 2, "baseline", max_repeats=100),
    _t("garbage", 3, "present", text="Results of the survey"),
    _t("garbage_short", 1, "baseline"),
    _t("garbage_short", 2, "baseline", max_repeats=5),
    _t("cjk", 1, "baseline"),
    _t("cjk", 2, "baseline", check_disallowed_characters=False),
    _t("blank", 1, "baseline", max_length=10),
    _t("blank", 2, "baseline", max_length=10, max_length_skips_image_alt_tags=True),
    _t("blank", 3, "baseline"),
    _t("empty", 1, "baseline"),
    _t("empty", 2, "baseline", max_length=0),
    _t("empty", 3, "present", text="anything"),
    _t("empty", 4, "absent", text="anything"),
    _t("empty", 5, "order", before="a b c", after="d e f"),
    _t("empty", 6, "table", cell="x"),
    # broken HTML
    _t("broken_html", 1, "table", cell="B"),
    _t("unclosed_html", 1, "table", cell="1", left="alpha", top_heading="Value"),
    _t("unclosed_html", 2, "table", cell="beta", up="alpha"),
    # case sensitivity
    _t("case", 1, "present", text="the quick brown fox"),
    _t("case", 2, "present", text="the quick brown fox", case_sensitive=False),
    _t("case", 3, "absent", text="быстрая лиса", case_sensitive=False),
    _t("case", 4, "absent", text="быстрая лиса"),
    # invalid tests: the official loader refuses them
    _t("case", 5, "present", text="  "),
    _t("case", 6, "order", before="ab", after="cd", max_diffs=2),
    _t("case", 7, "present", text="x", max_diffs=-1),
    _t("case", 8, "present", text="fox", colour="red"),
    _t("case", 9, "checkbox", text="fox"),
    {"pdf": "docs/case.pdf", "page": 1, "id": "case_10", "type": "order", "before": "fox"},
]


def run_checks() -> list[dict[str, Any]]:
    from olmocr.bench.tests import load_single_test

    out = []
    for test in TESTS:
        page = PAGES[Path(test["pdf"]).stem]
        try:
            loaded = load_single_test(dict(test))
        except Exception as exc:  # noqa: BLE001 — record what the loader says
            out.append({"id": test["id"], "invalid": f"{type(exc).__name__}: {exc}"})
            continue
        try:
            passed, explanation = loaded.run(page)
        except Exception as exc:  # noqa: BLE001 — the runner records it as a failure
            passed, explanation = False, str(exc)
        out.append({"id": test["id"], "passed": bool(passed), "explanation": explanation})
    return out


# Several generations of some pages, for the benchmark run: test ratio 2/3 passes, 1/3 fails.
REPEATS: dict[str, list[str]] = {
    "en_article": [EN_ARTICLE, EN_ARTICLE.replace("2 Related Work", "Related"), EN_ARTICLE],
    "ru_letter": [
        RU_LETTER,
        RU_LETTER.replace("С уважением", "До свидания"),
        RU_LETTER.replace("Уважаемый", ""),
    ],
}
BENCH_FILES = {
    "letters": [
        t for t in TESTS if t["pdf"] in ("docs/ru_letter.pdf", "docs/case.pdf") and "colour" not in t
    ],
    "layout": [
        t for t in TESTS if t["pdf"] in ("docs/en_article.pdf", "docs/tables_html.pdf", "docs/tables_md.pdf")
    ],
}
_LINE = re.compile(r"^\s{8}(\S+)\s*: [\d.]+% \((\d+)/(\d+) tests\)$")


def run_benchmark() -> dict[str, Any]:
    from pypdf import PdfWriter

    valid = {c["id"] for c in run_checks() if "invalid" not in c}
    files = {name: [t for t in tests if t["id"] in valid] for name, tests in BENCH_FILES.items()}
    pdfs = sorted({t["pdf"] for tests in files.values() for t in tests} | {"docs/garbage.pdf"})
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, tests in files.items():
            (root / f"{name}.jsonl").write_text(
                "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in tests)
            )
        for pdf in pdfs:
            path = root / "pdfs" / pdf
            path.parent.mkdir(parents=True, exist_ok=True)
            writer = PdfWriter()
            writer.add_blank_page(width=595, height=842)
            with path.open("wb") as handle:
                writer.write(handle)
            stem = Path(pdf).stem
            for k, text in enumerate(REPEATS.get(stem, [PAGES[stem]]), start=1):
                md = root / "candidate" / Path(pdf).parent / f"{stem}_pg1_repeat{k}.md"
                md.parent.mkdir(parents=True, exist_ok=True)
                md.write_text(text, encoding="utf-8")
        capture = root / "ci.json"
        script = f"""
import json, sys, numpy as np
import olmocr.bench.benchmark as b
original = b.calculate_bootstrap_ci
def wrapped(scores, n_bootstrap, ci_level, splits):
    np.random.seed(0)
    lo, hi = original(scores, n_bootstrap=n_bootstrap, ci_level=ci_level, splits=splits)
    json.dump({{"scores": scores, "splits": splits, "n_bootstrap": n_bootstrap, "ci": [float(lo), float(hi)]}},
              open({str(capture)!r}, "w"))
    return lo, hi
b.calculate_bootstrap_ci = wrapped
sys.argv = ["benchmark", "--dir", {str(root)!r}]
b.main()
"""
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
        per_file = {
            m[1]: [int(m[2]), int(m[3])] for line in run.stdout.splitlines() if (m := _LINE.match(line))
        }
        ci = json.loads(capture.read_text())
    return {
        "files": files,
        "pdfs": pdfs,
        "repeats": {stem: texts for stem, texts in REPEATS.items()},
        "per_file": per_file,
        "bootstrap": ci,
        "seed": 0,
    }


def main() -> None:
    assert version("olmocr") == OLMOCR_VERSION, f"needs olmocr=={OLMOCR_VERSION}, found {version('olmocr')}"
    golden = {
        "made_with": f"olmocr=={OLMOCR_VERSION} (olmocr.bench.tests, olmocr.bench.benchmark)",
        "pages": PAGES,
        "tests": TESTS,
        "checks": run_checks(),
        "benchmark": run_benchmark(),
    }
    (HERE / "olmocr_bench.json").write_text(
        json.dumps(golden, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
