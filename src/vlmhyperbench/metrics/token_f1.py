"""``token_f1``: order-free bag-of-tokens F1 of a transcription (CC-OCR's OCR tracks).

The OCR score of CC-OCR (Yang et al. 2024, arXiv:2412.02210, §4.1), equal to its
official evaluator: AlibabaResearch/AdvancedLiterateMachinery
``Benchmarks/CC-OCR/evaluation/evaluator/ocr_evaluator.py`` (``OcrEvaluator.evaluate``,
``text_normalize_and_tokenize``, ``evaluate_single_sample``, ``calculate_metrics``),
checked at commit ``fb6187ebe5374d5682ac0bc05f31e3639ab6fb15``; VLMEvalKit's copy
(``vlmeval/dataset/utils/ccocr_evaluator/ocr_evaluator.py``) is the same code. Steps, on
the answer and on each reference:

1. ``str(text).strip()``; every tab and newline becomes a space; ``###`` and ``***``
   are deleted; each run of whitespace (``\\s``, Unicode) becomes one space;
2. tokens: the words between single spaces (``tokens: words``), or every character
   once the spaces are deleted (``tokens: chars``);
3. each token lower-cased (``lowercase``), then, with ``alphanum_only``, stripped of
   every character outside ``[A-Za-z0-9]`` (Cyrillic included); empty tokens dropped;
4. ``right = Σ min(count in reference, count in answer)`` over the reference's tokens;
5. ``R = right / (n_ref + 1e-9)``, ``P = right / (n_answer + 1e-9)``,
   ``F1 = 2·R·P / (R + P + 1e-9)``, the small terms as in the official code (a
   perfect answer scores 0.999999999…, and an empty reference 0).

With several references the best F1 counts (CC-OCR has one). The corpus value is the
micro F1 over the group's summed counts with the same small terms (CC-OCR's
``mirco_f1_score``); CC-OCR's headline is the macro value, the mean of the per-image
F1 (the ``Mean`` and ``MeanOverGroups`` headline rules).

``tokens: auto`` and ``alphanum_only: auto`` apply CC-OCR's per-dataset rule: characters
for the datasets ``Arabic``, ``Japanese``, ``Korean`` and every dataset whose name
contains ``zh``, words otherwise; ``alphanum_only`` for the word-level datasets of the
``multi_scene_ocr`` track. The dataset is ``Sample.split`` (CC-OCR's TSVs hold it in
their ``split`` column, which the ``cc_ocr`` reader imports as the split) and the track
``metadata["category"]`` (the TSVs' ``category``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Literal

from ..core import Sample
from ._base import CorpusValue, Metric, Score, register_metric

__all__ = ["TokenF1", "ocr_tokens", "token_counts"]

_EPS = 1e-9
_WHITESPACE = re.compile(r"\s+")
_NOT_ALPHANUM = re.compile(r"[^A-Za-z0-9]+")
_CHAR_DATASETS = ("Arabic", "Japanese", "Korean")


def ocr_tokens(text: str, *, chars: bool, lowercase: bool = True, alphanum_only: bool = False) -> list[str]:
    """The tokens of ``text`` as CC-OCR's ``text_normalize_and_tokenize`` makes them."""
    text = text.strip().replace("\t", " ").replace("\n", " ").replace("###", "").replace("***", "")
    text = _WHITESPACE.sub(" ", text)
    tokens = list(text.replace(" ", "")) if chars else text.split(" ")
    if lowercase:
        tokens = [t.lower() for t in tokens]
    if alphanum_only:
        tokens = [_NOT_ALPHANUM.sub("", t) for t in tokens]
    return [t for t in tokens if t]


def token_counts(reference: Sequence[str], answer: Sequence[str]) -> tuple[int, int, int]:
    """(right, reference tokens, answer tokens): right is the multiset intersection's size."""
    have = Counter(answer)
    right = sum(min(count, have.get(token, 0)) for token, count in Counter(reference).items())
    return right, len(reference), len(answer)


def _f1(right: float, n_ref: float, n_answer: float) -> tuple[float, float, float]:
    recall = right / (n_ref + _EPS)
    precision = right / (n_answer + _EPS)
    return 2 * recall * precision / (recall + precision + _EPS), precision, recall


@register_metric("token_f1", version="1.0.0", higher_is_better=True, pooled=True)
class TokenF1(Metric):
    """Bag-of-tokens F1 of an OCR answer, equal to CC-OCR's OCR evaluator (see the module)."""

    tokens: Literal["words", "chars", "auto"] = "words"
    """``words`` (split on spaces), ``chars`` (every non-space character), or ``auto``:
    CC-OCR's rule from the sample's dataset name (characters for Arabic, Japanese,
    Korean and ``zh*`` datasets)."""
    alphanum_only: bool | Literal["auto"] = False
    """Keep only ``[A-Za-z0-9]`` in each token; ``auto``: on for word-level datasets of
    CC-OCR's ``multi_scene_ocr`` track."""
    lowercase: bool = True
    """Lower-case every token (CC-OCR always does)."""

    def _settings(self, sample: Sample) -> tuple[bool, bool]:
        dataset = sample.split
        chars = (
            self.tokens == "chars"
            if self.tokens != "auto"
            else (dataset in _CHAR_DATASETS or "zh" in dataset)
        )
        if self.alphanum_only != "auto":
            return chars, self.alphanum_only
        track = str(sample.metadata.get("category") or sample.metadata.get("track") or "")
        return chars, "multi_scene_ocr" in track and not chars

    def score(self, answer: str, sample: Sample) -> Score:
        if not sample.answers:
            return Score(None, invalid="no reference answer")
        chars, alphanum = self._settings(sample)
        options = {"chars": chars, "lowercase": self.lowercase, "alphanum_only": alphanum}
        predicted = ocr_tokens(answer, **options)
        best: Score | None = None
        for reference in sample.answers:
            right, n_ref, n_answer = token_counts(ocr_tokens(reference, **options), predicted)
            f1, precision, recall = _f1(right, n_ref, n_answer)
            if best is None or f1 > (best.value or 0.0):
                detail = {"right": right, "reference_tokens": n_ref, "answer_tokens": n_answer}
                best = Score(f1, detail={**detail, "precision": precision, "recall": recall})
        assert best is not None
        return best

    def corpus(self, scores: Sequence[Score]) -> CorpusValue | None:
        """Micro F1 over the group's summed counts (CC-OCR's ``mirco_f1_score``)."""
        if not scores or any(not s.detail or "right" not in s.detail for s in scores):
            return None
        right, n_ref, n_answer = (
            sum(int((s.detail or {})[k]) for s in scores)
            for k in ("right", "reference_tokens", "answer_tokens")
        )
        f1, precision, recall = _f1(right, n_ref, n_answer)
        return CorpusValue(f1, {"precision": precision, "recall": recall, "right": right})
