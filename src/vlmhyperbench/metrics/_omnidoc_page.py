"""One OmniDocBench page scored end to end: ground truth, tables, pairs, per-page sums.

By behaviour, from opendatalab/OmniDocBench@7bd6c2e (``dataset/end2end_dataset.py``,
``utils/match.py`` ``match_gt2pred_simple``, ``metrics/cal_metric.py``,
``metrics/table_metric.py``); see `vlmhyperbench.metrics.omnidocbench` for the rules.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz.distance import Levenshtein

from ._omnidoc_extract import Block, split_markdown
from ._omnidoc_match import IGNORED, TEXT_CATEGORIES, quick_match
from ._omnidoc_norm import clean_string, latex_to_text, normalize_html_table, soup
from ._omnidoc_truncated import edit_matrix, hungarian
from .teds import teds_score

__all__ = ["PageResult", "evaluate_page", "ground_truth_blocks"]

_FORMULA_PREDS = ("equation_inline", "equation_isolated", "")


@dataclass(frozen=True)
class PageResult:
    """A page's scored pairs: (edit distance, max length) per pair, TEDS per table."""

    text: list[tuple[int, int]] = field(default_factory=list)
    formula: list[tuple[int, int]] = field(default_factory=list)
    tables: list[tuple[float, float, int, int]] = field(default_factory=list)
    """(TEDS, TEDS-S, edit distance, max length) per ground-truth table."""
    order: tuple[int, int] | None = None
    counts: dict[str, int] = field(default_factory=dict)
    """Pairs, missing (no prediction) per kind, predicted blocks, for reports."""


