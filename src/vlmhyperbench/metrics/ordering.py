"""Page ordering of multi-page bundles: Kendall's tau, Spearman's rho, position accuracy.

The reference is ``sample.answers[0]``: the pages in their true order, as a JSON list
(``"[2, 0, 1, 3]"``: page 2 comes first), a JSON object ``{"ordered_pages": [...]}``, or
integers separated by commas and/or whitespace (``"2, 0, 1, 3"``, ``"2 0 1 3"``). It must
be a non-empty permutation of ``0..n-1`` (``1..n`` with ``one_based``); otherwise the sample is a
dataset error and is not scored.

The answer is read, after stripping it and one enclosing Markdown code fence, as:

1. JSON: an object's ``"ordered_pages"`` list, or a top-level list; its items must be
   integers (booleans, floats and strings are not);
2. otherwise (not JSON, or JSON of another shape) every run of ASCII digits in the text,
   in order: ``"Порядок: 3, 1, 2"`` → ``[3, 1, 2]``.

An answer with no page numbers, or whose pages are not a permutation of the reference's
(missing, repeated or unknown pages; 1-based numbers against a 0-based reference), gets
0.0 from all three metrics with ``Score.invalid`` saying why, and so counts in the mean
(strict). 0.0 is chance level for tau and rho, and they can go down to -1 (reversed).

For each page ``p`` let ``t(p)`` be its position in the reference and ``q(p)`` in the
answer. Then, for ``n`` pages:

- ``kendall_tau``: Kendall's tau-b of ``t`` and ``q``,
  ``scipy.stats.kendalltau(t, q).statistic`` (no ties in a permutation, so tau-b is
  ``(concordant - discordant) / (n (n - 1) / 2)``);
- ``spearman_rho``: ``scipy.stats.spearmanr(t, q).statistic`` =
  ``1 - 6 Σ (t(p) - q(p))² / (n (n² - 1))``;
- ``position_accuracy``: the share of positions ``i`` where the answer's page equals
  the reference's page.

With fewer than two pages tau and rho are 1.0 (scipy gives NaN). Goldens: scipy 1.17.1.
Unlike the prototype (``bench_utils``: ``kendalltau(true_order, pred_order)`` on the page
numbers themselves), tau and rho compare positions, so they do not depend on how the
pages happened to be numbered.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..core import Sample
from ._base import Metric, Score, register_metric

__all__ = ["KendallTau", "PositionAccuracy", "SpearmanRho", "parse_page_order"]

_FENCE = re.compile(r"^```[A-Za-z]*[ \t]*\n?(.*?)\n?\s*```$", re.DOTALL)
_REFERENCE_LIST = re.compile(r"[0-9]+(?:[\s,]+[0-9]+)*")
_NUMBER = re.compile(r"[0-9]+")


def _json_pages(text: str) -> list[int] | None:
    """The JSON page list of ``text``; None when it is not JSON of a page-list shape."""
    try:
        value: Any = json.loads(text)
    except json.JSONDecodeError:
        return None
    if isinstance(value, dict) and "ordered_pages" in value:
        value = value["ordered_pages"]
    elif not isinstance(value, list):
        return None
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ValueError("ordered_pages is not a list of integers")
    return value


def parse_page_order(text: str, *, reference: bool = False) -> list[int]:
    """Page numbers in order from an answer (or, strictly, a reference); see the module.

    Raises:
        ValueError: no page order can be read; the message says why.
    """
    text = text.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    pages = _json_pages(text)
    if pages is not None:
        return pages
    if reference:
        if not _REFERENCE_LIST.fullmatch(text):
            raise ValueError(f"{text[:60]!r} is not a JSON list or comma-separated page numbers")
        return [int(n) for n in _NUMBER.findall(text)]
    numbers = [int(n) for n in _NUMBER.findall(text)]
    if not numbers:
        raise ValueError("no page numbers in the answer")
    return numbers


class _OrderingMetric(Metric):
    """Parsing and checks shared by the ordering metrics; subclasses compare two orders."""

    one_based: bool = False
    """Pages are numbered 1..n (not 0..n-1) in references and answers."""

    def _compare(self, true: list[int], pred: list[int]) -> float:
        raise NotImplementedError

    def score(self, answer: str, sample: Sample) -> Score:
        """Compare the answer's page order with the reference order (see the module)."""
        if not sample.answers:
            return Score(None, invalid="no reference answer")
        try:
            true = parse_page_order(sample.answers[0], reference=True)
        except ValueError as exc:
            return Score(None, invalid=f"reference: {exc}")
        first = int(self.one_based)
        if not true:
            return Score(None, invalid="reference has no pages")
        if sorted(true) != list(range(first, first + len(true))):
            return Score(
                None, invalid=f"reference {true} is not a permutation of {first}..{first + len(true) - 1}"
            )
        try:
            pred = parse_page_order(answer)
        except ValueError as exc:
            return Score(0.0, invalid=str(exc))
        if sorted(pred) != sorted(true):
            return Score(0.0, invalid=f"answer {pred[:20]} is not a permutation of the reference pages")
        return Score(self._compare(true, pred))


def _predicted_positions(true: list[int], pred: list[int]) -> list[int]:
    """q(p) for the pages p in reference order (their t(p) is 0, 1, ..., n-1)."""
    position = {page: i for i, page in enumerate(pred)}
    return [position[page] for page in true]


@register_metric("kendall_tau", version="1.0.0", higher_is_better=True)
class KendallTau(_OrderingMetric):
    """Kendall's tau-b between true and predicted page positions (scipy.stats.kendalltau)."""

    def _compare(self, true: list[int], pred: list[int]) -> float:
        q, n = _predicted_positions(true, pred), len(true)
        if n < 2:
            return 1.0
        # t is increasing, so a pair is concordant exactly when q increases too.
        concordant = sum(q[i] < q[j] for i in range(n) for j in range(i + 1, n))
        pairs = n * (n - 1) // 2
        return (2 * concordant - pairs) / pairs


@register_metric("spearman_rho", version="1.0.0", higher_is_better=True)
class SpearmanRho(_OrderingMetric):
    """Spearman's rho between true and predicted page positions (scipy.stats.spearmanr)."""

    def _compare(self, true: list[int], pred: list[int]) -> float:
        q, n = _predicted_positions(true, pred), len(true)
        if n < 2:
            return 1.0
        d2 = sum((i - qi) ** 2 for i, qi in enumerate(q))
        den = n * (n * n - 1)
        return (den - 6 * d2) / den  # integers: one rounding only


@register_metric("position_accuracy", version="1.0.0", higher_is_better=True)
class PositionAccuracy(_OrderingMetric):
    """Share of positions where the predicted page is the true page."""

    def _compare(self, true: list[int], pred: list[int]) -> float:
        return sum(t == p for t, p in zip(true, pred)) / len(true)
