"""OCRBench v2's per-question score: one rule per task type, as the official ``eval.py``.

Definition: Fu et al., "OCRBench v2: An Improved Benchmark for Evaluating Large
Multimodal Models on Visual Text Localization and Reasoning" (arXiv:2501.00321);
official scorer Yuliang-Liu/MultimodalOCR ``OCRBench_v2/eval_scripts/eval.py`` and the
modules it imports (golden values from it: ``tests/data/golden/ocrbench_v2``). The rule
is chosen by the sample's ``question_type`` (the row's ``type``):

* VQA (``APP agent``, ``ASCII art classification``, ``math QA``, ``reasoning VQA``,
  ``science QA``, ``text recognition``, ``document classification``, ``cognition VQA``,
  ``diagram QA``; EN): per reference, lower-cased, stripped, newlines as spaces; a
  reference of fewer than 5 words scores 1 if it is a substring of the answer, a longer
  one its ANLS (1 - Levenshtein / longer length) when ≥ 0.5; the best reference counts.
  ``eval: case sensitive`` does the same without lower-casing; ``eval: multiple
  choice`` scores 1 when the answer's letters (``str.isalpha``) equal the reference.
* CN VQA (``cognition VQA cn``, ``reasoning VQA cn``): as VQA with spaces removed, and a
  reference of fewer than 4 comma-separated parts is the "short" one.
* ``text counting en``: ``eval: exact match`` → substring; ``eval: regression`` → the
  first integer n of the answer against the reference a: 1 - |n - a| / a when that is
  > 0.5 and 0 < n < 2a, else 0.
* ``formula recognition`` (EN, CN): 1 if the reference without spaces and newlines is a
  substring of the answer (CN: ``\\text{...}`` unwrapped first; an answer "nan" is 0).
* ``handwritten answer extraction cn``: a question with 简答 (short answer) scores as
  full-page OCR; otherwise 1 if the reference, or its characters joined by one of
  ``. , 、 ; 和`` or spaces, is a substring of the answer.
* ``full-page OCR`` (EN, CN), ``fine-grained text recognition en``, ``text
  translation cn``: (BLEU + METEOR + F1 + (1 - NED)) / 4 (`_ocrbench_v2_text`); an empty
  answer is 0; a translation item with an empty reference is ignored (left out of
  every mean, as the official ``ignore`` flag).
* ``key information extraction`` (EN, CN), ``key information mapping en``: the answer
  parsed into a dict; mean over keys of exact value matches; best over the
  combinations of alternative reference values (`_ocrbench_v2_parse`).
* ``table parsing`` (EN: HTML or Markdown as the question asks; CN: HTML) and ``chart
  parsing en`` (dicts rendered as two-column tables): TEDS, not clipped at 0.
* ``document parsing`` (EN, CN): STEDS of the Markdown heading trees.
* ``text grounding en``: IoU of the last box in the answer with the reference box;
  ``VQA with position en``: half the VQA score of the answer's ``answer`` field plus
  half the IoU of its ``bbox`` field.
* ``text spotting en``: end-to-end hmean of the answer's ``[x1, y1, x2, y2, text]``
  items against the reference boxes (``metadata.bbox``) and texts (``metadata.content``).

References are ``metadata["answers"]`` when the source kept them there (non-string
answers of the official JSON: boxes, dicts), else ``answers``. Departures, for items
the official code cannot score: where it raises (an unknown ``eval``, a malformed
reference, a page-OCR answer with no tokens on the CN types...) the score is invalid
with the reason instead of stopping the run; a chart reference given as text (the
Hugging Face copy) is parsed as the answer is, as lmms-eval does. The page-OCR types
need nltk, jieba and NLTK's WordNet; without them those samples are invalid, not 0.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import Levenshtein

from ..core import Sample
from ._base import Metric, Score, register_metric
from ._ocrbench_v2_boxes import box_iou, last_box, spotted_words, spotting_hmean
from ._ocrbench_v2_parse import (
    answer_dict,
    chart_dict,
    dict_table,
    document_similarity,
    kie_combinations,
    kie_f1,
    markdown_table,
    table_similarity,
    wrap_table,
)
from ._ocrbench_v2_text import page_measures, page_toolkit

__all__ = ["OCRBENCH_V2_TYPES", "OcrBenchV2"]


class _Unscorable(Exception):
    """The item cannot be scored; the message says why."""


class _Ignored(_Unscorable):
    """The official scorer flags the item ``ignore`` and leaves it out of every mean."""


@dataclass(frozen=True, slots=True)
class _Item:
    kind: str
    question: str
    answers: Any
    """The references: a list (or, in hand-made files, one value) as the source gives them."""
    eval: str | None
    metadata: Mapping[str, Any]


def _anls(pred: str, answer: str) -> float:
    length = max(len(pred), len(answer))
    return 1 - (0.0 if length == 0 else Levenshtein.distance(pred, answer) / length)


def _vqa(
    pred: str, answers: Any, fold: Callable[[str], str], short: Callable[[str], bool], en: bool
) -> float:
    """``vqa_evaluation`` (``en``), ``cn_vqa_evaluation`` and ``vqa_evaluation_case_sensitive``."""
    if isinstance(answers, list):
        score: float = 0
        for raw in answers:
            answer, pred = fold(str(raw) if isinstance(raw, int | float) else raw), fold(pred)
            if short(answer):
                if answer in pred:
                    score = 1
            else:
                value = _anls(pred, answer)
                if value >= 0.5 and value > score:
                    score = value
        return score
    answer, pred = fold(answers), fold(pred)
    if short(answer) and answer in pred:
        return 1
    if short(answer) != en:  # EN: ANLS for a long reference; CN, case-sensitive: for a short one
        value = _anls(pred, answer)
        return value if value >= 0.5 else 0
    return 0


def _fold_en(text: str) -> str:
    return text.lower().strip().replace("\n", " ")


def _fold_cn(text: str) -> str:
    return text.lower().strip().replace("\n", " ").replace(" ", "")


def _fold_case(text: str) -> str:
    return text.strip().replace("\n", " ")


def _few_words(text: str) -> bool:
    return len(text.split()) < 5


def _few_parts(text: str) -> bool:
    return len(text.split(",")) < 4


def _one(answers: Any, what: str) -> Any:
    if len(answers) != 1:
        raise _Unscorable(f"{what} needs exactly one reference, got {len(answers)}")
    return answers[0]


def _question_answering(pred: str, item: _Item) -> float:
    en = item.kind.endswith(" en")
    if item.eval == "multiple choice":
        answers = item.answers if isinstance(item.answers, list) or not en else [item.answers]
        letters = "".join(c for c in pred if c.isalpha())
        return 1 if letters == _one(answers, "a multiple-choice item") else 0
    if item.eval == "case sensitive":
        return _vqa(pred, item.answers, _fold_case, _few_words, en=False)
    if item.eval is not None:
        raise _Unscorable(f"unknown eval '{item.eval}' (expected 'multiple choice' or 'case sensitive')")
    if en:
        return _vqa(pred, item.answers, _fold_en, _few_words, en=True)
    return _vqa(pred, item.answers, _fold_cn, _few_parts, en=False)


def _regression(text: str, answer: str) -> float:
    match = re.search(r"\d+", text)
    number = int(match.group()) if match else None
    if not number:
        return 0
    target = int(answer)
    if number <= 0 or number >= 2 * target:
        return 0
    iou = 1 - abs(number - target) / target
    return iou if iou > 0.5 else 0


def _counting(pred: str, item: _Item) -> float:
    """``counting_evaluation`` (``eval``: ``exact match`` or ``regression``)."""
    if item.eval is None:
        raise _Unscorable("a text counting item needs 'eval' (exact match or regression)")
    folded = _fold_en(pred)
    answers = item.answers
    if not isinstance(answers, list):
        answer = _fold_en(answers)
        if item.eval == "exact match":
            return 1 if answer in folded else 0
        return _regression(folded, answer) if item.eval == "regression" else 0
    best: float = 0
    score: float = 0
    for raw in answers:
        answer = _fold_en(str(raw) if isinstance(raw, int | float) else raw)
        if item.eval == "exact match":
            score = 1 if answer in pred else 0  # the official code tests the raw answer here
        elif item.eval == "regression":
            score = _regression(folded, answer)
        best = max(best, score)
    return best


def _contains_formula(pred: str, answers: Any) -> float:
    """``math_expression_evaluation``: spaces and newlines removed on both sides."""

    def fold(text: str) -> str:
        return text.strip().replace("\n", " ").replace(" ", "")

    if not isinstance(answers, list):
        return 1 if fold(answers) in fold(pred) else 0
    return 1 if any(fold(answer) in fold(pred) for answer in answers) else 0


def _formula(pred: str, item: _Item) -> float:
    if item.kind.endswith(" en"):
        return _contains_formula(pred, item.answers)
    if pred.lower() == "nan":
        return 0  # is_nan_value: the official script reads the string "nan" as a missing answer
    unwrap = re.compile(r"\\text\{([^{}]*)\}")
    answer = unwrap.sub(r"\1", _one(item.answers, "a formula item"))
    return _contains_formula(unwrap.sub(r"\1", pred), [answer])


def _page(pred: str, gt: str, kind: str, *, none_as_zero: bool) -> float:
    toolkit = page_toolkit()
    if isinstance(toolkit, str):
        raise _Unscorable(f"'{kind}' {toolkit}")
    m = page_measures(pred, gt, toolkit)
    if none_as_zero:
        return (m.bleu + m.meteor + (m.f_measure or 0.0) + (1 - m.edit_dist)) / 4
    if m.f_measure is None:
        raise _Unscorable(
            "F1 is undefined (an answer or reference without tokens); the official script fails"
        )
    return (m.bleu + m.meteor + m.f_measure + (1 - m.edit_dist)) / 4


def _long_text(pred: str, item: _Item) -> float:
    """Full-page OCR, fine-grained recognition, translation: empty answers score 0."""
    if not pred:
        return 0
    if item.kind == "text translation cn" and len(item.answers[0]) == 0:
        raise _Ignored("the reference is empty; the official scorer ignores this item")
    strict = item.kind in ("full-page OCR cn", "text translation cn")
    return _page(pred, item.answers[0], item.kind, none_as_zero=not strict)


_SEPARATORS = ("", ".", ". ", ",", ", ", "、", ";", "; ", " ", "和")


def _handwriting(pred: str, item: _Item) -> float:
    if "简答" in item.question:
        return _page(pred, item.answers[0], item.kind, none_as_zero=True)
    answer = _one(item.answers, "a handwritten answer item")
    if len(answer) > 1:
        return 1 if any(sep.join(answer) in pred for sep in _SEPARATORS) else 0
    return 1 if answer in pred else 0


def _html_table(pred: str, gold: str) -> float:
    """The table from ``<body`` (else ``<table``) on, wrapped, against the wrapped reference."""
    pred = pred.replace("\n", "")
    tag = "<body" if "<body" in pred else "<table" if "<table" in pred else None
    if tag is None:
        return 0
    pred_html, gold_html = wrap_table(pred[pred.index(tag) :]), wrap_table(gold)
    try:
        return table_similarity(pred_html, gold_html)
    except Exception:  # noqa: BLE001 (the official code scores any failure 0 here)
        return 0


def _table(pred: str, item: _Item) -> float:
    if item.kind == "table parsing cn":
        return _html_table(pred, item.answers[0])
    if not isinstance(item.answers, list) or len(item.answers) != 1:
        raise _Unscorable("a table parsing item needs exactly one reference")
    question = item.question.lower()
    if "html" in question:
        return _html_table(pred, item.answers[0])
    if "markdown" in question:
        return table_similarity(markdown_table(pred), markdown_table(item.answers[0]))
    raise _Unscorable("the question asks for neither HTML nor Markdown; the official scorer gives no score")


def _chart(pred: str, item: _Item) -> float:
    if not pred:
        return 0
    answer = item.answers[0]
    parsed = chart_dict(pred)
    if not parsed:
        return 0
    reference = chart_dict(answer) if isinstance(answer, str) else answer
    return table_similarity(dict_table(parsed), dict_table(reference))


def _document(pred: str, item: _Item) -> float:
    return document_similarity(pred, _one(item.answers, "a document parsing item"))


def _key_information(pred: str, item: _Item) -> float:
    answer = _one(item.answers, "a key information item")
    if item.kind.endswith(" cn"):
        parsed = ast.literal_eval(answer)
        answer = {k: v if isinstance(v, list) else [v] for k, v in parsed.items()}
    fields = answer_dict(pred)
    return max([0.0, *(kie_f1(fields, combination) for combination in kie_combinations(answer))])


def _position(pred: str, item: _Item) -> float:
    fields = answer_dict(pred)
    content = (
        _vqa(fields["answer"], item.answers, _fold_en, _few_words, en=True) if "answer" in fields else 0.0
    )
    box: float = 0.0
    if "bbox" in fields:
        reference = item.metadata["bbox"]
        try:
            box = box_iou(ast.literal_eval(fields["bbox"]), reference)
        except Exception:  # noqa: BLE001 (as the official code)
            box = 0
    return 0.5 * content + 0.5 * box


def _grounding(pred: str, item: _Item) -> float:
    box = last_box(pred)
    return box_iou(box, item.answers) if box else 0


def _spotting(pred: str, item: _Item) -> float:
    words = spotted_words(pred)
    if not words:
        return 0
    boxes = item.metadata.get("bbox_list") or item.metadata["bbox"]
    return spotting_hmean(words, boxes, item.metadata["content"])


_Rule = Callable[[str, _Item], float]
_RULES: dict[str, _Rule] = {
    **dict.fromkeys(
        (
            "APP agent en",
            "ASCII art classification en",
            "math QA en",
            "reasoning VQA en",
            "science QA en",
            "text recognition en",
            "document classification en",
            "cognition VQA en",
            "diagram QA en",
            "cognition VQA cn",
            "reasoning VQA cn",
        ),
        _question_answering,
    ),
    "text counting en": _counting,
    "formula recognition en": _formula,
    "formula recognition cn": _formula,
    "handwritten answer extraction cn": _handwriting,
    "full-page OCR en": _long_text,
    "full-page OCR cn": _long_text,
    "fine-grained text recognition en": _long_text,
    "text translation cn": _long_text,
    "table parsing en": _table,
    "table parsing cn": _table,
    "chart parsing en": _chart,
    "document parsing en": _document,
    "document parsing cn": _document,
    "key information extraction en": _key_information,
    "key information mapping en": _key_information,
    "key information extraction cn": _key_information,
    "VQA with position en": _position,
    "text grounding en": _grounding,
    "text spotting en": _spotting,
}
OCRBENCH_V2_TYPES: tuple[str, ...] = tuple(_RULES)
"""The 30 task types the official ``eval.py`` scores (21 end in ``en``, 9 in ``cn``)."""

_FAILURES = (TypeError, ValueError, AttributeError, IndexError, KeyError, ZeroDivisionError, RecursionError)


@register_metric("ocrbench_v2", version="1.0.0", higher_is_better=True)
class OcrBenchV2(Metric):
    """OCRBench v2 (Fu et al. 2025, official ``eval.py``): the rule of the question's type, 0-1."""

    def score(self, answer: str, sample: Sample) -> Score:
        kind = sample.question_type or str(sample.metadata.get("type", ""))
        rule = _RULES.get(kind)
        if rule is None:
            what = f"'{kind}' is not an OCRBench v2 type" if kind else "the sample has no question_type"
            return Score(None, invalid=what)
        method = sample.metadata.get("eval")
        references = sample.metadata["answers"] if "answers" in sample.metadata else list(sample.answers)
        item = _Item(
            kind,
            sample.question,
            references,
            None if method in (None, "None") else str(method),
            sample.metadata,
        )
        try:
            value = rule(answer, item)
        except _Ignored as exc:
            return Score(None, invalid=str(exc), detail={"ignored": True})
        except _Unscorable as exc:
            return Score(None, invalid=str(exc))
        except _FAILURES as exc:
            return Score(
                None, invalid=f"the official scorer fails on this item ({type(exc).__name__}: {exc})"
            )
        return Score(float(value))
