"""OmniDocBench's ``quick_match`` of ground-truth text/formula blocks to predicted blocks.

By behaviour, from opendatalab/OmniDocBench@7bd6c2e (``utils/match_quick.py``,
``match_gt2pred_quick`` and helpers; ``utils/match.py``, ``get_gt_pred_lines``):

1. single-column ``array`` formulas are split into one block per line, on both sides;
   predictions are ordered by position, inline formulas last;
2. text is compared after `clean_text`, formulas after `normalize_formula`; blocks
   empty after that are dropped (the official index shift that follows is kept);
3. ground-truth blocks of the categories left out of the text score (headers, footers,
   captions, footnotes, page numbers, code) take away every prediction within 0.25;
4. the rest are matched: truncated-run joining and the Hungarian assignment
   (`_omnidoc_truncated.assign`), pairs above 0.7 undone, unmatched ground truth found
   inside a prediction (window distance < 0.4) added to it, leftovers paired by a second
   assignment, and several ground-truth blocks sharing a prediction merged into one pair.

The result is the official list of pairs; the official code's removal of an entry while
iterating (which leaves the next entry without a category, so it is not scored) is kept.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from typing import Any

from ._omnidoc_extract import Block
from ._omnidoc_norm import clean_text, normalize_formula
from ._omnidoc_truncated import assign, edit_matrix, hungarian, window_distance

__all__ = ["IGNORED", "TEXT_CATEGORIES", "quick_match"]

TEXT_CATEGORIES = (
    "text_block title code_txt code_txt_caption reference equation_caption figure_caption figure_footnote "
    "table_caption table_footnote code_algorithm code_algorithm_caption header footer page_footnote page_number"
).split()
"""Ground-truth categories matched as text (the official list, in its order)."""
IGNORED = (
    "figure_caption figure_footnote table_caption table_footnote code_algorithm code_algorithm_caption "
    "header footer page_footnote page_number equation_caption"
).split()
"""Categories matched first and then left out of the text and reading-order scores."""
_ARRAY = re.compile(r"\\begin\{array\}\{(?P<spec>[^}]*)\}(?P<body>.*?)\\end\{array\}", re.DOTALL)


def _one_column(spec: str) -> bool:
    spec = re.sub(r"\s+|\|", "", spec)
    spec = re.sub(r"@{[^}]*}", "", spec)
    spec = re.sub(r"!{[^}]*}", "", spec)
    return spec in {"l", "c", "r"}


def _array_lines(latex: str) -> tuple[re.Match[str], list[str]] | None:
    if "\\begin{array" not in latex:
        return None
    match = _ARRAY.search(latex)
    if not match or not _one_column(match.group("spec")):
        return None
    return match, [line.strip() for line in re.split(r"\\\\", match.group("body")) if line.strip()]


def _split_gt(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in items:
        found = (
            _array_lines(item.get("latex", "")) if item.get("category_type") == "equation_isolated" else None
        )
        if found is None:
            out.append(item)
            continue
        base = float(item["order"])
        out.extend(
            {**item, "latex": f"\\[{line}\\]", "order": round(base + k / 10, 1)}
            for k, line in enumerate(found[1], 1)
        )
    return out


def _split_pred(items: list[Block]) -> list[Block]:
    out: list[Block] = []
    for item in items:
        found = _array_lines(item.content) if item.category == "equation_isolated" else None
        if found is None:
            out.append(item)
            continue
        match, lines = found
        body = match.group("body")
        cursor = 0
        for line in lines:
            at = body.find(line, cursor)
            at = cursor if at == -1 else at
            cursor = at + len(line)
            start = item.start + match.start("body") + at
            out.append(replace(item, content=f"\\[{line.strip()}\\]", start=start, end=start + len(line) - 1))
    return out


def _gt_line(item: dict[str, Any]) -> tuple[str, str, str] | None:
    category = item.get("fine_category_type") or item["category_type"]
    if item.get("content"):
        raw = str(item["content"])
        return raw, clean_text(raw) if item["category_type"] == "text_all" else item["content"], category
    if item["category_type"] in TEXT_CATEGORIES:
        raw = str(item.get("text", ""))
        return raw, clean_text(raw), category
    if item["category_type"] == "equation_isolated":
        raw = str(item.get("latex", ""))
        return raw, normalize_formula(raw), category
    return None


def _pred_line(item: Block) -> tuple[str, str]:
    if item.category == "text_all":
        return item.content, clean_text(item.content)
    if item.category == "equation_isolated":
        return item.content, normalize_formula(item.content)
    return item.content, item.content


def gt_position(item: dict[str, Any]) -> Any:
    """The official ``gt_position`` of one ground-truth item: its ``order``, or ""."""
    return item.get("order") or item.get("position", [""])[0]


def _pred_category(index: int, items: list[Block]) -> str:
    return items[index].fine or items[index].category


def _entry(gt_idx: list[int], pred_idx: list[int], side: dict[str, Any]) -> dict[str, Any]:
    return {"gt_idx": gt_idx, "pred_idx": pred_idx, **side}


def quick_match(gt_items: list[dict[str, Any]], pred_items: list[Block]) -> list[dict[str, Any]]:
    """The official pairs: dicts with ``gt_category_type`` (absent: not scored), ``gt``,
    ``norm_gt``, ``pred``, ``norm_pred``, ``pred_category_type``, ``gt_position``,
    ``pred_position``."""
    gt_items = _split_gt(gt_items)
    order = sorted(enumerate(pred_items), key=lambda p: (p[1].fine == "equation_inline", p[1].start, p[0]))
    pred_items = _split_pred([item for _, item in order])
    gts = [line for line in map(_gt_line, gt_items) if line is not None and line[0] and line[1]]
    preds = [line for line in map(_pred_line, pred_items) if line[0] and line[1]]
    if not gts:
        return []
    if not preds:
        return [
            _entry([i], [], {"gt_category_type": c, "gt": r, "norm_gt": n, "pred": "", "norm_pred": "",
                             "pred_category_type": "", "gt_position": [gt_position(gt_items[i])], "pred_position": ""})
            for i, (r, n, c) in enumerate(gts)
        ]  # fmt: skip
    if len(gts) == 1 and len(preds) == 1:
        (raw, norm, category), (pred, norm_pred) = gts[0], preds[0]
        side = {"gt_category_type": category, "gt": raw, "norm_gt": norm, "pred": pred, "norm_pred": norm_pred,
                "pred_category_type": _pred_category(0, pred_items), "gt_position": [gt_position(gt_items[0])],
                "pred_position": pred_items[0].start}  # fmt: skip
        return [_entry([0], [0], side)]
    ignored = [k for k, line in enumerate(gts) if line[2] in IGNORED]
    kept = [k for k, line in enumerate(gts) if line[2] not in IGNORED]
    taken: set[int] = set()
    if ignored:
        close = edit_matrix([gts[k][1] for k in ignored], [p[1] for p in preds]) < 0.25
        taken = {int(j) for j in close.nonzero()[1]}
    free = [j for j in range(len(preds)) if j not in taken]
    g_norm = [gts[k][1] for k in kept]
    p_norm = [preds[j][1] for j in free]
    merged = _pairs(g_norm, p_norm)
    return _describe(merged, [gts[k] for k in kept], [gt_items[k] for k in kept], [preds[j] for j in free],
                     [pred_items[j] for j in free])  # fmt: skip


def _pairs(gts: list[str], preds: list[str]) -> list[dict[str, Any]]:
    """Official pairs before description: ``gt_idx`` list and ``pred_idx`` list or [""]."""
    columns, rows, costs = assign(gts, preds)
    matches: dict[int, list[int]] = {}
    unmatched_gt: list[int] = []
    for i in range(len(gts)):
        if i not in rows:
            unmatched_gt.append(i)
            continue
        k = rows.index(i)
        column = columns[k]
        span = list(range(column[0], column[-1] + 1)) if isinstance(column, list) else [column]
        if costs[k] > 0.7:
            unmatched_gt.append(i)
        else:
            matches[i] = span
    found_in: dict[int, list[int]] = {}
    for j, pred in enumerate(preds):
        inside = [i for i in unmatched_gt if _found_in(pred, gts[i])]
        if inside:
            found_in[j] = inside
    final: dict[tuple[int, ...], list[int]] = {}
    done: set[int] = set()
    for i, span in matches.items():
        key = tuple(sorted(span))
        if key in final:
            if i not in done:
                final[key].append(i)
                done.add(i)
        else:
            final[key] = [i]
            done.add(i)
    for j, inside in found_in.items():
        if (j,) in final:
            for i in inside:
                if i not in done:
                    final[(j,)].append(i)
                    done.add(i)
        else:
            final[(j,)] = [i for i in inside if i not in done]
            done.update(final[(j,)])
    return _merge_shared(_convert(final, gts, preds), len(gts))


def _found_in(pred: str, gt: str) -> bool:
    distance = window_distance(pred, gt)
    return distance is not None and distance < 0.4


def _convert(
    final: dict[tuple[int, ...], list[int]], gts: list[str], preds: list[str]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for key, gt_indices in final.items():
        out.extend({"gt_idx": i, "pred_idx": list(key)} for i in sorted(set(gt_indices)))
    matched_gt: set[int] = set().union(*[set(v) for v in final.values()])
    open_gt = set(range(len(gts))) - matched_gt
    open_pred = set(range(len(preds))) - {j for key in final for j in key}
    if open_pred and open_gt:
        gt_list, pred_list = list(open_gt), list(open_pred)
        rows, cols = hungarian(edit_matrix([gts[i] for i in gt_list], [preds[j] for j in pred_list]))
        out.extend({"gt_idx": gt_list[r], "pred_idx": [pred_list[c]]} for r, c in zip(rows, cols))
    elif open_pred:
        out.append({"gt_idx": "", "pred_idx": list(open_pred)})
    else:
        out.extend({"gt_idx": i, "pred_idx": ""} for i in open_gt)
    return out


def _merge_shared(converted: list[dict[str, Any]], n_gt: int) -> list[dict[str, Any]]:
    """``merge_duplicates_add_unmatched``: one entry per prediction, then lone ground truth."""
    merged: list[dict[str, Any]] = []
    seen_pred: set[tuple[Any, ...]] = set()
    seen_gt: set[Any] = set()
    for entry in converted:
        key = tuple(entry["pred_idx"]) if isinstance(entry["pred_idx"], list) else (entry["pred_idx"],)
        if key in seen_pred or key == ("",):
            continue
        gt_idx = [entry["gt_idx"]]
        for other in converted:
            other_key = (
                tuple(other["pred_idx"]) if isinstance(other["pred_idx"], list) else (other["pred_idx"],)
            )
            if other_key == key and other is not entry:
                gt_idx.append(other["gt_idx"])
                seen_gt.add(other["gt_idx"])
        merged.append({"gt_idx": gt_idx, "pred_idx": entry["pred_idx"]})
        seen_pred.add(key)
        seen_gt.add(entry["gt_idx"])
    merged.extend({"gt_idx": [i], "pred_idx": [""]} for i in range(n_gt) if i not in seen_gt)
    return merged


def _array_join(lines: list[str]) -> str:
    body = " \\\\ ".join("{" + line.strip("$").strip("\n") + "}" for line in lines)
    return "\\begin{array}{l} " + body + " \\end{array}"


def _describe(
    merged: list[dict[str, Any]],
    gts: list[tuple[str, str, str]],
    gt_items: list[dict[str, Any]],
    preds: list[tuple[str, str]],
    pred_items: list[Block],
) -> list[dict[str, Any]]:
    k = 0
    while k < len(merged):
        entry = merged[k]
        k += 1
        gt_idx, pred_idx = entry["gt_idx"], entry["pred_idx"]
        if gt_idx == [""]:
            entry["gt_category_type"] = ""
            if pred_idx != [""] and _pred_category(pred_idx[0], pred_items) == "equation_inline":
                merged.remove(entry)  # the official removal while iterating: the next entry is skipped
                continue
        else:
            counts = Counter(gts[i][2] for i in gt_idx if gts[i][2] not in IGNORED)
            entry["gt_category_type"] = (counts or Counter(gts[i][2] for i in gt_idx)).most_common(1)[0][0]
        has_pred = pred_idx != [""]
        entry["gt_position"] = [gt_position(gt_items[i]) for i in gt_idx] if gt_idx != [""] else [""]
        entry["pred_position"] = pred_items[pred_idx[0]].start if has_pred else ""
        if entry["gt_category_type"] == "equation_isolated" and len(gt_idx) > 1:
            entry["gt"] = _array_join([gts[i][0] for i in gt_idx])
        else:
            entry["gt"] = "".join(gts[i][0] for i in gt_idx) if gt_idx != [""] else ""
        entry["pred_category_type"] = _pred_category(pred_idx[0], pred_items) if has_pred else ""
        if "equation" in entry["pred_category_type"] and len(pred_idx) > 1:
            entry["pred"] = _array_join([preds[j][0] for j in pred_idx])
        else:
            entry["pred"] = "".join(preds[j][0] for j in pred_idx) if has_pred else ""
        entry["norm_gt"] = "".join(gts[i][1] for i in gt_idx) if gt_idx != [""] else ""
        entry["norm_pred"] = "".join(preds[j][1] for j in pred_idx) if has_pred else ""
    return merged
