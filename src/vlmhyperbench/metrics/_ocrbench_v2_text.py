"""OCRBench v2's score of long text: (BLEU + METEOR + F1 + (1 - NED)) / 4.

Used for full-page OCR (EN, CN), fine-grained text recognition, text translation and
short-answer handwriting. Official: Yuliang-Liu/MultimodalOCR
``OCRBench_v2/eval_scripts/page_ocr_metric.py`` (``cal_per_metrics``):

* tokens: ``jieba.lcut`` of both texts when either holds a CJK ideograph
  (U+4E00–U+9FA5), else ``str.split()``;
* BLEU: ``nltk.translate.bleu([reference], hypothesis)`` — sentence BLEU-4, uniform
  weights, no smoothing;
* METEOR: ``nltk.translate.meteor_score.meteor_score([reference], hypothesis)`` (WordNet
  synonyms, Porter stemmer, lower-cased);
* F1: ``nltk.metrics.f_measure`` of the two token *sets* (None when either is empty);
* NED: character Levenshtein distance / length of the longer text (``nltk.edit_distance``;
  computed here with rapidfuzz, which gives the same integer).

NLTK, jieba and NLTK's WordNet corpus are needed; without them these types cannot be
scored and `page_toolkit` says why.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

from rapidfuzz.distance import Levenshtein

from .._paths import cache_dir
from ._wordnet import wordnet_from_debian

__all__ = ["PageMeasures", "page_measures", "page_toolkit"]

_CJK = re.compile("[\u4e00-\u9fa5]")


class PageMeasures(NamedTuple):
    """The four measures ``cal_per_metrics`` returns (``f_measure`` may be None)."""

    bleu: float
    meteor: float
    f_measure: float | None
    edit_dist: float


class _Toolkit(NamedTuple):
    cut: Callable[[str], list[str]]
    bleu: Callable[..., float]
    meteor: Callable[..., float]
    f_measure: Callable[..., float | None]


_loaded: list[_Toolkit] = []


def page_toolkit() -> _Toolkit | str:
    """NLTK, jieba and WordNet, loaded once; or why they cannot be (a sentence with the fix)."""
    if _loaded:
        return _loaded[0]
    import importlib

    try:
        nltk_translate = importlib.import_module("nltk.translate")
        meteor = importlib.import_module("nltk.translate.meteor_score")
        nltk_metrics = importlib.import_module("nltk.metrics")
        wordnet: Any = importlib.import_module("nltk.corpus").wordnet
        jieba: Any = importlib.import_module("jieba")
    except ImportError as exc:
        return (
            f"needs the Python packages nltk and jieba ({exc.name} is missing): "
            "pip install 'vlmhyperbench[benchmarks]'"
        )
    try:
        wordnet.ensure_loaded()
    except LookupError:
        made = wordnet_from_debian(cache_dir("nltk_data"))
        if made is None:
            return (
                "METEOR needs NLTK's WordNet 3.0 corpus: offline `apt-get install wordnet-base "
                "wordnet-sense-index` (found and used automatically), or `python -m nltk.downloader wordnet`"
            )
        importlib.import_module("nltk").data.path.insert(0, str(made))
        wordnet.ensure_loaded()
    jieba.setLogLevel(logging.WARNING)
    toolkit = _Toolkit(jieba.lcut, nltk_translate.bleu, meteor.meteor_score, nltk_metrics.f_measure)
    _loaded.append(toolkit)
    return toolkit


def page_measures(pred: str, gt: str, toolkit: _Toolkit) -> PageMeasures:
    """``cal_per_metrics(pred, gt)``.

    Raises:
        ZeroDivisionError: both texts are empty (the official script raises too).
    """
    if _CJK.search(gt) or _CJK.search(pred):
        reference, hypothesis = toolkit.cut(gt), toolkit.cut(pred)
    else:
        reference, hypothesis = gt.split(), pred.split()
    with warnings.catch_warnings():
        # NLTK warns on every hypothesis with no matching n-gram of some order.
        warnings.simplefilter("ignore")
        bleu = toolkit.bleu([reference], hypothesis)
    meteor = toolkit.meteor([reference], hypothesis)
    f_measure = toolkit.f_measure(set(reference), set(hypothesis))
    edit_dist = Levenshtein.distance(pred, gt) / max(len(pred), len(gt))
    return PageMeasures(bleu, meteor, f_measure, edit_dist)
