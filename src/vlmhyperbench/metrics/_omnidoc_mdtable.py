"""OmniDocBench's conversion of Markdown pipe tables to HTML, by behaviour.

The official evaluator (opendatalab/OmniDocBench@7bd6c2e, ``utils/table_utils.py``,
``convert_markdown_to_html``) rewrites the whole page when it holds two or more
``|...|`` lines: each run from a ``|`` to the next ``|`` before a newline becomes a
one-header-row ``<table>``; runs of such tables are then merged into one table whose
rows are the lines that hold neither ``:`` nor ``---`` (so the ``|---|`` rule, and any
row with a colon, are dropped); ``th`` becomes ``td``, every ``<td>`` gets
``colspan="1" rowspan="1"`` and ``<table>`` gets ``border="1"``. This module does the
same, quirks included, so that the page's positions and tables are the official ones.
"""

from __future__ import annotations

import re

__all__ = ["PIPE_ROW", "markdown_tables_to_html"]

PIPE_ROW = re.compile(r"\|\s*.*?\s*\|\n", re.DOTALL)
"""What the official code takes for a Markdown table (row); two or more trigger the rewrite."""
_SECTION_LINE = re.compile(r"</?t(able|head|body)>")


def _row_table(run: str) -> str:
    rows = [row.strip() for row in run.strip().split("\n")]
    out = ["<table>\n  <thead>\n    <tr>\n"]
    out.extend(f"      <th>{cell.strip()}</th>\n" for cell in rows[0].split("|")[1:-1])
    out.append("    </tr>\n  </thead>\n  <tbody>\n")
    for row in rows[2:]:
        out.append("    <tr>\n")
        out.extend(f"      <td>{cell.strip()}</td>\n" for cell in row.split("|")[1:-1])
        out.append("    </tr>\n")
    out.append("  </tbody>\n</table>\n")
    return "".join(out)


def _is_rule_like(line: str) -> bool:
    return ":" in line or "---" in line


def _merge(block: str) -> str:
    block = re.sub(r"<!--[\s\S]*?-->", "", block)
    rows: list[str] = []
    for table in re.findall(r"<table>[\s\S]*?</table>", block):
        lines = [
            line.replace("<th>", "<td>").replace("</th>", "</td>") if "<th>" in line else line
            for line in table.split("\n")
        ]
        kept = [line for line in lines if not _SECTION_LINE.search(line)]
        if len(kept) > 2:
            rows.extend(kept)
    return "\n\n<table>\n" + "\n".join(rows) + "\n</table>\n\n"


def _merge_runs(text: str) -> str:
    out: list[str] = []
    in_table = False
    block = ""
    last = ""
    for line in text.split("\n"):
        if "<table>" in line:
            in_table = True
            block += last
        elif in_table:
            if not _is_rule_like(last) and "</thead>" not in last:
                block += "\n" + last
            if "</table>" in last:
                in_table = False
                out.append(_merge(block))
                block = ""
        else:
            out.append(last)
        last = line
    if last:
        if in_table or "</table>" in last:
            out.append(_merge(block + "\n" + last))
        else:
            out.append(last)
    return "\n".join(out)


def markdown_tables_to_html(text: str) -> str:
    """The page with its pipe tables rewritten as the official code rewrites them."""
    text = text.replace("\r", "") + "\n"
    for run in PIPE_ROW.findall(text):
        text = text.replace(run, _row_table(run), 1)
    text = _merge_runs(text)
    return text.replace("<table>", '<table border="1" >').replace("<td>", '<td colspan="1" rowspan="1">')
