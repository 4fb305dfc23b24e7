"""olmOCR-bench's ``math`` test: is a reference formula somewhere among a page's formulas?

Equal to ``MathTest.run`` and ``compare_rendered_equations`` of olmocr 0.4.27
(``olmocr/bench/tests.py``, ``olmocr/bench/katex/render.py``), written anew:

1. The page's formulas are, in this order, every ``\\(…\\)``, then ``\\[…\\]``, then (unless the test
   sets ``ignore_dollar_delimited``) ``$$…$$``, then ``$…$`` (non-greedy, across lines), each kind
   cut out of the text before the next is looked for, and stripped.
2. A formula equal to the reference string passes at once.
3. Otherwise both are rendered by KaTeX (`render_equation`) and a formula matches when the
   reference's MathML (inside ``<semantics>``, without the TeX annotation, as BeautifulSoup's XML
   parser re-serialises it, whitespace removed) is a substring of the formula's, or else when
   every character of the reference's rendering can be given its own equal character of the
   formula's rendering such that each reference character's nearest neighbour above, below,
   left and right (centres within 5 px of the same column or row) is matched to the formula
   character's nearest neighbour in that direction (or, for a neighbour not matched yet, has the
   same text).

A reference KaTeX refuses renders to nothing, so (as in the official code) it matches any
formula: such a test passes on every page with at least one formula. One deviation: the official
search recurses once per character (Python's recursion limit stops it near 1,000 characters) and
has no bound on its time; ours is a loop, and gives up as "no match" after `SEARCH_BUDGET` tries.
"""

from __future__ import annotations

import importlib
import re
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

from ..core.errors import MissingDependency
from ._katex_assets import KATEX_VERSION
from ._katex_render import RenderedEquation, Span, render_equation

__all__ = [
    "KATEX_VERSION",
    "RenderedEquation",
    "Span",
    "find_equations",
    "math_test_passes",
    "render_equation",
    "same_formula",
]

TOLERANCE_PX = 5.0
"""How far two centres may be apart across a direction and still be neighbours along it."""
SEARCH_BUDGET = 2_000_000
"""Candidate tries after which the character matching gives up (see the module's note)."""

_BRACKETS = (re.compile(r"\\\((.+?)\\\)", re.DOTALL), re.compile(r"\\\[(.+?)\\\]", re.DOTALL))
_DOLLARS = (re.compile(r"\$\$(.+?)\$\$", re.DOTALL), re.compile(r"\$(.+?)\$", re.DOTALL))
_SPACE = re.compile(r"\s+")
_ZERO_WIDTH_SPACE = "\u200b"


def find_equations(markdown: str, *, ignore_dollar_delimited: bool = False) -> list[str]:
    """The formulas of a page, in the order the math test looks at them (see the module's note)."""
    found: list[str] = []
    rest = markdown
    for pattern in _BRACKETS if ignore_dollar_delimited else _BRACKETS + _DOLLARS:
        found.extend(match.strip() for match in pattern.findall(rest))
        rest = pattern.sub("", rest)
    return found


def math_test_passes(
    reference: str, markdown: str, *, ignore_dollar_delimited: bool = False
) -> tuple[bool, str]:
    """Run one olmOCR-bench ``math`` test on a page's Markdown: (passed, explanation).

    Raises:
        MissingDependency: Playwright, Chromium or BeautifulSoup is missing.
        UserError: KaTeX 0.16.21 cannot be had.
    """
    formulas = find_equations(markdown, ignore_dollar_delimited=ignore_dollar_delimited)
    if reference in formulas:
        return True, ""
    if formulas:
        wanted = render_equation(reference)
        # Likeliest first, as the official code orders them: it only decides how soon we stop.
        for formula in sorted(formulas, key=lambda f: -fuzz.ratio(f, reference)):
            if same_formula(wanted, render_equation(formula)):
                return True, ""
    return False, f"No match found for {reference} anywhere in content"


def same_formula(reference: RenderedEquation, candidate: RenderedEquation) -> bool:
    """Whether ``candidate`` shows the ``reference`` formula (MathML containment, then layout)."""
    if _mathml_core(_markup(reference)) in _mathml_core(_markup(candidate)):
        return True
    return _embeds(_glyphs(reference.spans), _glyphs(candidate.spans))


def _markup(eq: RenderedEquation) -> str:
    # The official code keeps KaTeX's error message where the MathML would be.
    return eq.error if eq.error is not None else eq.mathml


