"""BLEU and chrF(++), computed by sacreBLEU itself (``sacrebleu>=2.4``; goldens: 2.6.0).

Both keep sacreBLEU's **0–100 scale**, unlike our other 0–1 metrics, so that the
numbers match those published with sacreBLEU (Post 2018, "A Call for Clarity in
Reporting BLEU Scores", WMT). No normalisation is applied beyond the options below.

- ``bleu``: per sample, ``sacrebleu.sentence_bleu(answer, sample.answers, tokenize=...,
  lowercase=...)``, i.e. ``BLEU(effective_order=True, smooth_method="exp")`` against every
  reference of the sample (Papineni et al. 2002, multi-reference clipped n-gram counts,
  closest reference length). The corpus value of a group is
  ``sacrebleu.corpus_bleu(answers, reference_streams, ...)`` (``effective_order=False``,
  ``smooth_method="exp"``): n-gram counts and lengths are summed over the group first, so
  it is not the mean of the sentence values, and it is 0 when no answer in the group has
  four tokens (no effective order at corpus level; short fields want ``chrf``). BLEU is a
  corpus metric; the per-sample mean is shown only beside it.
- ``chrf``: per sample, ``CHRF(...).sentence_score(answer, sample.answers)`` (Popović
  2015/2017; with several references the one with the best F-score counts); corpus value
  ``CHRF(...).corpus_score``, which sums the statistics of each sample's best reference;
  among equally good references the first listed wins, so the corpus value (not the
  sentence value) can depend on reference order. ``word_order=2`` gives chrF++. These equal
  ``sacrebleu.sentence_chrf`` / ``corpus_chrf``, which have no ``lowercase`` argument.

Samples may have different numbers of references: the corpus reference streams are
padded with ``None``, which sacreBLEU documents as "no reference here" (it drops
``None`` before matching; ``""`` would count as an empty reference). A sample with no
reference is not scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, cast

from pydantic import Field

from ..core import MissingDependency, Sample
from ._base import CorpusValue, Metric, Score, register_metric

if TYPE_CHECKING:
    from sacrebleu.metrics.base import Metric as SacreMetric

__all__ = ["Bleu", "Chrf"]

Tokenize = Literal["13a", "intl", "char", "none", "zh"]


def _sacrebleu_metrics() -> Any:
    # Imported on first use: sacreBLEU takes ~0.1 s to import and the registry imports
    # every metric module.
    try:
        from sacrebleu import metrics
    except ImportError:
        raise MissingDependency(
            "metrics 'bleu' and 'chrf' need sacrebleu>=2.4", hint="pip install 'sacrebleu>=2.4'"
        ) from None
    return metrics


def _bleu(tokenize: str, lowercase: bool, effective_order: bool) -> SacreMetric:
    metric = _sacrebleu_metrics().BLEU(
        tokenize=tokenize, lowercase=lowercase, effective_order=effective_order
    )
    return cast("SacreMetric", metric)


def _chrf(char_order: int, word_order: int, beta: int, lowercase: bool) -> SacreMetric:
    metric = _sacrebleu_metrics().CHRF(
        char_order=char_order, word_order=word_order, beta=beta, lowercase=lowercase
    )
    return cast("SacreMetric", metric)


# Sentence scorers are reused across samples (building one costs more than scoring a
# short answer); scoring with explicit references changes only their signature fields.
_sentence_bleu = lru_cache(maxsize=64)(_bleu)
_sentence_chrf = lru_cache(maxsize=64)(_chrf)


def _reference_streams(scores: Sequence[Score]) -> list[list[str | None]]:
    """sacreBLEU's reference layout: stream j holds every sample's j-th reference or None."""
    refs = [list((s.detail or {})["references"]) for s in scores]
    width = max(len(r) for r in refs)
    return [[r[j] if j < len(r) else None for r in refs] for j in range(width)]


class _SacreBleuMetric(Metric):
    """Shared scoring: sentence score per sample, sacreBLEU corpus score per group."""

    lowercase: bool = False
    """Lower-case answer and references before matching."""

    def model_post_init(self, context: Any, /) -> None:
        """Fail when the metric is built, not mid-run, if sacreBLEU is missing."""
        _sacrebleu_metrics()

    def _metric(self, *, sentence: bool) -> SacreMetric:
        """A sacreBLEU scorer with these options: cached for sentences, new for a corpus."""
        raise NotImplementedError

    def score(self, answer: str, sample: Sample) -> Score:
        """The sentence-level score (0–100) of ``answer`` against all references."""
        if not sample.answers:
            return Score(None, invalid="no reference answer")
        refs = list(sample.answers)
        value = float(self._metric(sentence=True).sentence_score(answer, refs).score)
        return Score(value, detail={"hypothesis": answer, "references": refs})

    def corpus(self, scores: Sequence[Score]) -> CorpusValue | None:
        """sacreBLEU's corpus score (0–100) of the group's answers and references."""
        if not scores:
            return None
        hyps = [str((s.detail or {})["hypothesis"]) for s in scores]
        # sacreBLEU's annotation says Sequence[Sequence[str]] but it accepts None entries.
        streams = cast("list[list[str]]", _reference_streams(scores))
        metric = self._metric(sentence=False)
        result = metric.corpus_score(hyps, streams)
        return CorpusValue(float(result.score), details={"signature": str(metric.get_signature())})


@register_metric("bleu", version="1.0.0", higher_is_better=True, pooled=True)
class Bleu(_SacreBleuMetric):
    """BLEU (Papineni et al. 2002) by sacreBLEU, 0–100: sentence BLEU per sample, corpus BLEU pooled."""

    tokenize: Tokenize = "13a"
    """sacreBLEU tokenizer. ``13a`` (mteval-v13a, the default) splits off punctuation by
    ASCII-centric rules; ``intl`` (mteval-v14 international) separates Unicode punctuation
    and symbols and suits Russian; ``char`` scores characters, useful for OCR and for
    short Cyrillic fields; ``none`` splits on spaces only; ``zh`` is for Chinese."""

    def _metric(self, *, sentence: bool) -> SacreMetric:
        make = _sentence_bleu if sentence else _bleu
        return make(self.tokenize, self.lowercase, sentence)


@register_metric("chrf", version="1.0.0", higher_is_better=True, pooled=True)
class Chrf(_SacreBleuMetric):
    """chrF / chrF++ (Popović 2015, 2017) by sacreBLEU, 0–100: sentence per sample, corpus pooled."""

    char_order: int = Field(6, ge=1)
    """Character n-gram order (sacreBLEU's default 6)."""
    word_order: int = Field(0, ge=0)
    """Word n-gram order: 0 is chrF, 2 is chrF++."""
    beta: int = Field(2, ge=1)
    """Recall weight of the F-score (chrF2 by default: recall counts twice as much)."""

    def _metric(self, *, sentence: bool) -> SacreMetric:
        make = _sentence_chrf if sentence else _chrf
        return make(self.char_order, self.word_order, self.beta, self.lowercase)
