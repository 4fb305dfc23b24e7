"""Time our `teds` against the official PubTabNet scorer on generated table pairs.

Not a test. The official scorer (ibm-aur-nlp/PubTabNet ``src/metric.py`` with its
``parallel.py`` beside it; ``pip install apted distance lxml tqdm``) is loaded from the
path given, run as published, and once more with its pure-Python ``distance.levenshtein``
swapped for rapidfuzz, to show how much of the gain is the cell distance and how much the
tree edit distance. Both sides score the same full HTML documents with the scorer's tree
(``normalize=False``), so the values must agree; the largest difference is reported.

    python benchmarks/bench_teds.py /path/to/PubTabNet/src/metric.py --out bench_teds.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from types import ModuleType

from vlmhyperbench.metrics import teds as ours

WORDS = [
    "Age",
    "Sex",
    "Total",
    "Mean",
    "SD",
    "Group",
    "Control",
    "Patients",
    "Year",
    "Ratio",
    "Возраст",
    "Пол",
    "Итого",
    "Среднее",
    "Группа",
    "n/a",
    "–",
    "p",
]
Cell = list  # [text, colspan, rowspan]


def cell_text(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.1:
        return ""
    if roll < 0.5:
        return f"{rng.uniform(0, 100):.{rng.randint(0, 2)}f}"
    if roll < 0.6:
        return f"{rng.randint(0, 99)} ({rng.uniform(0, 100):.1f})"
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))


def make_grid(rng: random.Random) -> list[list[Cell]]:
    """5-20 rows x 3-8 columns; a few colspans and one rowspan now and then."""
    n_rows, n_cols = rng.randint(5, 20), rng.randint(3, 8)
    grid = []
    for _ in range(n_rows):
        row, col = [], 0
        while col < n_cols:
            span = rng.randint(2, min(3, n_cols - col)) if rng.random() < 0.08 and col + 1 < n_cols else 1
            row.append([cell_text(rng), span, 1])
            col += span
        grid.append(row)
    if rng.random() < 0.3:
        grid[1][0][2] = 2
        grid[2].pop(0)
    return grid


def edit(grid: list[list[Cell]], rng: random.Random) -> list[list[Cell]]:
    """0-6 random edits: change text, drop/insert/merge/empty a cell, drop/insert a row."""
    out = [[list(c) for c in row] for row in grid]
    for _ in range(rng.randint(0, 6)):
        r = rng.randrange(len(out))
        if not out[r]:
            continue
        c, roll = rng.randrange(len(out[r])), rng.random()
        if roll < 0.5:
            text = list(out[r][c][0])
            for _ in range(rng.randint(1, 3)):
                text.insert(rng.randint(0, len(text)), rng.choice("0123456789abcАБВ ."))
                if len(text) > 1 and rng.random() < 0.5:
                    text.pop(rng.randrange(len(text)))
            out[r][c][0] = "".join(text)
        elif roll < 0.6:
            out[r].pop(c)
        elif roll < 0.7 and c + 1 < len(out[r]):
            out[r][c][1] += out[r][c + 1][1]
            out[r][c][0] += " " + out[r].pop(c + 1)[0]
        elif roll < 0.8:
            out[r].insert(c, [cell_text(rng), 1, 1])
        elif roll < 0.87 and len(out) > 2:
            out.pop(r)
        elif roll < 0.94:
            out.insert(r, [[cell_text(rng), 1, 1] for _ in out[r]])
        else:
            out[r][c][0] = ""
    return out


def render(grid: list[list[Cell]], sections: bool) -> str:
    """PubTabNet-style HTML: header row in <thead> with <b> text, the rest in <tbody>."""
    parts = []
    for r, row in enumerate(grid):
        cells = []
        for raw, colspan, rowspan in row:
            attrs = (f' colspan="{colspan}"' if colspan > 1 else "") + (
                f' rowspan="{rowspan}"' if rowspan > 1 else ""
            )
            text = raw.replace("&", "&amp;").replace("<", "&lt;")
            cells.append(f"<td{attrs}>{f'<b>{text}</b>' if r == 0 and text else text}</td>")
        parts.append(f"<tr>{''.join(cells)}</tr>")
    if sections:
        parts = ["<thead>", parts[0], "</thead><tbody>", *parts[1:], "</tbody>"]
    return f"<html><body><table>{''.join(parts)}</table></body></html>"


def make_pairs(n: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        grid = make_grid(rng)
        pred = render(edit(grid, rng), sections=rng.random() < 0.8)
        pairs.append((pred, render(grid, sections=True)))
    return pairs


def load_official(path: Path) -> ModuleType:
    sys.path.insert(0, str(path.resolve().parent))
    spec = importlib.util.spec_from_file_location("pubtabnet_metric", path)
    assert spec and spec.loader, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(
    score: Callable[[str, str], float | None], pairs: list[tuple[str, str]]
) -> tuple[float, list[float]]:
    start = time.perf_counter()
    values = [score(pred, true) or 0.0 for pred, true in pairs]
    return time.perf_counter() - start, values


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("metric_py", type=Path, help="path to PubTabNet src/metric.py")
    ap.add_argument("--out", type=Path, required=True, help="where to write the JSON results")
    ap.add_argument("--n", type=int, default=1000, help="number of table pairs")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    official = load_official(args.metric_py)
    pairs = make_pairs(args.n, args.seed)

    ours._load.cache_clear()
    ours_s, ours_values = timed(lambda p, t: ours.teds_score(p, t, normalize=False), pairs)
    print(f"ours:                       {ours_s:8.2f} s", flush=True)
    scorer = official.TEDS()
    official_s, official_values = timed(scorer.evaluate, pairs)
    print(f"official:                   {official_s:8.2f} s  ({official_s / ours_s:.1f}x ours)", flush=True)

    from rapidfuzz.distance import Levenshtein

    official.distance.levenshtein = Levenshtein.distance
    patched_s, patched_values = timed(scorer.evaluate, pairs)
    print(f"official + rapidfuzz cells: {patched_s:8.2f} s  ({patched_s / ours_s:.1f}x ours)", flush=True)

    diff = max(abs(a - max(0.0, b)) for a, b in zip(ours_values, official_values))
    diff_patched = max(abs(a - b) for a, b in zip(official_values, patched_values))
    result = {
        "pairs": args.n,
        "seed": args.seed,
        "tables": "5-20 rows x 3-8 columns, 0-6 random edits, header in <thead>, 80% of predictions keep sections",
        "mean_nodes": sum(ours._load(t, False, False, False, ()).size for _, t in pairs) / len(pairs),
        "ours_s": ours_s,
        "official_s": official_s,
        "official_rapidfuzz_s": patched_s,
        "ratio_official_over_ours": official_s / ours_s,
        "ratio_official_rapidfuzz_over_ours": patched_s / ours_s,
        "max_abs_diff_vs_official": diff,
        "max_abs_diff_official_rapidfuzz": diff_patched,
        "mean_teds": sum(ours_values) / len(ours_values),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "versions": {p: version(p) for p in ("apted", "distance", "lxml", "rapidfuzz")},
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
