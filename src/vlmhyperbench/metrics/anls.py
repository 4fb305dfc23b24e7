"""ANLS: Average Normalized Levenshtein Similarity (Biten et al. 2019; DocVQA, Mathew et al. 2021).

Per question: ``max_j s(a_j, o)`` over the reference answers ``a_j``, with
``s = 1 - NL`` if ``NL < threshold`` else 0, ``NL = lev(a, o) / max(|a|, |o|)``
computed on normalised strings (0 when both are empty). Normalisation, as in the
DocVQA evaluation script: strip, lowercase, collapse every whitespace run (Python
``str.split()``, which includes NBSP and newlines) to one space. No punctuation
removal. The threshold is exclusive: NL = 0.5 scores 0.
"""

from __future__ import annotations

from pydantic import Field
from rapidfuzz.distance import Levenshtein

from ..core import Sample
from ._base import Metric, Score, register_metric

__all__ = ["Anls", "anls_normalize"]


def anls_normalize(text: str) -> str:
    """Strip, lowercase and collapse whitespace, as the DocVQA scorer does."""
    return " ".join(text.strip().lower().split())


@register_metric("anls", version="1.0.0", higher_is_better=True)
class Anls(Metric):
    """ANLS, DocVQA paper definition (threshold 0.5, exclusive); max over references."""

    threshold: float = Field(default=0.5, gt=0.0, le=1.0)
    """Normalised edit distance at or above which a reference scores 0."""

    def score(self, answer: str, sample: Sample) -> Score:
        if not sample.answers:
            return Score(None, invalid="no reference answer")
        pred = anls_normalize(answer)
        best = 0.0
        for ref in sample.answers:
            nl = Levenshtein.normalized_distance(anls_normalize(ref), pred)
            if nl < self.threshold:
                best = max(best, 1.0 - nl)
        return Score(best)
