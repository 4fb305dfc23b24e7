"""Time the page-parsing scorers against the official evaluators on the same 1,000 pages.

Not a test. Generates, seeded, ``--pages`` pages (default 1,000) in each benchmark's own layout

- OmniDocBench: ``OmniDocBench.json`` (English and Cyrillic text blocks, titles, headers,
  footers, page numbers, display formulas, HTML tables with rowspan/colspan, ``truncated``
  relations) with a tiny PNG per page in ``images/``, and ``preds/<image stem>.md``, each
  the page as a parser would write it, with typical errors: typos, missing, extra, split and
  swapped blocks, tables as pipe tables, with reordered columns, changed cells or broken
  HTML, formulas as ``\\[..\\]`` or with typos, a few empty pages;
- olmOCR-bench: ``bench_data/<file>.jsonl`` (about five tests a page: ``present``,
  ``absent``, ``order``, ``table``, ``baseline``; no ``math``, which needs the browser),
  blank one-page PDFs in ``bench_data/pdfs/<file>/`` (pypdfium2) and the candidate folder
  ``bench_data/candidate/<file>/<doc>_pg1_repeat<k>.md`` (a fifth of the pages with three
  repeats),

then times, as whole processes, median of ``--repeats`` runs:

- (a) OmniDocBench's evaluator (opendatalab/OmniDocBench@7bd6c2e ``pdf_validation.py``,
  end2end config with ``quick_match``, run as ``tests/data/golden/omnidocbench/
  make_omnidocbench.py`` runs it, given ``--omnidoc-official DIR --omnidoc-python PY``)
  against ours: the metric alone (``evaluate_page`` over every page, and, in another
  process, the six ``omnidoc_*`` metrics as the evaluation stage calls them) and the whole
  ``vlmhb evaluate --benchmark omnidocbench --answers-dir`` command, with the import into
  the cache (cold) and without it (warm);
- (b) ``python -m olmocr.bench.benchmark`` (olmocr 0.4.27, given ``--olmocr-python PY``)
  against our ``olmocr_bench`` metric alone and ``vlmhb evaluate --benchmark olmocr_bench
  --answers-dir`` (cold: the import renders every PDF page; warm);
- (c) with ``--math-pages N``: a separate olmOCR-bench folder of N pages with two ``math``
  tests each (KaTeX in headless Chromium on both sides, ``--chromium``; the official one's
  browser launch is pointed at it and its equation cache moved to a new file per run, as
  ``tests/data/golden/olmocr_bench/math/make_math.py`` does), timed apart. CPU seconds do
  not count the browser processes there.

Wall seconds come from ``time.perf_counter`` around each process; CPU seconds from
``getrusage(RUSAGE_CHILDREN)`` (the process and the children it waited for).

It also checks that the figures agree: OmniDocBench's page values and its pooled (``ALL``)
and page-averaged figures against ours; olmOCR-bench's pass/fail per test, per test file and
overall against ours. Every difference is printed. An official evaluator that is not given
is skipped with a message.

    python benchmarks/bench_parse_eval.py --omnidoc-official <OmniDocBench checkout> \\
        --omnidoc-python <its venv>/bin/python --olmocr-python <olmocr venv>/bin/python \\
        --math-pages 100 --out docs/figures/bench_parse_eval.json
    python benchmarks/bench_parse_eval.py --pages 100 --repeats 1     # a quick look, ours only
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

OMNIDOC_COMMIT = "7bd6c2ebdb7676e6fd251b0e695e15e09cf3ab5d"
VLMHB = [sys.executable, "-m", "vlmhyperbench"]
EN = (
    "the of page parsing document table formula model result average layout column header text block "
    "reading order score matching report annual revenue growth method data sample value quick brown fox"
).split()
RU = (
    "договор поставка счёт оплата товар сумма исполнитель заказчик работы срок год рубль таблица итого "
    "страница раздел пункт акт подпись общество ответственность расчёт банк период отчёт"
).split()
FORMULAS = (
    r"\frac{a+b}{c} = \sum_{i=1}^{n} x_i^2",
    r"E = m c^{2}",
    r"\int_0^1 f(x)\, dx = F(1) - F(0)",
    r"S = \sum_{k=1}^{N} p_k q_k",
    r"\alpha + \beta_{j} \leq \gamma",
    r"\mathbf{v} \cdot \mathbf{w} = \| v \| \| w \| \cos \theta",
    r"\begin{array}{l} a = b + c \\ d = e - f \end{array}",
    r"x_{1,2} = \frac{-b \pm \sqrt{b^2 - 4ac}}{2a}",
)
SOURCES = ("book", "research_report", "academic_literature", "magazine", "exam_paper", "note", "newspaper")
LAYOUTS = ("single_column", "double_column", "three_column", "other_layout")
OLMOCR_FILES = ("headers_footers", "multi_column", "table_tests", "old_scans")

Cell = list  # [text, colspan, rowspan]


# --------------------------------------------------------------------------- content


def sentence(rng: random.Random, ru: bool, words: tuple[int, int] = (8, 24)) -> str:
    pool = RU if ru else EN
    text = " ".join(rng.choice(pool) for _ in range(rng.randint(*words)))
    if rng.random() < 0.1:
        text += f" ${rng.choice(('x_i', 'a^2', 'n'))}$ " + " ".join(rng.choice(pool) for _ in range(3))
    return text[0].upper() + text[1:] + rng.choice((".", ".", ";", ":", " 2024."))


def heading(rng: random.Random, ru: bool) -> str:
    return " ".join(rng.choice(RU if ru else EN) for _ in range(rng.randint(2, 6))).capitalize()


def typo(rng: random.Random, text: str, most: int = 4) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, most)):
        if not chars:
            break
        i = rng.randrange(len(chars))
        roll = rng.random()
        if roll < 0.4:
            chars[i] = rng.choice("abcxyzабвгд ")
        elif roll < 0.7:
            del chars[i]
        else:
            chars.insert(i, rng.choice("eoа,."))
    return "".join(chars)


def table_grid(rng: random.Random, ru: bool) -> list[list[Cell]]:
    """Rows of [text, colspan, rowspan]: a spanned two-row header, numbers, a rowspan."""
    cols = rng.randint(3, 5)
    word = lambda: rng.choice(RU if ru else EN).capitalize()  # noqa: E731
    grid: list[list[Cell]] = []
    if rng.random() < 0.5:
        grid.append([[word(), 1, 2], [f"{rng.randint(2019, 2025)}", cols - 1, 1]])
        grid.append([[f"Q{k + 1}", 1, 1] for k in range(cols - 1)])
    else:
        grid.append([[word(), 1, 1] for _ in range(cols)])
    rows = rng.randint(2, 6)
    spanned = rng.randrange(rows) if rng.random() < 0.4 and rows > 2 else -1
    for r in range(rows):
        row: list[Cell] = []
        if r != spanned + 1 or spanned < 0:
            row.append([word() + (" " + word() if rng.random() < 0.3 else ""), 1, 2 if r == spanned else 1])
        row += [[f"{rng.uniform(0, 999):.{rng.randint(0, 2)}f}".replace(".", "," if ru else "."), 1, 1]
                for _ in range(cols - 1)]  # fmt: skip
        grid.append(row)
    return grid


def html(grid: list[list[Cell]]) -> str:
    rows = []
    for row in grid:
        cells = "".join(
            "<td" + (f' colspan="{c}"' if c > 1 else "") + (f' rowspan="{r}"' if r > 1 else "") + f">{t}</td>"
            for t, c, r in row
        )
        rows.append(f"<tr>{cells}</tr>")
    return "<table>" + "".join(rows) + "</table>"


def pipe(grid: list[list[Cell]]) -> str:
    """A pipe table as a parser writes one: spans flattened, cells repeated or left out."""
    lines = []
    for k, row in enumerate(grid):
        cells = [t for t, c, _ in row for _ in range(c)]
        lines.append("| " + " | ".join(cells) + " |")
        if k == 0:
            lines.append("|" + "---|" * len(cells))
    return "\n".join(lines)


def predicted_table(rng: random.Random, grid: list[list[Cell]]) -> str | None:
    roll = rng.random()
    if roll < 0.05:
        return None
    if roll < 0.55:
        return html(grid)
    if roll < 0.7:
        changed = [[list(c) for c in row] for row in grid]
        row = rng.choice(changed)
        cell = rng.choice(row)
        cell[0] = typo(rng, cell[0], 2)
        return html(changed)
    if roll < 0.85:
        return pipe(grid)
    if roll < 0.93:
        swapped = [[list(c) for c in row] for row in grid]
        for row in swapped[-3:]:
            if len(row) > 2:
                row[1], row[2] = row[2], row[1]
        return html(swapped)
    return html(grid).replace("</table>", "").replace("</tr><tr>", "<tr>", 1)  # broken HTML


# --------------------------------------------------------------------------- OmniDocBench


def omnidoc_page(rng: random.Random, number: int) -> tuple[dict[str, Any], str]:
    """(page object as in OmniDocBench.json, predicted Markdown)."""
    ru = rng.random() < 0.5
    items: list[tuple[str, str, Any]] = []  # (category, field, value)
    if rng.random() < 0.3:
        items.append(("header", "text", sentence(rng, ru, (3, 6))))
    if rng.random() < 0.6:
        items.append(("title", "text", heading(rng, ru)))
    for _ in range(rng.randint(2, 5)):
        items.append(("text_block", "text", sentence(rng, ru)))
        if rng.random() < 0.25:
            items.append(("equation_isolated", "latex", rng.choice(FORMULAS)))
        if rng.random() < 0.2:
            items.append(("table", "html", table_grid(rng, ru)))
    if rng.random() < 0.3:
        items.append(("footer", "text", sentence(rng, ru, (3, 6))))
    if rng.random() < 0.3:
        items.append(("page_number", "text", str(rng.randint(1, 300))))
    dets, relations = [], []
    for anno_id, (category, key, value) in enumerate(items):
        det: dict[str, Any] = {"category_type": category, "poly": [0, 0, 10, 0, 10, 10, 0, 10],
                               "ignore": False, "order": anno_id + 1, "anno_id": anno_id, "attribute": {}}  # fmt: skip
        if category == "table":
            det["html"] = html(value)
            det["latex"] = "\\begin{tabular}{ll} a & b \\\\ \\end{tabular}"
        elif category == "equation_isolated":
            det["latex"] = rng.choice(("$$ %s $$", "$$\n%s\n$$", "%s")) % value
        else:
            det[key] = value
        dets.append(det)
        before = items[anno_id - 1][0] if anno_id else ""
        if category == before == "text_block" and rng.random() < 0.3:
            relations.append(
                {"source_anno_id": anno_id - 1, "target_anno_id": anno_id, "relation_type": "truncated"}
            )
    blocks: list[str] = []
    for category, _, value in items:
        if category in ("header", "footer", "page_number") and rng.random() < 0.5:
            continue
        if category == "table":
            table = predicted_table(rng, value)
            if table is not None:
                blocks.append(table)
        elif category == "equation_isolated":
            if rng.random() < 0.05:
                continue
            latex = typo(rng, value, 2) if rng.random() < 0.3 else value
            blocks.append(rng.choice(("$$%s$$", "$$\n%s\n$$", "\\[%s\\]", "$$ %s $$")) % latex)
        else:
            if rng.random() < 0.08:
                continue
            text = typo(rng, value) if rng.random() < 0.4 else value
            if category == "title":
                text = "# " + text
            if rng.random() < 0.05 and " " in text:
                cut = text.index(" ", len(text) // 2) if " " in text[len(text) // 2 :] else text.index(" ")
                blocks.extend((text[:cut], text[cut + 1 :]))
            else:
                blocks.append(text)
        if rng.random() < 0.05:
            blocks.append(sentence(rng, rng.random() < 0.5, (4, 12)))  # hallucinated
    if rng.random() < 0.03:
        blocks.append(html(table_grid(rng, ru)))  # an extra table
    if len(blocks) > 1 and rng.random() < 0.2:
        i = rng.randrange(len(blocks) - 1)
        blocks[i], blocks[i + 1] = blocks[i + 1], blocks[i]
    markdown = "" if rng.random() < 0.02 else "\n\n".join(blocks) + "\n"
    stem = f"page_{number:04d}"
    issues = [i for i in ("watermark", "fuzzy_scan", "colorful_backgroud") if rng.random() < 0.15]
    attrs = {"data_source": rng.choice(SOURCES), "language": "russian" if ru else "english",
             "layout": rng.choice(LAYOUTS), "special_issue": issues}  # fmt: skip
    info = {
        "page_attribute": attrs,
        "page_no": number,
        "height": 1000,
        "width": 800,
        "image_path": f"{stem}.png",
    }
    return {"layout_dets": dets, "page_info": info, "extra": {"relation": relations}}, markdown


def tiny_png(number: int) -> bytes:
    """A valid 1x1 PNG, distinct per page (our import verifies and hashes images; neither
    evaluator reads the pixels)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"tEXt", b"page\x00" + str(number).encode())
            + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))  # fmt: skip