def ground_truth_blocks(page: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """``layout_dets`` by category, ``truncated`` relations joined (official ``get_page_elements``)."""
    chains: list[list[Any]] = []
    joined: dict[Any, Any] = {}
    for relation in (page.get("extra") or {}).get("relation", []):
        if relation.get("relation_type") != "truncated":
            continue
        source, target = relation["source_anno_id"], relation["target_anno_id"]
        joined[source] = joined[target] = None
        hit = False
        for chain in chains:  # a relation joins every chain it touches (ids may repeat)
            if source in chain or target in chain:
                chain.extend((source, target))
                hit = True
        if not hit:
            chains.append([source, target])
    by_category: dict[str, list[dict[str, Any]]] = {}
    for item in page.get("layout_dets", []):
        if item.get("anno_id") in joined:
            joined[item["anno_id"]] = item
        else:
            by_category.setdefault(item["category_type"], []).append(item)
    for chain in chains:
        parts = sorted(
            (joined[anno] for anno in chain if joined.get(anno) is not None), key=lambda b: b["order"]
        )
        if not parts:
            continue
        first = parts[0]
        merged = {"category_type": first["category_type"], "order": first["order"], "anno_id": first["anno_id"],
                  "text": "".join(part.get("text", "") for part in parts), "merge_list": parts}  # fmt: skip
        by_category.setdefault(first["category_type"], []).append(merged)
    return by_category


def _by_order(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: item.get("order") or 0)


def _cells_as_text(table: Block) -> list[Block]:
    """An unmatched predicted table's cells, as text blocks (official ``td.string``)."""
    cells = [cell.string for cell in soup(table.content).find_all("td") if cell.string]
    return [Block("text_all", table.start, str(c).replace("$\\cdot$", "").strip(), table.fine) for c in cells]


def _match_tables(
    gt_tables: list[dict[str, Any]], preds: list[Block], key: str
) -> tuple[list[tuple[str, str]], list[Block]]:
    """(ground-truth HTML, predicted table) pairs, as ``match_gt2pred_simple``; unmatched
    predictions come back as text blocks."""
    gts = [(str(t.get("html", "")), str(t.get(key, ""))) for t in gt_tables]
    gts = [(html, line) for html, line in gts if html and line]
    if not gts:
        return [], []
    if not preds:
        return [(html, "") for html, _ in gts], []
    cost = edit_matrix([line for _, line in gts], [p.content for p in preds])
    assigned = dict(zip(*hungarian(cost)))
    pairs = [(html, preds[assigned[i]].content if i in assigned else "") for i, (html, _) in enumerate(gts)]
    leftover = [cell for j, p in enumerate(preds) if j not in assigned.values() for cell in _cells_as_text(p)]
    return pairs, leftover


def _official_teds(pred: str, gt: str, structure_only: bool) -> float:
    """TEDS as ``metrics/table_metric.py`` gives it, 0 where it fails (no table, no node,
    a span that is not an integer), as the evaluator's ``except`` does."""
    if not pred or not gt:
        return 0.0
    lxml_html = importlib.import_module("lxml.html")
    parser = lxml_html.HTMLParser(remove_comments=True, encoding="utf-8")
    sizes = []
    for text in (pred, gt):
        try:
            tables = lxml_html.fromstring(text, parser=parser).xpath("body/table")
        except Exception:  # noqa: BLE001 (the official TEDS scores any parse failure 0)
            return 0.0
        if not tables:
            return 0.0
        for cell in tables[0].iter("td"):
            try:
                int(cell.attrib.get("colspan", "1")), int(cell.attrib.get("rowspan", "1"))
            except ValueError:
                return 0.0
        sizes.append(len(tables[0].xpath(".//*")))
    if max(sizes) == 0:
        return 0.0
    return teds_score(pred, gt, structure_only=structure_only) or 0.0


def _edit(pred: str, gt: str) -> tuple[int, int] | None:
    longest = max(len(pred), len(gt))
    return (Levenshtein.distance(pred, gt), longest) if longest else None


def _tables(
    gt_tables: list[dict[str, Any]], found: dict[str, list[Block]]
) -> tuple[list[tuple[float, float, int, int]], list[Block]]:
    latex, html = found.get("latex_table", []), found.get("html_table", [])
    if len(latex) > len(html):
        pairs, leftover = _match_tables(gt_tables, latex, "latex")
        pairs = [(gt, "") for gt, _ in pairs]  # LaTeX tables are scored as missing, as officially
    else:
        pairs, leftover = _match_tables(gt_tables, html, "html")
    out = []
    for gt, pred in pairs:
        norm_gt, norm_pred = normalize_html_table(gt), normalize_html_table(pred)
        gt_s, pred_s = norm_gt or gt, norm_pred or pred
        edit = _edit(pred_s, gt_s) or (0, 0)
        teds = _official_teds(pred_s, gt_s, False) if norm_gt and norm_pred else 0.0
        teds_s = _official_teds(pred_s, gt_s, True) if norm_gt and norm_pred else 0.0
        out.append((teds, teds_s, *edit))
    return out, leftover


def _reading_order(pairs: list[dict[str, Any]]) -> tuple[int, int] | None:
    placed = [
        (p["gt_position"], p["pred_position"])
        for p in pairs
        if p["gt_position"] != [""] and p["pred_position"] != ""
    ]
    gt = sorted(x for p in pairs if p["gt_position"] != [""] for x in p["gt_position"] if x)
    pred = [x for positions, _ in sorted(placed, key=lambda item: item[1]) for x in positions if x]
    if not gt and not pred:
        return None
    return Levenshtein.distance(gt, pred), max(len(gt), len(pred))


def evaluate_page(page: Mapping[str, Any], markdown: str) -> PageResult:
    """Score one page's predicted Markdown against its ground truth (the official way)."""
    found = split_markdown(markdown)
    gt = ground_truth_blocks(page)
    mix = [
        block
        for category, blocks in found.items()
        if category not in ("html_table", "latex_table")
        for block in blocks
    ]
    gt_mix = _by_order(
        [item for category in (*TEXT_CATEGORIES, "equation_isolated") for item in gt.get(category, [])]
    )
    tables: list[tuple[float, float, int, int]] = []
    if gt.get("table"):
        tables, leftover = _tables(_by_order(gt["table"]), found)
        mix.extend(leftover)
    pairs = quick_match(gt_mix, mix)
    text_pairs = [
        p
        for p in pairs
        if p.get("gt_category_type") in TEXT_CATEGORIES and p["gt_category_type"] not in IGNORED
    ]
    formulas = [p for p in pairs if p.get("gt_category_type") == "equation_isolated"]
    text = [(p.get("norm_pred") or p["pred"], p.get("norm_gt") or p["gt"]) for p in text_pairs]
    for p in formulas:
        if p["pred_category_type"] not in _FORMULA_PREDS:  # a formula read as text is scored as text
            as_text = latex_to_text(p["gt"])
            text.append((p["norm_pred"] or p["pred"], clean_string(as_text) or as_text))
    formula = [
        (p["norm_pred"] or p["pred"], p["norm_gt"] or p["gt"])
        for p in formulas
        if p["pred_category_type"] in _FORMULA_PREDS
    ]
    counts = {
        "text_pairs": len(text), "text_missing": sum(1 for pred, _ in text if not pred),
        "formula_pairs": len(formula), "formula_missing": sum(1 for pred, _ in formula if not pred),
        "tables": len(tables), "predicted_blocks": sum(len(blocks) for blocks in found.values()),
    }  # fmt: skip
    return PageResult(
        text=[e for e in (_edit(pred, gt) for pred, gt in text) if e],
        formula=[e for e in (_edit(pred, gt) for pred, gt in formula) if e],
        tables=tables,
        order=_reading_order(text_pairs) if text_pairs else None,
        counts=counts,
    )
