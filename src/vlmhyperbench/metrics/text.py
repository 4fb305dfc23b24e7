"""Character and word error rates, exactly as jiwer 4.0 defines them.

Per sample: ``(S + D + I) / N_ref``, where the counts come from a Levenshtein alignment
of the reference and the answer. Transforms (jiwer's defaults, nothing else):

- CER (``cer_default``): strip leading/trailing whitespace; every other character,
  internal spaces, newlines and NBSP included, counts.
- WER (``wer_default``): replace every run of two or more whitespace characters by one
  space (``re.sub(r"\\s\\s+", " ", s)``), strip, split on the space character ``" "``
  only (a single newline or NBSP does not separate words), drop empty words.

An empty reference gives the number of insertions (jiwer's edge case), so values can
exceed 1. With several references the per-sample value is the lowest over them, and
the aggregates' pooled value sums the edits and reference lengths of those best
references (jiwer's corpus-level value over a list of pairs).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from rapidfuzz.distance import Levenshtein

from ..core import Sample
from ._base import Metric, Score, batch_edits, register_metric

__all__ = ["CharacterErrorRate", "WordErrorRate", "error_rate"]

_MULTI_SPACE = re.compile(r"\s\s+")


def _cer_units(text: str) -> str:
    return text.strip()


def _wer_units(text: str) -> list[str]:
    return [w for w in _MULTI_SPACE.sub(" ", text).strip().split(" ") if w]


def error_rate(reference: Sequence[object], hypothesis: Sequence[object]) -> Score:
    """Edits / reference length, with jiwer's empty-reference rule, as a pooled `Score`."""
    edits = Levenshtein.distance(reference, hypothesis)
    n_ref = len(reference)
    value = float(edits) / n_ref if n_ref else float(edits)
    return Score(value, num=float(edits), den=float(n_ref))


def _batched(
    metric: Metric,
    answers: Sequence[str],
    samples: Sequence[Sample],
    units: Callable[[str], Sequence[object]],
) -> list[Score]:
    """Single-reference samples in one C++ call; the others through `score`."""
    single, refs, hyps = [], [], []
    for i, (answer, sample) in enumerate(zip(answers, samples)):
        if len(sample.answers) == 1:
            single.append(i)
            refs.append(units(sample.answers[0]))
            hyps.append(units(answer))
    out: list[Score | None] = [None] * len(samples)
    for i, ref, e in zip(single, refs, batch_edits(refs, hyps)):
        out[i] = Score(e / len(ref) if ref else float(e), float(e), float(len(ref)))
    return [s if s is not None else metric.score(answers[i], samples[i]) for i, s in enumerate(out)]


def _best(scores: list[Score]) -> Score:
    if not scores:
        return Score(None, invalid="no reference answer")
    return min(scores, key=lambda s: (s.value, -(s.den or 0)))


@register_metric("cer", version="1.0.0", higher_is_better=False, pooled=True)
class CharacterErrorRate(Metric):
    """Character error rate (jiwer 4.0 ``cer``); lowest over references."""

    def score(self, answer: str, sample: Sample) -> Score:
        hyp = _cer_units(answer)
        return _best([error_rate(_cer_units(ref), hyp) for ref in sample.answers])

    def score_batch(self, answers: Sequence[str], samples: Sequence[Sample]) -> list[Score]:
        return _batched(self, answers, samples, _cer_units)


@register_metric("wer", version="1.0.0", higher_is_better=False, pooled=True)
class WordErrorRate(Metric):
    """Word error rate (jiwer 4.0 ``wer``); lowest over references."""

    def score(self, answer: str, sample: Sample) -> Score:
        hyp = _wer_units(answer)
        return _best([error_rate(_wer_units(ref), hyp) for ref in sample.answers])

    def score_batch(self, answers: Sequence[str], samples: Sequence[Sample]) -> list[Score]:
        return _batched(self, answers, samples, _wer_units)