def write_omnidoc(root: Path, pages: int, seed: int) -> tuple[Path, Path]:
    """(benchmark folder, predictions folder)."""
    rng = random.Random(seed)
    bench, preds = root / "OmniDocBench", root / "preds"
    (bench / "images").mkdir(parents=True)
    preds.mkdir()
    objects = []
    for number in range(pages):
        page, markdown = omnidoc_page(rng, number)
        objects.append(page)
        stem = page["page_info"]["image_path"][:-4]
        (bench / "images" / f"{stem}.png").write_bytes(tiny_png(number))
        (preds / f"{stem}.md").write_text(markdown, "utf-8")
    (bench / "OmniDocBench.json").write_text(json.dumps(objects, ensure_ascii=False), "utf-8")
    return bench, preds


# --------------------------------------------------------------------------- olmOCR-bench


def phrase(rng: random.Random, text: str, words: tuple[int, int]) -> str:
    parts = text.rstrip(".;:").split()
    size = min(rng.randint(*words), len(parts))
    start = rng.randrange(len(parts) - size + 1)
    return " ".join(parts[start : start + size])


def expanded(grid: list[list[Cell]]) -> list[list[str]]:
    """The grid with spanned cells repeated over the slots they cover."""
    out: dict[tuple[int, int], str] = {}
    for r, row in enumerate(grid):
        c = 0
        for text, colspan, rowspan in row:
            while (r, c) in out:
                c += 1
            for dr in range(rowspan):
                for dc in range(colspan):
                    out[(r + dr, c + dc)] = text
            c += colspan
    rows = 1 + max(r for r, _ in out)
    cols = 1 + max(c for _, c in out)
    return [[out.get((r, c), "") for c in range(cols)] for r in range(rows)]


