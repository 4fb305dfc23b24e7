"""ChartQA relaxed accuracy (Masry et al. 2022, arXiv:2203.10244, end of section 5.1).

"We consider an answer to be correct if it is within 5% of the gold answer. For
non-numeric answers, we still need an exact match" (following Methani et al. 2020).
The rule is pix2struct's ``relaxed_correctness`` (google-research/pix2struct:
pix2struct/metrics.py), copied unchanged in VLMEvalKit (vlmeval/dataset/utils/
vqa_eval.py, used through ``process_line(method="relaxed_accuracy")``, max over
answers) and lmms-eval (lmms_eval/tasks/chartqa/utils.py):

1. The prediction is stripped (``str.strip``, VLMEvalKit's ``process_line``); the
   reference is used as given.
2. Each side is read as a number with Python ``float``: a trailing ``%`` (every
   trailing ``%``, ``rstrip("%")``) divides by 100. Nothing else is removed, so
   ``"1,000"``, ``"$5"`` and ``"5 kg"`` are not numbers; ``float`` itself accepts
   surrounding whitespace, ``_`` between digits, exponents, ``nan``/``inf`` and
   non-ASCII decimal digits.
3. When the prediction is a number and the reference is a non-zero number (a NaN
   reference counts as non-zero), correct iff ``|pred - ref| / |ref| <= 0.05``.
4. Otherwise (a reference of 0, or either side not a number) correct iff
   ``pred.lower() == ref.lower()``, so ``"0"`` vs ``"0.0"`` is wrong.

The per-sample value is 1.0 if any reference is correct, else 0.0.
"""

from __future__ import annotations

from pydantic import Field

from ..core import Sample
from ._base import Metric, Score, register_metric

__all__ = ["RelaxedAccuracy", "relaxed_correct"]


def _to_float(text: str) -> float | None:
    try:
        if text.endswith("%"):
            return float(text.rstrip("%")) / 100.0
        return float(text)
    except ValueError:
        return None


def relaxed_correct(prediction: str, reference: str, max_relative_change: float = 0.05) -> bool:
    """Whether ``prediction`` is within ``max_relative_change`` of ``reference`` (see module)."""
    pred = _to_float(prediction)
    ref = _to_float(reference)
    if pred is not None and ref:
        return abs(pred - ref) / abs(ref) <= max_relative_change
    return prediction.lower() == reference.lower()


@register_metric("relaxed_accuracy", version="1.0.0", higher_is_better=True)
class RelaxedAccuracy(Metric):
    """ChartQA relaxed correctness (pix2struct/VLMEvalKit); max over references."""

    max_relative_change: float = Field(default=0.05, ge=0.0)
    """Largest accepted ``|pred - ref| / |ref|`` for numeric answers (0.05 = 5 %)."""

    def score(self, answer: str, sample: Sample) -> Score:
        if not sample.answers:
            return Score(None, invalid="no reference answer")
        pred = answer.strip()
        correct = any(relaxed_correct(pred, ref, self.max_relative_change) for ref in sample.answers)
        return Score(1.0 if correct else 0.0)
