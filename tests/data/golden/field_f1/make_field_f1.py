"""Regenerate field_f1.json by running the official Donut and CC-OCR field-F1 scorers.

References (their code is not kept here: the script reads it from fetched checkouts, a
work tree or a bare git dir, at generation time):

- ``donut``: clovaai/donut ``donut/util.py``, ``JSONParseEvaluator().cal_f1(preds,
  answers)`` (MIT), the field F1 of the Donut paper's CORD results. Only the class is
  executed (parsed out of the file with ``ast``): the rest of util.py imports torch,
  datasets and transformers, which ``cal_f1`` does not use.
- ``cc_ocr``: AlibabaResearch/AdvancedLiterateMachinery
  ``Benchmarks/CC-OCR/evaluation/evaluator/kie_evaluator.py`` (with its ``common.py``),
  copied into a scratch folder and imported. The value is the F1 half of
  ``KieEvaluator.evaluate``: ``response_post_func`` on the answer text (an answer it
  cannot parse is left out, as the evaluator's ``__call__`` does), then
  ``normalize_values_of_nested_dict(x, KieEvaluator.normalize_func)`` on answers and
  ground truths, then ``cal_f1_all(preds, answers)``: the F1 and ``class_f1_score``
  (per field path). ``evaluate`` itself also runs the tree-edit accuracy, which divides
  by zero on an empty ground truth.

Every case is scored alone (the per-sample value; ``donut`` is None where ``cal_f1``
raises ZeroDivisionError: no field on either side) and each corpus group is scored in
one call (the pooled value). A case with several JSON references is scored once per
reference (the reference scorers have no alternatives; the metric keeps the best).

The ``paths`` values are for ``field_f1``, our own definition (positional list paths,
configurable normalisation), for which there is no official scorer: they come from the
independent second implementation at the end of this script, and are NOT a conformance
check.

    python -m venv /tmp/field-f1-venv
    /tmp/field-f1-venv/bin/pip install zss==1.2.0 nltk==3.10.4 tabulate==0.10.0
    git clone https://github.com/clovaai/donut /tmp/donut
    git clone https://github.com/AlibabaResearch/AdvancedLiterateMachinery /tmp/alm
    /tmp/field-f1-venv/bin/python tests/data/golden/field_f1/make_field_f1.py \\
        --donut /tmp/donut --cc-ocr /tmp/alm
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import unicodedata
from importlib.metadata import version
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
DONUT_FILE = "donut/util.py"
CC_OCR_DIR = "Benchmarks/CC-OCR/evaluation/evaluator"
NBSP = "\u00a0"
DEFAULTS = {
    "case_sensitive": False,
    "collapse_whitespace": True,
    "nfkc": True,
    "fold_yo": False,
    "strip_punctuation": False,
}

INVOICE = {"inn": "7707083893", "kpp": "770701001", "date": "12.03.2024", "total": "1 234,50"}
RECEIPT = {
    "seller": {"name": "ООО «Ромашка»", "address": "г. Москва, ул. Ленина, д. 1"},
    "items": [{"name": "Молоко", "price": "89.90"}, {"name": "Хлеб", "price": "45.00"}],
    "total": "134.90",
}

# name, ground truth (fields) or {"answers": [...]}, answer text, options
CASES: list[tuple[str, Any, str, dict[str, bool]]] = [
    ("exact", INVOICE, json.dumps(INVOICE, ensure_ascii=False), {}),
    ("keys reordered", INVOICE, json.dumps(dict(reversed(INVOICE.items())), ensure_ascii=False), {}),
    ("one value wrong", INVOICE, json.dumps({**INVOICE, "kpp": "770701002"}), {}),
    ("one key missing", INVOICE, json.dumps({k: v for k, v in INVOICE.items() if k != "date"}), {}),
    ("one key hallucinated", INVOICE, json.dumps({**INVOICE, "ogrn": "1027700132195"}), {}),
    ("all wrong", INVOICE, json.dumps({k: "?" for k in INVOICE}), {}),
    ("invalid answer scored empty", INVOICE, "", {}),
    ("answer not JSON", INVOICE, "ИНН 7707083893", {}),
    ("answer is a JSON list", INVOICE, '["7707083893"]', {}),
    ("number equals its string", {"inn": "7707083893"}, '{"inn": 7707083893}', {}),
    ("float spelling", {"total": "53.29"}, '{"total": 53.29}', {}),
    ("int vs float spelling differs", {"n": "1"}, '{"n": 1.0}', {}),
    ("bool in JSON spelling", {"paid": "true"}, '{"paid": true}', {}),
    ("bool vs Python spelling", {"paid": "True"}, '{"paid": true}', {}),
    ("case folded", {"name": "ИВАНОВ"}, '{"name": "Иванов"}', {}),
    ("case kept", {"name": "ИВАНОВ"}, '{"name": "Иванов"}', {"case_sensitive": True}),
    ("NBSP collapsed", {"passport": "45 12 345678"}, json.dumps({"passport": f"45{NBSP}12{NBSP}345678"}), {}),
    (
        "NBSP kept without NFKC or collapse",
        {"passport": "45 12 345678"},
        json.dumps({"passport": f"45{NBSP}12{NBSP}345678"}),
        {"nfkc": False, "collapse_whitespace": False},
    ),
    ("double space collapsed", {"fio": "Иванов Иван"}, '{"fio": "Иванов  Иван"}', {}),
    ("double space kept", {"fio": "Иванов Иван"}, '{"fio": "Иванов  Иван"}', {"collapse_whitespace": False}),
    ("ends stripped always", {"fio": "Иванов"}, '{"fio": "  Иванов "}', {"collapse_whitespace": False}),
    ("newline collapsed", {"addr": "Москва\nул. Ленина"}, '{"addr": "Москва ул. Ленина"}', {}),
    ("full-width digits with NFKC", {"n": "123"}, '{"n": "１２３"}', {}),
    ("full-width digits without NFKC", {"n": "123"}, '{"n": "１２３"}', {"nfkc": False}),
    ("decomposed e-acute with NFKC", {"w": "café"}, json.dumps({"w": "cafe\u0301"}), {}),
    ("decomposed e-acute without NFKC", {"w": "café"}, json.dumps({"w": "cafe\u0301"}), {"nfkc": False}),
    ("yo differs by default", {"name": "Пётр"}, '{"name": "Петр"}', {}),
    ("yo folded", {"name": "Пётр"}, '{"name": "Петр"}', {"fold_yo": True}),
    ("capital yo folded", {"name": "Ёлкин"}, '{"name": "елкин"}', {"fold_yo": True}),
    ("punctuation counts by default", {"org": "ООО «Ромашка»"}, '{"org": "ООО Ромашка"}', {}),
    (
        "punctuation stripped",
        {"org": "ООО «Ромашка»"},
        '{"org": "ООО \\"Ромашка\\""}',
        {"strip_punctuation": True},
    ),
    (
        "date punctuation stripped",
        {"date": "12.03.2024"},
        '{"date": "12/03/2024"}',
        {"strip_punctuation": True},
    ),
    ("keys are case-sensitive", {"Name": "x"}, '{"name": "x"}', {}),
    ("nested exact", RECEIPT, json.dumps(RECEIPT, ensure_ascii=False), {}),
    (
        "nested, items swapped",
        RECEIPT,
        json.dumps({**RECEIPT, "items": RECEIPT["items"][::-1]}, ensure_ascii=False),
        {},
    ),
    (
        "nested, one item missing",
        RECEIPT,
        json.dumps({**RECEIPT, "items": RECEIPT["items"][:1]}, ensure_ascii=False),
        {},
    ),
    (
        "nested, seller flattened wrongly",
        RECEIPT,
        json.dumps(
            {"seller": "ООО «Ромашка»", "items": RECEIPT["items"], "total": "134.90"}, ensure_ascii=False
        ),
        {},
    ),
    (
        "nested, extra item",
        RECEIPT,
        json.dumps(
            {**RECEIPT, "items": [*RECEIPT["items"], {"name": "Пакет", "price": "5.00"}]}, ensure_ascii=False
        ),
        {},
    ),
    ("list of strings by position", {"phones": ["111", "222"]}, '{"phones": ["111", "222"]}', {}),
    ("list of strings reordered", {"phones": ["111", "222"]}, '{"phones": ["222", "111"]}', {}),
    ("null in ground truth, absent in answer", {"a": "x", "b": None}, '{"a": "x"}', {}),
    ("null in ground truth, value given", {"a": "x", "b": None}, '{"a": "x", "b": "y"}', {}),
    ("null in answer is no field", {"a": "x"}, '{"a": "x", "b": null}', {}),
    ("empty string is no field", {"a": "x", "b": ""}, '{"a": "x", "b": " "}', {}),
    ("empty containers are no fields", {"a": "x", "b": [], "c": {}}, '{"a": "x", "b": {}, "c": []}', {}),
    ("both empty", {}, "{}", {}),
    ("ground truth empty, answer has a field", {}, '{"a": "x"}', {}),
    ("ground truth empty, invalid answer", {}, "", {}),
    ("only nulls on both sides", {"a": None}, '{"a": null}', {}),
    (
        "JSON answer reference",
        {"answers": ['{"inn": "7707083893", "kpp": "770701001"}']},
        '{"inn": "7707083893", "kpp": "0"}',
        {},
    ),
    (
        "JSON answers are alternatives",
        {"answers": ['{"date": "12.03.2024"}', '{"date": "2024-03-12"}']},
        '{"date": "2024-03-12"}',
        {},
    ),
    (
        "alternatives, best of partial",
        {"answers": ['{"a": "1", "b": "2"}', '{"a": "1", "b": "3", "c": "4"}']},
        '{"a": "1", "b": "3", "c": "4"}',
        {},
    ),
    ("top-level JSON array reference", {"answers": ['["a", "b"]']}, '["a", "c"]', {}),
    ("Cyrillic and Latin look-alikes differ", {"series": "АВ"}, '{"series": "AB"}', {}),
    ("deep nesting", {"a": {"b": {"c": [{"d": "x"}]}}}, '{"a": {"b": {"c": [{"d": "X"}]}}}', {}),
    # Where Donut's and CC-OCR's reading of a JSON value differ from ours or from each other
    ("duplicate list values are a multiset", {"phones": ["111", "111"]}, '{"phones": ["111"]}', {}),
    (
        "list of objects, shuffled and one wrong",
        RECEIPT,
        json.dumps(
            {**RECEIPT, "items": [{"name": "Хлеб", "price": "45.00"}, {"name": "Молоко", "price": "89.00"}]},
            ensure_ascii=False,
        ),
        {},
    ),
    ("boolean inside a list", {"flags": [True, "x"]}, '{"flags": ["x"]}', {}),
    ("null inside a list", {"a": ["x", None]}, '{"a": ["x", null]}', {}),
    ("zero on both sides", {"count": 0, "a": "x"}, '{"count": 0, "a": "x"}', {}),
    ("zero in ground truth, absent in answer", {"count": 0, "a": "x"}, '{"a": "x"}', {}),
    ("false in ground truth, absent in answer", {"paid": False, "a": "x"}, '{"a": "x"}', {}),
    ("false on both sides", {"paid": False, "a": "x"}, '{"paid": false, "a": "x"}', {}),
    ("null in ground truth, null in answer", {"a": "x", "b": None}, '{"a": "x", "b": null}', {}),
    ("null in ground truth, 'None' in answer", {"a": "x", "b": None}, '{"a": "x", "b": "None"}', {}),
    ("empty string in ground truth, absent in answer", {"a": "x", "b": ""}, '{"a": "x"}', {}),
    ("whitespace-only answer value", {"a": "x"}, '{"a": "x", "b": "  "}', {}),
    ("mixed list of objects and strings", {"a": [{"b": "1"}, "2"]}, '{"a": [{"b": "1"}, "2"]}', {}),
    ("nested lists", {"a": [["1", "2"], "3"]}, '{"a": [["1", "2"], "3"]}', {}),
    (
        "top-level list of objects reordered",
        {"answers": ['[{"a": "1"}, {"a": "2"}]']},
        '[{"a": "2"}, {"a": "1"}]',
        {},
    ),
    ("full-width digits inside a list", {"n": ["123"]}, '{"n": ["１２３"]}', {}),
    ("ideographic space and full-width letters", {"code": "AB 12"}, '{"code": "ＡＢ\u300012"}', {}),
    ("spaces around punctuation", {"addr": "г. Москва, ул. Ленина"}, '{"addr": "г.Москва ,ул.Ленина"}', {}),
    ("space before a final dot", {"org": "ООО Ромашка."}, '{"org": "ООО Ромашка ."}', {}),
    ("digits then letters", {"code": "12AB"}, '{"code": "12 AB"}', {}),
    ("CJK spaces", {"name": "北京大学"}, '{"name": "北京 大学"}', {}),
    ("ideographic comma", {"list": "1,2"}, '{"list": "1、2"}', {}),
    ("decimal comma after a digit", {"total": "1 234,50"}, '{"total": "1 234 ,50"}', {}),
    ("large float spelling", {"n": "1e+16"}, '{"n": 1e16}', {}),
    ("True in Python spelling", {"paid": "True"}, '{"paid": true}', {}),
    ("ends of values stripped", {"a": "x "}, '{"a": " x"}', {}),
    ("key with a dot equals a nested path", {"a.b": "1"}, '{"a": {"b": "1"}}', {}),
    ("answer is a JSON string", {"answers": ['["a"]']}, '"a"', {}),
    ("answer is JSON null", {"a": "x"}, "null", {}),
    ("answer is JSON false", {"a": "x"}, "false", {}),
    ("answer is a number", {"answers": ['["5"]']}, "5", {}),
]

CORPUS_GROUPS: list[tuple[str, list[str]]] = [
    ("invoice answers", ["exact", "one value wrong", "one key missing", "one key hallucinated"]),
    (
        "with invalid and empty",
        ["invalid answer scored empty", "both empty", "ground truth empty, answer has a field"],
    ),
    ("receipts", ["nested exact", "nested, items swapped", "nested, one item missing", "nested, extra item"]),
    (
        "falsy values and lists",
        [
            "duplicate list values are a multiset",
            "list of objects, shuffled and one wrong",
            "zero in ground truth, absent in answer",
            "false on both sides",
            "null in ground truth, absent in answer",
            "empty string in ground truth, absent in answer",
            "whitespace-only answer value",
            "answer is JSON false",
        ],
    ),
    (
        "normalisation",
        [
            "case folded",
            "NBSP collapsed",
            "full-width digits with NFKC",
            "full-width digits inside a list",
            "spaces around punctuation",
            "CJK spaces",
            "decimal comma after a digit",
            "one value wrong",
        ],
    ),
]


# --- the official scorers ------------------------------------------------------------


def git_source(checkout: Path, path: str) -> tuple[str, str]:
    """A file at HEAD of a checkout (work tree or bare git dir) and the commit hash."""
    git = ["git", "-C", str(checkout)] if (checkout / ".git").exists() else ["git", f"--git-dir={checkout}"]

    def run(*args: str) -> str:
        return subprocess.run([*git, *args], check=True, capture_output=True, encoding="utf-8").stdout

    return run("show", f"HEAD:{path}"), run("rev-parse", "HEAD").strip()


def load_donut(checkout: Path) -> tuple[Any, str]:
    """``JSONParseEvaluator()`` executed from donut/util.py at HEAD, and the commit."""
    import zss
    from nltk import edit_distance

    source, commit = git_source(checkout, DONUT_FILE)
    nodes = [
        n for n in ast.parse(source).body if isinstance(n, ast.ClassDef) and n.name == "JSONParseEvaluator"
    ]
    if len(nodes) != 1:
        raise SystemExit(f"{DONUT_FILE}: class JSONParseEvaluator not found")
    namespace: dict[str, Any] = {"zss": zss, "Node": zss.Node, "edit_distance": edit_distance}
    exec("from typing import Any, Dict, List, Tuple, Union", namespace)
    exec(compile(ast.Module(body=nodes, type_ignores=[]), DONUT_FILE, "exec"), namespace)
    return namespace["JSONParseEvaluator"](), commit


def load_cc_ocr(checkout: Path, scratch: Path) -> tuple[ModuleType, str]:
    """CC-OCR's kie_evaluator module, imported from a scratch copy, and the commit."""
    package = scratch / "cc_ocr_evaluator"
    package.mkdir()
    (package / "__init__.py").write_text("")  # theirs imports every evaluator
    commit = ""
    for name in ("kie_evaluator.py", "common.py"):
        source, commit = git_source(checkout, f"{CC_OCR_DIR}/{name}")
        (package / name).write_text(source, encoding="utf-8")
    sys.path.insert(0, str(scratch))
    return importlib.import_module("cc_ocr_evaluator.kie_evaluator"), commit