def olmocr_page(rng: random.Random, number: int, name: str) -> tuple[str, list[dict[str, Any]], list[str]]:
    """(pdf path under pdfs/, tests, Markdown repeats) of one page."""
    ru = rng.random() < 0.5
    pdf = f"{name}/doc_{number:04d}.pdf"
    header = sentence(rng, ru, (3, 6))
    title = heading(rng, ru)
    paragraphs = [sentence(rng, ru) + " " + sentence(rng, ru) for _ in range(rng.randint(3, 5))]
    grid = table_grid(rng, ru) if name == "table_tests" or rng.random() < 0.3 else None
    footer = f"{'Страница' if ru else 'Page'} {number + 1}"
    tests: list[dict[str, Any]] = []

    def test(kind: str, **fields: Any) -> None:
        tests.append(
            {"pdf": pdf, "page": 1, "id": f"{name}_{number:04d}_{len(tests):02d}", "type": kind, **fields}
        )

    for _ in range(rng.randint(1, 2)):
        extra: dict[str, Any] = {}
        if rng.random() < 0.3:
            extra["max_diffs"] = rng.randint(1, 2)
        if rng.random() < 0.2:
            extra["case_sensitive"] = False
        test("present", text=phrase(rng, rng.choice(paragraphs), (4, 8)), **extra)
    if rng.random() < 0.6:
        test("absent", text=rng.choice((header, footer)), **({"first_n": 200} if rng.random() < 0.3 else {}))
    else:
        test("absent", text=sentence(rng, ru, (3, 5)).rstrip(".;:"))
    i, j = sorted(rng.sample(range(len(paragraphs)), 2))
    test("order", before=phrase(rng, paragraphs[i], (3, 6)), after=phrase(rng, paragraphs[j], (3, 6)),
         **({"max_diffs": 1} if rng.random() < 0.3 else {}))  # fmt: skip
    if grid is not None:
        cells = expanded(grid)
        heads = 2 if len(grid[0]) < len(cells[0]) else 1
        for _ in range(rng.randint(1, 3)):
            r, c = rng.randrange(heads, len(cells)), rng.randrange(1, len(cells[0]))
            extra = {}
            for key, (dr, dc) in (("left", (0, -1)), ("up", (-1, 0)), ("right", (0, 1)), ("down", (1, 0))):
                if 0 <= r + dr < len(cells) and 0 <= c + dc < len(cells[0]) and rng.random() < 0.3:
                    extra[key] = cells[r + dr][c + dc]
            if rng.random() < 0.4:
                extra["top_heading"] = cells[heads - 1][c]
            if rng.random() < 0.4:
                extra["left_heading"] = cells[r][0]
            test("table", cell=cells[r][c], **extra)
    if rng.random() < 0.3:
        test("baseline", **({"max_repeats": 30} if rng.random() < 0.5 else {}))
    repeats = [olmocr_markdown(rng, header, title, paragraphs, grid, footer)
               for _ in range(3 if rng.random() < 0.2 else 1)]  # fmt: skip
    return pdf, tests, repeats


