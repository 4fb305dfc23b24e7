"""TEDS and TEDS-S: tree-edit-distance similarity of HTML tables.

Definition: Zhong, ShafieiBavani & Jimeno Yepes, "Image-based table recognition: data,
model, and evaluation" (ECCV 2020, arXiv:1911.10683); official scorer
ibm-aur-nlp/PubTabNet ``src/metric.py`` (``apted`` 1.0.3, ``lxml``, ``distance`` 0.1.3),
whose values this module reproduces (see ``tests/data/golden/teds``):

    TEDS(Ta, Tb) = 1 - TED(Ta, Tb) / max(|Ta|, |Tb|)

* The HTML is parsed by lxml's HTML parser (comments removed); the table is the first
  ``body/table``. ``|T|`` counts every element below ``<table>``, including inline tags
  inside cells; the tree itself stops at ``td``, whose label is its tag, ``colspan`` and
  ``rowspan`` and whose content is the token list of the cell: each character of its
  text plus ``<tag>``/``</tag>`` tokens for inline elements.
* TED: insert and delete cost 1; renaming costs 1 when tags or spans differ, the
  normalised Levenshtein distance of the two token lists for two ``td`` (0 when both
  are empty), and 0 otherwise. ``teds_struct`` (TEDS-S) empties every cell first.
* ``ignore_nodes`` tags are unwrapped (children kept) on both sides, as in the scorer.

Departures from the scorer, for answers it cannot score:

* A fragment (anything that does not start with ``<html`` or ``<!doctype``) is wrapped
  in ``<html><body>...</body></html>``; the scorer gives a bare ``<table>`` 0.0, even
  against itself.
* By default the tree is the scorer's own, so values equal published PubTabNet numbers.
  With ``normalize: true``, ``th`` becomes ``td``, ``thead``/``tbody``/``tfoot`` are
  unwrapped on both sides and a table nested in another element is found too (part of
  OmniDocBench's normalisation, which also unwraps ``span``/``sup``/``sub``/``div``/``p``,
  collapses whitespace, applies NFKC and keeps ``tfoot``; the ``omnidoc_*`` metrics apply
  that one exactly) — fairer to VLM answers that drop ``thead``, but no longer the
  official number.
* An answer with no table scores 0; a value below 0 (possible for deeply nested
  non-table markup) is reported as 0; two empty tables score 1 (the scorer divides by
  zero). A span that is not an integer is compared as text (the scorer raises).
"""

from __future__ import annotations

import html as html_text
import importlib
import re
import threading
from functools import lru_cache
from types import ModuleType
from typing import Any, NamedTuple

from rapidfuzz.distance import Levenshtein

from ..core import MissingDependency, Sample
from ._base import Metric, Score, register_metric
from ._tree_edit import tree_edit_distance

__all__ = ["Teds", "TedsStruct", "markdown_table_to_html", "teds_score"]

_FULL_HTML = re.compile(r"^\s*<(?:html|!doctype)", re.IGNORECASE)
_MD_RULE = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_MD_SPLIT = re.compile(r"(?<!\\)\|")
_SECTIONS = ("thead", "tbody", "tfoot")
_FIRST_CODE = 0xF0000  # private-use plane for inline-tag tokens
_local = threading.local()


class _Table(NamedTuple):
    """A table in postorder, ready for the tree edit distance."""

    lml: tuple[int, ...]
    """Leftmost-leaf index of each node."""
    labels: tuple[object, ...]
    """Tag for most nodes; ``("td", colspan, rowspan)`` for cells."""
    cells: tuple[tuple[str, ...] | None, ...]
    """Token list of each ``td``; None for other nodes."""
    size: int
    """Elements below ``<table>`` (the scorer's ``|T|``)."""


def _lxml() -> tuple[ModuleType, ModuleType]:
    try:
        return importlib.import_module("lxml.html"), importlib.import_module("lxml.etree")
    except ImportError:
        raise MissingDependency("metric 'teds' needs lxml", hint="pip install 'lxml>=5.0'") from None