def donut_f1(evaluator: Any, preds: list[Any], answers: list[Any]) -> float | None:
    try:
        return float(evaluator.cal_f1(preds, answers))
    except ZeroDivisionError:
        return None


def cc_ocr_f1(module: ModuleType, answers_text: list[str], gts: list[Any]) -> dict[str, Any]:
    """F1, per-sample counts (one sample) and class_f1_score as CC-OCR computes them."""
    kie = module.KieEvaluator("kie")
    responses = {}
    for i, text in enumerate(answers_text):
        parsed = kie.response_post_func(text, file_name=str(i))
        if parsed is not None:
            responses[str(i)] = parsed
    preds = module.normalize_values_of_nested_dict(responses, kie.normalize_func)
    gt_info = module.normalize_values_of_nested_dict(
        {str(i): g for i, g in enumerate(gts)}, kie.normalize_func
    )
    with contextlib.redirect_stdout(io.StringIO()):
        f1, classes, errors = module.cal_f1_all(preds, gt_info)
    out: dict[str, Any] = {
        "f1": f1,
        "fields": {
            path: {k: info[k] for k in ("total_tp", "total_fn_or_fp", "acc")}
            for path, info in classes.items()
        },
    }
    if len(gts) == 1:
        error = errors.get("0", {})
        out["tp"] = sum(info["total_tp"] for info in classes.values())
        out["fp"], out["fn"] = len(error.get("fp", [])), len(error.get("fn", []))
    return out


