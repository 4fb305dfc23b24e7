"""Normalised edit distance (NED) for page parsing, as OmniDocBench computes it.

Per pair: ``lev(pred, ref) / max(len(pred), len(ref))`` on the **raw** strings
(unit-cost Levenshtein over code points; no case folding, no whitespace or Unicode
normalisation: ``é`` and ``e`` + U+0301 differ), 0.0 when both are empty. This is
OmniDocBench's ``Edit_dist`` for one matched element (opendatalab/OmniDocBench:
metrics/cal_metric.py ``call_Edit_dist``; the same code in open-compass/VLMEvalKit:
vlmeval/dataset/OmniDocBench/metrics.py) and CC-OCR's / OCRBench v2's ``nltk``
``edit_distance`` / max length. Lower is better; with several references the lowest
value counts.

Aggregation: OmniDocBench's page score is length-weighted,
``sum(edits) / sum(max(len(pred), len(ref)))`` over a page's text blocks, and its
``ALL_page_avg`` is the mean of those page scores. Each `Score` therefore carries
``num`` = edits and ``den`` = max length, and the metric is ``pooled``: the pooled value
of a group is ``sum(num) / sum(den)``. Scoring each block as a sample and grouping by
page gives OmniDocBench's page scores; with one sample per page (a whole-page string,
OmniDocBench's ``no_split`` matching) the plain mean equals ``ALL_page_avg``, except
that OmniDocBench leaves a page whose prediction and reference are both empty out of
the mean (it has no value) where here it scores 0.0. OmniDocBench's block matching
and text cleaning (``clean_string``, LaTeX/Markdown filtering) happen before this
metric and are not part of it.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz.distance import Levenshtein

from ..core import Sample
from ._base import Metric, Score, batch_edits, register_metric

__all__ = ["NormalizedEditDistance", "ned_score"]


def ned_score(prediction: str, reference: str) -> Score:
    """NED of one pair, with ``num`` = edits and ``den`` = the longer length."""
    longest = max(len(prediction), len(reference))
    if longest == 0:
        return Score(0.0, num=0.0, den=0.0)
    edits = Levenshtein.distance(prediction, reference)
    return Score(edits / longest, num=float(edits), den=float(longest))


@register_metric("ned", version="1.0.0", higher_is_better=False, pooled=True)
class NormalizedEditDistance(Metric):
    """Levenshtein distance / max length on raw strings (OmniDocBench); lowest over references."""

    def score(self, answer: str, sample: Sample) -> Score:
        if len(sample.answers) == 1:  # the common case, kept free of list work
            return ned_score(answer, sample.answers[0])
        if not sample.answers:
            return Score(None, invalid="no reference answer")
        scores = [ned_score(answer, ref) for ref in sample.answers]
        # On a tie the longer pair wins, so the pooled value weights the sample fully.
        return min(scores, key=lambda s: (s.value, -(s.den or 0.0)))

    def score_batch(self, answers: Sequence[str], samples: Sequence[Sample]) -> list[Score]:
        single, refs, hyps = [], [], []
        for i, (answer, sample) in enumerate(zip(answers, samples)):
            if len(sample.answers) == 1:
                single.append(i)
                refs.append(sample.answers[0])
                hyps.append(answer)
        out: list[Score | None] = [None] * len(samples)
        for i, ref, hyp, e in zip(single, refs, hyps, batch_edits(refs, hyps)):
            longest = max(len(hyp), len(ref))
            out[i] = Score(e / longest if longest else 0.0, float(e), float(longest))
        return [s if s is not None else self.score(answers[i], samples[i]) for i, s in enumerate(out)]
