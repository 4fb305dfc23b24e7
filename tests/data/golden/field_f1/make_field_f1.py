"""Regenerate field_f1.json with a second, straightforward implementation of field F1.

    python tests/data/golden/field_f1/make_field_f1.py

There is no official package for KIE field F1. The definition followed (reference doc
docs: document-metrics-and-datasets.md §1.11) is the SROIE task 3 / Donut-CORD one: a
predicted (key, value) pair is correct when the same key has an equal value in the
ground truth; precision = TP / predicted, recall = TP / expected,
F1 = 2TP / (2TP + FP + FN), micro-averaged over a corpus. Choices made here, and in
``vlmhyperbench.metrics.structured.FieldF1``:

- keys are dotted paths (``seller.name``); list items are addressed by position
  (``items[0].name``), so list order matters (Donut instead shares one path among items);
- a leaf is text: strings as they are, numbers and booleans in JSON spelling;
- values are normalised in this order: NFKC, ё→е, punctuation (Unicode P*) deleted,
  lower case, whitespace runs collapsed and ends stripped (each step per its option;
  defaults: NFKC, lower case, whitespace collapse);
- null, empty after normalisation, ``[]`` and ``{}`` are not fields;
- a sample's F1 is 1.0 when neither side has a field; with several ground-truth
  alternatives the best F1 counts (the first on ties).

The implementation below is written independently of the metric (no shared code).
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

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
]

CORPUS_GROUPS: list[tuple[str, list[str]]] = [
    ("invoice answers", ["exact", "one value wrong", "one key missing", "one key hallucinated"]),
    (
        "with invalid and empty",
        ["invalid answer scored empty", "both empty", "ground truth empty, answer has a field"],
    ),
    ("receipts", ["nested exact", "nested, items swapped", "nested, one item missing", "nested, extra item"]),
]


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


def parse(answer: str) -> Any:
    try:
        return json.loads(answer)
    except ValueError:
        return None


def evaluate(gt: Any, answer: str, options: dict[str, bool]) -> dict[str, Any]:
    refs = [json.loads(a) for a in gt["answers"]] if set(gt) == {"answers"} else [gt]
    predicted = fields(parse(answer), options)
    best: dict[str, Any] | None = None
    for ref in refs:
        expected = fields(ref, options)
        correct = {p for p, v in predicted.items() if expected.get(p) == v}
        tp, fp, fn = len(correct), len(predicted) - len(correct), len(expected) - len(correct)
        f1 = 1.0 if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)
        result = {
            "f1": f1,
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "hits": {p: float(p in correct) for p in expected},
        }
        if best is None or f1 > best["f1"]:
            best = result
    assert best is not None
    return best


def main() -> None:
    cases = []
    for name, gt, answer, options in CASES:
        full = {**DEFAULTS, **options}
        sample = gt if set(gt) == {"answers"} else {"fields": gt}
        cases.append(
            {"name": name, **sample, "answer": answer, "options": options, **evaluate(gt, answer, full)}
        )
    by_name = {c["name"]: c for c in cases}
    corpus = []
    for name, members in CORPUS_GROUPS:
        tp, fp, fn = (sum(by_name[m][k] for m in members) for k in ("tp", "fp", "fn"))
        corpus.append(
            {
                "name": name,
                "cases": members,
                "precision": tp / (tp + fp) if tp + fp else (1.0 if fn == 0 else 0.0),
                "recall": tp / (tp + fn) if tp + fn else (1.0 if fp == 0 else 0.0),
                "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0,
                "tp": tp,
                "fp": fp,
                "fn": fn,
            }
        )
    out = {
        "reference": "independent implementation in make_field_f1.py (SROIE task 3 / Donut-CORD field F1)",
        "defaults": DEFAULTS,
        "cases": cases,
        "corpus": corpus,
    }
    path = Path(__file__).with_name("field_f1.json")
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} cases and {len(corpus)} corpus groups to {path}")


if __name__ == "__main__":
    main()