def markdown_table_to_html(text: str) -> str | None:
    """The first Markdown pipe table in ``text`` as PubTabNet-style HTML, or None.

    The row above the ``|---|`` rule goes into ``<thead>``, the rows below it (up to
    the first line without a pipe) into ``<tbody>``; every cell is a ``td``.
    """
    lines = text.splitlines()
    for k in range(1, len(lines)):
        if "|" in lines[k - 1] and "-" in lines[k] and _MD_RULE.match(lines[k]):
            body = []
            for line in lines[k + 1 :]:
                if "|" not in line:
                    break
                body.append(_markdown_row(line))
            head = f"<thead>{_markdown_row(lines[k - 1])}</thead>"
            return f"<table>{head}<tbody>{''.join(body)}</tbody></table>"
    return None


def _markdown_row(line: str) -> str:
    line = line.strip()
    line = line.removeprefix("|")
    line = line[:-1] if line.endswith("|") and not line.endswith("\\|") else line
    cells = (html_text.escape(c.strip().replace("\\|", "|")) for c in _MD_SPLIT.split(line))
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _find_table(text: str, normalize: bool) -> Any:
    lxml_html, etree = _lxml()
    if not _FULL_HTML.match(text):
        text = f"<html><body>{text}</body></html>"
    try:
        root = lxml_html.fromstring(text, parser=_parser())
    except (etree.ParserError, ValueError):
        return None
    found = root.xpath("body/table")
    if not found and normalize:
        found = root.xpath("//table")
    return found[0] if found else None


def _parser() -> Any:
    """The scorer's parser settings; one parser per thread, as lxml wants."""
    if not hasattr(_local, "parser"):
        _local.parser = _lxml()[0].HTMLParser(remove_comments=True, encoding="utf-8")
    return _local.parser


@lru_cache(maxsize=2048)
def _load(
    text: str, structure_only: bool, normalize: bool, markdown: bool, ignore_nodes: tuple[str, ...]
) -> _Table | None:
    """Parse one answer or reference into a `_Table`; None when it holds no table."""
    if markdown and "<table" not in text.lower():
        text = markdown_table_to_html(text) or text
    if not text.strip():
        return None
    table = _find_table(text, normalize)
    if table is None:
        return None
    _, etree = _lxml()
    if normalize:
        for cell in table.iter("th"):
            cell.tag = "td"
        etree.strip_tags(table, *_SECTIONS)
    if ignore_nodes:
        etree.strip_tags(table, *ignore_nodes)
    lml: list[int] = []
    labels: list[object] = []
    cells: list[tuple[str, ...] | None] = []

    def visit(node: Any) -> int:
        first = len(lml)
        if node.tag == "td":
            labels.append(("td", _span(node, "colspan"), _span(node, "rowspan")))
            cells.append(() if structure_only else tuple(_tokens(node)[1:-1]))
        else:
            children = [visit(child) for child in node]
            labels.append(node.tag)
            cells.append(None)
            first = children[0] if children else len(lml)
        lml.append(first)
        return first

    visit(table)
    return _Table(tuple(lml), tuple(labels), tuple(cells), len(table.xpath(".//*")))


def _span(node: Any, name: str) -> int | str:
    raw: str = node.attrib.get(name, "1")
    try:
        return int(raw)
    except ValueError:
        return raw.strip()


def _tokens(node: Any, out: list[str] | None = None) -> list[str]:
    """The scorer's cell tokens: tags, characters of text and tails (not the cell's own tail)."""
    out = [] if out is None else out
    out.append(f"<{node.tag}>")
    if node.text is not None:
        out.extend(node.text)
    for child in node:
        _tokens(child, out)
    if node.tag != "unk":
        out.append(f"</{node.tag}>")
    if node.tag != "td" and node.tail is not None:
        out.extend(node.tail)
    return out


def _encode(t1: _Table, t2: _Table) -> tuple[list[str], list[str]]:
    """Each cell as a string, one character per token, so rapidfuzz can compare them.

    Inline-tag tokens get private-use code points that no character token of either
    table uses, which keeps the mapping one-to-one and the distances exact.
    """
    chars: set[str] = set()
    tags: set[str] = set()
    for cell in (*t1.cells, *t2.cells):
        for token in cell or ():
            (tags if len(token) > 1 else chars).add(token)
    code: dict[str, str] = {}
    point = _FIRST_CODE
    for tag in sorted(tags):
        while chr(point) in chars:
            point += 1
        code[tag] = chr(point)
        point += 1
    return (
        ["".join(code.get(t, t) for t in cell or ()) for cell in t1.cells],
        ["".join(code.get(t, t) for t in cell or ()) for cell in t2.cells],
    )


