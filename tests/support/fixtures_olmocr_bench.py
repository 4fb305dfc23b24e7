"""A tiny olmOCR-bench download (``bench_data/*.jsonl`` + ``bench_data/pdfs/``), written at test time.

Two test files as the official ones are laid out (one category folder each), one test
of every type, Cyrillic text, a PDF that no test names (it gets only the baseline test
olmOCR-bench adds) and a two-page PDF tested on page 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .fixtures_kie import write_pdf

PAGE_TEXTS = {
    "arxiv_math/2503.00001_pg1.pdf": ["E = mc^2"],
    "headers_footers/report_pg3.pdf": ["Отчёт 2024", "Page two"],
    "old_scans/untested.pdf": ["UNTESTED"],
}

ARXIV_TESTS: list[dict[str, Any]] = [
    {
        "pdf": "arxiv_math/2503.00001_pg1.pdf",
        "page": 1,
        "id": "arxiv_math_00",
        "type": "math",
        "math": "E = mc^2",
    },
    {
        "pdf": "arxiv_math/2503.00001_pg1.pdf",
        "page": 1,
        "id": "arxiv_math_01",
        "type": "present",
        "text": "Energy",
    },
    {
        "pdf": "arxiv_math/2503.00001_pg1.pdf",
        "page": 1,
        "id": "arxiv_math_02",
        "type": "order",
        "before": "Energy",
        "after": "mass",
        "max_diffs": 0,
    },
]
HEADERS_TESTS: list[dict[str, Any]] = [
    {
        "pdf": "headers_footers/report_pg3.pdf",
        "page": 2,
        "id": "hf_00",
        "type": "absent",
        "text": "Страница 2",
        "max_diffs": 0,
        "first_n": 100,
    },
    {
        "pdf": "headers_footers/report_pg3.pdf",
        "page": 2,
        "id": "hf_01",
        "type": "table",
        "cell": "Итого",
        "up": "Сумма",
    },
    {
        "pdf": "headers_footers/report_pg3.pdf",
        "page": 1,
        "id": "hf_02",
        "type": "baseline",
        "max_repeats": 30,
    },
]


def write_bench(
    root: Path,
    extra_lines: dict[str, list[str]] | None = None,
    tests: dict[str, list[dict[str, Any]]] | None = None,
) -> Path:
    """``root/bench_data`` with ``arxiv_math.jsonl`` and ``headers_footers.jsonl``.

    ``extra_lines`` appends raw lines to a file (by stem); ``tests`` replaces a file's tests.
    """
    bench = root / "bench_data"
    for pdf, texts in PAGE_TEXTS.items():
        write_pdf(bench / "pdfs" / pdf, texts, size=(200, 100))
    files = {"arxiv_math": ARXIV_TESTS, "headers_footers": HEADERS_TESTS, **(tests or {})}
    for stem, rows in files.items():
        lines = [json.dumps(r, ensure_ascii=False) for r in rows] + list((extra_lines or {}).get(stem, []))
        (bench / f"{stem}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return bench
