"""Regenerate anls_star.json by running the reference package ``anls-star`` (PyPI, 1.0.1).

    pip install anls-star==1.0.1
    python tests/data/golden/anls_star/make_anls_star.py

Every value is ``anls_star.anls_score(gt, pred)`` (note the order: ground truth first).

- ``cases``: raw ground-truth / prediction trees. JSON has no tuples, so a tuple of
  alternatives is written ``{"$tuple": [...]}`` here; the test decodes it back.
- ``samples``: what the ``anls_star`` metric sees: a sample's ``fields`` or
  ``answers`` and the answer text. The expected value applies our ground-truth
  convention with the package: ``fields`` if present; else every answer parsed as
  JSON (object or array), several answers being a tuple of alternatives; else the
  answers as plain strings, a tuple of alternatives compared with the raw answer text.
  The prediction is ``json.loads(answer)``, or None when the answer is empty or not JSON.

List matching uses ``munkres``; where optimal assignments tie, the package's value
depends on the munkres version, so every case here was checked to give the same value
with munkres 1.1.4, 2.0.0 and 3.0.0.
"""

from __future__ import annotations

import json
import warnings
from importlib.metadata import version
from pathlib import Path
from typing import Any

import anls_star

NBSP = "\u00a0"
T = tuple  # a tuple literal reads better as T(...) in the table below

CASES: list[tuple[str, Any, Any]] = [
    # the reference document's golden values (docs: document-metrics-and-datasets.md §5)
    (
        "readme dict/list",
        {"a": T(["hello", "world"]), "b": ["this", "is", "a", "test"]},
        {"a": "hello!", "b": ["a", "test", "this", "be"]},
    ),
    (
        "date format + hallucinated key",
        {"total": "53.29", "date": "12/03/2024"},
        {"total": "53.29", "date": "12.03.2024", "extra": "x"},
    ),
    ("list missing an item", {"items": ["a", "b", "c"]}, {"items": ["c", "a"]}),
    ("top-level list missing an item", ["a", "b", "c"], ["c", "a"]),
    ("None expected, value given", {"a": None}, {"a": "x"}),
    ("key missing", {"a": "x"}, {}),
    ("hallucinated None key still counts in the length", {"a": "x"}, {"a": "x", "b": None}),
    ("boundary 0.5 is kept", "ab", "ax"),
    # leaves
    ("equal strings", "hello", "hello"),
    ("case and whitespace", "Hello  World", " hello world "),
    ("empty prediction", "abc", ""),
    ("both empty", "", ""),
    ("one edit of four", "abcd", "abcx"),
    ("two edits of four", "abcd", "abxy"),
    ("below threshold", "abcde", "abxyz"),
    ("Cyrillic case", "ИВАНОВ", "Иванов"),
    ("yo is not e", "ПЁТР", "ПЕТР"),
    ("yo twice", "Ёлкин Семён", "Елкин Семен"),
    ("NBSP collapses like a space", "45 12 345678", f"45{NBSP}12{NBSP}345678"),
    ("NBSP inside a dict value", {"sum": f"12{NBSP}345,67"}, {"sum": "12 345,67"}),
    ("newline collapses", {"addr": "Москва,\nул. Ленина"}, {"addr": "Москва, ул. Ленина"}),
    ("number vs string", {"total": 53.29}, {"total": "53.29"}),
    ("int vs float spelling", {"n": 1}, {"n": 1.0}),
    ("bool vs string", {"flag": True}, {"flag": "true"}),
    ("INN one digit off", {"inn": 7707083893}, {"inn": "7707083898"}),
    ("punctuation counts", {"org": "ООО «Ромашка»"}, {"org": 'ООО "Ромашка"'}),
    # None
    ("None vs None", None, None),
    ("None vs empty string", None, ""),
    ("None vs empty list", None, []),
    ("None vs empty dict", None, {}),
    ("None vs text", None, "x"),
    ("None vs non-empty dict", None, {"a": None}),
    ("None value, key absent", {"a": None}, {}),
    ("None value, empty string", {"a": None}, {"a": ""}),
    ("None value, empty list", {"a": None}, {"a": []}),
    ("None value among others", {"a": "x", "b": None}, {"a": "x"}),
    # empty / invalid answers (an invalid answer is scored as a None prediction)
    ("dict vs None (invalid answer)", {"a": "x", "b": "y"}, None),
    ("empty dict vs empty dict", {}, {}),
    ("empty dict vs None", {}, None),
    ("empty list vs empty list", [], []),
    ("empty list vs None", [], None),
    ("empty gt list vs item", [], ["x"]),
    ("item vs empty list", ["x"], []),
    # lists
    ("order does not matter", ["a", "b"], ["b", "a"]),
    ("one hallucinated item", ["a", "b", "c"], ["a", "b", "c", "d"]),
    ("duplicates", ["a", "a", "b"], ["a", "b"]),
    ("near matches paired by Hungarian", ["apple", "banana", "cherry"], ["chery", "banan", "aple"]),
    ("pairing maximises the total", ["ab", "abc"], ["abc", "abd"]),
    ("gt list of strings vs string = alternatives", ["a", "b"], "b"),
    ("list of dicts vs string", [{"a": "x"}], "x"),
    (
        "line items, reordered, one typo",
        {"items": [{"name": "Молоко", "price": "89.90"}, {"name": "Хлеб", "price": "45.00"}]},
        {"items": [{"name": "Хлеб", "price": "45.00"}, {"name": "Молако", "price": "89.90"}]},
    ),
    (
        "line items, one missing",
        {"items": [{"name": "Молоко", "price": "89.90"}, {"name": "Хлеб", "price": "45.00"}]},
        {"items": [{"name": "Хлеб", "price": "45.00"}]},
    ),
    (
        "line items, one hallucinated",
        {"items": [{"name": "Молоко", "price": "89.90"}]},
        {"items": [{"name": "Молоко", "price": "89.90"}, {"name": "Пакет", "price": "5.00"}]},
    ),
    ("nested lists", [["a", "b"], ["c"]], [["c"], ["b", "a"]]),
    # nested dicts
    (
        "nested dict exact",
        {"seller": {"name": "ООО Ромашка", "inn": "7707083893"}, "total": "100.00"},
        {"total": "100.00", "seller": {"inn": "7707083893", "name": "ООО Ромашка"}},
    ),
    (
        "nested key missing",
        {"seller": {"name": "ООО Ромашка", "inn": "7707083893"}, "total": "100.00"},
        {"seller": {"name": "ООО Ромашка"}, "total": "100.00"},
    ),
    (
        "nested key hallucinated",
        {"seller": {"name": "ООО Ромашка"}},
        {"seller": {"name": "ООО Ромашка", "kpp": "770701001"}},
    ),
    ("keys are case-sensitive", {"Name": "x"}, {"name": "x"}),
    # type mismatches
    ("list expected, leaf given", {"a": ["x"]}, {"a": "x"}),
    ("dict expected, leaf given", {"a": {"b": "x"}}, {"a": "x"}),
    ("leaf expected, dict given", {"a": "x"}, {"a": {"b": "x", "c": "y"}}),
    ("leaf expected, list given", {"a": "x"}, {"a": ["x", "y", "z"]}),
    # tuples (alternatives)
    ("alternatives, second matches", T(["hello", "world"]), "world"),
    ("date alternatives", T(["17.05.1990", "1990-05-17"]), "1990-05-17"),
    ("alternatives of dicts", T([{"a": "1"}, {"a": "1", "b": "2"}]), {"a": "1"}),
    ("alternatives tie", T(["abc", "abd"]), "abx"),
    ("alternative None inside a dict", {"middle_name": T([None, "Петрович"])}, {}),
    (
        "alternative None, other value given",
        {"middle_name": T([None, "Петрович"])},
        {"middle_name": "Петрович"},
    ),
    ("alternatives inside a list", [T(["1", "one"]), "2"], ["2", "one"]),
]

