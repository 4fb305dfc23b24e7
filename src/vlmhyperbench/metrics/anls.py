"""ANLS: Average Normalized Levenshtein Similarity (Biten et al. 2019; DocVQA, Mathew et al. 2021).

Per question: ``max_j s(a_j, o)`` over the reference answers ``a_j``, with
``s = 1 - NL`` if ``NL < threshold`` else 0, ``NL = lev(a, o) / max(|a|, |o|)``
computed on normalised strings (0 when both are empty). Normalisation, as in the
DocVQA evaluation script: strip, lowercase, collapse every whitespace run (Python
``str.split()``, which includes NBSP and newlines) to one space. No punctuation
removal. The threshold is exclusive: NL = 0.5 scores 0. The `anls` package 0.0.2
(shunk031/ANLS, after the RRC InfographicVQA script) divides by ``len(s.upper())`` of
the normalised strings instead; the two differ only where upper-casing lengthens a
string (``ßßßß`` vs ``ßßßx``: 0.75 here, 0.875 there).

``anls_vlmevalkit`` is the variant VLMEvalKit and lmms-eval compute, so their published
DocVQA/InfoVQA numbers can be reproduced (open-compass/VLMEvalKit:
vlmeval/dataset/utils/vqa_eval.py ``anls_compute`` + ``hit_calculate``; lmms-eval:
lmms_eval/api/metrics.py ``anls``, after Qwen-VL eval_mm/infographicsvqa_eval.py).
Per reference ``NL = lev(norm(ref), norm(pred)) / max(len(ref.upper()), len(pred.upper()))``
with the same normalisation as above but the **raw** (un-normalised) lengths in the
denominator (``.upper()`` can lengthen a string: ``ß`` → ``SS``), and NL = 0 when that
length is 0. The score is ``1 - min_j NL_j``, set to 0 when it is **below** the
threshold, so NL = 0.5 scores 0.5 (inclusive boundary). Leading/trailing or repeated
whitespace therefore raises the score slightly, and NL can exceed 1 (score 0) when
lower-casing lengthens a string (``İ``).
"""

from __future__ import annotations

from pydantic import Field
from rapidfuzz.distance import Levenshtein

from ..core import Sample
from ._base import Metric, Score, register_metric

__all__ = ["Anls", "AnlsVlmevalkit", "anls_normalize"]


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


@register_metric("anls_vlmevalkit", version="1.0.0", higher_is_better=True)
class AnlsVlmevalkit(Metric):
    """ANLS as VLMEvalKit/lmms-eval compute it: raw-length denominator, inclusive threshold."""

    threshold: float = Field(default=0.5, gt=0.0, le=1.0)
    """Scores below this (``1 - min NL < threshold``) become 0; exactly 0.5 is kept."""

    def score(self, answer: str, sample: Sample) -> Score:
        if not sample.answers:
            return Score(None, invalid="no reference answer")
        pred = anls_normalize(answer)
        pred_len = len(answer.upper())
        nls = []
        for ref in sample.answers:
            length = max(len(ref.upper()), pred_len)
            dist = Levenshtein.distance(anls_normalize(ref), pred)
            nls.append(0.0 if length == 0 else float(dist) / float(length))
        value = 1.0 - min(nls)
        return Score(0.0 if value < self.threshold else value)