def olmocr_markdown(
    rng: random.Random,
    header: str,
    title: str,
    paragraphs: list[str],
    grid: list[list[Cell]] | None,
    footer: str,
) -> str:
    roll = rng.random()
    if roll < 0.01:
        return ""
    blocks = [header] if rng.random() < 0.5 else []
    blocks.append(f"# {title}")
    for text in paragraphs:
        if rng.random() < 0.08:
            continue
        blocks.append(typo(rng, text) if rng.random() < 0.3 else text)
    if grid is not None:
        table = predicted_table(rng, grid)
        if table is not None:
            blocks.insert(rng.randint(2, len(blocks)), table)
    if len(blocks) > 2 and rng.random() < 0.15:
        i = rng.randrange(1, len(blocks) - 1)
        blocks[i], blocks[i + 1] = blocks[i + 1], blocks[i]
    if rng.random() < 0.5:
        blocks.append(footer)
    text = "\n\n".join(blocks) + "\n"
    if roll > 0.98:
        text += "ha" * 120
    elif roll > 0.97:
        text += "結果 😀"
    return text


def write_olmocr(root: Path, pages: int, seed: int) -> tuple[Path, Path]:
    """(bench_data folder, candidate folder inside it)."""
    import pypdfium2 as pdfium

    rng = random.Random(seed)
    bench = root / "bench_data"
    candidate = bench / "candidate"
    document = pdfium.PdfDocument.new()
    document.new_page(595, 842)
    blank = bench / "blank.pdf"
    bench.mkdir(parents=True)
    document.save(blank)
    files: dict[str, list[str]] = {name: [] for name in OLMOCR_FILES}
    for number in range(pages):
        name = OLMOCR_FILES[number % len(OLMOCR_FILES)]
        pdf, tests, repeats = olmocr_page(rng, number, name)
        files[name] += [json.dumps(t, ensure_ascii=False) + "\n" for t in tests]
        target = bench / "pdfs" / pdf
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(blank, target)
        for k, text in enumerate(repeats, start=1):
            md = candidate / f"{pdf[:-4]}_pg1_repeat{k}.md"
            md.parent.mkdir(parents=True, exist_ok=True)
            md.write_text(text, "utf-8")
    blank.unlink()
    for name, lines in files.items():
        (bench / f"{name}.jsonl").write_text("".join(lines), "utf-8")
    return bench, candidate


# --------------------------------------------------------------------------- timing


def run(
    cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, float, str]:
    """(wall s, CPU s of the process and its children, stdout) of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        sys.exit(f"failed ({done.returncode}): {' '.join(cmd)[:300]}\n{done.stderr[-4000:]}")
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, done.stdout


def timed(
    label: str, pages: int, repeats: int, once: Callable[[int], tuple[float, float, str]]
) -> dict[str, Any]:
    """Median wall and CPU seconds of ``repeats`` runs of ``once(k)``; the last run's stdout."""
    walls, cpus, out = [], [], ""
    for k in range(repeats):
        wall, cpu, out = once(k)
        walls.append(wall)
        cpus.append(cpu)
    wall = statistics.median(walls)
    print(f"  {label:<46} {wall:8.2f} s wall ({min(walls):.2f}-{max(walls):.2f}), "
          f"{statistics.median(cpus):7.2f} s CPU, {pages / wall:7.1f} pages/s", flush=True)  # fmt: skip
    return {
        "wall_s": wall,
        "walls": walls,
        "cpu_s": statistics.median(cpus),
        "pages_per_s": pages / wall,
        "stdout": out,
    }


def cache_env(cache: Path) -> dict[str, str]:
    return {**os.environ, "VLMHB_CACHE_DIR": str(cache), "PYTHONHASHSEED": "0"}


def vlmhb_evaluate(
    work: Path, benchmark: str, dataset: Path, answers: Path, repeats: int, pages: int, label: str
) -> dict[str, Any]:
    """The whole command, cold (a new cache: the import runs) and warm (the import cached)."""
    out: dict[str, Any] = {}

    def once(cold: bool) -> Callable[[int], tuple[float, float, str]]:
        def go(k: int) -> tuple[float, float, str]:
            cache = work / f"cache-{benchmark}-{k if cold else 0}"  # warm: the first cold run's cache
            target = work / f"out-{benchmark}-{'cold' if cold else 'warm'}-{k}"
            cmd = [*VLMHB, "evaluate", "--benchmark", benchmark, "--dataset", str(dataset),
                   "--answers-dir", str(answers), "--out", str(target)]  # fmt: skip
            result = run(cmd, env=cache_env(cache))
            out["run_folder"] = target
            if cold:
                report = next(cache.glob("datasets/*/import.json"))
                out.setdefault("import_s", []).append(json.loads(report.read_text("utf-8"))["seconds"])
            return result

        return go

    out["cold"] = timed(f"ours: vlmhb evaluate {label}, cold cache", pages, repeats, once(True))
    out["warm"] = timed(f"ours: vlmhb evaluate {label}, warm cache", pages, repeats, once(False))
    out["import_s"] = statistics.median(out["import_s"])
    print(f"  {'  of which the import (median, import.json)':<46} {out['import_s']:8.2f} s", flush=True)
    return out


# --------------------------------------------------------------------------- OmniDocBench runs

OMNIDOC_CONFIG = """end2end_eval:
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
OMNIDOC_RUNNER = """
import json, runpy, sys, time, types
started = time.perf_counter()
sys.path.insert(0, %r)
for name in ("evaluate", "mmeval"):  # BLEU/METEOR and detection: imported, never called end to end
    stub = types.ModuleType(name)
    stub.COCODetection = object
    sys.modules[name] = stub
