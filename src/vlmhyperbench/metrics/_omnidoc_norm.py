"""OmniDocBench's string normalisations, as its end-to-end evaluator applies them.

Each function reproduces one step of opendatalab/OmniDocBench@7bd6c2e
(``utils/data_preprocess.py``) by behaviour: text blocks are compared after
`clean_text` (inline formulas with ``\\``, ``^`` or ``_`` turned into Unicode, then
everything but letters, digits, ``_`` and CJK removed), display formulas after
`normalize_formula`, tables after `normalize_html_table`.
"""

from __future__ import annotations

import html
import importlib
import logging
import re
import unicodedata
from functools import lru_cache
from typing import Any

from ..core import MissingDependency

__all__ = ["clean_string", "clean_text", "latex_to_text", "normalize_formula", "normalize_html_table", "soup"]

_HINT = "pip install 'vlmhyperbench[parse]'"
_INLINE = re.compile(r"\$(.*?)\$|\\\((.*?)\\\)")
_ESCAPED = re.compile(r"\\([\\_&%^])")
_NOT_WORD = re.compile(r"[^\w\u4e00-\u9fff]")
_BRACKETED = re.compile(r"\\\[(.+?)(?<!\\)\\\]")
_FORMULA_CUTS = tuple(
    re.compile(p)
    for p in (r"\\tag\{.*?\}", r"\\hspace\{.*?\}", r"\\begin\{.*?\}", r"\\end\{.*?\}", r"\\arraycolsep.*?\}")
)
_FORMULA_WORDS = (
    *(
        "\\mathbf \\mathrm \\mathnormal \\mathit \\mathbb \\mathcal \\mathscr \\mathfrak \\mathsf \\mathtt "
        "\\textbf \\text \\boldmath \\boldsymbol \\operatorname \\bm \\symbfit \\mathbfcal \\symbf "
        "\\scriptscriptstyle \\notag \\setlength \\coloneqq \\space \\thickspace \\thinspace \\medspace "
        "\\nobreakspace \\negmedspace \\quad \\qquad \\enspace \\substackw"
    ).split(),
    " ",
    "$$",
    "\\left",
    "\\right",
    "\\displaystyle",
    "\\text",
)
"""Removed from a formula, in this order (the official list; ``\\text`` twice)."""
_ATTRIBUTES = tuple(re.compile(f'( {name}=".*?")') for name in ("style", "height", "width", "align", "class"))
_TABLE_BODY = re.compile(r"<table\b[^>]*>(.*)</table>", re.DOTALL | re.IGNORECASE)
_TABLE_HEAD = '<html><body><table border="1" >'


def _module(name: str, what: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        raise MissingDependency(f"the OmniDocBench metrics need {what}", hint=_HINT) from None


@lru_cache(maxsize=1)
def _latex_nodes() -> Any:
    # pylatexenc logs a warning per malformed formula; a library leaves output to the app.
    logging.getLogger("pylatexenc").addHandler(logging.NullHandler())
    return _module("pylatexenc.latex2text", "pylatexenc").LatexNodes2Text()


def soup(markup: str) -> Any:
    """``markup`` parsed by BeautifulSoup's ``html.parser``, as the official code parses it."""
    return _module("bs4", "beautifulsoup4").BeautifulSoup(markup, "html.parser")


@lru_cache(maxsize=8192)
def latex_to_text(latex: str) -> str:
    """pylatexenc's ``LatexNodes2Text().latex_to_text``."""
    text: str = _latex_nodes().latex_to_text(latex)
    return text


def clean_string(text: str) -> str:
    """Drop ``\\t``/``\\n`` (literal and real), ``/t``, ``/n`` and every non-word character."""
    for junk in ("\\t", "\\n", "\t", "\n", "/t", "/n"):
        text = text.replace(junk, "")
    return _NOT_WORD.sub("", text)


def _inline_to_unicode(text: str) -> str:
    """Inline formulas holding ``\\``, ``^`` or ``_`` (after unescaping) as Unicode text."""
    replaced: list[tuple[int, int, str]] = []
    for match in _INLINE.finditer(text):
        content = match.group(1) if match.group(1) is not None else match.group(2)
        bare = _ESCAPED.sub("", content)
        if not any(char in bare for char in "\\^_"):
            continue
        if bare.endswith("\\"):
            bare += " "
        try:
            replaced.append((match.start(), match.end(), latex_to_text(bare)))
        except MissingDependency:
            raise
        except Exception:  # noqa: BLE001 (as the official code: an unparsable formula stays as written)
            continue
    for start, end, unicode_text in reversed(replaced):
        text = text[:start] + unicode_text.strip() + text[end:]
    return text


@lru_cache(maxsize=16384)
def clean_text(text: str) -> str:
    """A text block as the official code compares it (``clean_string(textblock2unicode(..))``)."""
    return clean_string(_inline_to_unicode(text))


@lru_cache(maxsize=16384)
def normalize_formula(text: str) -> str:
    """A display formula as the official ``normalized_formula`` leaves it."""
    text = text.strip().strip("$").strip("\n")
    match = _BRACKETED.search(text)
    if match:
        text = match.group(1).strip()
    for pattern in _FORMULA_CUTS:
        text = pattern.sub("", text)
    text = text.strip(".")
    for word in _FORMULA_WORDS:
        text = text.replace(word, "")
    return text.lower()


def _simplify_table_markup(markup: str) -> str:
    tree = soup(markup)
    for cell in tree.find_all("th"):
        cell.name = "td"
    for head in tree.find_all("thead"):
        head.unwrap()
    for math in tree.find_all("math"):
        math.replace_with(f"${math.get('alttext', '')}$")
    for span in tree.find_all("span"):
        span.unwrap()
    return str(tree)


@lru_cache(maxsize=4096)
def normalize_html_table(text: str) -> str:
    """The official ``normalized_html_table``: one ``<html><body><table border="1" >``
    document holding the inner markup of the tables in ``text``; "" without ``<table``."""
    if "<table" not in text.replace(" ", "").replace("'", '"'):
        return ""
    table = html.unescape(_simplify_table_markup(text)).replace("\n", "")
    table = unicodedata.normalize("NFKC", table).strip()
    table = "".join(_TABLE_BODY.findall(table))
    for pattern in _ATTRIBUTES:
        table = pattern.sub("", table)
    table = re.sub("</?tbody>", "", table)
    table = re.sub(r"\s+", " ", table)
    table = f"{_TABLE_HEAD}{table}</table></body></html>"
    for tag in ("sup", "sub", "span", "div", "p"):
        table = table.replace(f"<{tag}>", "").replace(f"</{tag}>", "")
    table = table.replace('<spandata-span-identity="">', "")
    return re.sub("<colgroup>.*?</colgroup>", "", table)
