"""Ordered tree edit distance (Zhang & Shasha 1989) with unit insert/delete costs.

Trees are given in postorder by their leftmost-leaf array: ``lml[i]`` is the postorder
index of the leftmost leaf under node ``i``, so the subtree of ``i`` is the postorder
range ``lml[i]..i``. Rename costs come as a full matrix ``rename[i][j]`` in ``[0, 1]``.

This is the optimum that APTED (Pawlik & Augsten 2016; the ``apted`` package the
PubTabNet TEDS scorer uses) is designed to find; only the order of floating-point
additions differs. ``apted`` 1.0.3 can miss the optimum when inner nodes have
fractional rename costs; TEDS trees have none (only two cells rename fractionally), and
there the two agree (tests/unit/metrics/test_teds.py). Two shortcuts keep the pure-Python
loop small for tables, which are shallow and wide:

* a subtree pair where one side is a single node has a closed form, so the
  Zhang–Shasha forest loop runs only for pairs of non-leaf keyroots;
* comparisons are plain ``<`` tests on local variables rather than ``min()`` calls.
"""

# (`if a < b: b = a` rather than `min()` in the inner loop: half the time per cell.)

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["leftmost_leaves", "tree_edit_distance"]


def leftmost_leaves(children: Sequence[Sequence[int]], root: int) -> tuple[list[int], list[int]]:
    """Postorder a tree given as child lists.

    Args:
        children: ``children[v]`` lists the children of node ``v`` in document order.
        root: The root node.

    Returns:
        ``(order, lml)``: ``order[i]`` is the node at postorder index ``i`` and
        ``lml[i]`` the postorder index of its leftmost leaf.
    """
    order: list[int] = []
    lml: list[int] = []
    stack: list[tuple[int, int]] = [(root, 0)]
    first: list[int] = []
    while stack:
        node, k = stack.pop()
        kids = children[node]
        if k == 0:
            first.append(len(order))
        if k < len(kids):
            stack.append((node, k + 1))
            stack.append((kids[k], 0))
        else:
            order.append(node)
            lml.append(first.pop())
    return order, lml


def _keyroots(lml: Sequence[int]) -> list[int]:
    """Highest node for each distinct leftmost leaf, ascending (Zhang–Shasha keyroots)."""
    top: dict[int, int] = {}
    for i, leaf in enumerate(lml):
        top[leaf] = i
    return sorted(top.values())


def _single_node_pairs(
    lml1: Sequence[int], lml2: Sequence[int], rename: Sequence[Sequence[float]]
) -> list[list[float]]:
    """Distances of every pair of subtrees where one side is a leaf.

    A leaf ``v`` against a subtree ``S`` costs ``|S| - 1 + min_{y in S} rename(v, y)``:
    map ``v`` to its cheapest partner and insert the rest (a rename never costs more
    than 2, so this beats deleting ``v`` and inserting all of ``S``). Other pairs are
    left as the rename cost, to be overwritten by `_forest_distance`.
    """
    inner1 = [(i, lml1[i], i - lml1[i]) for i in range(len(lml1)) if lml1[i] != i]
    inner2 = [(j, lml2[j], j - lml2[j]) for j in range(len(lml2)) if lml2[j] != j]
    td = [list(row) for row in rename]
    for i, row in enumerate(td):
        if lml1[i] == i:
            costs = rename[i]
            for j, lo, extra in inner2:
                row[j] = extra + min(costs[lo : j + 1])
    if inner1:
        for j in range(len(lml2)):
            if lml2[j] == j:
                column = [costs[j] for costs in rename]
                for i, lo, extra in inner1:
                    td[i][j] = extra + min(column[lo : i + 1])
    return td


def tree_edit_distance(lml1: Sequence[int], lml2: Sequence[int], rename: Sequence[Sequence[float]]) -> float:
    """Minimum cost of turning tree 1 into tree 2 (insert 1, delete 1, rename as given).

    Args:
        lml1: Leftmost-leaf array of tree 1 in postorder (see `leftmost_leaves`).
        lml2: The same for tree 2.
        rename: ``rename[i][j]``, cost of relabelling node ``i`` of tree 1 (postorder)
            as node ``j`` of tree 2; values in ``[0, 1]``.

    Returns:
        The tree edit distance; the number of nodes of the other tree if one is empty.
    """
    n1, n2 = len(lml1), len(lml2)
    if n1 == 0 or n2 == 0:
        return float(n1 + n2)
    td = _single_node_pairs(lml1, lml2, rename)
    # Per inner keyroot k2 and column: position, tree-2 node j, whether j is on k2's
    # left path, and the forest-table column of lml(j) - 1.
    columns = [
        [(c, j, lml2[j] == lml2[k2], lml2[j] - lml2[k2]) for c, j in enumerate(range(lml2[k2], k2 + 1), 1)]
        for k2 in _keyroots(lml2)
        if lml2[k2] != k2
    ]
    for k1 in _keyroots(lml1):
        if lml1[k1] != k1:
            for cols in columns:
                _forest_distance(k1, cols, lml1, rename, td)
    return td[n1 - 1][n2 - 1]


def _forest_distance(
    k1: int,
    cols: Sequence[tuple[int, int, bool, int]],
    lml1: Sequence[int],
    rename: Sequence[Sequence[float]],
    td: list[list[float]],
) -> None:
    """Zhang–Shasha forest table for keyroot ``k1`` and the keyroot whose columns are ``cols``.

    Fills ``td`` for the pairs on both keyroots' left paths.
    """
    a1 = lml1[k1]
    rows: list[list[float]] = [[float(c) for c in range(len(cols) + 1)]]
    for i in range(a1, k1 + 1):
        prev = rows[-1]
        tdi = td[i]
        left = prev[0] + 1.0
        cur = [left]
        append = cur.append
        if lml1[i] == a1:
            ren = rename[i]
            base = rows[0]
            for c, j, on_path, lc in cols:
                best = prev[c] + 1.0
                left += 1.0
                if left < best:
                    best = left
                if on_path:
                    cand = prev[c - 1] + ren[j]
                    if cand < best:
                        best = cand
                    tdi[j] = best
                else:
                    cand = base[lc] + tdi[j]
                    if cand < best:
                        best = cand
                append(best)
                left = best
        else:
            base = rows[lml1[i] - a1]
            for c, j, _, lc in cols:
                best = prev[c] + 1.0
                left += 1.0
                if left < best:
                    best = left
                cand = base[lc] + tdi[j]
                if cand < best:
                    best = cand
                append(best)
                left = best
        rows.append(cur)
