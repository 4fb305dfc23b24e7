"""ANLS* over nested ground truths: our implementation of Peer et al. 2024.

Definition: D. Peer et al., "ANLS* -- A Universal Document Processing Metric for
Generative Large Language Models", arXiv:2402.03848; reference scorer
deepopinion/anls_star_metric: src/anls_star/anls_star.py (PyPI ``anls-star`` 1.0.1).
This module is written from that definition and reproduces the package's values.

Comparing a ground truth ``g`` with a prediction ``p`` yields a list of similarity
values and a length ``L``; ``ANLS*(g, p) = sum(values) / L`` (1.0 when ``L`` is 0).

- **Leaf** (str, int, float, bool, via ``str()``): both sides lower-cased, stripped and
  whitespace-collapsed; ``s = 1 - lev / max(len)`` (1.0 when both are empty), and
  ``s = 0`` when ``s < 0.5`` (so ``s = 0.5`` is kept). A non-leaf prediction scores 0.
- **None**: 1.0 when the prediction is "None-y" (``None``, ``""``, ``[]``, ``{}``), else 0.
- **Tuple** (ground truth only): alternatives; the one with the highest average wins,
  ties going to the alternative whose closest ground truth equals the prediction.
- **List**: an unordered multiset. Items are paired by a maximum-weight assignment
  (Hungarian method) on each pair's average; a pair whose closest ground truth equals
  the predicted item gets its average raised by one ulp, so exact matches win ties.
  Unpaired items on either side add their size to ``L`` and score nothing.
- **Dict**: every key of either side; a missing key is compared with ``None``. A
  predicted-only key whose value is None-y adds no value but still adds to ``L``
  (the package's behaviour: ``{"a": "x"}`` vs ``{"a": "x", "b": None}`` is 0.5).

A prediction of another container type than the ground truth scores 0 with length
``max(size(g), size(p))``, where a leaf or None has size 1, a list or dict the sum of its
items' sizes, and a tuple the largest of its alternatives'. A ground-truth list of
strings compared with a string prediction is read as a tuple of alternatives (the
package's compatibility rule for VQA-style data); an empty list is not (the package
raises ValueError there, we score the mismatch: 0.0).

Ties between different optimal assignments of a list can change the score only when
list items are containers; the reference then depends on its ``munkres`` version, and
we take whichever optimum our Hungarian method finds first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import Levenshtein

__all__ = ["AnlsStarMatch", "anls_star_match", "anls_star_score", "key_scores"]

THRESHOLD = 0.5
_LEAF = (str, int, float, bool)


@dataclass(frozen=True, slots=True)
class AnlsStarMatch:
    """Values, length and the closest ground truth of one comparison."""

    values: list[float]
    length: int
    closest: Any
    """The ground truth as the prediction is best read (alternative chosen, lists paired)."""

    @property
    def score(self) -> float:
        """``sum(values) / length``; 1.0 when the length is 0 (both sides empty)."""
        return sum(self.values) / self.length if self.length > 0 else 1.0


def anls_star_score(gt: Any, pred: Any) -> float:
    """ANLS* of ``pred`` against ``gt`` (argument order as ``anls_star.anls_score``)."""
    return anls_star_match(gt, pred).score


def anls_star_match(gt: Any, pred: Any) -> AnlsStarMatch:
    """The full comparison of ``pred`` with ``gt``, after the top-level VQA rule."""
    if isinstance(gt, list) and gt and all(isinstance(x, str) for x in gt) and isinstance(pred, str):
        gt = tuple(gt)
    _check_prediction(pred)
    return _compare(gt, pred)


def key_scores(gt: dict[str, Any], pred: Any) -> dict[str, float]:
    """ANLS* of each top-level ground-truth key; a non-dict prediction counts as ``{}``."""
    found = pred if isinstance(pred, dict) else {}
    return {str(k): _compare(v, found.get(k)).score for k, v in gt.items()}


def _check_prediction(pred: Any) -> None:
    if isinstance(pred, tuple):
        raise TypeError("tuples are alternatives of a ground truth; a prediction cannot hold one")
    if isinstance(pred, list):
        for item in pred:
            _check_prediction(item)
    elif isinstance(pred, dict):
        for item in pred.values():
            _check_prediction(item)
    elif pred is not None and not isinstance(pred, _LEAF):
        raise TypeError(f"unsupported type {type(pred).__name__} in a prediction")


def _is_noney(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and len(value) == 0)


def _size(value: Any) -> int:
    if isinstance(value, tuple):
        return max(_size(x) for x in value)
    if isinstance(value, list):
        return sum(_size(x) for x in value)
    if isinstance(value, dict):
        return sum(_size(x) for x in value.values())
    return 1


def _normalize(value: Any) -> str:
    return " ".join(str(value).strip().lower().split())


def _leaf(gt: Any, pred: Any) -> float:
    a, b = _normalize(gt), _normalize(pred)
    longest = max(len(a), len(b))
    similarity = 1 - (float(Levenshtein.distance(a, b)) / float(longest) if longest else 0.0)
    return 0.0 if similarity < THRESHOLD else similarity


def _compare(gt: Any, pred: Any) -> AnlsStarMatch:
    if isinstance(gt, tuple):
        return _alternatives(gt, pred)
    if gt is None:
        hit = _is_noney(pred)
        return AnlsStarMatch([1.0 if hit else 0.0], max(1, _size(pred)), pred if hit else None)
    mismatch = AnlsStarMatch([0.0], max(_size(gt), _size(pred)), gt)
    if isinstance(gt, list):
        return _lists(gt, pred) if isinstance(pred, list) else mismatch
    if isinstance(gt, dict):
        return _dicts(gt, pred) if isinstance(pred, dict) else mismatch
    if not isinstance(gt, _LEAF):
        raise TypeError(f"unsupported type {type(gt).__name__} in a ground truth")
    if pred is None or not isinstance(pred, _LEAF):
        return mismatch
    return AnlsStarMatch([_leaf(gt, pred)], 1, gt)


def _alternatives(gt: tuple[Any, ...], pred: Any) -> AnlsStarMatch:
    if not gt:
        raise ValueError("a tuple of alternatives needs at least one option")
    best: AnlsStarMatch | None = None
    best_key = (-math.inf, 0)
    for option in gt:
        match = _compare(option, pred)
        key = (match.score, 1 if match.closest == pred else 0)
        if key > best_key:
            best, best_key = match, key
    assert best is not None
    return best


def _dicts(gt: dict[Any, Any], pred: dict[Any, Any]) -> AnlsStarMatch:
    values: list[float] = []
    length = 0
    closest: dict[Any, Any] = {}
    for key in [*gt, *(k for k in pred if k not in gt)]:
        match = _compare(gt.get(key), pred.get(key))
        length += match.length
        if key not in gt and _is_noney(pred[key]):
            continue
        values.extend(match.values)
        if key in pred or not _is_noney(match.closest):
            closest[key] = match.closest
    return AnlsStarMatch(values, length, closest)


def _lists(gt: list[Any], pred: list[Any]) -> AnlsStarMatch:
    pairs = [[_compare(g, p) for p in pred] for g in gt]
    weights = [
        [math.nextafter(m.score, math.inf) if pred[j] == m.closest else m.score for j, m in enumerate(row)]
        for row in pairs
    ]
    chosen = _max_weight_assignment(weights)
    values = [v for i, j in chosen for v in pairs[i][j].values]
    length = sum(pairs[i][j].length for i, j in chosen)
    used_gt = {i for i, _ in chosen}
    used_pred = {j for _, j in chosen}
    length += sum(_size(g) for i, g in enumerate(gt) if i not in used_gt)
    length += sum(_size(p) for j, p in enumerate(pred) if j not in used_pred)
    closest = [pairs[i][j].closest for i, j in sorted(chosen, key=lambda ij: ij[1])]
    closest += [g for i, g in enumerate(gt) if i not in used_gt]
    return AnlsStarMatch(values, length, closest)


def _max_weight_assignment(weights: list[list[float]]) -> list[tuple[int, int]]:
    """Pairs (row, column), sorted by row, of a maximum-weight assignment of min(n, m) pairs.

    Weights become costs ``max(weights) - w`` (as ``munkres.make_cost_matrix`` does), then
    the shortest-augmenting-path Hungarian method (Kuhn-Munkres with potentials, O(n²m))
    finds a minimum-cost assignment. Its warm start (each row reduced by its minimum, then
    paired greedily with the first free column at that minimum) and its column order
    decide between equal optima as ``munkres`` >= 2.0 does.
    """
    if not weights or not weights[0]:
        return []
    top = max(max(row) for row in weights)
    cost = [[top - w for w in row] for row in weights]
    if len(cost) > len(cost[0]):
        flipped = _min_cost_assignment([list(col) for col in zip(*cost)])
        return sorted((i, j) for j, i in flipped)
    return _min_cost_assignment(cost)


def _min_cost_assignment(cost: list[list[float]]) -> list[tuple[int, int]]:
    """Every row of an n x m cost matrix (n <= m) to a distinct column at minimum total cost."""
    n, m = len(cost), len(cost[0])
    u = [0.0] * (n + 1)
    v = [0.0] * (m + 1)
    owner = [0] * (m + 1)  # 1-based row assigned to each column; column 0 is a sentinel
    way = [0] * (m + 1)
    pending = []
    for row in range(1, n + 1):  # warm start: row reduction, then greedy tight pairs
        u[row] = min(cost[row - 1])
        free = [j for j in range(1, m + 1) if not owner[j] and cost[row - 1][j - 1] == u[row]]
        if free:
            owner[free[0]] = row
        else:
            pending.append(row)
    for row in pending:
        owner[0] = row
        col = 0
        slack = [math.inf] * (m + 1)
        done = [False] * (m + 1)
        while owner[col]:
            done[col] = True
            i, delta, nxt = owner[col], math.inf, 0
            for j in range(1, m + 1):
                if not done[j]:
                    reduced = cost[i - 1][j - 1] - u[i] - v[j]
                    if reduced < slack[j]:
                        slack[j], way[j] = reduced, col
                    if slack[j] < delta:
                        delta, nxt = slack[j], j
            for j in range(m + 1):
                if done[j]:
                    u[owner[j]] += delta
                    v[j] -= delta
                else:
                    slack[j] -= delta
            col = nxt
        while col:  # flip the augmenting path back to the sentinel
            prev = way[col]
            owner[col] = owner[prev]
            col = prev
    return sorted((owner[j] - 1, j - 1) for j in range(1, m + 1) if owner[j])