def _rename_costs(t1: _Table, t2: _Table) -> list[list[float]]:
    """The scorer's ``CustomConfig.rename`` for every node pair (postorder indices)."""
    text1, text2 = _encode(t1, t2)
    # Nodes of tree 2 by label, then by cell text: each distinct pair is compared once.
    groups: dict[object, dict[str, list[int]]] = {}
    for j, label in enumerate(t2.labels):
        groups.setdefault(label, {}).setdefault(text2[j], []).append(j)
    costs = [[1.0] * len(t2.labels) for _ in t1.labels]
    seen: dict[tuple[object, str], list[tuple[float, list[int]]]] = {}
    # rapidfuzz divides the same integers as the scorer: lev / max(len), 0 for two empties.
    distance = Levenshtein.normalized_distance
    for i, label in enumerate(t1.labels):
        s1 = text1[i]
        key = (label, s1)
        if key not in seen:
            seen[key] = [(distance(s1, s2), js) for s2, js in groups.get(label, {}).items()]
        row = costs[i]
        for value, js in seen[key]:
            for j in js:
                row[j] = value
    return costs


def _similarity(pred: _Table, true: _Table) -> float:
    dist = tree_edit_distance(pred.lml, true.lml, _rename_costs(pred, true))
    size = max(pred.size, true.size)
    if size == 0:
        return 1.0 if dist == 0 else 0.0
    return max(0.0, 1.0 - dist / size)


def teds_score(
    pred: str,
    true: str,
    *,
    structure_only: bool = False,
    normalize: bool = False,
    markdown: bool = False,
    ignore_nodes: tuple[str, ...] = (),
) -> float | None:
    """TEDS of one predicted table against one reference; None if the reference has no table.

    Args:
        pred: Predicted table (HTML document or fragment; Markdown if ``markdown``).
        true: Reference table, in the same forms.
        structure_only: Ignore cell contents (TEDS-S).
        normalize: ``th`` as ``td``, no ``thead``/``tbody``/``tfoot``, nested tables found.
        markdown: Convert a Markdown pipe table to HTML when the text has no ``<table``.
        ignore_nodes: Tags to unwrap on both sides before scoring.
    """
    options = (structure_only, normalize, markdown, tuple(ignore_nodes))
    reference = _load(true, *options)
    if reference is None:
        return None
    answer = _load(pred, *options)
    return 0.0 if answer is None else _similarity(answer, reference)


@register_metric("teds", version="1.0.0", higher_is_better=True)
class Teds(Metric):
    """TEDS (Zhong et al. 2020, PubTabNet ``src/metric.py``) on HTML tables; max over references."""

    structure_only: bool = False
    """Ignore cell contents: TEDS-S (what ``teds_struct`` sets)."""
    normalize: bool = False
    """``th`` as ``td`` and ``thead``/``tbody``/``tfoot`` unwrapped on both sides (off: the scorer's tree)."""
    markdown: bool = False
    """Convert a Markdown pipe table to HTML when the text has no ``<table``."""
    ignore_nodes: tuple[str, ...] = ()
    """Tags unwrapped (children kept) on both sides, like the scorer's ``ignore_nodes``."""

    def score(self, answer: str, sample: Sample) -> Score:
        if not sample.answers:
            return Score(None, invalid="no reference answer")
        values = [
            teds_score(
                answer,
                ref,
                structure_only=self.structure_only,
                normalize=self.normalize,
                markdown=self.markdown,
                ignore_nodes=self.ignore_nodes,
            )
            for ref in sample.answers
        ]
        found = [v for v in values if v is not None]
        if not found:
            return Score(None, invalid="no reference answer holds an HTML table")
        return Score(max(found))


@register_metric("teds_struct", version="1.0.0", higher_is_better=True)
class TedsStruct(Teds):
    """TEDS-S: TEDS on table structure only (cell contents ignored); max over references."""

    structure_only: bool = True
    """Ignore cell contents (on by default here)."""
