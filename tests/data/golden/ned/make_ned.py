"""Regenerate ned.json by running OmniDocBench's edit-distance scorer.

Reference: ``call_Edit_dist.evaluate`` of OmniDocBench (opendatalab/OmniDocBench:
metrics/cal_metric.py), run from its copy in open-compass/VLMEvalKit
vlmeval/dataset/OmniDocBench/metrics.py (the class alone is executed, with
``Levenshtein`` and ``pandas``; its registry decorator is dropped).

- ``cases``: each (prediction, reference) pair is one OmniDocBench element; the
  per-element ``sample['metric']['Edit_dist']`` is recorded for every reference
  (``None`` where OmniDocBench gives none: both strings empty), with its
  ``Edit_num`` and ``upper_len``. ``expected`` is the lowest value over the references,
  a missing value counting as 0.0 (the metric's documented rule for two empty strings).
- ``pages``: several elements per page; ``page_scores`` are ``evaluate()`` on each
  page's elements alone and ``all_page_avg`` is ``ALL_page_avg`` over all pages.

    pip install Levenshtein pandas
    python tests/data/golden/ned/make_ned.py --vlmevalkit PATH/TO/VLMEvalKit
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import Levenshtein
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "anls"))
from make_anls import LONG, string_cases


def git_source(checkout: Path, path: str) -> tuple[str, str]:
    """A file at HEAD of a checkout (work tree or bare git dir) and the commit hash."""
    git = ["git", "-C", str(checkout)] if (checkout / ".git").exists() else ["git", f"--git-dir={checkout}"]

    def run(*args: str) -> str:
        return subprocess.run([*git, *args], check=True, capture_output=True, encoding="utf-8").stdout

    return run("show", f"HEAD:{path}"), run("rev-parse", "HEAD").strip()


def load_class(source: str, name: str, filename: str) -> Any:
    """Execute one top-level class of ``source`` (decorators dropped) and return it."""
    nodes = [n for n in ast.parse(source, filename).body if isinstance(n, ast.ClassDef) and n.name == name]
    if not nodes:
        raise SystemExit(f"{filename}: class {name} not found")
    nodes[0].decorator_list = []
    namespace: dict[str, Any] = {"Levenshtein": Levenshtein, "pd": pd}
    exec(compile(ast.Module(body=nodes, type_ignores=[]), filename, "exec"), namespace)
    return namespace[name]


PAGES = [
    [("Заголовок документа", "Заголовок документа"), ("Текст абзаца с ошибкой", "Текст абзаца без ошибок")],
    [("", ""), ("short", "shirt"), (LONG[:1500], LONG[:1400])],
    [("Ёлкин Семён", "Елкин Семен"), ("12\u00a0345,67", "12 345,67"), ("", "missing block")],
    [("caf\u00e9", "cafe\u0301"), ("x" * 10, "")],
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vlmevalkit", type=Path, required=True)
    args = parser.parse_args()
    path = "vlmeval/dataset/OmniDocBench/metrics.py"
    source, commit = git_source(args.vlmevalkit, path)
    edit_dist = load_class(source, "call_Edit_dist", path)

    def evaluate(elements: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], Any]:
        try:
            samples, result = edit_dist(elements).evaluate()
        except KeyError:
            # Only empty/empty pairs: the per-element pass has run (it fills ``elements``
            # in place) but the page step fails on the missing ``Edit_num`` column.
            return elements, None
        return samples, result["Edit_dist"]["ALL_page_avg"]

    rows = []
    for refs, pred in [*string_cases(), ([LONG, LONG[:100]], LONG[50:]), (["ab", "ba"], "ab ")]:
        elements = [{"img_id": f"case_{j}", "pred": pred, "gt": ref} for j, ref in enumerate(refs)]
        samples, _ = evaluate(elements)
        per_ref = [
            {
                "value": s.get("metric", {}).get("Edit_dist"),
                "edits": s.get("Edit_num"),
                "max_len": s["upper_len"],
            }
            for s in samples
        ]
        expected = min(0.0 if r["value"] is None else r["value"] for r in per_ref)
        rows.append({"references": refs, "prediction": pred, "expected": expected, "per_reference": per_ref})

    pages = []
    everything = []
    for p, blocks in enumerate(PAGES):
        elements = [{"img_id": f"page{p}_{k}", "pred": pr, "gt": gt} for k, (pr, gt) in enumerate(blocks)]
        everything += [dict(e) for e in elements]
        pages.append({"blocks": [list(b) for b in blocks], "page_score": float(evaluate(elements)[1])})
    out = {
        "metric": "ned",
        "reference": {
            "repository": "open-compass/VLMEvalKit",
            "commit": commit,
            "file": path,
            "call": "call_Edit_dist(samples).evaluate() with samples [{img_id, pred, gt}]",
            "packages": {"Levenshtein": version("Levenshtein"), "pandas": version("pandas")},
            "upstream": "opendatalab/OmniDocBench: metrics/cal_metric.py (same class)",
        },
        "cases": rows,
        "pages": pages,
        "all_page_avg": float(evaluate(everything)[1]),
    }
    HERE.joinpath("ned.json").write_text(
        json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
