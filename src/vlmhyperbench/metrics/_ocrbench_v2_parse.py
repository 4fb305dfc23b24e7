"""OCRBench v2's structured answers: key-value F1, tables and charts by TEDS, documents by STEDS.

Each function follows its namesake in Yuliang-Liu/MultimodalOCR
``OCRBench_v2/eval_scripts/TEDS_metric.py`` step by step (the quirks are the benchmark's
definition: a chart's value ``["a", "b"]`` is written into its table cell as the
characters of ``str(value)`` joined by spaces, for instance). Where the official code
raises, these raise too, and the metric reports the item as not scorable.
"""

from __future__ import annotations

import ast
import itertools
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ._tree_edit import leftmost_leaves, tree_edit_distance
from .teds import _load, _rename_costs

__all__ = [
    "answer_dict",
    "chart_dict",
    "dict_table",
    "document_similarity",
    "kie_combinations",
    "kie_f1",
    "markdown_table",
    "table_similarity",
    "wrap_table",
]

_FENCE = re.compile(r"```(?:python|json)?\n(.*?)\n```", re.DOTALL | re.IGNORECASE)
_KEY_VALUE = re.compile(r"""["']?([\w\s]+)["']?\s*[:=]\s*["']?([^\n,"'{}]+)["']?""")
_ASSIGNMENT = re.compile(r"^\s*\w+\s*=\s*")
_FULL_HTML = re.compile(r"^\s*<(?:html|!doctype)", re.IGNORECASE)  # lxml.html's own test


def answer_dict(text: str) -> dict[str, str]:
    """``convert_str_to_dict``: a flat dict from a model answer (JSON, Python literal, or
    ``key: value`` lines); every value as stripped text; {} when nothing parses."""
    match = _FENCE.search(text)
    content = match.group(1) if match else text.strip()
    data: Any
    try:
        data = json.loads(content)
    except json.JSONDecodeError:
        try:
            data = ast.literal_eval(content)
        except (ValueError, SyntaxError):
            data = {k.strip(): v.strip() for k, v in _KEY_VALUE.findall(content)}
        else:
            if not isinstance(data, dict):
                return {}  # the official regex fallback then fails on the non-dict value
    if not data or not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        return {}
    return {k.strip(): str(v).strip() for k, v in data.items()}