@lru_cache(maxsize=8192)
def _mathml_core(markup: str) -> str:
    try:
        bs4: Any = importlib.import_module("bs4")
    except ImportError:
        raise MissingDependency(
            "the math test compares MathML with BeautifulSoup (package beautifulsoup4)",
            hint="pip install 'vlmhyperbench[parse]'",
        ) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "looks like a filename" on an error message
            soup = bs4.BeautifulSoup(markup, "xml")
        semantics = soup.find("semantics")
        if semantics is None:
            core = str(soup)
        else:
            core = "".join(
                str(part) for part in semantics.contents if getattr(part, "name", None) != "annotation"
            )
    except Exception:  # noqa: BLE001  (as the official code: unparsable markup is compared as it is)
        core = markup
    return _SPACE.sub("", core)


@dataclass(frozen=True)
class _Glyph:
    text: str
    cx: float
    cy: float


def _glyphs(spans: tuple[Span, ...]) -> list[_Glyph]:
    """One glyph per character: a span's box cut into equal slices; lone zero-width spaces dropped."""
    out: list[_Glyph] = []
    for span in spans:
        if span.text == _ZERO_WIDTH_SPACE:
            continue
        count = len(span.text)
        width = span.width / count
        for index, char in enumerate(span.text):
            left = span.x + (span.width * index) / count
            out.append(_Glyph(char, left + width / 2, span.y + span.height / 2))
    return out


def _neighbours(glyphs: list[_Glyph]) -> list[tuple[int | None, int | None, int | None, int | None]]:
    """Per glyph, the nearest other glyph up, down, left and right (first one on a tie)."""
    out: list[tuple[int | None, int | None, int | None, int | None]] = []
    for i, g in enumerate(glyphs):
        best: list[int | None] = [None, None, None, None]
        dist = [0.0, 0.0, 0.0, 0.0]
        for j, o in enumerate(glyphs):
            if i == j:
                continue
            column = abs(o.cx - g.cx) <= TOLERANCE_PX
            row = abs(o.cy - g.cy) <= TOLERANCE_PX
            for k, ok, d in (
                (0, o.cy < g.cy and column, g.cy - o.cy),
                (1, o.cy > g.cy and column, o.cy - g.cy),
                (2, o.cx < g.cx and row, g.cx - o.cx),
                (3, o.cx > g.cx and row, o.cx - g.cx),
            ):
                if ok and (best[k] is None or d < dist[k]):
                    best[k], dist[k] = j, d
        out.append((best[0], best[1], best[2], best[3]))
    return out


def _embeds(ref: list[_Glyph], hyp: list[_Glyph]) -> bool:
    """Whether the reference's glyphs map one-to-one onto the candidate's, neighbours kept.

    Reference glyphs are placed in order. Placing glyph ``i`` on ``c`` needs, for each direction
    where ``i`` has a neighbour ``n``: ``c`` has one there too, ``m``; and ``n`` already placed on
    ``m`` if ``n`` comes before ``i``, else ``m`` has ``n``'s text. The second kind does not depend
    on earlier choices, so it filters the candidates once, up front.
    """
    ref_nb, hyp_nb = _neighbours(ref), _neighbours(hyp)
    candidates: list[list[int]] = []
    earlier: list[list[tuple[int, int]]] = []  # (direction, neighbour placed before)
    for i, g in enumerate(ref):
        dirs = [(d, n) for d, n in enumerate(ref_nb[i]) if n is not None]
        ok = [
            c
            for c, h in enumerate(hyp)
            if h.text == g.text
            and all(
                (m := hyp_nb[c][d]) is not None and (n < i or hyp[m].text == ref[n].text) for d, n in dirs
            )
        ]
        if not ok:
            return False
        candidates.append(ok)
        earlier.append([(d, n) for d, n in dirs if n < i])
    placed = [-1] * len(ref)
    used = [False] * len(hyp)
    tried = [0] * (len(ref) + 1)
    budget = SEARCH_BUDGET
    i = 0
    while 0 <= i < len(ref):
        options = candidates[i]
        while tried[i] < len(options):
            c = options[tried[i]]
            tried[i] += 1
            budget -= 1
            if not used[c] and all(placed[n] == hyp_nb[c][d] for d, n in earlier[i]):
                placed[i], used[c] = c, True
                i += 1
                tried[i] = 0
                break
        else:
            tried[i] = 0
            i -= 1
            if i >= 0:
                used[placed[i]], placed[i] = False, -1
        if budget <= 0 and 0 <= i < len(ref):
            return False
    return i == len(ref)
