"""Metrics of structured (KIE) answers: ``anls_star``, ``field_f1``, ``field_f1_donut``,
``structural_fidelity``.

The answer these metrics receive from the evaluation stage is the canonical JSON of
the parsed answer, or ``""`` when it was invalid (not JSON, or not matching the
sample's schema), so an invalid answer scores like an empty one.

Ground truth, in this order (see `structured_references`):

1. ``sample.fields`` when present (the evaluation stage also puts its canonical JSON
   into ``sample.answers``);
2. otherwise, when every reference in ``sample.answers`` parses as a JSON object or
   array, those values; several of them are **alternatives** (any one may be matched:
   the best-scoring one counts). JSON has no tuples, so alternatives exist only at the
   top level, as separate entries of ``answers``;
3. otherwise the references are plain strings: ``anls_star`` compares the raw answer
   with them as a tuple of alternatives (classic ANLS with the inclusive 0.5
   boundary); ``field_f1`` does not apply (the score is invalid).

``anls_star``: ANLS* (Peer et al. 2024, arXiv:2402.03848; reference scorer PyPI
``anls-star`` 1.0.1, deepopinion/anls_star_metric), our implementation in
`._anls_star`. The prediction is ``json.loads(answer)``; an empty or unparsable answer
is ``None``. With several alternatives the best value counts, ties going to the one
whose closest ground truth equals the prediction. ``detail["fields"]`` holds the
ANLS* of each top-level key of a dict ground truth (a non-object answer counts as
``{}``), for the ``by_field`` aggregator.

``field_f1``: key-information field precision/recall/F1 on positional paths with a
configurable normaliser (our own definition, no official scorer): see `FieldF1`.

``field_f1_donut``: the field F1 of Donut's ``JSONParseEvaluator.cal_f1`` or of CC-OCR's
KIE evaluator, equal to them (see `._donut_f1`): see `FieldF1Donut`.

``structural_fidelity``: 1.0 when the answer is a JSON object that satisfies the
sample's JSON Schema (any object when there is none), else 0.0 with the reasons.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from ..core import Sample
from ..core.json_schema import UnsupportedSchema, schema_errors
from ._anls_star import anls_star_match, anls_star_score, key_scores
from ._base import CorpusValue, Metric, Score, register_metric
from ._donut_f1 import Scorer, count_pairs, donut_f1, field_pairs
from ._normalize import NormalizedMetric

__all__ = [
    "AnlsStar",
    "FieldF1",
    "FieldF1Donut",
    "StructuralFidelity",
    "anls_star_score",
    "flatten_fields",
    "structured_references",
]


def structured_references(sample: Sample) -> list[Any] | None:
    """The sample's structured ground truths (alternatives); None when they are plain text."""
    if sample.fields is not None:
        return [sample.fields]
    values = []
    for ref in sample.answers:
        try:
            value = json.loads(ref)
        except json.JSONDecodeError:
            return None
        if not isinstance(value, (dict, list)):
            return None
        values.append(value)
    return values or None


def _load(answer: str) -> Any:
    """The parsed answer; None when it is empty or not JSON."""
    if not answer.strip():
        return None
    try:
        return json.loads(answer)
    except json.JSONDecodeError:
        return None


@register_metric("anls_star", version="1.0.0", higher_is_better=True)
class AnlsStar(Metric):
    """ANLS* (Peer et al. 2024; ``anls-star`` 1.0.1): recursive over dicts, lists, alternatives.

    Leaves: ANLS with threshold 0.5 (inclusive) after strip + lower + whitespace
    collapse; lists matched as multisets (Hungarian); missing and hallucinated keys
    and items penalised. See `vlmhyperbench.metrics._anls_star` for every rule.
    """

    def score(self, answer: str, sample: Sample) -> Score:
        refs = structured_references(sample)
        if refs is None:
            if not sample.answers:
                return Score(None, invalid="no reference answer")
            return Score(anls_star_score(tuple(sample.answers), answer))
        pred = _load(answer)
        best = anls_star_match(refs[0], pred)
        chosen = refs[0]
        for ref in refs[1:]:
            match = anls_star_match(ref, pred)
            if (match.score, match.closest == pred) > (best.score, best.closest == pred):
                best, chosen = match, ref
        detail = {"fields": key_scores(chosen, pred)} if isinstance(chosen, dict) else None
        return Score(best.score, detail=detail)


