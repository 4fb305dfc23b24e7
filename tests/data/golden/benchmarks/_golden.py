"""What the benchmark golden scripts share: reading official code out of fetched checkouts
and running it on the fixture of tests/support/fixtures_vqa.py.

Functions and methods are taken from the official files with `ast` and executed with
the few names they use (VLMEvalKit's file loaders and process pools replaced by
in-memory stand-ins); nothing of their code is stored in this repository. Each
script writes ``<name>.json`` beside itself with the commits it read.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT))

from tests.support import fixtures_vqa

__all__ = ["fixtures_vqa", "git_source", "load_defs", "load_method", "vlmevalkit_vqa", "write_golden"]


def git_source(checkout: Path, path: str) -> tuple[str, str]:
    """A file at HEAD of a checkout (work tree or bare git dir) and the commit hash."""
    git = ["git", "-C", str(checkout)] if (checkout / ".git").exists() else ["git", f"--git-dir={checkout}"]

    def run(*args: str) -> str:
        return subprocess.run([*git, *args], check=True, capture_output=True, encoding="utf-8").stdout

    return run("show", f"HEAD:{path}"), run("rev-parse", "HEAD").strip()


def load_defs(source: str, names: set[str], filename: str, namespace: dict[str, Any]) -> None:
    """Execute the named top-level functions and classes of ``source`` into ``namespace``."""
    nodes = [
        node
        for node in ast.parse(source, filename).body
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name in names
    ]
    missing = names - {node.name for node in nodes}
    if missing:
        raise SystemExit(f"{filename}: not found: {sorted(missing)}")
    for node in nodes:
        node.decorator_list = []
    exec(compile(ast.Module(body=nodes, type_ignores=[]), filename, "exec"), namespace)


def load_method(source: str, cls: str, method: str, filename: str, namespace: dict[str, Any]) -> Any:
    """A method of a top-level class as a plain function; its relative imports are
    dropped (the names they bring must be in ``namespace``)."""
    for node in ast.parse(source, filename).body:
        if isinstance(node, ast.ClassDef) and node.name == cls:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == method:
                    item.decorator_list = []
                    item.body = [s for s in item.body if not (isinstance(s, ast.ImportFrom) and s.level > 0)]
                    exec(compile(ast.Module(body=[item], type_ignores=[]), filename, "exec"), namespace)
                    return namespace[method]
    raise SystemExit(f"{filename}: {cls}.{method} not found")


class _Pool:
    """Stands in for ``multiprocessing.Pool``: the same map, in this process."""

    def __init__(self, *args: Any) -> None:
        pass

    def map(self, func: Any, items: Any) -> list[Any]:
        return [func(item) for item in items]


def vlmevalkit_vqa(
    checkout: Path, dataset: str, rows: list[dict[str, Any]]
) -> tuple[dict[str, float], list[float], str]:
    """VLMEvalKit's ``ImageVQADataset.evaluate_heuristic`` on ``rows`` (the columns of its
    eval file: answer, prediction and, for ChartQA, split): the result row and the
    per-question values of ``hit_calculate``."""
    from functools import partial

    import numpy as np
    import pandas as pd

    image_vqa, vqa_eval, misc = (
        "vlmeval/dataset/image_vqa.py",
        "vlmeval/dataset/utils/vqa_eval.py",
        "vlmeval/smp/misc.py",
    )
    sources = {path: git_source(checkout, path) for path in (image_vqa, vqa_eval, misc)}
    names: dict[str, Any] = {"np": np, "pd": pd, "partial": partial}
    load_defs(sources[misc][0], {"istype", "listinstr", "d2df", "process_punctuation"}, misc, names)
    load_defs(
        sources[vqa_eval][0],
        {
            "hit_calculate",
            "process_line",
            "relaxed_correctness",
            "levenshtein_distance",
            "anls_compute",
            "process_answer",
            "_process_digit_article",
        },
        vqa_eval,
        names,
    )
    frame = pd.DataFrame(rows)
    names.update(
        load=lambda _: frame.copy(),
        dump=lambda *a, **k: None,
        get_intermediate_file_path=lambda *a, **k: "unused",
        mp=SimpleNamespace(Pool=_Pool),
    )
    evaluate = load_method(sources[image_vqa][0], "ImageVQADataset", "evaluate_heuristic", image_vqa, names)
    result = evaluate(SimpleNamespace(dataset_name=dataset), "eval.xlsx")
    lines = [frame.iloc[i] for i in range(len(frame))]
    method = {"DocVQA": "anls", "InfoVQA": "anls", "ChartQA": "relaxed_accuracy", "TextVQA": "vqa_score"}
    kind = next(k for k in method if k in dataset)
    hits = names["hit_calculate"](
        [names["process_line"](line, method=method[kind]) for line in lines], dataset
    )
    return (
        {k: float(v[0]) for k, v in result.to_dict(orient="list").items()},
        [float(h) for h in hits],
        sources[image_vqa][1],
    )


def write_golden(here: Path, name: str, document: dict[str, Any]) -> None:
    """``<name>.json`` beside the script."""
    here.joinpath(f"{name}.json").write_text(
        json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


def rrc_golden(
    name: str, dataset: str, rows: list[dict[str, Any]], predictions: dict[str, str], vlmevalkit: Path
) -> dict[str, Any]:
    """DocVQA / InfographicVQA: the RRC scorer (the ``anls`` package's ``evaluate_json``,
    a port of the RRC InfographicVQA script) on the fixture's annotation file and a
    submission of the predictions; VLMEvalKit's ANLS beside it for ``anls_vlmevalkit``."""
    from importlib.metadata import version

    from anls.evaluation import evaluate_json

    gold = fixtures_vqa.rrc_document(rows, name, "val")
    submission = [
        {"questionId": row["questionId"], "answer": predictions[str(row["questionId"])]} for row in rows
    ]
    result = evaluate_json(gold, submission, show_scores_per_answer_type=False, anls_threshold=0.5)
    table = [
        {"answer": repr(row["answers"]), "prediction": predictions[str(row["questionId"])]} for row in rows
    ]
    vlm, hits, commit = vlmevalkit_vqa(vlmevalkit, dataset, table)
    return {
        "benchmark": name,
        "fixture": "tests/support/fixtures_vqa.py",
        "reference": {
            "package": "anls",
            "version": version("anls"),
            "source": "shunk031/ANLS: anls/evaluation/evaluate_json.py (the RRC InfographicVQA scorer)",
            "call": "evaluate_json(gold, submission, show_scores_per_answer_type=False, anls_threshold=0.5)"
            ".result.score * 100",
        },
        "headline": {"value": result.result.score * 100, "parts": {}},
        "per_sample": {qid: {"anls": m.score} for qid, m in result.per_sample_result.items()},
        "cross_check": {
            "repository": "open-compass/VLMEvalKit",
            "commit": commit,
            "call": f"ImageVQADataset.evaluate_heuristic (dataset_name {dataset!r}), 'Overall' / 100",
            "metric": "anls_vlmevalkit",
            "mean": vlm["Overall"] / 100,
            "per_sample": {str(row["questionId"]): hit for row, hit in zip(rows, hits)},
        },
    }
