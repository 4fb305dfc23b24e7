"""Exact match with explicit normaliser options, and OCRBench v1 substring match.

``exact_match``: 1.0 when the normalised answer equals some normalised reference,
else 0.0. The defaults give VLMEvalKit's ``accuracy`` (open-compass/VLMEvalKit:
vlmeval/dataset/utils/vqa_eval.py, ``process_line(method="accuracy")``):
``pred.strip().lower() == ref.strip().lower()``, max over references. ``strip``
removes all Unicode whitespace at both ends (NBSP included); ё/е, internal
whitespace, punctuation and composed/decomposed characters compare as they are unless
the matching option is on (see `TextNormalizer` for each step and their order).

``substring_match``: OCRBench v1 (Liu et al. 2024, "OCRBench: on the hidden mystery of
OCR in large multimodal models"; official scorer Yuliang-Liu/MultimodalOCR:
OCRBench/example.py, also VLMEvalKit ``OCRBench.evaluate``): 1.0 when some reference
is a substring of the prediction, both normalised as ``s.lower().strip()`` then every
``"\\n"`` replaced by one space (the prediction too; ``\\r``, tabs and NBSP stay). An
empty reference is a substring of anything. The HME100k subset (handwritten formulas)
is scored case-sensitively with every ASCII space removed:
``{name: substring_match, case_sensitive: true, remove_spaces: true}``, or, within one
run of the whole benchmark, only for the questions of the listed types:
``{name: substring_match, formula_types: ["Handwritten Mathematical Expression
Recognition"]}`` (VLMEvalKit ``OCRBench.evaluate`` keys the rule on this category;
OCRBench's own loop on ``dataset_name == "HME100k"``, the only source of that category).
"""

from __future__ import annotations

from ..core import Sample
from ._base import Metric, Score, register_metric
from ._normalize import NormalizedMetric

__all__ = ["ExactMatch", "SubstringMatch"]


@register_metric("exact_match", version="1.0.0", higher_is_better=True)
class ExactMatch(NormalizedMetric):
    """1.0 when the normalised answer equals some normalised reference, else 0.0.

    With the defaults: ``answer.strip().lower() == reference.strip().lower()``.
    """

    def score(self, answer: str, sample: Sample) -> Score:
        if not sample.answers:
            return Score(None, invalid="no reference answer")
        pred = self._normalize(answer)
        return Score(1.0 if any(pred == self._normalize(ref) for ref in sample.answers) else 0.0)


@register_metric("substring_match", version="1.0.0", higher_is_better=True)
class SubstringMatch(Metric):
    """OCRBench v1: 1.0 when some normalised reference occurs in the normalised answer."""

    case_sensitive: bool = False
    """Keep case (OCRBench does so for HME100k only); default lower-cases both sides."""
    remove_spaces: bool = False
    """Delete every ASCII space after normalisation (OCRBench's HME100k rule)."""
    formula_types: tuple[str, ...] = ()
    """Question types (``Sample.question_type``) scored as if ``case_sensitive`` and
    ``remove_spaces`` were both on, whatever they say (OCRBench: HME100k's category)."""

    def _prepare(self, text: str, formula: bool) -> str:
        if not (self.case_sensitive or formula):
            text = text.lower()
        text = text.strip().replace("\n", " ")
        return text.replace(" ", "") if self.remove_spaces or formula else text

    def score(self, answer: str, sample: Sample) -> Score:
        if not sample.answers:
            return Score(None, invalid="no reference answer")
        formula = sample.question_type in self.formula_types
        pred = self._prepare(answer, formula)
        return Score(1.0 if any(self._prepare(ref, formula) in pred for ref in sample.answers) else 0.0)