def flatten_fields(value: Any, prefix: str = "") -> dict[str, Any]:
    """Leaves of a JSON value by dotted path: ``{"a": {"b": 1}, "c": [2]}`` → ``{"a.b": 1, "c[0]": 2}``.

    Nulls and empty objects or arrays have no leaves, so they are not fields.
    """
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten_fields(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list):
        out = {}
        for index, item in enumerate(value):
            out.update(flatten_fields(item, f"{prefix}[{index}]"))
        return out
    return {} if value is None else {prefix: value}


def _text(value: Any) -> str:
    """A leaf as text: strings as they are, other scalars in JSON spelling (``true``, ``12.5``)."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


def _counts_score(counts: dict[str, list[int]], f1: Callable[[int, int, int], float]) -> Score:
    """A sample's F1 from ``[tp, fp, fn]`` by field path, with the per-field parts in ``detail``.

    ``detail["fields"]`` holds each path's own F1 and ``detail["field_counts"]`` its
    counts, so a ``by_field`` row of one field has a per-sample value and a pooled one.
    """
    tp, fp, fn = (sum(c[i] for c in counts.values()) for i in range(3))
    detail = {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "fields": {path: f1(*c) for path, c in counts.items()},
        "field_counts": {path: dict(zip(("tp", "fp", "fn"), c)) for path, c in counts.items()},
    }
    return Score(f1(tp, fp, fn), detail=detail)


def _path_counts(gt: dict[str, str], pred: dict[str, str]) -> dict[str, list[int]]:
    """``[tp, fp, fn]`` of each ground-truth path, then of each predicted-only path."""
    counts = {}
    for path in [*gt, *(p for p in pred if p not in gt)]:
        right = path in gt and pred.get(path) == gt[path]
        counts[path] = [int(right), int(path in pred and not right), int(path in gt and not right)]
    return counts


def _pooled(scores: Sequence[Score], f1: Callable[[int, int, int], float]) -> CorpusValue | None:
    """Micro precision, recall and F1 over the summed tp/fp/fn of a group's scores.

    None when a score lacks the counts (the value would be made up).
    """
    if not scores or any(not s.detail or "tp" not in s.detail for s in scores):
        return None
    tp, fp, fn = (sum(int((s.detail or {})[k]) for s in scores) for k in ("tp", "fp", "fn"))
    precision = tp / (tp + fp) if tp + fp else (1.0 if fn == 0 else 0.0)
    recall = tp / (tp + fn) if tp + fn else (1.0 if fp == 0 else 0.0)
    details = {"precision": precision, "recall": recall, "f1": f1(tp, fp, fn), "tp": tp, "fp": fp, "fn": fn}
    return CorpusValue(details["f1"], details)


@register_metric("field_f1", version="1.0.0", higher_is_better=True, pooled=True)
class FieldF1(NormalizedMetric):
    """KIE field-level F1: exact field matches after a declared normaliser.

    Both the ground truth and the answer are flattened to dotted paths (``a.b``,
    list items by position, ``a[0]``). Each leaf becomes text (strings as they are,
    numbers and booleans in JSON spelling, so ``7707083893`` equals ``"7707083893"``),
    then is normalised (NFKC, lower case, whitespace collapsed by default; see the
    options and `TextNormalizer`). A field whose text is empty after that, a null, or
    an empty object or array is not a field. A predicted field is a true positive when
    the ground truth has the same path with an equal value; other predicted fields are
    false positives and unmatched ground-truth fields false negatives (a wrong value is
    both). The sample's value is ``F1 = 2TP / (2TP + FP + FN)``, 1.0 when neither side
    has a field; with several alternatives the best F1 counts. The corpus value is the
    micro F1 over a group's summed counts. ``detail`` has the counts of each path (ground
    truth and predicted) for the ``by_field`` rows.
    """

    collapse_whitespace: bool = True
    """Collapse every whitespace run (NBSP, newlines, tabs) to one space."""
    nfkc: bool = True
    """Apply Unicode NFKC first: é composed = e + U+0301, NBSP = space, ５ = 5."""

    def fields(self, value: Any) -> dict[str, str]:
        """The normalised, non-empty fields of a JSON value by dotted path."""
        out = {key: self._normalize(_text(leaf)) for key, leaf in flatten_fields(value).items()}
        return {key: text for key, text in out.items() if text}

    def score(self, answer: str, sample: Sample) -> Score:
        refs = structured_references(sample)
        if refs is None:
            return Score(None, invalid="no structured reference (fields or JSON answers)")
        pred = self.fields(_load(answer))
        scores = (_counts_score(_path_counts(self.fields(ref), pred), _f1) for ref in refs)
        return max(scores, key=lambda s: s.value or 0.0)

    def corpus(self, scores: Sequence[Score]) -> CorpusValue | None:
        """Micro precision, recall and F1 over the summed tp/fp/fn of the group."""
        return _pooled(scores, _f1)


@register_metric("field_f1_donut", version="1.0.0", higher_is_better=True, pooled=True)
class FieldF1Donut(Metric):
    """Field F1 equal to Donut's ``JSONParseEvaluator.cal_f1`` or CC-OCR's KIE evaluator.

    (path, text) pairs, list items sharing their list's path and matched as multisets,
    ``F1 = TP / (TP + (FP + FN) / 2)``; every rule in `vlmhyperbench.metrics._donut_f1`.
    An empty or invalid answer has no pairs. With several ground-truth alternatives the
    best F1 counts (the first on ties). The corpus value pools TP/FP/FN over the group,
    as both scorers do over a dataset; a ``by_field`` row of one path pools that path's
    counts (CC-OCR's ``class_f1_score``).
    """

    scorer: Scorer = "donut"
    """``donut`` (clovaai/donut) or ``cc_ocr`` (CC-OCR: falsy values kept as text,
    CC-OCR's string normalisation, 1e-6 added to the denominator)."""

    def _f1(self, tp: int, fp: int, fn: int) -> float:
        return donut_f1(tp, fp + fn, self.scorer)

    def score(self, answer: str, sample: Sample) -> Score:
        refs = structured_references(sample)
        if refs is None:
            return Score(None, invalid="no structured reference (fields or JSON answers)")
        pred = field_pairs(_load(answer), self.scorer)
        scores = (_counts_score(count_pairs(pred, field_pairs(ref, self.scorer)), self._f1) for ref in refs)
        return max(scores, key=lambda s: s.value or 0.0)

    def corpus(self, scores: Sequence[Score]) -> CorpusValue | None:
        """Pooled F1 (the scorer's formula), precision and recall over the group's counts."""
        return _pooled(scores, self._f1)


@register_metric("structural_fidelity", version="1.0.0", higher_is_better=True)
class StructuralFidelity(Metric):
    """1.0 when the answer is a JSON object valid against ``sample.json_schema``, else 0.0.

    Without a schema any JSON object scores 1.0. A score of 0 has ``detail["errors"]``
    (the JSON error, the type found, or the schema violations); a schema this project
    cannot read makes the score invalid.
    """

    def score(self, answer: str, sample: Sample) -> Score:
        if not answer.strip():
            return Score(0.0, detail={"errors": ["empty answer"]})
        try:
            value = json.loads(answer)
        except json.JSONDecodeError as exc:
            return Score(0.0, detail={"errors": [f"invalid JSON: {exc.msg} at {exc.lineno}:{exc.colno}"]})
        if not isinstance(value, dict):
            return Score(0.0, detail={"errors": [f"expected a JSON object, got {type(value).__name__}"]})
        if not sample.json_schema:
            return Score(1.0)
        try:
            errors = schema_errors(value, sample.json_schema)
        except UnsupportedSchema as exc:
            return Score(None, invalid=f"json_schema cannot be used: {exc}")
        return Score(0.0, detail={"errors": errors}) if errors else Score(1.0)
