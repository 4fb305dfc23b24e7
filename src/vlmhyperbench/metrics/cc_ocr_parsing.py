"""CC-OCR's document-parsing score (``cc_ocr_parsing``), as its evaluator computes it.

CC-OCR (Yang et al. 2024) scores its ``doc_parsing`` track with ``ParsingEvaluator``
(open-compass/VLMEvalKit: vlmeval/dataset/utils/ccocr_evaluator/doc_parsing_evaluator.py),
by the subset's kind, the TSV's ``l2-category`` (here ``Sample.doc_class``):

* ``doc``: the LaTeX preamble commands (``\\documentclass{..}``, ``\\usepackage..``,
  ``\\geometry{..}``, ``\\begin{document}``, ``\\end{document}``, ``\\noindent``) are
  removed from the answer, which is cut to what follows its first ````` ``` ````` (up to
  the next one) when it has one, loses ````` ```latex ````` and ````` ``` `````; spaces and
  newlines are removed from answer and reference; the value is
  ``1 - lev(answer, reference) / max(len)`` (unit-cost Levenshtein, ``nltk.edit_distance``);
* ``table``: the same commands removed, the answer cut after its first ````` ```html `````,
  ````` ``` ````` removed, spaces and newlines removed (so ``<td colspan="2">`` becomes
  ``<tdcolspan="2">``, as in the official code), ``，`` made ``,``; the reference loses
  spaces and newlines; both are wrapped in ``<html><body>..</body></html>`` and scored
  by TEDS (`teds_score`: PubTabNet's TEDS, which CC-OCR copies); no ``body/table`` on a
  side scores 0;
* ``formula``: the answer loses newlines, tabs, ````` ```latex `````, ````` ``` ````` and
  spaces, the reference its spaces; 1 - NED as for ``doc``;
* ``molecular``: the answer loses newlines, spaces, ``<smiles>`` and ``</smiles>``, the
  reference its spaces; 1 - NED.

A subset's score is the mean over its images; the track's the mean over its subsets.
Where the official code divides by zero (an empty answer and reference; a table without
cells on both sides) the value here is 1.0.
"""

from __future__ import annotations

import re

from rapidfuzz.distance import Levenshtein

from ..core import Sample
from ._base import Metric, Score, register_metric
from .teds import teds_score

__all__ = ["CcOcrParsing", "cc_ocr_parsing_score"]

_LATEX = tuple(
    re.compile(p)
    for p in (
        r"\\documentclass\{.*?\}",
        r"\\usepackage\[.*?\]\{.*?\}",
        r"\\usepackage\{.*?\}",
        r"\\geometry\{.*?\}",
        r"\\begin\{document\}",
        r"\\end\{document\}",
        r"\\noindent",
    )
)
"""The LaTeX commands CC-OCR removes, in its order (applied one after another)."""
KINDS = ("doc", "table", "formula", "molecular")
"""The ``l2-category`` values of CC-OCR's doc_parsing subsets."""


def _strip_latex(text: str) -> str:
    for pattern in _LATEX:
        text = pattern.sub("", text)
    return text


def _similarity(answer: str, reference: str) -> float:
    longest = max(len(answer), len(reference))
    return 1.0 - Levenshtein.distance(answer, reference) / longest if longest else 1.0


def cc_ocr_parsing_score(answer: str, reference: str, kind: str) -> float:
    """CC-OCR's score of one answer for a subset of ``kind`` (see the module)."""
    if kind == "doc":
        pred = _strip_latex(answer)
        parts = pred.split("```")
        pred = parts[1] if len(parts) > 1 else pred
        pred = pred.replace("```latex", "").replace("```", "")
        return _similarity(_squeeze(pred), _squeeze(reference))
    if kind == "table":
        pred = _strip_latex(answer)
        parts = pred.split("```html")
        pred = parts[1] if len(parts) > 1 else pred
        pred = _squeeze(pred.replace("```", "")).replace("，", ",")
        value = teds_score(
            f"<html><body>{pred}</body></html>", f"<html><body>{_squeeze(reference)}</body></html>"
        )
        return value or 0.0
    if kind == "formula":
        pred = answer.replace("\n", " ").replace("```latex", "").replace("```", "").replace("\t", " ")
        return _similarity(pred.replace(" ", ""), reference.replace(" ", ""))
    if kind == "molecular":
        pred = answer.replace("\n", "").replace(" ", "").replace("<smiles>", "").replace("</smiles>", "")
        return _similarity(pred, reference.replace(" ", ""))
    raise ValueError(f"unknown CC-OCR doc_parsing kind {kind!r}")


def _squeeze(text: str) -> str:
    return text.replace(" ", "").replace("\n", "")


@register_metric("cc_ocr_parsing", version="1.0.0", higher_is_better=True)
class CcOcrParsing(Metric):
    """CC-OCR doc parsing: 1 - NED (doc, formula, molecular) or TEDS (table) after CC-OCR's
    clean-up, by the sample's ``doc_class`` (the TSV's ``l2-category``)."""

    def score(self, answer: str, sample: Sample) -> Score:
        if not sample.answers:
            return Score(None, invalid="no reference answer")
        if sample.doc_class not in KINDS:
            return Score(
                None,
                invalid=f"doc_class '{sample.doc_class}' is not a CC-OCR doc_parsing kind {KINDS}",
            )
        return Score(cc_ocr_parsing_score(answer, sample.answers[0], sample.doc_class))
