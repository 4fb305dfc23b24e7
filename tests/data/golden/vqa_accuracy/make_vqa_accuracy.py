"""Regenerate vqa_accuracy.json by running the three reference VQA scorers.

One expected value per ``answer_processor`` option, each from its own reference:

- ``vqa_eval``: GT-Vision-Lab/VQA PythonEvaluationTools/vqaEvaluation/vqaEval.py,
  ``VQAEval.evaluate()`` on one question whose answers carry distinct ``answer_id``s.
  The file is Python 2; its two ``print "..."`` statements are turned into calls before
  it is executed, nothing else is changed. The per-question accuracy is taken unrounded
  from the ``setEvalQA`` call (which otherwise rounds to 2 decimals of a percentage).
- ``evalai``: lmms-eval lmms_eval/tasks/textvqa/utils.py ``textvqa_process_results``
  with ``EvalAIAnswerProcessor`` (lmms_eval/tasks/_task_utils/vqa_eval_metric.py).
  Cross-check on cases with exactly 10 answers: MMF mmf/utils/m4c_evaluators.py
  ``TextVQAAccuracyEvaluator`` (asserts 10 answers).
- ``vlmevalkit``: VLMEvalKit vlmeval/dataset/utils/vqa_eval.py ``process_line(line,
  method="vqa_score")`` then ``hit_calculate([...], "TextVQA")``.

    python tests/data/golden/vqa_accuracy/make_vqa_accuracy.py --vqa PATH/TO/VQA \\
        --lmms-eval PATH/TO/lmms-eval --mmf PATH/TO/mmf --vlmevalkit PATH/TO/VLMEvalKit
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import json
import re
import statistics
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
NBSP = "\u00a0"


def git_source(checkout: Path, path: str) -> tuple[str, str]:
    """A file at HEAD of a checkout (work tree or bare git dir) and the commit hash."""
    git = ["git", "-C", str(checkout)] if (checkout / ".git").exists() else ["git", f"--git-dir={checkout}"]

    def run(*args: str) -> str:
        return subprocess.run([*git, *args], check=True, capture_output=True, encoding="utf-8").stdout

    return run("show", f"HEAD:{path}"), run("rev-parse", "HEAD").strip()


def load_defs(source: str, names: set[str] | None, filename: str, namespace: dict[str, Any]) -> None:
    """Execute the named top-level functions/classes of ``source`` (all when None)."""
    tree = ast.parse(source, filename)
    nodes = [
        node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and (names is None or node.name in names)
    ]
    if names is not None and names - {node.name for node in nodes}:
        raise SystemExit(f"{filename}: not found: {sorted(names - {n.name for n in nodes})}")
    for node in nodes:
        node.decorator_list = []
    exec(compile(ast.Module(body=nodes, type_ignores=[]), filename, "exec"), namespace)


def cases() -> list[tuple[str, list[str], str]]:
    """(tag, references, prediction)."""

    def ten(*groups):
        return [a for n, a in groups for _ in range(n)]

    out = [
        ("number word vs digit", ten((10, "two")), "2"),
        ("digit vs number word", ten((10, "2")), "two"),
        ("mixed number forms", ten((5, "2"), (5, "two")), "Two"),
        ("none is zero", ten((4, "0"), (6, "none")), "none"),
        ("ten", ten((3, "10"), (7, "ten")), "10"),
        ("words", ten((10, "one two three")), "1 2 3"),
        ("article the", ten((10, "cat")), "the cat"),
        ("article a", ten((3, "dog"), (3, "a dog"), (4, "puppy")), "a dog"),
        ("article an", ten((2, "apple"), (2, "an apple"), (6, "red apple")), "An apple"),
        ("only an article", ten((10, "a")), "(a)"),
        ("identical refs, case", ten((10, "Yes")), "yes"),
        ("identical refs, digit", ten((10, "2")), "two"),
        ("trailing period", ten((9, "yes"), (1, "no")), "Yes."),
        ("exclamation", ten((10, "yes")), "yes!"),
        ("question mark", ten((6, "what"), (4, "who")), "what?"),
        ("contraction dont", ten((10, "don't")), "dont"),
        ("contraction reverse", ten((4, "dont"), (6, "do not")), "don't"),
        ("possessive s", ten((10, "hes")), "he's"),
        ("its", ten((5, "its"), (5, "it's")), "it's"),
        ("I'm", ten((10, "Im")), "I'm"),
        ("thousands comma", ten((6, "1000"), (4, "1,000")), "1,000"),
        ("thousands comma ref", ten((10, "1,000")), "1000"),
        ("decimal comma", ten((5, "12.5"), (5, "12,5")), "12,5"),
        ("decimal point", ten((10, "3.5"), (0, "")), "3.5"),
        ("digit then period", ten((7, "3"), (3, "three")), "3."),
        ("period inside number", ten((5, "1.000"), (5, "1000")), "1.000"),
        ("hyphen", ten((5, "coca cola"), (5, "coca-cola")), "coca-cola"),
        ("hyphen spaced", ten((6, "coca cola"), (4, "cola")), "coca - cola"),
        ("x-ray", ten((5, "xray"), (5, "x ray")), "x-ray"),
        ("abbreviation", ten((7, "usa"), (3, "us")), "U.S.A."),
        ("st. louis", ten((6, "st louis"), (4, "saint louis")), "St. Louis"),
        ("time", ten((7, "12:30"), (3, "1230")), "12:30"),
        ("percent", ten((6, "50%"), (4, "50")), "50%"),
        ("percent spaced", ten((6, "50%"), (4, "50")), "50 %"),
        ("currency", ten((5, "5"), (5, "$5")), "$5"),
        ("units", ten((4, "5 dollars"), (6, "5")), "five dollars"),
        ("date dots", ten((6, "17.05.1990"), (4, "may 17 1990")), "17.05.1990"),
        ("date slashes", ten((5, "05/17/1990"), (5, "may 17")), "05/17/1990"),
        ("date dashes", ten((10, "1990-05-17")), "1990-05-17"),
        ("brackets", ten((10, "[1]")), "1"),
        ("quotes", ten((8, 'the "best"'), (2, "best")), "best"),
        ("newline", ten((10, "new york")), "new\nyork"),
        ("tab", ten((8, "new york"), (2, "ny")), "new\tyork"),
        ("padding", ten((10, "paris")), "  Paris  "),
        ("nbsp", ten((10, "12 345")), f"12{NBSP}345"),
        ("nbsp in refs", ten((5, f"12{NBSP}345"), (5, "12345")), "12 345"),
        ("cyrillic case", ten((10, "москва")), "Москва"),
        ("cyrillic mixed", ten((6, "Москва"), (4, "г. Москва")), "москва"),
        ("yo vs e", ten((5, "елка"), (5, "ёлка")), "ёлка"),
        ("yo vs e, no match", ten((10, "елка")), "ёлка"),
        ("composed vs decomposed", ten((6, "e\u0301te\u0301"), (4, "ete")), "\u00e9t\u00e9"),
        ("composed both", ten((6, "\u00e9t\u00e9"), (4, "ete")), "\u00e9t\u00e9"),
        ("cyrillic yes", ten((7, "да"), (3, "нет")), "ДА"),
        ("empty prediction", ten((10, "yes")), ""),
        ("empty everything", ten((10, "")), ""),
        ("empty refs mixed", ten((5, ""), (5, "no")), ""),
        ("many periods", ten((5, "ab" * 35), (5, "x")), "ab." * 35),
        ("many periods in refs", ten((5, "ab." * 35), (5, "x")), "ab" * 35),
        ("semicolon", ten((4, "a;b"), (6, "a b")), "a;b"),
        ("slash", ten((5, "and/or"), (5, "and or")), "and/or"),
        ("one ref", ["left"], "left"),
        ("two refs", ["left", "left"], "left"),
        ("three refs", ["left", "left", "left"], "left"),
        ("four refs", ["left"] * 4, "left"),
        ("five refs mixed", ["left", "left", "right", "left", "up"], "left"),
        ("one ref normalised", ["Two"], "2"),
        ("three answers", ten((3, "red"), (3, "blue"), (4, "green")), "red"),
        ("one answer", ten((1, "red"), (9, "blue")), "red"),
        ("two answers", ten((2, "red"), (8, "blue")), "red"),
        ("four answers", ten((4, "red"), (6, "blue")), "red"),
        ("wrong", ten((10, "red")), "blue"),
    ]
    return out


def contraction_cases(contractions: dict[str, str]) -> list[tuple[str, list[str], str]]:
    """Every contraction-table key as a prediction against its value (and itself)."""
    return [
        (f"contraction {key}", [value] * 3 + [key] * 3 + ["other"] * 4, key)
        for key, value in contractions.items()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("vqa", "lmms-eval", "mmf", "vlmevalkit"):
        parser.add_argument(f"--{name}", type=Path, required=True)
    args = parser.parse_args()

    vqa_path = "PythonEvaluationTools/vqaEvaluation/vqaEval.py"
    vqa_src, vqa_commit = git_source(args.vqa, vqa_path)
    vqa_src = re.sub(r"^(\s*)print (.*)$", r"\1print(\2)", vqa_src, flags=re.MULTILINE)
    official: dict[str, Any] = {"re": re}
    load_defs(vqa_src, {"VQAEval"}, vqa_path, official)

    class Questions:
        def __init__(self, qa: dict[int, dict[str, Any]]) -> None:
            self.qa = qa

        def getQuesIds(self) -> list[int]:
            return list(self.qa)

    class Capture(official["VQAEval"]):  # type: ignore[misc]
        def setEvalQA(self, ques_id: int, acc: float) -> None:
            self.raw = acc

        def updateProgress(self, progress: float) -> None:
            pass

    def run_official(refs: list[str], pred: str) -> float:
        answers = [{"answer": a, "answer_confidence": "yes", "answer_id": i + 1} for i, a in enumerate(refs)]
        gts = Questions({1: {"answers": answers, "question_type": "what", "answer_type": "other"}})
        res = Questions({1: {"answer": pred}})
        scorer = Capture(gts, res)
        with contextlib.redirect_stdout(io.StringIO()):  # its progress lines
            scorer.evaluate()
        return float(scorer.raw)

    proc_path = "lmms_eval/tasks/_task_utils/vqa_eval_metric.py"
    utils_path = "lmms_eval/tasks/textvqa/utils.py"
    proc_src, lmms_commit = git_source(args.lmms_eval, proc_path)
    lmms: dict[str, Any] = {"re": re, "statistics": statistics}
    load_defs(proc_src, {"EvalAIAnswerProcessor"}, proc_path, lmms)
    load_defs(git_source(args.lmms_eval, utils_path)[0], {"textvqa_process_results"}, utils_path, lmms)

    mmf_path = "mmf/utils/m4c_evaluators.py"
    mmf_src, mmf_commit = git_source(args.mmf, mmf_path)
    mmf: dict[str, Any] = {"re": re}
    load_defs(mmf_src, {"EvalAIAnswerProcessor", "TextVQAAccuracyEvaluator"}, mmf_path, mmf)
    mmf_scorer = mmf["TextVQAAccuracyEvaluator"]()

    vlm_path, misc_path = "vlmeval/dataset/utils/vqa_eval.py", "vlmeval/smp/misc.py"
    vlm_src, vlm_commit = git_source(args.vlmevalkit, vlm_path)
    vlm: dict[str, Any] = {"np": np}
    load_defs(
        git_source(args.vlmevalkit, misc_path)[0],
        {"istype", "listinstr", "process_punctuation"},
        misc_path,
        vlm,
    )
    load_defs(
        vlm_src, {"process_line", "hit_calculate", "process_answer", "_process_digit_article"}, vlm_path, vlm
    )

    table = Capture(Questions({}), Questions({})).contractions
    rows = []
    mmf_checked = 0
    for tag, refs, pred in cases() + contraction_cases(table):
        evalai = float(
            lmms["textvqa_process_results"]({"answers": list(refs), "question_id": 1}, [pred])["exact_match"]
        )
        if len(refs) == 10:
            check = mmf_scorer.eval_pred_list([{"pred_answer": pred, "gt_answers": list(refs)}])
            if abs(check - evalai) > 1e-12:
                raise SystemExit(f"MMF {check} != lmms-eval {evalai} for {tag}")
            mmf_checked += 1
        line = {"answer": repr(refs), "prediction": pred}
        vlmevalkit = float(
            vlm["hit_calculate"]([vlm["process_line"](line, method="vqa_score")], "TextVQA")[0]
        )
        expected = {"evalai": evalai, "vqa_eval": run_official(refs, pred), "vlmevalkit": vlmevalkit}
        rows.append({"tag": tag, "references": refs, "prediction": pred, "expected": expected})

    out = {
        "metric": "vqa_accuracy",
        "reference": {
            "vqa_eval": {
                "repository": "GT-Vision-Lab/VQA",
                "commit": vqa_commit,
                "file": vqa_path,
                "call": "VQAEval.evaluate() on one question; unrounded value passed to setEvalQA",
            },
            "evalai": {
                "repository": "EvolvingLMMs-Lab/lmms-eval",
                "commit": lmms_commit,
                "files": [proc_path, utils_path],
                "call": "textvqa_process_results({'answers': refs}, [pred])['exact_match']",
                "cross_check": {
                    "repository": "facebookresearch/mmf",
                    "commit": mmf_commit,
                    "file": mmf_path,
                    "call": "TextVQAAccuracyEvaluator().eval_pred_list(...), cases with 10 answers",
                    "cases_checked": mmf_checked,
                    "agrees_within": 1e-12,
                },
            },
            "vlmevalkit": {
                "repository": "open-compass/VLMEvalKit",
                "commit": vlm_commit,
                "files": [vlm_path, misc_path],
                "call": "hit_calculate([process_line(line, method='vqa_score')], 'TextVQA')[0]",
            },
        },
        "cases": rows,
    }
    HERE.joinpath("vqa_accuracy.json").write_text(
        json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