cdm = types.ModuleType("metrics.cdm_metric")  # CDM needs LaTeX and ImageMagick
cdm.CDM = object
sys.modules["metrics.cdm_metric"] = cdm
import dataset, metrics, task
imported = time.perf_counter()
sys.argv = ["pdf_validation.py", "--config", %r]
runpy.run_path(%r, run_name="__main__")
print(json.dumps({"import_s": imported - started, "eval_s": time.perf_counter() - imported}))
"""
# metric: (official element, official per-page key, official metric, pooled key)
OMNIDOC_METRICS = {
    "omnidoc_text_edit": ("text_block", "text_block_edit", "Edit_dist", "edit_whole"),
    "omnidoc_formula_edit": ("display_formula", "display_formula_edit", "Edit_dist", "edit_whole"),
    "omnidoc_table_edit": ("table", "table_edit", "Edit_dist", "edit_whole"),
    "omnidoc_reading_order": ("reading_order", "reading_order_edit", "Edit_dist", "edit_whole"),
    "omnidoc_table_teds": ("table", "TEDS", "TEDS", "all"),
    "omnidoc_table_teds_s": ("table", "TEDS_structure_only", "TEDS_structure_only", "all"),
}
OMNIDOC_CHILD = """
import json, sys, time
started = time.perf_counter()
from pathlib import Path
from vlmhyperbench.core import Sample
from vlmhyperbench.metrics import build_metric
from vlmhyperbench.metrics._omnidoc_page import evaluate_page
imported = time.perf_counter()
pages = json.loads(Path(sys.argv[1]).read_text("utf-8"))
stems = [page["page_info"]["image_path"][:-4] for page in pages]
answers = [(Path(sys.argv[2]) / f"{stem}.md").read_text("utf-8") for stem in stems]
samples = [Sample(id=stem, images=(Path(f"/images/{stem}.png"),), task="parse",
                  metadata={"omnidocbench": page, "page_attribute": page["page_info"]["page_attribute"]})
           for stem, page in zip(stems, pages)]
loaded = time.perf_counter()
figures = {}
if sys.argv[3] == "evaluate_page":  # the matching and scoring of each page, once
    for page, answer in zip(pages, answers):
        evaluate_page(page, answer)
else:  # the six metrics as the evaluation stage calls them (they share one matching per page)
    for name in json.loads(sys.argv[3]):
        metric = build_metric(name)
        scores = metric.score_batch(answers, samples)
        valid = [s for s in scores if s.value is not None]
        figures[name] = {"pooled": metric.corpus(valid).value, "page_avg": sum(s.value for s in valid) / len(valid),
                         "pages": {sample.id: s.value for sample, s in zip(samples, scores)},
                         "invalid": sum(1 for s in scores if s.invalid)}
done = time.perf_counter()
print(json.dumps({"import_s": imported - started, "read_s": loaded - imported, "score_s": done - loaded,
                  "figures": figures}))