def chart_dict(text: str) -> dict[Any, Any]:
    """``convert_str_to_multi_dict``: a (nested) dict literal from a model answer; {} if none."""
    matches = _FENCE.findall(text)
    content = max(matches, key=len) if matches else text.strip()
    content = _ASSIGNMENT.sub("", content.strip(), count=1)
    content = re.sub(r"#.*", "", content)
    end = content.rfind("}")
    if end != -1:
        content = content[: end + 1]
    try:
        data = ast.literal_eval(content)
    except (ValueError, SyntaxError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


def kie_combinations(answer: Any) -> list[dict[Any, Any]]:
    """``generate_combinations``: every dict made of one value per key.

    A dict's values are iterated as they are (a string value gives one combination per
    character, as in the official code); a string is parsed as JSON, else as a Python
    literal (twice if it holds a quoted literal), and its non-list values become
    one-element lists. An unparsable string gives no combination (the item scores 0).
    """
    if isinstance(answer, dict):
        keys = list(answer)
        return [dict(zip(keys, values)) for values in itertools.product(*(answer[k] for k in keys))]
    text = answer.strip('"')
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        try:
            parsed = ast.literal_eval(text)
            if not isinstance(parsed, dict):
                parsed = ast.literal_eval(parsed)
        except (ValueError, SyntaxError):
            return []
    if not isinstance(parsed, dict):
        raise ValueError("the answer does not parse into a dictionary")
    keys = list(parsed)
    lists = [v if isinstance(v, list) else [v] for v in parsed.values()]
    return [dict(zip(keys, values)) for values in itertools.product(*lists)]


def kie_f1(preds: Mapping[Any, Any], gts: Mapping[Any, Any]) -> float:
    """``compute_f1_score``: mean over the union of keys of 1 when both values are equal
    after lower-casing, stripping and removing spaces and newlines, else 0 (a key absent
    or null on both sides is left out); 0 when no key is left."""
    scores: list[float] = []
    for key in set(preds) | set(gts):
        pred, gt = preds.get(key), gts.get(key)
        if pred:
            pred = pred.lower().strip().replace("\n", " ").replace(" ", "")
        if gt:
            gt = gt.lower().strip().replace("\n", " ").replace(" ", "")
        if pred is None and gt is None:
            continue
        scores.append(1.0 if pred is not None and gt is not None and pred == gt else 0.0)
    return sum(scores) / len(scores) if scores else 0


def dict_table(data: Mapping[Any, Any]) -> str:
    """``dict_to_html``: one row per key, the value cell being ``' '.join(str(value))``."""
    rows = "".join(
        f"  <tr><td>{key}</td><td>{' '.join(value if isinstance(value, str) else str(value))}</td></tr>\n"
        for key, value in data.items()
    )
    return f"<html><body><table>\n{rows}</table></body></html>"


def markdown_table(text: str) -> str:
    """``convert_markdown_table_to_html``: the first line is the header, the second is
    skipped (the rule), each later line is a row of its ``|``-separated cells."""
    # A set of characters, not a prefix, as in the official code (B005 is the point here).
    text = text.strip("```markdown").strip("```").strip()  # noqa: B005
    lines = text.split("\n")
    rows = []
    for line in [lines[0], *lines[2:]]:
        cells = [cell.strip() if set(cell) != {" "} else " " for cell in line.strip().split("|")[1:-1]]
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    return ("<html><body><table>" + "".join(rows) + "</table></body></html>").replace("\n", "")


def wrap_table(html: str) -> str:
    """``wrap_html_table``: add the ``<table>``, ``<body>`` and ``<html>`` tags a table lacks."""
    html = html.replace("\n", "")
    opened, closed = "<table" in html, "</table>" in html
    if opened and not closed:
        html += "</table>"
    elif closed and not opened:
        html = "<table>" + html
    elif not opened and not closed:
        html = "<table>" + html + "</table>"
    if "<body>" not in html:
        html = "<body>" + html + "</body>"
    if "<html>" not in html:
        html = "<html>" + html + "</html>"
    return html


def table_similarity(pred: str, true: str) -> float:
    """``TEDS().evaluate(pred, true)`` on two HTML documents, as the official class does it
    (PubTabNet's TEDS, not clipped at 0); the tree and costs are those of the ``teds`` metric.

    Raises:
        ValueError: a ``colspan``/``rowspan`` is not an integer.
        ZeroDivisionError: both tables are empty.
    """
    if not pred or not true or not _FULL_HTML.match(pred) or not _FULL_HTML.match(true):
        return 0.0  # lxml returns a fragment for the rest, which has no body/table
    pred_table = _load(pred, False, False, False, ())
    true_table = _load(true, False, False, False, ())
    if pred_table is None or true_table is None:
        return 0.0
    for table in (pred_table, true_table):
        if any(isinstance(label, tuple) and str in map(type, label[1:]) for label in table.labels):
            raise ValueError("a colspan or rowspan is not an integer")
    distance = tree_edit_distance(pred_table.lml, true_table.lml, _rename_costs(pred_table, true_table))
    return 1.0 - distance / max(pred_table.size, true_table.size)


def _clean_line(text: str) -> str:
    """``pre_clean``: drop model tokens, join split LaTeX, ``*`` and ``_`` to spaces."""
    text = re.sub(r"<bos>|<eos>|<pad>|<unk>", "", text)
    text = re.sub(r"\s##(\S)", r"\1", text)
    text = re.sub(r"\\\s", r"\\", text)
    text = re.sub(r"\s\*\s\*\s", r"**", text)
    text = re.sub(r"{\s", r"{", text)
    text = re.sub(r"\s}", r"}", text)
    text = re.sub(r"\s}", r"}", text)  # twice, as the official code does: "a  }" -> "a}"
    text = re.sub(r"\\begin\s", r"\\begin", text)
    text = re.sub(r"\\end\s", r"\\end", text)
    text = re.sub(r"\\end{table}", r"\\end{table} \n\n", text)
    return text.replace("\n", " ").replace("*", " ").replace("_", " ")


def _document_tree(text: str) -> tuple[list[str], list[list[int]]]:
    """``get_tree``: ROOT holds TITLE and one node per ``#`` heading; a line goes under the
    last heading (found by label, first in preorder, like zss's ``Node.get``), or under
    TITLE before any heading. Returns (labels, children) with node 0 the root."""
    labels, children = ["ROOT", "TITLE"], [[1], []]

    def find(label: str) -> int:
        stack = [0]
        while stack:
            node = stack.pop()
            if labels[node] == label:
                return node
            stack.extend(reversed(children[node]))
        raise KeyError(label)

    last_title = ""
    for raw in text.split("\n"):
        line = _clean_line(raw)
        if line.startswith("#"):
            parent, label = find("ROOT"), line.replace("#", "")
            last_title = label
        else:
            parent, label = find("TITLE") if last_title == "" else find(last_title), line
        labels.append(label)
        children.append([])
        children[parent].append(len(labels) - 1)
    return labels, children


def document_similarity(pred: str, gt: str) -> float:
    """``doc_parsing_evaluation``: STEDS = 1 - TED / max(node count) of the two heading
    trees, where renaming costs 1 when either label has no word (else 0) and
    inserting or deleting a node costs 1 (``zss.simple_distance`` with ``my_distance``)."""
    (labels1, kids1), (labels2, kids2) = _document_tree(pred), _document_tree(gt)
    order1, lml1 = leftmost_leaves(kids1, 0)
    order2, lml2 = leftmost_leaves(kids2, 0)
    has_words2 = [bool(labels2[j].split()) for j in order2]
    rename: Sequence[Sequence[float]] = [
        [0.0 if words and other else 1.0 for other in has_words2]
        for words in (bool(labels1[i].split()) for i in order1)
    ]
    distance = tree_edit_distance(lml1, lml2, rename)
    return 1 - distance / max(len(labels1), len(labels2))
