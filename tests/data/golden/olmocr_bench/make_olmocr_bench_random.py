"""Regenerate olmocr_bench_random.json: random pages and tests scored by olmocr 0.4.27's checker.

Run it with the interpreter of a venv that has ``olmocr[bench]==0.4.27``::

    /work/scratch/olmocr-venv/bin/python tests/data/golden/olmocr_bench/make_olmocr_bench_random.py

Pages are random mixes of short Cyrillic/English text, Markdown pipe tables and HTML tables
(``th``/``td``, ``thead``, ``rowspan``/``colspan`` including 0 and a few that are not
numbers, ``<br>`` in cells, fancy quotes, dashes, µ, emphasis markers, repeated tails);
each gets one random test of every option. Each case is run by
``olmocr.bench.tests.load_single_test(test).run(page)`` (an exception from ``run`` is a
failure with its message, as the official runner records it; a test the loader refuses
is kept with ``invalid``: the loader's error) in three Python processes
with different ``PYTHONHASHSEED``s; cases whose outcome differs between them (fuzzy
``order`` matches that tie: the official code picks one by set order) are dropped and
counted in ``dropped_nondeterministic``.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

OLMOCR_VERSION = "0.4.27"
SEED = 12
CASES = 1200
HERE = Path(__file__).parent
WORDS = [
    "а",
    "б",
    "Итого",
    "x",
    "1",
    "2",
    "10",
    "Name",
    "Value",
    "**b**",
    "µm",
    "—",
    "“q”",
    "",
    "ab",
    "ёж",
    "_i_",
    "Б–В",
]


def make_cases(rnd: random.Random) -> list[dict[str, Any]]:
    def word() -> str:
        return rnd.choice(WORDS)

    def html_table() -> str:
        rows = []
        for _ in range(rnd.randint(1, 4)):
            cells = []
            for _ in range(rnd.randint(0, 4)):
                tag = rnd.choice(["td", "td", "th"])
                attrs = ""
                if rnd.random() < 0.25:
                    attrs += (
                        f' rowspan="{rnd.choice([1, 2, 3, 0, 2, "z"] if rnd.random() < 0.1 else [1, 2, 3])}"'
                    )
                if rnd.random() < 0.25:
                    attrs += f' colspan="{rnd.choice([1, 2, 3, 0])}"'
                text = word() + (rnd.choice(["<br>", "<br/>", " "]) + word() if rnd.random() < 0.2 else "")
                cells.append(f"<{tag}{attrs}>{text}</{tag}>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        body = "".join(rows)
        if rnd.random() < 0.3:
            k = rnd.randint(0, len(rows))
            body = "<thead>" + "".join(rows[:k]) + "</thead><tbody>" + "".join(rows[k:]) + "</tbody>"
        return "<table>" + body + "</table>"

    def md_table() -> str:
        width = rnd.randint(1, 4)
        lines = []
        for r in range(rnd.randint(1, 4)):
            cells = [word() for _ in range(rnd.randint(1, width + 1))]
            lines.append(rnd.choice(["| ", ""]) + " | ".join(cells) + rnd.choice([" |", ""]))
            if r == 0 and rnd.random() < 0.8:
                lines.append(
                    "|" + "|".join(rnd.choice(["---", ":--", "--:", " - "]) for _ in range(width)) + "|"
                )
        return "\n".join(lines)

    def text() -> str:
        return " ".join(word() for _ in range(rnd.randint(0, 10)))

    def page(kind: str) -> str:
        parts = [rnd.choice([text, md_table, html_table, text])() for _ in range(rnd.randint(0, 3))]
        if kind == "table":
            parts.insert(rnd.randint(0, len(parts)), rnd.choice([md_table, html_table])())
        if rnd.random() < 0.1:
            parts.append(rnd.choice(["ab", "x", "аб "]) * rnd.randint(1, 40))
        return rnd.choice(["\n\n", "\n"]).join(parts)

    def test(number: int, kind: str, content: str) -> dict[str, Any]:
        found = [w for w in content.replace("|", " ").replace("<", " ").replace(">", " ").split() if w]
        pool = found + WORDS[:8]

        def pick() -> str:
            return rnd.choice(pool)

        def phrase() -> str:
            if found and rnd.random() < 0.7:
                start = rnd.randrange(len(found))
                return " ".join(found[start : start + rnd.randint(1, 3)])
            return pick() + " " + pick()

        out: dict[str, Any] = {"pdf": "docs/r.pdf", "page": 1, "id": f"r{number:04d}", "type": kind}
        if kind in ("present", "absent"):
            out["text"] = phrase()
            for key, value in (
                ("case_sensitive", False),
                ("first_n", rnd.randint(1, 40)),
                ("last_n", rnd.randint(1, 40)),
            ):
                if rnd.random() < 0.25:
                    out[key] = value
            if rnd.random() < 0.3:
                out["max_diffs"] = rnd.randint(0, 2)
        elif kind == "order":
            out["before"], out["after"] = phrase(), phrase()
            if rnd.random() < 0.4:
                out["max_diffs"] = 1
        elif kind == "table":
            out["cell"] = word() if rnd.random() < 0.8 else pick()
            for key in ("up", "down", "left", "right", "top_heading", "left_heading"):
                if rnd.random() < 0.3:
                    out[key] = word() if rnd.random() < 0.8 else pick()
            if rnd.random() < 0.2:
                out["max_diffs"] = rnd.randint(0, 2)
            if rnd.random() < 0.1:
                out["ignore_markdown_tables"] = True
        else:
            for key, value in (
                ("max_repeats", rnd.randint(1, 20)),
                ("max_length", rnd.randint(0, 10)),
                ("max_length_skips_image_alt_tags", True),
                ("check_disallowed_characters", False),
            ):
                if rnd.random() < 0.2:
                    out[key] = value
        return out

    cases = []
    for number in range(CASES):
        kind = rnd.choice(["present", "absent", "order", "table", "table", "table", "baseline"])
        content = page(kind)
        if kind == "baseline" and rnd.random() < 0.2:
            content += rnd.choice(["![фото](a.png)", "結果", "😀"])
        cases.append({"page": content, "test": test(number, kind, content)})
    return cases


RUNNER = """
import json, sys
from olmocr.bench.tests import load_single_test
out = []
for case in json.load(sys.stdin):
    try:
        test = load_single_test(dict(case["test"]))
    except Exception as exc:
        out.append([None, f"{type(exc).__name__}: {exc}"])
        continue
    try:
        passed, explanation = test.run(case["page"])
    except Exception as exc:
        passed, explanation = False, str(exc)
    out.append([bool(passed), explanation])
json.dump(out, sys.stdout)
"""


def main() -> None:
    assert version("olmocr") == OLMOCR_VERSION, f"needs olmocr=={OLMOCR_VERSION}, found {version('olmocr')}"
    cases = make_cases(random.Random(SEED))
    runs = []
    for hash_seed in ("0", "1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", RUNNER],
            input=json.dumps(cases),
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        runs.append(json.loads(done.stdout))
    kept = []
    for number, case in enumerate(cases):
        outcomes = {tuple(run[number]) for run in runs}
        if len(outcomes) == 1:
            passed, explanation = outcomes.pop()
            if passed is None:  # the loader refused the test
                kept.append({**case, "invalid": explanation})
            else:
                kept.append({**case, "passed": passed, "explanation": explanation})
    golden = {
        "made_with": f"olmocr=={OLMOCR_VERSION} (olmocr.bench.tests.load_single_test(...).run)",
        "seed": SEED,
        "dropped_nondeterministic": len(cases) - len(kept),
        "cases": kept,
    }
    out = HERE / "olmocr_bench_random.json"
    out.write_text(json.dumps(golden, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
