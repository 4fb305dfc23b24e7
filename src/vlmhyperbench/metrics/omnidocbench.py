"""OmniDocBench end-to-end page-parsing metrics, equal to the official evaluator.

Definition: Ouyang et al., "OmniDocBench: Benchmarking Diverse PDF Document Parsing with
Comprehensive Annotations" (CVPR 2025, arXiv:2412.07626); official evaluator
opendatalab/OmniDocBench@7bd6c2e (``pdf_validation.py`` with ``configs/end2end.yaml``),
whose figures these metrics reproduce (golden data: ``tests/data/golden/omnidocbench``).
Ground truth is the page object of ``OmniDocBench.json`` in
``sample.metadata["omnidocbench"]``; the answer is the page's Markdown.

* The Markdown is split into blocks (`_omnidoc_extract`): HTML tables, pipe tables
  (converted to HTML), LaTeX tables, display formulas (``$$..$$``, ``\\[..\\]``; inline
  ``$..$`` also become formula candidates), fenced code, and text blocks at blank lines.
* Ground-truth tables are matched to predicted tables by the Hungarian assignment on the
  raw HTML edit distance; unmatched predicted tables give their cells to the text pool.
  LaTeX tables, when a page has more of them than HTML ones, count as missing tables.
* Ground-truth text (``text_block``, ``title``, captions, headers, footers, footnotes,
  page numbers, code, references; ``truncated`` relations joined) and display formulas
  are matched to the pool by ``quick_match`` (`_omnidoc_match`), the default and the only
  method that runs end to end at that commit (``no_split`` and ``simple_match`` raise
  there).
* ``omnidoc_text_edit``: per pair, Levenshtein distance / longer length of the cleaned
  strings; headers, footers, captions, footnotes, page numbers, code and equation
  captions are not scored; a formula matched to a text block is scored here as text.
  ``omnidoc_formula_edit``: the same on normalised LaTeX. ``omnidoc_table_teds`` and
  ``omnidoc_table_teds_s``: TEDS and TEDS-S (PubTabNet's, `teds_score`) of the
  normalised tables; ``omnidoc_table_edit``: their edit distance.
  ``omnidoc_reading_order``: edit distance between the ground-truth order of the scored
  text blocks and the order their matches appear in the prediction.
* Each metric is pooled: a page's ``num``/``den`` are Σ distance / Σ longer length (or
  Σ TEDS / number of tables); its ``value`` is the page's figure. The mean of the values
  is the official page average (``ALL_page_avg`` for edits, the page-level TEDS of
  its leaderboard); the corpus value is the official sample-pooled figure
  (``edit_whole``; TEDS averaged over all tables). A page with nothing of a kind has no
  value for that metric (it is left out, as officially).

Departures: an empty answer (or a failed request) is scored as an empty prediction,
where the official code skips a page whose ``.md`` file is missing; a formula matched to
text moves to the text score on every page (officially only when the corpus has some
text pairs, which every real corpus has); the official 30-second matching timeout is
not reproduced; a page where the official code would stop the whole run scores invalid
with the reason.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from ..core import MissingDependency, Sample
from ._base import Metric, Score, register_metric
from ._omnidoc_match import IGNORED, TEXT_CATEGORIES
from ._omnidoc_page import PageResult, evaluate_page, ground_truth_blocks

__all__ = [
    "OmniDocFormulaEdit",
    "OmniDocReadingOrder",
    "OmniDocTableEdit",
    "OmniDocTableTeds",
    "OmniDocTableTedsStruct",
    "OmniDocTextEdit",
    "page_result",
    "reference_markdown",
]

_CACHE: OrderedDict[tuple[str, str, str], tuple[Mapping[str, Any], PageResult | str]] = OrderedDict()
_CACHE_SIZE = 32768
"""Pages kept: the six metrics score a corpus one metric at a time and share the matching."""


def page_result(
    page: Mapping[str, Any], answer: str, sample_id: str = "", match: str = "quick_match"
) -> PageResult:
    """The page matched and scored once per (sample, answer); raises on pages the
    official code cannot score."""
    key = (match, sample_id, answer)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is page:
        _CACHE.move_to_end(key)
        result = hit[1]
    else:
        try:
            result = evaluate_page(page, answer)
        except MissingDependency:
            raise
        except Exception as exc:  # noqa: BLE001 (a page the official code cannot score: recorded, not raised)
            result = f"the page could not be scored ({type(exc).__name__}: {exc})"
        _CACHE[key] = (page, result)
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    if isinstance(result, str):
        raise ValueError(result)
    return result


def reference_markdown(page: Mapping[str, Any]) -> str:
    """The ground-truth page as Markdown in reading order (``order``): text blocks and
    titles as text, display formulas as ``$$..$$``, tables as their HTML. Headers,
    footers, page numbers, captions and footnotes (not scored as text) are left out,
    like blocks marked ``ignore``."""
    items = [
        item
        for category, blocks in ground_truth_blocks(page).items()
        if category in (*TEXT_CATEGORIES, "equation_isolated", "table") and category not in IGNORED
        for item in blocks
        if not item.get("ignore")
    ]
    parts: list[str] = []
    for item in sorted(items, key=lambda item: item.get("order") or 0):
        if item["category_type"] == "table":
            text = str(item.get("html", "")).strip()
        elif item["category_type"] == "equation_isolated":
            latex = str(item.get("latex", "")).strip()
            bare = latex.removeprefix("$$").removesuffix("$$").removeprefix("\\[").removesuffix("\\]").strip()
            text = f"$$\n{bare}\n$$" if bare else ""
        else:
            text = str(item.get("text", "")).strip()
        if text:
            parts.append(text)
    return "\n\n".join(parts)


class _OmniDocMetric(Metric):
    """Shared scoring: the page from metadata, matched once, one figure taken."""

    match: Literal["quick_match"] = "quick_match"
    """Matching method; ``quick_match`` is the official end-to-end default (the official
    ``no_split`` and ``simple_match`` fail at opendatalab/OmniDocBench@7bd6c2e)."""

    def figure(self, result: PageResult) -> tuple[float, float, dict[str, Any]] | None:
        """(num, den, detail) of this metric on a page; None when the page has none."""
        raise NotImplementedError

    def score(self, answer: str, sample: Sample) -> Score:
        page = sample.metadata.get("omnidocbench")
        if not isinstance(page, Mapping):
            return Score(None, invalid="the sample has no OmniDocBench page (metadata['omnidocbench'])")
        try:
            result = page_result(page, answer, sample.id, self.match)
        except ValueError as exc:
            return Score(None, invalid=str(exc))
        found = self.figure(result)
        detail = {**result.counts, "empty_prediction": not answer.strip()}
        if found is None:
            return Score(None, detail=detail)
        num, den, extra = found
        return Score(num / den, num, den, detail={**detail, **extra})

    def score_batch(self, answers: Sequence[str], samples: Sequence[Sample]) -> list[Score]:
        return [self.score(answer, sample) for answer, sample in zip(answers, samples)]


def _edits(pairs: list[tuple[int, int]]) -> tuple[float, float, dict[str, Any]] | None:
    den = sum(longest for _, longest in pairs)
    return (float(sum(edit for edit, _ in pairs)), float(den), {"pairs": len(pairs)}) if den else None


@register_metric("omnidoc_text_edit", version="1.0.0", higher_is_better=False, pooled=True)
class OmniDocTextEdit(_OmniDocMetric):
    """OmniDocBench text-block edit distance (Σ Levenshtein / Σ longer length on a page)."""

    def figure(self, result: PageResult) -> tuple[float, float, dict[str, Any]] | None:
        return _edits(result.text)


@register_metric("omnidoc_formula_edit", version="1.0.0", higher_is_better=False, pooled=True)
class OmniDocFormulaEdit(_OmniDocMetric):
    """OmniDocBench display-formula edit distance on normalised LaTeX."""

    def figure(self, result: PageResult) -> tuple[float, float, dict[str, Any]] | None:
        return _edits(result.formula)


@register_metric("omnidoc_table_edit", version="1.0.0", higher_is_better=False, pooled=True)
class OmniDocTableEdit(_OmniDocMetric):
    """OmniDocBench table edit distance on the normalised HTML."""

    def figure(self, result: PageResult) -> tuple[float, float, dict[str, Any]] | None:
        return _edits([(edit, longest) for _, _, edit, longest in result.tables])


@register_metric("omnidoc_table_teds", version="1.0.0", higher_is_better=True, pooled=True)
class OmniDocTableTeds(_OmniDocMetric):
    """OmniDocBench table TEDS: Σ TEDS / number of ground-truth tables on a page."""

    def figure(self, result: PageResult) -> tuple[float, float, dict[str, Any]] | None:
        if not result.tables:
            return None
        return sum(t[0] for t in result.tables), float(len(result.tables)), {}


@register_metric("omnidoc_table_teds_s", version="1.0.0", higher_is_better=True, pooled=True)
class OmniDocTableTedsStruct(_OmniDocMetric):
    """OmniDocBench table TEDS-S (structure only)."""

    def figure(self, result: PageResult) -> tuple[float, float, dict[str, Any]] | None:
        if not result.tables:
            return None
        return sum(t[1] for t in result.tables), float(len(result.tables)), {}


@register_metric("omnidoc_reading_order", version="1.0.0", higher_is_better=False, pooled=True)
class OmniDocReadingOrder(_OmniDocMetric):
    """OmniDocBench reading-order edit distance (one sequence per page)."""

    def figure(self, result: PageResult) -> tuple[float, float, dict[str, Any]] | None:
        if result.order is None or not result.order[1]:
            return None
        return float(result.order[0]), float(result.order[1]), {}
