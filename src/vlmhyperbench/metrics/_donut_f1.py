"""Field F1 as Donut and CC-OCR compute it: the definition behind ``field_f1_donut``.

References (both checked by tests/data/golden/field_f1/, which runs them):

- ``donut``: clovaai/donut ``donut/util.py``, ``JSONParseEvaluator.cal_f1`` (MIT).
- ``cc_ocr``: AlibabaResearch/AdvancedLiterateMachinery
  ``Benchmarks/CC-OCR/evaluation/evaluator/kie_evaluator.py``, the F1 half of
  ``KieEvaluator.evaluate`` (``normalize_values_of_nested_dict`` with the evaluator's
  ``normalize_func``, then ``cal_f1_all``, whose ``class_f1_score`` is the per-field value).

Both turn a JSON value into (path, text) pairs: dict keys joined by ``.``; every item of a
list under the same path (so list order does not matter and pairs form a multiset); a leaf
becomes ``str(leaf).strip()`` (Python spelling: ``True``, ``1.0``, ``1e+16``). Inside a list
that is not all objects only strings and numbers count (booleans, nulls, nested lists and
objects are dropped); empty strings, lists and objects are dropped. The scorers differ:

- Donut drops every *falsy* value first (``None``, ``""``, ``0``, ``0.0``, ``False``);
  CC-OCR keeps them as the texts ``"None"``, ``""``, ``"0"``, ``"0.0"``, ``"False"``.
- CC-OCR first normalises every string value of an object (not strings directly inside a
  list): full-width forms to ASCII, U+3000 to a space, ``、`` to ``,``, spaces between CJK
  characters (and between CJK and ASCII letters or digits) removed, one space after
  ``, . ! ? : ;`` (no space before them, unless after a digit), a space between digits and
  ASCII letters, whitespace runs collapsed.
- F1 is ``TP / (TP + (FP + FN) / 2)``; CC-OCR adds ``1e-6`` to the denominator (a perfect
  answer scores 0.999999…, one with no fields on either side 0.0), Donut divides by zero
  there (we return 1.0).

A predicted pair is a true positive when an equal pair is left in the ground truth's
multiset (it is then used up); other predicted pairs are false positives, ground-truth
pairs left over false negatives.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Literal

__all__ = ["Scorer", "count_pairs", "donut_f1", "field_pairs"]

Scorer = Literal["donut", "cc_ocr"]
Pair = tuple[str, str]

_HALF_WIDTH = {0x3000: 0x20, **{code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}}
_CJK = "[\u4e00-\u9fff]"
_CC_OCR_SPACES = (
    (re.compile(rf"(?<={_CJK})\s+(?={_CJK})"), ""),
    (re.compile(rf"(?<={_CJK})\s+(?=[a-zA-Z0-9])"), ""),
    (re.compile(rf"(?<=[a-zA-Z0-9])\s+(?={_CJK})"), ""),
    (re.compile(r"(?<![0-9])\s*([,.!?:;])\s*"), r"\1 "),
    (re.compile(r"(?<=[0-9])(?=[a-zA-Z])"), " "),
    (re.compile(r"(?<=[a-zA-Z])(?=[0-9])"), " "),
    (re.compile(r"\s+"), " "),
)


def _cc_ocr_text(text: str) -> str:
    """CC-OCR's ``KieEvaluator.normalize_func`` on one string."""
    text = text.translate(_HALF_WIDTH).replace("、", ",")
    for pattern, repl in _CC_OCR_SPACES:
        text = pattern.sub(repl, text)
    return text


def _cc_ocr_strings(value: Any) -> Any:
    """Every string of an object normalised; strings directly inside a list are left as they are."""
    if isinstance(value, dict):
        return {key: _cc_ocr_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_cc_ocr_strings(item) if isinstance(item, dict) else item for item in value]
    return _cc_ocr_text(value) if isinstance(value, str) else value


def _texts(value: Any, drop_falsy: bool) -> Any:
    """Objects stay objects, every other value becomes a list of texts; empty parts dropped."""
    if drop_falsy and not value:
        return {}
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            kept = _texts(item, drop_falsy)
            if kept:
                out[key] = kept if isinstance(kept, list) else [kept]
        return out
    if isinstance(value, list):
        if all(isinstance(item, dict) for item in value):
            return [kept for kept in (_texts(item, drop_falsy) for item in value) if kept]
        return [str(item).strip() for item in value if type(item) in (str, int, float) and str(item).strip()]
    return [str(value).strip()]


def _flatten(value: Any, path: str, out: list[Pair]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{path}.{key}" if path else key, out)
    elif isinstance(value, list):
        for item in value:
            _flatten(item, path, out)
    else:
        out.append((path, value))


def field_pairs(value: Any, scorer: Scorer) -> list[Pair]:
    """The (path, text) pairs of a JSON value; None (an empty or invalid answer) has none."""
    if value is None:
        return []
    if scorer == "cc_ocr":
        value = _cc_ocr_strings(value)
    out: list[Pair] = []
    _flatten(_texts(value, drop_falsy=scorer == "donut"), "", out)
    return out


def count_pairs(pred: list[Pair], gt: list[Pair]) -> dict[str, list[int]]:
    """``[tp, fp, fn]`` by path (ground-truth paths first), matching pairs as multisets."""
    counts = {path: [0, 0, 0] for path, _ in gt}
    left = Counter(gt)
    for pair in pred:
        count = counts.setdefault(pair[0], [0, 0, 0])
        if left[pair]:
            left[pair] -= 1
            count[0] += 1
        else:
            count[1] += 1
    for (path, _), n in left.items():
        counts[path][2] += n
    return counts


def donut_f1(tp: int, errors: int, scorer: Scorer) -> float:
    """``TP / (TP + errors / 2)`` as the scorer computes it; ``errors`` is FP + FN."""
    if scorer == "cc_ocr":
        return tp / (tp + errors / 2 + 1e-6)
    return tp / (tp + errors / 2) if tp + errors else 1.0
