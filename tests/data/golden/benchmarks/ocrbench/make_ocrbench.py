"""Regenerate ocrbench.json: the OCRBench preset's score on the fixture, by OCRBench's own code.

Scorer: Yuliang-Liu/MultimodalOCR OCRBench/example.py, its ``__main__`` block: the loop
that sets ``data[i]['result']`` (HME100k: case kept, spaces removed) and the body of
``if len(data)==1000:`` that sums ``OCRBench_score`` per type into ``recognition_score``
and ``Final_score`` (run on the fixture's nine questions; its prints are captured).
Cross-check: VLMEvalKit ``OCRBench.evaluate`` (vlmeval/dataset/image_vqa.py) on the same
rows as its TSV holds them (``answer`` a list literal, ``category`` the type). See
../_golden.py.

    /tmp/golden/bin/python tests/data/golden/benchmarks/ocrbench/make_ocrbench.py \\
        --ocrbench PATH/TO/MultimodalOCR --vlmevalkit PATH/TO/VLMEvalKit
"""

from __future__ import annotations

import argparse
import ast
import copy
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from _golden import fixtures_vqa, git_source, load_method, write_golden

CATEGORIES = {
    "Text Recognition": "recognition_score",
    "Scene Text-centric VQA": "Scene Text-centric VQA",
    "Doc-oriented VQA": "Doc-oriented VQA",
    "Key Information Extraction": "Key Information Extraction",
    "Handwritten Mathematical Expression Recognition": "Handwritten Mathematical Expression Recognition",
}


def official(checkout: Path) -> tuple[dict[str, Any], dict[str, float], str]:
    path = "OCRBench/example.py"
    source, commit = git_source(checkout, path)
    tree = ast.parse(source, path)
    main = next(n for n in tree.body if isinstance(n, ast.If) and "__main__" in ast.unparse(n.test))
    loop = next(n for n in main.body if isinstance(n, ast.For) and "HME100k" in ast.unparse(n))
    sums = next(n for n in main.body if isinstance(n, ast.If) and "1000" in ast.unparse(n.test))
    table = next(
        n for n in tree.body if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == "OCRBench_score"
    )
    data = copy.deepcopy(fixtures_vqa.OCRBENCH)
    for row in data:
        row["predict"] = fixtures_vqa.OCRBENCH_PREDICTIONS[f"{row['dataset_name']}-{row['id']}"]
    names: dict[str, Any] = {"data": data, "print": lambda *a, **k: None}
    exec(compile(ast.Module(body=[table, loop, *sums.body], type_ignores=[]), path, "exec"), names)
    scores = names["OCRBench_score"]
    parts = {
        name: float(names[key] if key == "recognition_score" else scores[key])
        for name, key in CATEGORIES.items()
    }
    per_sample = {f"{r['dataset_name']}-{r['id']}": float(r["result"]) for r in data}
    return {"value": float(names["Final_score"]), "parts": parts}, per_sample, commit


def vlmevalkit(checkout: Path) -> tuple[dict[str, Any], str]:
    import pandas as pd

    path = "vlmeval/dataset/image_vqa.py"
    source, commit = git_source(checkout, path)
    rows = [
        {
            "answer": repr(r["answers"] if isinstance(r["answers"], list) else [r["answers"]]),
            "prediction": fixtures_vqa.OCRBENCH_PREDICTIONS[f"{r['dataset_name']}-{r['id']}"],
            "category": r["type"],
        }
        for r in fixtures_vqa.OCRBENCH
    ]
    names: dict[str, Any] = {
        "load": lambda _: pd.DataFrame(rows),
        "tqdm": lambda x: x,
        "dump": lambda *a, **k: None,
        "get_intermediate_file_path": lambda *a, **k: "unused",
    }
    evaluate = load_method(source, "OCRBench", "evaluate", path, names)
    return evaluate(None, "eval.xlsx"), commit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--ocrbench", type=Path, required=True, help="a MultimodalOCR checkout or bare git dir"
    )
    parser.add_argument("--vlmevalkit", type=Path, required=True)
    args = parser.parse_args()
    headline, per_sample, commit = official(args.ocrbench)
    check, vlm_commit = vlmevalkit(args.vlmevalkit)
    if check["Final Score"] != headline["value"] or any(check[k] != v for k, v in headline["parts"].items()):
        raise SystemExit(f"VLMEvalKit {check} != OCRBench {headline}")
    write_golden(
        HERE,
        "ocrbench",
        {
            "benchmark": "ocrbench",
            "fixture": "tests/support/fixtures_vqa.py",
            "reference": {
                "repository": "Yuliang-Liu/MultimodalOCR",
                "commit": commit,
                "file": "OCRBench/example.py",
                "call": "the __main__ scoring loop, then the body of `if len(data)==1000:` "
                "(Final_score; recognition_score and OCRBench_score per category)",
            },
            "headline": headline,
            "per_sample": {sid: {"substring_match": value} for sid, value in per_sample.items()},
            "cross_check": {
                "repository": "open-compass/VLMEvalKit",
                "commit": vlm_commit,
                "call": "OCRBench.evaluate: 'Final Score' and the five categories",
                "agrees": True,
            },
        },
    )


if __name__ == "__main__":
    main()
