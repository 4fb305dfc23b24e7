"""The first half of OmniDocBench's ``quick_match``: joining consecutive predicted blocks
that together match one ground-truth block, then the optimal assignment.

By behaviour, from opendatalab/OmniDocBench@7bd6c2e (``utils/match_quick.py``:
``deal_with_truncated``, ``judge_pred_merge``, ``get_final_subset``,
``merge_lists_with_sublists``, ``cal_final_match``). A ground-truth block with no
prediction closer than 0.25 (normalised edit distance) tries, from each such
prediction, to absorb the following ones while each absorbed block is found (fuzzily,
at most 0.6) inside it and the join gets no worse; its best run is kept; overlapping
runs are resolved by the official path rule (lowest mean cost); the runs replace their
blocks and the Hungarian assignment is solved on the new cost matrix.
"""

from __future__ import annotations

import importlib
from collections import defaultdict
from typing import Any

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from ..core import MissingDependency

__all__ = ["assign", "edit_matrix", "hungarian", "window_distance"]


def hungarian(cost: Any) -> tuple[list[int], list[int]]:
    """scipy's ``linear_sum_assignment`` (as the official code): (rows, columns)."""
    try:
        optimize = importlib.import_module("scipy.optimize")
    except ImportError:
        raise MissingDependency(
            "the OmniDocBench metrics need scipy", hint="pip install 'vlmhyperbench[parse]'"
        ) from None
    rows, cols = optimize.linear_sum_assignment(cost)
    return [int(r) for r in rows], [int(c) for c in cols]


def edit_matrix(rows: list[str], cols: list[str]) -> Any:
    """Normalised Levenshtein distances (0 for two empty strings), float64, rows × cols."""
    if not rows or not cols:
        return np.zeros((len(rows), len(cols)))
    return process.cdist(rows, cols, scorer=Levenshtein.normalized_distance, dtype=np.float64, workers=1)


def window_distance(long: str, short: str) -> float | None:
    """Least Levenshtein distance / len(short) of ``short`` to a same-length window of
    ``long``; None when ``short`` is empty or longer than ``long``."""
    size = len(short)
    if size == 0 or size > len(long):
        return None
    windows = [long[i : i + size] for i in range(len(long) - size + 1)]
    best = process.cdist([short], windows, scorer=Levenshtein.distance, dtype=np.int64, workers=1).min()
    return float(best) / size


def _ratio(a: str, b: str) -> float:
    return Levenshtein.distance(a, b) / max(len(a), len(b))


def _worth_joining(gt: str, preds: list[str], threshold: float = 0.6) -> tuple[bool, bool]:
    """(join the last block, go on joining), as ``judge_pred_merge``."""
    if len(preds) == 1:
        return False, False
    current = " ".join(preds[:-1])
    joined = " ".join(preds)
    if _ratio(gt, joined) > _ratio(gt, current):
        return False, False
    for pred in preds[:-1]:
        found = window_distance(gt, pred)
        if found is None or found > threshold:
            return False, False
    added = window_distance(gt, preds[-1])
    if added is None:
        return False, False
    return added < threshold, len(joined) <= len(gt)


def _resolve_overlaps(runs: list[list[int]], costs: list[float]) -> list[list[int]]:
    """``get_final_subset``: overlapping runs grouped, each group's cheapest path kept."""
    if not runs:
        return []
    pairs = sorted(zip(runs, costs), key=lambda pair: pair[0][0])
    groups: list[list[tuple[list[int], float]]] = [[pairs[0]]]
    for pair in pairs[1:]:
        if any(i in member[0] for member in groups[-1] for i in pair[0]):
            groups[-1].append(pair)
        else:
            groups.append([pair])
    final: list[list[int]] = []
    for group in groups:
        if len(group) == 1:
            final.append(group[0][0])
            continue
        paths: dict[int, list[tuple[list[int], float]]] = defaultdict(list)
        paths[0].append(group[0])
        for run in group[1:]:
            new_path = True
            for key, members in paths.items():
                clash = same = False
                for member in members:  # the official loop, mutation of the list included
                    if member[0] == run[0]:
                        clash = same = True
                        if member[1] > run[1]:
                            members.pop(members.index(member))
                            members.append(run)
                    elif any(a == b for a in member[0] for b in run[0]):
                        clash = True
                if not clash:
                    paths[key].append(run)
                    new_path = False
                if same:
                    new_path = False
            if new_path:
                paths[len(paths)].append(run)
        best_cost = float("inf")
        best: list[list[int]] = []
        for members in paths.values():
            mean = sum(member[1] for member in members) / len(members)
            if mean < best_cost:
                best = [member[0] for member in members]
                best_cost = mean
        final.extend(best)
    return final


def _join_truncated(cost: Any, gts: list[str], preds: list[str]) -> tuple[Any, list[int | list[int]]]:
    close = np.argwhere(cost < 0.25)
    close_gt = {int(i) for i in close[:, 0]}
    close_pred = {int(j) for j in close[:, 1]}
    open_gt = [i for i in range(cost.shape[0]) if i not in close_gt]
    open_pred = [j for j in range(cost.shape[1]) if j not in close_pred]
    runs: list[list[int]] = []
    run_costs: list[float] = []
    for i in open_gt:
        best: list[int] = []
        best_cost = float("inf")
        for j in open_pred:
            step = 1
            joined = [preds[j]]
            while j + step not in close_pred and j + step < len(preds):
                joined.append(preds[j + step])
                join, go_on = _worth_joining(gts[i], joined)
                if not join:
                    break
                step += 1
                if not go_on:
                    break
            line = " ".join(preds[j : j + step])
            value = _ratio(gts[i], line)
            if value < best_cost:
                best, best_cost = list(range(j, j + step)), value
        if best:
            runs.append(best)
            run_costs.append(best_cost)
    final = _resolve_overlaps(runs, run_costs)
    if not final:
        return cost, list(range(len(preds)))
    columns: list[int | list[int]] = list(range(len(preds)))
    for run in final:
        at = columns.index(run[0])  # ValueError where the official code stops too
        for _ in run:
            columns.pop(at)
        columns.insert(at, run)
    lines = [" ".join(preds[c[0] : c[-1] + 1]) if isinstance(c, list) else preds[c] for c in columns]
    return edit_matrix(gts, lines), columns


def assign(gts: list[str], preds: list[str]) -> tuple[list[int | list[int]], list[int], list[float]]:
    """(matched column per assigned row, assigned rows, their costs), as ``cal_final_match``."""
    cost, columns = _join_truncated(edit_matrix(gts, preds), gts, preds)
    rows, cols = hungarian(cost)
    return [columns[c] for c in cols], rows, [float(cost[r][c]) for r, c in zip(rows, cols)]
