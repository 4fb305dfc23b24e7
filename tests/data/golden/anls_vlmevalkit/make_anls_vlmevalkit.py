"""Regenerate anls_vlmevalkit.json by running VLMEvalKit's own ANLS code.

Reference: open-compass/VLMEvalKit vlmeval/dataset/utils/vqa_eval.py: per question
``process_line(line, method="anls")`` (``anls_compute`` per answer) then
``hit_calculate([...], "DocVQA")`` (``1 - min NL``, 0 below 0.5), with ``istype`` and
``listinstr`` from vlmeval/smp/misc.py. Cross-check: lmms-eval lmms_eval/api/metrics.py
``anls(references, predictions)``; the script fails if the two disagree.

The functions are read from fetched checkouts (a work tree or a bare git dir) and
executed; nothing of them is stored here:

    python tests/data/golden/anls_vlmevalkit/make_anls_vlmevalkit.py \\
        --vlmevalkit PATH/TO/VLMEvalKit --lmms-eval PATH/TO/lmms-eval
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "anls"))
from make_anls import string_cases


def git_source(checkout: Path, path: str) -> tuple[str, str]:
    """A file at HEAD of a checkout (work tree or bare git dir) and the commit hash."""
    git = ["git", "-C", str(checkout)] if (checkout / ".git").exists() else ["git", f"--git-dir={checkout}"]

    def run(*args: str) -> str:
        return subprocess.run([*git, *args], check=True, capture_output=True, encoding="utf-8").stdout

    return run("show", f"HEAD:{path}"), run("rev-parse", "HEAD").strip()


def load_defs(source: str, names: set[str], filename: str, namespace: dict[str, Any]) -> None:
    """Execute only the named top-level functions/classes of ``source`` (decorators dropped)."""
    nodes = [
        node
        for node in ast.parse(source, filename).body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in names
    ]
    missing = names - {node.name for node in nodes}
    if missing:
        raise SystemExit(f"{filename}: not found: {sorted(missing)}")
    for node in nodes:
        node.decorator_list = []
    exec(compile(ast.Module(body=nodes, type_ignores=[]), filename, "exec"), namespace)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vlmevalkit", type=Path, default=os.environ.get("VLMEVALKIT"), required=False)
    parser.add_argument("--lmms-eval", type=Path, default=os.environ.get("LMMS_EVAL"), required=False)
    args = parser.parse_args()
    if args.vlmevalkit is None or args.lmms_eval is None:
        parser.error("give --vlmevalkit and --lmms-eval (or VLMEVALKIT / LMMS_EVAL)")

    vqa_path, misc_path = "vlmeval/dataset/utils/vqa_eval.py", "vlmeval/smp/misc.py"
    vqa_src, vlm_commit = git_source(args.vlmevalkit, vqa_path)
    misc_src, _ = git_source(args.vlmevalkit, misc_path)
    vlm: dict[str, Any] = {"np": np}
    load_defs(misc_src, {"istype", "listinstr"}, misc_path, vlm)
    load_defs(
        vqa_src, {"process_line", "hit_calculate", "anls_compute", "levenshtein_distance"}, vqa_path, vlm
    )

    lmms_path = "lmms_eval/api/metrics.py"
    lmms_src, lmms_commit = git_source(args.lmms_eval, lmms_path)
    lmms: dict[str, Any] = {}
    load_defs(lmms_src, {"anls", "levenshtein_distance"}, lmms_path, lmms)

    rows = []
    for refs, pred in string_cases():
        ret = vlm["process_line"]({"answer": repr(refs), "prediction": pred}, method="anls")
        value = float(vlm["hit_calculate"]([ret], "DocVQA")[0])
        check = float(lmms["anls"](refs, [pred])["anls"])
        if value != check:
            raise SystemExit(f"VLMEvalKit {value} != lmms-eval {check} for {refs!r} / {pred!r}")
        rows.append({"references": refs, "prediction": pred, "expected": value})

    out = {
        "metric": "anls_vlmevalkit",
        "reference": {
            "repository": "open-compass/VLMEvalKit",
            "commit": vlm_commit,
            "files": [vqa_path, misc_path],
            "call": "hit_calculate([process_line({'answer': repr(refs), 'prediction': pred}, "
            "method='anls')], 'DocVQA')[0]",
        },
        "cross_check": {
            "repository": "EvolvingLMMs-Lab/lmms-eval",
            "commit": lmms_commit,
            "file": lmms_path,
            "call": "anls(refs, [pred])['anls']",
            "agrees": True,
        },
        "cases": rows,
    }
    HERE.joinpath("anls_vlmevalkit.json").write_text(
        json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
