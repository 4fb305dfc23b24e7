"""Regenerate relaxed_accuracy.json by running VLMEvalKit's ChartQA scorer.

Reference: open-compass/VLMEvalKit vlmeval/dataset/utils/vqa_eval.py
``process_line(line, method="relaxed_accuracy")`` (strips the prediction, then
``relaxed_correctness(answer, prediction)`` per answer) and
``hit_calculate([...], "ChartQA")`` (max over answers); ``istype``/``listinstr`` from
vlmeval/smp/misc.py. Cases with a non-default ``max_relative_change`` call
``relaxed_correctness`` directly with it (``process_line`` has no such argument). Every
case is cross-checked with google-research/pix2struct pix2struct/metrics.py
``relaxed_correctness(target, prediction.strip(), max_relative_change)``, max over
answers; the script fails if they disagree.

    python tests/data/golden/relaxed_accuracy/make_relaxed_accuracy.py \\
        --vlmevalkit PATH/TO/VLMEvalKit --pix2struct PATH/TO/pix2struct
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
from pathlib import Path
from typing import Any, Optional

import numpy as np

HERE = Path(__file__).resolve().parent
NBSP = "\u00a0"


def git_source(checkout: Path, path: str) -> tuple[str, str]:
    """A file at HEAD of a checkout (work tree or bare git dir) and the commit hash."""
    git = ["git", "-C", str(checkout)] if (checkout / ".git").exists() else ["git", f"--git-dir={checkout}"]

    def run(*args: str) -> str:
        return subprocess.run([*git, *args], check=True, capture_output=True, encoding="utf-8").stdout

    return run("show", f"HEAD:{path}"), run("rev-parse", "HEAD").strip()


def load_defs(source: str, names: set[str], filename: str, namespace: dict[str, Any]) -> None:
    """Execute only the named top-level functions of ``source``."""
    nodes = [
        n for n in ast.parse(source, filename).body if isinstance(n, ast.FunctionDef) and n.name in names
    ]
    if names - {n.name for n in nodes}:
        raise SystemExit(f"{filename}: not found: {sorted(names - {n.name for n in nodes})}")
    exec(compile(ast.Module(body=nodes, type_ignores=[]), filename, "exec"), namespace)


def cases() -> list[tuple[list[str], str, float | None]]:
    """(references, prediction, max_relative_change or None for the default)."""
    return [
        (["0.05"], "5%", None),
        (["100"], "104.9", None),
        (["100"], "105", None),
        (["100"], "105.01", None),
        (["100"], "95", None),
        (["100"], "94.99", None),
        (["0"], "0.0", None),
        (["0"], "0", None),
        (["0.0"], "0", None),
        (["-0"], "0", None),
        (["1000"], "1,000", None),
        (["1,000"], "1000", None),
        (["1,000"], "1,000", None),
        (["12 345"], "12345", None),
        ([f"12{NBSP}345"], "12345", None),
        (["5%"], "5", None),
        (["5"], "5%", None),
        (["50%"], "0.5", None),
        (["0.5"], "50%", None),
        (["5%%"], "0.05", None),
        (["10"], "10.0%", None),
        (["-12"], "-12.5", None),
        (["-12"], "12", None),
        (["1e3"], "1000", None),
        (["1000"], "1e3", None),
        (["1_000"], "1000", None),
        (["１２"], "12", None),
        (["12"], "١٢", None),
        (["nan"], "nan", None),
        (["inf"], "inf", None),
        (["5"], "inf", None),
        (["2019"], "2020", None),
        (["3.14"], "3.1416", None),
        (["0.001"], "0.00104", None),
        (["0.001"], "0.0011", None),
        ([" 5"], "5.2", None),
        (["5"], " 5.2 ", None),
        (["$5"], "5", None),
        (["5 kg"], "5", None),
        (["Yes"], "yes", None),
        (["yes"], " Yes ", None),
        ([" yes"], "yes", None),
        (["True"], "true", None),
        (["Москва"], "москва", None),
        (["Ёлка"], "елка", None),
        (["e\u0301"], "\u00e9", None),
        (["17.05.1990"], "17.05.1990", None),
        (["17.05.1990"], "17.05.1991", None),
        (["2024-01-05"], "2024-01-05 ", None),
        (["15", "15%"], "0.15", None),
        (["abc", "100"], "103", None),
        (["abc", "def"], "DEF", None),
        ([""], "", None),
        ([""], "0", None),
        (["0"], "", None),
        (["a" * 2000], "A" * 2000, None),
        (["100"], "109", 0.1),
        (["100"], "111", 0.1),
        (["100"], "100.5", 0.0),
        (["100"], "100", 0.0),
        (["0.05"], "5.5%", 0.1),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vlmevalkit", type=Path, required=True)
    parser.add_argument("--pix2struct", type=Path, required=True)
    args = parser.parse_args()

    vqa_path, misc_path = "vlmeval/dataset/utils/vqa_eval.py", "vlmeval/smp/misc.py"
    vqa_src, vlm_commit = git_source(args.vlmevalkit, vqa_path)
    vlm: dict[str, Any] = {"np": np, "Optional": Optional}
    load_defs(git_source(args.vlmevalkit, misc_path)[0], {"istype", "listinstr"}, misc_path, vlm)
    load_defs(vqa_src, {"process_line", "hit_calculate", "relaxed_correctness"}, vqa_path, vlm)

    p2s_path = "pix2struct/metrics.py"
    p2s_src, p2s_commit = git_source(args.pix2struct, p2s_path)
    p2s: dict[str, Any] = {"Optional": Optional}
    load_defs(p2s_src, {"relaxed_correctness"}, p2s_path, p2s)

    rows = []
    for refs, pred, tolerance in cases():
        if tolerance is None:
            ret = vlm["process_line"]({"answer": repr(refs), "prediction": pred}, method="relaxed_accuracy")
            value = float(vlm["hit_calculate"]([ret], "ChartQA")[0])
            check = float(max(p2s["relaxed_correctness"](t, pred.strip()) for t in refs))
        else:
            value = float(max(vlm["relaxed_correctness"](t, pred.strip(), tolerance) for t in refs))
            check = float(max(p2s["relaxed_correctness"](t, pred.strip(), tolerance) for t in refs))
        if value != check:
            raise SystemExit(f"VLMEvalKit {value} != pix2struct {check} for {refs!r} / {pred!r}")
        row: dict[str, Any] = {"references": refs, "prediction": pred, "expected": value}
        if tolerance is not None:
            row["max_relative_change"] = tolerance
        rows.append(row)

    out = {
        "metric": "relaxed_accuracy",
        "reference": {
            "repository": "open-compass/VLMEvalKit",
            "commit": vlm_commit,
            "files": [vqa_path, misc_path],
            "call": "hit_calculate([process_line(line, method='relaxed_accuracy')], 'ChartQA')[0]; "
            "with max_relative_change: max(relaxed_correctness(t, pred.strip(), m) for t in refs)",
        },
        "cross_check": {
            "repository": "google-research/pix2struct",
            "commit": p2s_commit,
            "file": p2s_path,
            "call": "max(relaxed_correctness(t, pred.strip(), m) for t in refs)",
            "agrees": True,
        },
        "cases": rows,
    }
    HERE.joinpath("relaxed_accuracy.json").write_text(
        json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