"""


def official_omnidoc_figures(result: Path) -> dict[str, Any]:
    """Pooled, page-averaged and per-page figures from the official result folder."""
    save = "preds_quick_match"
    summary = json.loads((result / f"{save}_metric_result.json").read_text("utf-8"))
    per_page: dict[str, dict[str, float | None]] = {}
    for element in ("text_block", "display_formula", "table", "reading_order"):
        path = result / f"{save}_{element}_per_page_edit.json"
        for image, value in (json.loads(path.read_text("utf-8")) if path.exists() else {}).items():
            number = None if isinstance(value, float) and value != value else value
            per_page.setdefault(f"{element}_edit", {})[image[:-4]] = number
    tables = json.loads((result / f"{save}_table_result.json").read_text("utf-8"))
    for key in ("TEDS", "TEDS_structure_only"):
        scores: dict[str, list[float]] = {}
        for sample in tables:
            scores.setdefault(sample["img_id"][:-4], []).append(sample["metric"][key])
        per_page[key] = {stem: sum(v) / len(v) for stem, v in scores.items()}
    out = {}
    for name, (element, page_key, metric_key, pooled_key) in OMNIDOC_METRICS.items():
        out[name] = {"pooled": summary[element]["all"][metric_key][pooled_key],
                     "page_avg": summary[element]["page"][metric_key]["ALL"], "pages": per_page.get(page_key, {})}  # fmt: skip
    return out


def compare_omnidoc(
    ours: dict[str, Any], official: dict[str, Any], tolerance: float = 1e-6
) -> dict[str, Any]:
    """Differences between our figures and the official ones (printed)."""
    out: dict[str, Any] = {}
    for name in OMNIDOC_METRICS:
        mine, theirs = ours[name], official[name]
        pages = [(stem, value, mine["pages"].get(stem)) for stem, value in theirs["pages"].items()]
        wrong = [(stem, a, b) for stem, a, b in pages if (a is None) != (b is None) or
                 (a is not None and b is not None and abs(a - b) > tolerance)]  # fmt: skip
        extra = [s for s, v in mine["pages"].items() if v is not None and s not in theirs["pages"]]
        row = {"pooled": [mine["pooled"], theirs["pooled"]], "page_avg": [mine["page_avg"], theirs["page_avg"]],
               "pages_compared": len(pages), "pages_differing": len(wrong) + len(extra),
               "examples": [f"{s}: ours {b}, official {a}" for s, a, b in wrong[:5]] + [f"{s}: ours only" for s in extra[:5]]}  # fmt: skip
        same = (
            abs(row["pooled"][0] - row["pooled"][1]) <= tolerance
            and abs(row["page_avg"][0] - row["page_avg"][1]) <= tolerance
        )
        print(f"  {name:<22} pooled {mine['pooled']:.6f} / official {theirs['pooled']:.6f}; page-avg "
              f"{mine['page_avg']:.6f} / {theirs['page_avg']:.6f}; {len(pages)} pages, "
              f"{row['pages_differing']} differ {'OK' if same and not row['pages_differing'] else 'DIFFERENT'}")  # fmt: skip
        for example in row["examples"]:
            print(f"      {example}")
        out[name] = row
    return out


def bench_omnidoc(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    bench, preds = write_omnidoc(work / "omnidoc", args.pages, args.seed)
    gt = bench / "OmniDocBench.json"
    print(f"OmniDocBench: {args.pages} pages in {bench}", flush=True)
    result: dict[str, Any] = {}
    names = json.dumps(list(OMNIDOC_METRICS))
    for label, mode in (("evaluate_page, every page", "evaluate_page"), ("the six omnidoc_* metrics", names)):
        ours = timed(f"ours: {label}", args.pages, args.repeats,
                     lambda k, mode=mode: run([sys.executable, "-c", OMNIDOC_CHILD, str(gt), str(preds), mode]))  # fmt: skip
        inside = json.loads(ours.pop("stdout"))
        figures = inside.pop("figures")
        for key, value in inside.items():
            print(f"  {'  last run: ' + key:<46} {value:8.2f} s", flush=True)
        result["ours_metric" if figures else "ours_evaluate_page"] = {**ours, "last_run": inside}
    result["ours_command"] = vlmhb_evaluate(
        work, "omnidocbench", bench, preds, args.repeats, args.pages, "omnidocbench"
    )
    parts = json.loads(
        (result["ours_command"].pop("run_folder") / "metrics" / "metrics.json").read_text("utf-8")
    )
    parts = parts["benchmark"]["parts"]
    for part in ("cold", "warm"):
        result["ours_command"][part].pop("stdout")
    if args.omnidoc_official is None or args.omnidoc_python is None:
        print("  official: skipped (give --omnidoc-official and --omnidoc-python)")
        return result
    official_dir = args.omnidoc_official.resolve()
    config = work / "omnidoc" / "end2end.yaml"
    config.write_text(OMNIDOC_CONFIG % (gt, preds), "utf-8")
    runner = OMNIDOC_RUNNER % (str(official_dir), str(config), str(official_dir / "pdf_validation.py"))

    def official_once(k: int) -> tuple[float, float, str]:
        cwd = work / "omnidoc" / f"official-{k}"
        (cwd / "result").mkdir(parents=True)  # the evaluator writes there without creating it
        return run([str(args.omnidoc_python), "-c", runner], cwd=cwd)

    official = timed(
        f"official: pdf_validation.py @{OMNIDOC_COMMIT[:7]}", args.pages, args.repeats, official_once
    )
    inside = json.loads(official.pop("stdout").strip().splitlines()[-1])
    for key, value in inside.items():
        print(f"  {'  last run: ' + key:<46} {value:8.2f} s", flush=True)
    result["official"] = {**official, "last_run": inside}
    theirs = official_omnidoc_figures(work / "omnidoc" / f"official-{args.repeats - 1}" / "result")
    print("  figures, ours (metric alone) against the official:")
    result["agreement"] = compare_omnidoc(figures, theirs)
    result["command_agreement"] = compare_headline_parts(parts, theirs)
    return result


HEADLINE_PARTS = {
    "omnidoc_text_edit": ("Text Edit", 1.0),
    "omnidoc_formula_edit": ("Formula Edit", 1.0),
    "omnidoc_table_teds": ("Table TEDS", 100.0),
    "omnidoc_table_teds_s": ("Table TEDS-S", 100.0),
    "omnidoc_table_edit": ("Table Edit", 1.0),
    "omnidoc_reading_order": ("Reading Order Edit", 1.0),
}


def compare_headline_parts(parts: dict[str, float], official: dict[str, Any]) -> dict[str, list[float]]:
    """The figures ``vlmhb evaluate`` reports (metrics.json ``benchmark.parts``) against the
    official pooled and page-averaged ones; those that differ by more than 1e-6."""
    differing = {}
    for name, (part, scale) in HEADLINE_PARTS.items():
        for key, label in (("page_avg", part), ("pooled", f"{part} (pooled)")):
            ours, theirs = parts[label] / scale, official[name][key]
            if abs(ours - theirs) > 1e-6:
                differing[label] = [ours, theirs]
    print(
        f"  figures of vlmhb evaluate (metrics.json): {len(differing)} of {2 * len(HEADLINE_PARTS)} differ {differing or ''}"
    )
    return differing


# --------------------------------------------------------------------------- olmOCR-bench runs

OLMOCR_OFFICIAL = """
import json, os, sys, time
started = time.perf_counter()
import olmocr.bench.benchmark as bench
if os.environ.get("BENCH_CHROMIUM"):  # math tests: Debian's Chromium, a new equation cache (as math/make_math.py)
    import tempfile, weakref
    from olmocr.bench.katex import render
    from playwright.sync_api import sync_playwright
    def launch(self):
        p = sync_playwright().start()
        b = p.chromium.launch(executable_path=os.environ["BENCH_CHROMIUM"])
        self.p, self.browser, self._closed = p, b, False
        self._finalizer = weakref.finalize(self, render._cleanup_playwright, p, b)
    render._BrowserOwner.__init__ = launch
    render.equation_cache = render.EquationCache(db_path=tempfile.mktemp(prefix="olmocr-math-", suffix=".db"))
imported = time.perf_counter()
original = bench.evaluate_candidate
def evaluate_candidate(*args, **kwargs):
    out = original(*args, **kwargs)
    if dump:
        tests = {t.id: bool(p) for pages in out[6].values() for results in pages.values() for t, p, _ in results}
        json.dump({"tests": tests, "by_type": {k: sum(v) for k, v in out[4].items()}}, open(dump[1], "w"))
    return out
bench.evaluate_candidate = evaluate_candidate
dump = sys.argv[1:3] if len(sys.argv) > 1 and sys.argv[1] == "--dump" else []
sys.argv = ["benchmark", *[a for a in sys.argv[1:] if a not in dump]]
bench.main()
print(json.dumps({"import_s": imported - started, "eval_s": time.perf_counter() - imported}))
"""
OLMOCR_CHILD = """
import json, re, sys, time
started = time.perf_counter()
from pathlib import Path
from vlmhyperbench.metrics.olmocr_bench import olmocr_overall, run_tests
imported = time.perf_counter()
bench, candidate = Path(sys.argv[1]), Path(sys.argv[2])
pages, files = {}, {}
for path in sorted(bench.glob("*.jsonl")):
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            test = json.loads(line)
            pages.setdefault((test["pdf"], test["page"]), []).append(test)
            files[test["id"]] = path.stem
for pdf in sorted(p.relative_to(bench / "pdfs").as_posix() for p in (bench / "pdfs").rglob("*.pdf")):
    if not any(t["type"] == "baseline" for (name, _), tests in pages.items() if name == pdf for t in tests):
        pages.setdefault((pdf, 1), []).append({"pdf": pdf, "page": 1, "id": f"{pdf}_baseline", "type": "baseline"})
        files[f"{pdf}_baseline"] = "baseline"