SAMPLES: list[tuple[str, dict[str, Any], str]] = [
    (
        "fields, canonical answer",
        {"fields": {"inn": "7707083893", "kpp": "770701001"}},
        '{"inn": "7707083893", "kpp": "770701001"}',
    ),
    ("fields, invalid answer scored empty", {"fields": {"inn": "7707083893"}}, ""),
    ("fields, answer not JSON", {"fields": {"inn": "7707083893"}}, "ИНН: 7707083893"),
    (
        "fields, hallucinated key",
        {"fields": {"inn": "7707083893"}},
        '{"inn": "7707083893", "ogrn": "1027700132195"}',
    ),
    (
        "fields, nested and list",
        {"fields": {"seller": {"name": "ООО Ромашка"}, "items": ["a", "b"]}},
        '{"items": ["b", "a"], "seller": {"name": "ооо ромашка"}}',
    ),
    ("JSON answer", {"answers": ['{"a": "x", "b": "y"}']}, '{"a": "x", "b": "z"}'),
    ("JSON answers are alternatives", {"answers": ['{"a": "x"}', '{"a": "y"}']}, '{"a": "y"}'),
    ("JSON array answer", {"answers": ['["a", "b", "c"]']}, '["c", "a"]'),
    ("plain answers are alternatives", {"answers": ["ИВАНОВ", "Иванов И."]}, "иванов"),
    ("plain answer, NBSP", {"answers": ["45 12 345678"]}, f"45{NBSP}12{NBSP}345678"),
    ("plain answer, boundary", {"answers": ["ab"]}, "ax"),
    ("plain answer, empty", {"answers": ["abc"]}, ""),
    ("plain numeric answer", {"answers": ["42"]}, "42"),
]


def encode(value: Any) -> Any:
    """JSON form of a tree: tuples become ``{"$tuple": [...]}``."""
    if isinstance(value, tuple):
        return {"$tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    return value


def sample_expected(sample: dict[str, Any], answer: str) -> float:
    """The package's value under our ground-truth convention (see the module docstring)."""
    try:
        pred = json.loads(answer) if answer.strip() else None
    except json.JSONDecodeError:
        pred = None
    if "fields" in sample:
        return anls_star.anls_score(sample["fields"], pred)
    try:
        refs = [json.loads(a) for a in sample["answers"]]
        structured = all(isinstance(r, (dict, list)) for r in refs)
    except json.JSONDecodeError:
        structured = False
    if not structured:
        return anls_star.anls_score(tuple(sample["answers"]), answer)
    return anls_star.anls_score(refs[0] if len(refs) == 1 else tuple(refs), pred)


def main() -> None:
    warnings.simplefilter("ignore")  # the package warns on its list-of-strings compatibility rule
    cases = [
        {"name": name, "gt": encode(gt), "pred": encode(pred), "expected": anls_star.anls_score(gt, pred)}
        for name, gt, pred in CASES
    ]
    samples = [
        {"name": name, **sample, "answer": answer, "expected": sample_expected(sample, answer)}
        for name, sample, answer in SAMPLES
    ]
    out = {
        "reference": {"anls-star": version("anls-star"), "munkres": version("munkres")},
        "munkres_versions_checked": ["1.1.4", "2.0.0", "3.0.0"],
        "call": "anls_star.anls_score(gt, pred)",
        "cases": cases,
        "samples": samples,
    }
    path = Path(__file__).with_name("anls_star.json")
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} cases and {len(samples)} samples to {path}")


if __name__ == "__main__":
    main()
