"""Exact match: the answer equals a reference after strip and lowercase."""

from __future__ import annotations

from ..core import Sample
from ._base import Metric, Score, register_metric

__all__ = ["ExactMatch"]


@register_metric("exact_match", version="1.0.0", higher_is_better=True)
class ExactMatch(Metric):
    """1.0 when ``answer.strip().lower()`` equals some ``reference.strip().lower()``, else 0.0.

    ``strip`` removes all Unicode whitespace at both ends (NBSP included); internal
    whitespace, ё/е and punctuation are compared as they are.
    """

    def score(self, answer: str, sample: Sample) -> Score:
        if not sample.answers:
            return Score(None, invalid="no reference answer")
        pred = answer.strip().lower()
        return Score(1.0 if any(pred == ref.strip().lower() for ref in sample.answers) else 0.0)