texts = {}
for path in sorted(candidate.rglob("*.md")):
    match = re.fullmatch(r"(.+)_pg(\\d+)_repeat\\d+", path.relative_to(candidate).as_posix()[:-3])
    texts.setdefault((match[1] + ".pdf", int(match[2])), []).append(path.read_text("utf-8"))
loaded = time.perf_counter()
per_test = {}
for key, tests in pages.items():
    for result in run_tests(tests, texts.get(key, [])):
        per_test[result["id"]] = result
checked = time.perf_counter()
grouped = {}
for test_id, result in per_test.items():
    grouped.setdefault(files[test_id], []).append(result["passed"])
overall = olmocr_overall(grouped)
done = time.perf_counter()
print(json.dumps({"import_s": imported - started, "read_s": loaded - imported, "tests_s": checked - loaded,
                  "overall_s": done - checked, "tests": {k: v["passed"] for k, v in per_test.items()},
                  "types": {k: v["type"] for k, v in per_test.items()}, "overall": overall.value,
                  "per_file": overall.per_file}))
"""
_FILE_LINE = re.compile(r"^\s{8}(\S+)\s*: [\d.]+% \((\d+)/(\d+) tests\)$")


def compare_olmocr(
    ours: dict[str, Any], official: dict[str, Any], stdout: str, checks: Path | None
) -> dict[str, Any]:
    """Per test (majority of repeats), per type (Σ pass ratios), per file and overall, printed."""
    mine = {k: v > 0.5 for k, v in ours["tests"].items()}
    theirs = official["tests"]
    wrong = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
    by_type: dict[str, float] = {}
    for test_id, ratio in ours["tests"].items():
        by_type[ours["types"][test_id]] = by_type.get(ours["types"][test_id], 0.0) + ratio
    type_diff = {
        k: [by_type.get(k), v] for k, v in official["by_type"].items() if abs(by_type.get(k, -1) - v) > 1e-9
    }
    files = {
        m[1].removesuffix(".jsonl"): int(m[2]) / int(m[3])
        for line in stdout.splitlines()
        if (m := _FILE_LINE.match(line))
    }
    file_diff = {
        k: [ours["per_file"].get(k), v]
        for k, v in files.items()
        if abs(ours["per_file"].get(k, -1) - v) > 1e-9
    }
    overall = sum(files.values()) / len(files) if files else float("nan")
    rows = csv_rows(checks) if checks is not None else []
    csv_wrong = sorted(r[0] for r in rows if (float(r[2]) > 0.5) != theirs.get(r[0]))
    command = f"; checks.csv of the command: {len(rows)} rows, {len(csv_wrong)} differ" if checks else ""
    print(
        f"  tests: {len(theirs)} official, {len(mine)} ours, {len(wrong)} differ (pass/fail by majority){command}"
    )
    for test_id in wrong[:10]:
        print(f"      {test_id}: ours {mine.get(test_id)}, official {theirs.get(test_id)}")
    print(f"  per type Σ pass ratio: {len(type_diff)} differ {type_diff or ''}; per file: {len(file_diff)} differ "
          f"{file_diff or ''}; overall ours {ours['overall']:.6f} / official {overall:.6f}")  # fmt: skip
    return {"tests": len(theirs), "tests_differing": wrong, "checks_csv_differing": csv_wrong,
            "by_type_differing": type_diff, "per_file_official": files, "per_file_differing": file_diff,
            "overall": [ours["overall"], overall]}  # fmt: skip


def csv_rows(path: Path) -> list[list[str]]:
    import csv

    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))[1:]


def bench_olmocr(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    bench, candidate = write_olmocr(work / "olmocr", args.pages, args.seed)
    n_tests = sum(len(p.read_text("utf-8").splitlines()) for p in bench.glob("*.jsonl"))
    print(f"olmOCR-bench: {args.pages} pages, {n_tests} tests (+ baselines) in {bench}", flush=True)
    result: dict[str, Any] = {"tests_in_files": n_tests}
    ours = timed("ours: the olmocr_bench metric (run_tests)", args.pages, args.repeats,
                 lambda k: run([sys.executable, "-c", OLMOCR_CHILD, str(bench), str(candidate)]))  # fmt: skip
    mine = json.loads(ours.pop("stdout"))
    for key in ("import_s", "read_s", "tests_s", "overall_s"):
        print(f"  {'  last run: ' + key:<46} {mine[key]:8.2f} s", flush=True)
    result["ours_metric"] = {
        **ours,
        "last_run": {k: mine[k] for k in ("import_s", "read_s", "tests_s", "overall_s")},
    }
    result["ours_command"] = vlmhb_evaluate(
        work, "olmocr_bench", bench, candidate, args.repeats, args.pages, "olmocr_bench"
    )
    folder = result["ours_command"].pop("run_folder")
    checks = folder / "checks.csv"
    headline = (
        json.loads((folder / "metrics" / "metrics.json").read_text("utf-8"))["benchmark"]["value"] / 100
    )
    for part in ("cold", "warm"):
        result["ours_command"][part].pop("stdout")
    if args.olmocr_python is None:
        print("  official: skipped (give --olmocr-python)")
        return result
    command = [
        str(args.olmocr_python),
        "-c",
        OLMOCR_OFFICIAL,
        "--dir",
        str(bench),
        "--candidate",
        "candidate",
    ]
    official = timed("official: python -m olmocr.bench.benchmark", args.pages, args.repeats,
                     lambda k: run(command, env={**os.environ, "PYTHONHASHSEED": "0"}))  # fmt: skip
    last = official.pop("stdout")
    inside = json.loads(last.strip().splitlines()[-1])
    for key, value in inside.items():
        print(f"  {'  last run: ' + key:<46} {value:8.2f} s", flush=True)
    result["official"] = {**official, "last_run": inside}
    dump = work / "olmocr" / "official-tests.json"
    run([*command[:3], "--dump", str(dump), *command[3:]], env={**os.environ, "PYTHONHASHSEED": "0"})
    print("  figures, ours (metric alone; checks.csv of the command) against the official:")
    result["agreement"] = compare_olmocr(mine, json.loads(dump.read_text("utf-8")), last, checks)
    official_overall = result["agreement"]["overall"][1]
    result["agreement"]["command_headline"] = [headline, official_overall]
    print(
        f"  headline of vlmhb evaluate (metrics.json, / 100): {headline:.6f} / official {official_overall:.6f}"
    )
    return result


MATH_VARIANTS = (  # (reference, how a parser writes it): equal, respaced, different
    lambda f: f,
    lambda f: f.replace(" ", ""),
    lambda f: f.replace("^2", "^{2}").replace("x_i", "x_{i}"),
    lambda f: f.replace("+", "-", 1),
    lambda f: f.replace("a", "b", 1),
)


def write_math(root: Path, pages: int, seed: int) -> tuple[Path, Path]:
    """An olmOCR-bench folder of ``math`` tests only (``arxiv_math.jsonl``): two formulas a page."""
    import pypdfium2 as pdfium

    rng = random.Random(seed)
    bench, candidate = root / "bench_data", root / "bench_data" / "candidate"
    (bench / "pdfs" / "arxiv_math").mkdir(parents=True)
    document = pdfium.PdfDocument.new()
    document.new_page(595, 842)
    document.save(bench / "pdfs" / "arxiv_math" / "doc_0000.pdf")
    lines = []
    for number in range(pages):
        pdf = f"arxiv_math/doc_{number:04d}.pdf"
        if number:
            shutil.copyfile(bench / "pdfs" / "arxiv_math" / "doc_0000.pdf", bench / "pdfs" / pdf)
        formulas = rng.sample(FORMULAS, 2)
        blocks = [sentence(rng, rng.random() < 0.5)]
        for k, formula in enumerate(formulas):
            test = {"pdf": pdf, "page": 1, "id": f"math_{number:04d}_{k}", "type": "math", "math": formula}
            lines.append(json.dumps(test, ensure_ascii=False) + "\n")
            if rng.random() < 0.1:
                continue
            written = rng.choice(MATH_VARIANTS)(formula)
            blocks.append(rng.choice(("$$%s$$", "\\[%s\\]", "$%s$")) % written)
            blocks.append(sentence(rng, rng.random() < 0.5))
        md = candidate / f"{pdf[:-4]}_pg1_repeat1.md"
        md.parent.mkdir(parents=True, exist_ok=True)
        md.write_text("\n\n".join(blocks) + "\n", "utf-8")
    (bench / "arxiv_math.jsonl").write_text("".join(lines), "utf-8")
    return bench, candidate


def bench_math(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """``math`` tests (KaTeX in headless Chromium on both sides), reported apart."""
    bench, candidate = write_math(work / "math", args.math_pages, args.seed)
    print(
        f"olmOCR-bench math: {args.math_pages} pages, {2 * args.math_pages} math tests (+ baselines)",
        flush=True,
    )
    env = {
        **os.environ,
        "PYTHONHASHSEED": "0",
        "VLMHB_CHROMIUM": args.chromium,
        "BENCH_CHROMIUM": args.chromium,
    }
    ours = timed("ours: the olmocr_bench metric (run_tests)", args.math_pages, args.repeats,
                 lambda k: run([sys.executable, "-c", OLMOCR_CHILD, str(bench), str(candidate)], env=env))  # fmt: skip
    mine = json.loads(ours.pop("stdout"))
    result: dict[str, Any] = {"ours_metric": ours}
    if args.olmocr_python is None:
        print("  official: skipped (give --olmocr-python)")
        return result
    command = [
        str(args.olmocr_python),
        "-c",
        OLMOCR_OFFICIAL,
        "--dir",
        str(bench),
        "--candidate",
        "candidate",
    ]
    official = timed("official: python -m olmocr.bench.benchmark", args.math_pages, args.repeats,
                     lambda k: run(command, env=env))  # fmt: skip
    last = official.pop("stdout")
    result["official"] = official
    dump = work / "math" / "official-tests.json"
    run([*command[:3], "--dump", str(dump), *command[3:]], env=env)
    print("  figures, ours against the official:")
    result["agreement"] = compare_olmocr(mine, json.loads(dump.read_text("utf-8")), last, None)
    return result


# --------------------------------------------------------------------------- main


def olmocr_version(args: argparse.Namespace) -> str | None:
    if args.olmocr_python is None:
        return None
    code = "import importlib.metadata as m; print(m.version('olmocr'))"
    return run([str(args.olmocr_python), "-c", code])[2].strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=1000, help="pages per benchmark")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3, help="runs of each command; the median is reported")
    ap.add_argument("--omnidoc-official", type=Path, help="a checkout of opendatalab/OmniDocBench@7bd6c2e")
    ap.add_argument("--omnidoc-python", type=Path, help="the Python of a venv with its requirements")
    ap.add_argument("--olmocr-python", type=Path, help="the Python of a venv with olmocr[bench]==0.4.27")
    ap.add_argument("--only", choices=("omnidocbench", "olmocr_bench", "math"), help="run one part")
    ap.add_argument("--math-pages", type=int, default=0, help="pages of olmOCR-bench math tests (0: none)")
    ap.add_argument("--chromium", default="/usr/bin/chromium", help="the browser KaTeX runs in (math tests)")
    ap.add_argument(
        "--work", type=Path, help="keep the generated pages and outputs here (default: a temporary folder)"
    )
    ap.add_argument("--out", type=Path, help="write the figures as JSON")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench_parse_eval-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        result: dict[str, Any] = {
            "pages": args.pages, "math_pages": args.math_pages, "seed": args.seed, "repeats": args.repeats,
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "official": {"omnidocbench": f"opendatalab/OmniDocBench@{OMNIDOC_COMMIT}", "olmocr": olmocr_version(args)},
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        }  # fmt: skip
        if args.only in (None, "omnidocbench"):
            result["omnidocbench"] = bench_omnidoc(args, work)
        if args.only in (None, "olmocr_bench"):
            result["olmocr_bench"] = bench_olmocr(args, work)
        if args.math_pages and args.only in (None, "math"):
            result["olmocr_bench_math"] = bench_math(args, work)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    if args.out is not None:
        args.out.write_text(json.dumps(result, indent=1, default=str) + "\n", "utf-8")


if __name__ == "__main__":
    main()
