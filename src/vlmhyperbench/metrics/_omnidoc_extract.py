"""Splitting a predicted Markdown page into blocks, as OmniDocBench's ``md_tex_filter``.

By behaviour, from opendatalab/OmniDocBench@7bd6c2e (``utils/extract.py``), in order:
images ``![..](..)`` removed; Markdown fences (```` ```markdown ````, ```` ```html ````,
```` ```latex ```` at a line start, ```` ``` ```` at a line end) removed; runs of more
than 4 ``_`` or spaces shortened to 4; ``<html>``/``<body>`` tags removed; LaTeX tables
(``\\begin{table}..``, then balanced ``\\begin{tabular}..``) and balanced HTML
``<table>``s cut out (blanked); display formulas ``$$..$$`` and ``\\[..\\]`` cut out;
inline ``$..$``/``\\(..\\)`` also become formula blocks (marked inline) but stay in the
text; with two or more pipe rows the page is rewritten (`markdown_tables_to_html`) and
its tables cut out; fenced code with a language cut out as text; ``\\title{}``,
``\\text{}``, ``\\section{}`` unwrapped; the rest split at blank lines (at newlines when
there is none) into text blocks, a block that is a whole ``<table>`` being a table and
one wrapped in ``$`` a formula. Positions are the official ones, including its text
positions that do not count the separators; they decide the blocks' order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._omnidoc_mdtable import PIPE_ROW, markdown_tables_to_html

__all__ = ["Block", "split_markdown"]

_FENCES = (
    re.compile(r"^```markdown\n?", re.MULTILINE),
    re.compile(r"^```html\n?", re.MULTILINE),
    re.compile(r"^```latex\n?", re.MULTILINE),
    re.compile(r"```\n?$", re.MULTILINE),
)
_DISPLAY = re.compile(r"\$\$(.*?)\$\$|\\\[(.*?)\\\]|\$(.*?)\$|\\\((.*?)\\\)", re.DOTALL)
_DOLLARS = re.compile(r"\$\$(.*?)\$\$|\$(.*?)\$|\\\((.*?)\\\)", re.DOTALL)
_HTML_TABLE = re.compile(r"(<table.*?</table>)", re.DOTALL)
_CODE = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)
_LATEX_STYLE = (
    (re.compile(r"\\title\{(.*?)\}"), r"\1"),
    (re.compile(r"\\title\s*\{\s*(.*?)\s*\}", re.DOTALL), r"\1"),
    (re.compile(r"\\text\s*\{\s*(.*?)\s*\}", re.DOTALL), r"\1"),
    (re.compile(r"\\section\*?\{(.*?)\}"), r"\1"),
    (re.compile(r"\\section\*?\{\s*(.*?)\s*\}", re.DOTALL), r"\1"),
)


@dataclass(frozen=True, slots=True)
class Block:
    """One predicted block."""

    category: str
    """``text_all``, ``equation_isolated``, ``html_table`` or ``latex_table``."""
    start: int
    """Official position (start); the blocks are ordered by it."""
    content: str
    fine: str | None = None
    """``text_block``, ``code``, ``equation_inline``, ``md2html_table`` or None."""
    end: int = 0


def _balanced(text: str, begin: str, end: str, begin_len: int, step: int) -> list[tuple[int, int]]:
    """Outermost balanced ``begin``..``end`` spans, with the official scan's quirks: after
    an opening match the cursor moves by ``step`` (the length of the closing pattern);
    unclosed openings make it rescan the rest after the first one."""
    found: list[tuple[int, int]] = []
    pos = 0
    stack: list[int] = []
    while pos < len(text):
        opening = re.search(begin, text[pos:])
        closing = re.search(end, text[pos:])
        if not opening and not closing:
            break
        if opening and (not closing or opening.start() < closing.start()):
            stack.append(pos + opening.start())
            pos += opening.start() + step
        elif closing:
            if stack:
                first = stack.pop()
                if not stack:
                    found.append((first, pos + closing.start() + step))
            pos += closing.start() + step
    if stack:
        offset = stack[0] + begin_len
        found.extend(
            (a + offset, b + offset) for a, b in _balanced(text[offset:], begin, end, begin_len, step)
        )
    return found


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def _latex_tables(text: str) -> list[tuple[int, str]]:
    found: list[tuple[int, int, str]] = []
    for match in re.finditer(r"\\begin{table}(.*?)\\end{table}", text, re.DOTALL):
        found.append((match.start(), match.end(), match.group(0)))
        text = _blank(text, match.start(), match.end())
    end = r"\\end{tabular}"
    for a, b in _balanced(text, r"\\begin{tabular}", end, len(r"\\begin{tabular}"), len(end)):
        found.append((a, b, text[a:b]))
    return [(a, table) for a, _, table in sorted(found, key=lambda item: item[0])]


def _prepare(text: str) -> str:
    text = re.sub(r"!\[.*?\]\(.*?\)", "", text)
    for fence in _FENCES:
        text = fence.sub("", text)
    text = re.sub(r"_{4,}", "____", text)
    text = re.sub(r" {4,}", "    ", text)
    for tag in ("<html>", "</html>", "<body>", "</body>"):
        text = text.replace(tag, "")
    return text


def _formulas(text: str, blocks: list[Block]) -> str:
    original = text
    for match in _DISPLAY.finditer(original):
        line = " ".join(match.group(0).strip().split("\n"))
        start, end = match.span()
        inner = _DOLLARS.search(line)
        if inner is None:
            text = _blank(text, start, end)
            blocks.append(Block("equation_isolated", start, line, end=end))
        elif inner.group(1):
            text = _blank(text, start, end)
            blocks.append(Block("equation_isolated", start, _DOLLARS.sub(r"\\[\1\\]", line), end=end))
        else:
            content = _DOLLARS.sub(r"\\[\2\3\\]", line)
            blocks.append(Block("equation_isolated", start, content, "equation_inline", end))
    return text


def _text_blocks(text: str, blocks: list[Block]) -> None:
    parts = text.split("\n\n")
    if len(parts) == 1:
        parts = text.split("\n")
    position = 0
    for raw in parts:
        start = position
        position += len(raw)
        part = "\n".join(line.strip() for line in raw.strip().strip("\n").split("\n") if line.strip())
        if not part:
            continue
        if part.startswith("<table") and part.endswith("</table>"):
            blocks.append(Block("html_table", start, part, end=position))
        elif part.startswith("$") and part.endswith("$"):
            if part.replace("$", "").strip():
                blocks.append(Block("equation_isolated", start, part.strip(), end=position))
        else:
            blocks.append(Block("text_all", start, part.strip(), "text_block", position))


def split_markdown(text: str) -> dict[str, list[Block]]:
    """The page's blocks by category, each list in the official order (by position)."""
    text = _prepare(text)
    blocks: list[Block] = []
    for start, table in _latex_tables(text):
        blocks.append(Block("latex_table", start, table, end=start + len(table)))
        text = _blank(text, start, start + len(table))
    end = "</table>"
    for a, b in _balanced(text, r"<table(?:[^>]*)>", end, len(r"<table(?:[^>]*)>"), len(end)):
        table = text[a:b]
        blocks.append(Block("html_table", a, table, end=a + len(table)))
        text = _blank(text, a, a + len(table))
    text = _formulas(text, blocks)
    if len(PIPE_ROW.findall(text + "\n")) >= 2:
        text = markdown_tables_to_html(text)
        for match in _HTML_TABLE.finditer(text):
            blocks.append(
                Block("html_table", match.start(), match.group(0).strip(), "md2html_table", match.end())
            )
            text = _blank(text, match.start(), match.end())
    for match in _CODE.finditer(text):
        blocks.append(Block("text_all", match.start(), match.group(2).strip(), "code", match.end()))
        text = _blank(text, match.start(), match.end())
    for pattern, repl in _LATEX_STYLE:
        text = pattern.sub(repl, text)
    _text_blocks(text, blocks)
    by_category: dict[str, list[Block]] = {}
    for block in sorted(blocks, key=lambda b: b.start):
        by_category.setdefault(block.category, []).append(block)
    return by_category