def references(case_gt: Any) -> list[Any]:
    return [json.loads(a) for a in case_gt["answers"]] if set(case_gt) == {"answers"} else [case_gt]


def parse(answer: str) -> Any:
    """What the metric scores: the answer's JSON value, None when empty or not JSON."""
    try:
        return json.loads(answer)
    except ValueError:
        return None


# --- field_f1 (paths): our own definition, second implementation --------------------

DEFAULTS = {
    "case_sensitive": False,
    "collapse_whitespace": True,
    "nfkc": True,
    "fold_yo": False,
    "strip_punctuation": False,
}


def normalise(text: str, options: dict[str, bool]) -> str:
    if options["nfkc"]:
        text = unicodedata.normalize("NFKC", text)
    if options["fold_yo"]:
        text = text.replace("ё", "е").replace("Ё", "Е")
    if options["strip_punctuation"]:
        text = "".join(c for c in text if unicodedata.category(c)[0] != "P")
    if not options["case_sensitive"]:
        text = text.lower()
    return " ".join(text.split()) if options["collapse_whitespace"] else text.strip()


def leaves(value: Any) -> list[tuple[str, Any]]:
    """(path, leaf) pairs, walking an explicit stack."""
    out, stack = [], [("", value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            stack.extend((f"{path}.{k}" if path else k, v) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((f"{path}[{i}]", v) for i, v in enumerate(node))
        elif node is not None:
            out.append((path, node))
    return out


def fields(value: Any, options: dict[str, bool]) -> dict[str, str]:
    out = {}
    for path, leaf in leaves(value):
        if isinstance(leaf, bool):
            text = "true" if leaf else "false"
        elif isinstance(leaf, (int, float)):
            text = json.dumps(leaf)
        else:
            text = leaf
        text = normalise(text, options)
        if text != "":
            out[path] = text
    return out


def paths_f1(gt: Any, answer: str, options: dict[str, bool]) -> dict[str, Any]:
    predicted = fields(parse(answer), options)
    best: dict[str, Any] | None = None
    for ref in references(gt):
        expected = fields(ref, options)
        counts = {}
        for path in [*expected, *(p for p in predicted if p not in expected)]:
            right = path in expected and predicted.get(path) == expected[path]
            counts[path] = {
                "tp": int(right),
                "fp": int(path in predicted and not right),
                "fn": int(path in expected and not right),
            }
        tp = sum(c["tp"] for c in counts.values())
        fp, fn = len(predicted) - tp, len(expected) - tp
        f1 = 1.0 if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)
        per_path = {p: 2 * c["tp"] / (2 * c["tp"] + c["fp"] + c["fn"]) for p, c in counts.items()}
        result = {"f1": f1, "tp": tp, "fp": fp, "fn": fn, "fields": per_path, "field_counts": counts}
        if best is None or f1 > best["f1"]:
            best = result
    assert best is not None
    return best


def pooled(tp: int, fp: int, fn: int) -> dict[str, Any]:
    return {
        "precision": tp / (tp + fp) if tp + fp else (1.0 if fn == 0 else 0.0),
        "recall": tp / (tp + fn) if tp + fn else (1.0 if fp == 0 else 0.0),
        "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0,
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--donut", type=Path, default=os.environ.get("DONUT"), help="clovaai/donut checkout")
    parser.add_argument(
        "--cc-ocr", type=Path, default=os.environ.get("CC_OCR"), help="AdvancedLiterateMachinery checkout"
    )
    args = parser.parse_args()
    if args.donut is None or args.cc_ocr is None:
        parser.error("give --donut and --cc-ocr (or DONUT / CC_OCR)")
    with tempfile.TemporaryDirectory() as scratch:
        donut, donut_commit = load_donut(args.donut)
        cc_ocr, cc_ocr_commit = load_cc_ocr(args.cc_ocr, Path(scratch))
        cases = []
        for name, gt, answer, options in CASES:
            sample = gt if set(gt) == {"answers"} else {"fields": gt}
            refs = references(gt)
            cases.append(
                {
                    "name": name,
                    **sample,
                    "answer": answer,
                    "options": options,
                    "paths": paths_f1(gt, answer, {**DEFAULTS, **options}),
                    "donut": [donut_f1(donut, [parse(answer)], [ref]) for ref in refs],
                    "cc_ocr": [cc_ocr_f1(cc_ocr, [answer], [ref]) for ref in refs],
                }
            )
        by_name = {c["name"]: c for c in cases}
        corpus = []
        for name, members in CORPUS_GROUPS:
            group = [by_name[m] for m in members]
            if any("answers" in c for c in group):
                raise SystemExit(f"corpus group {name!r}: only single-reference cases")
            answers = [c["answer"] for c in group]
            gts = [c["fields"] for c in group]
            counts = (sum(c["paths"][k] for c in group) for k in ("tp", "fp", "fn"))
            corpus.append(
                {
                    "name": name,
                    "cases": members,
                    "paths": pooled(*counts),
                    "donut": donut_f1(donut, [parse(a) for a in answers], gts),
                    "cc_ocr": cc_ocr_f1(cc_ocr, answers, gts),
                }
            )
    out = {
        "reference": {
            "donut": {
                "repository": "clovaai/donut",
                "commit": donut_commit,
                "file": DONUT_FILE,
                "call": "JSONParseEvaluator().cal_f1(preds, answers); None where it raises ZeroDivisionError",
            },
            "cc_ocr": {
                "repository": "AlibabaResearch/AdvancedLiterateMachinery",
                "commit": cc_ocr_commit,
                "files": [f"{CC_OCR_DIR}/kie_evaluator.py", f"{CC_OCR_DIR}/common.py"],
                "call": "cal_f1_all(*(normalize_values_of_nested_dict(x, KieEvaluator.normalize_func) "
                "for x in (responses, gts))) with responses from KieEvaluator.response_post_func",
            },
            "paths": "no official scorer: field_f1's own definition, from the second implementation "
            "in make_field_f1.py (not a conformance check)",
            "versions": {"python": platform.python_version(), "zss": version("zss"), "nltk": version("nltk")},
        },
        "defaults": DEFAULTS,
        "cases": cases,
        "corpus": corpus,
    }
    path = HERE / "field_f1.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} cases and {len(corpus)} corpus groups to {path}")


if __name__ == "__main__":
    main()
