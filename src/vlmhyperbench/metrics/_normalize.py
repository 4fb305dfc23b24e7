"""Text normalisation shared by the answer-matching metrics.

`TextNormalizer` applies, in this fixed order, only the steps that are switched on:

1. ``nfkc``: Unicode NFKC (``unicodedata.normalize("NFKC", s)``). It composes
   ``e`` + U+0301 into ``é``, and maps compatibility characters (NBSP → space,
   full-width digits → ASCII digits, ``ﬁ`` → ``fi``).
2. ``fold_yo``: ``ё`` → ``е`` and ``Ё`` → ``Е`` (precomposed code points only; a
   decomposed ``е`` + U+0308 is folded only after ``nfkc`` has composed it).
3. ``strip_punctuation``: delete every character whose Unicode general category is
   punctuation (``P*``: ``.,:;!?-–—«»"'()[]{}%#/@\\``...). Symbols (``№``, ``$``, ``+``)
   stay. Characters are deleted, not replaced by a space (``счёт-фактура`` →
   ``счётфактура``).
4. Lower case (``str.lower``) unless ``case_sensitive``.
5. Whitespace: with ``collapse_whitespace``, every run of Unicode whitespace (NBSP,
   tabs and newlines included) becomes one space and both ends are stripped
   (``" ".join(s.split())``); otherwise both ends are stripped only (``str.strip``).

With every option off this is ``s.strip().lower()``, VLMEvalKit's ``accuracy``
normalisation.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from pydantic import PrivateAttr

from ._base import Metric

__all__ = ["NormalizedMetric", "TextNormalizer"]

_YO = str.maketrans({"ё": "е", "Ё": "Е"})


def _drop_punctuation(text: str) -> str:
    return "".join(ch for ch in text if not unicodedata.category(ch).startswith("P"))


@dataclass(frozen=True, slots=True)
class TextNormalizer:
    """A configurable string normaliser; call it on a string. Steps and order: see module."""

    case_sensitive: bool = False
    """Keep case; otherwise both sides are lower-cased."""
    collapse_whitespace: bool = False
    """Collapse internal whitespace runs to one space (ends are always stripped)."""
    nfkc: bool = False
    """Apply Unicode NFKC first (composes é, maps NBSP to a space, full-width to ASCII)."""
    strip_punctuation: bool = False
    """Delete every Unicode punctuation character (general category P*)."""
    fold_yo: bool = False
    """Fold ё to е and Ё to Е."""

    def __call__(self, text: str) -> str:
        """Return ``text`` normalised by the enabled steps."""
        if self.nfkc:
            text = unicodedata.normalize("NFKC", text)
        if self.fold_yo:
            text = text.translate(_YO)
        if self.strip_punctuation:
            text = _drop_punctuation(text)
        if not self.case_sensitive:
            text = text.lower()
        if self.collapse_whitespace:
            return " ".join(text.split())
        return text.strip()


class NormalizedMetric(Metric):
    """A metric whose text comparison takes the normaliser options as named fields.

    Subclasses may change a default by declaring the field again.
    """

    case_sensitive: bool = False
    """Compare case as is (default: both sides lower-cased)."""
    collapse_whitespace: bool = False
    """Collapse every internal whitespace run (NBSP, newlines, tabs) to one space."""
    nfkc: bool = False
    """Apply Unicode NFKC first: é composed = e + U+0301, NBSP = space, ５ = 5."""
    strip_punctuation: bool = False
    """Delete Unicode punctuation (category P*: ``.,-«»"%``...) before comparing."""
    fold_yo: bool = False
    """Treat ё as е and Ё as Е."""

    _normalize: TextNormalizer = PrivateAttr()

    def model_post_init(self, context: Any, /) -> None:
        self._normalize = TextNormalizer(
            case_sensitive=self.case_sensitive,
            collapse_whitespace=self.collapse_whitespace,
            nfkc=self.nfkc,
            strip_punctuation=self.strip_punctuation,
            fold_yo=self.fold_yo,
        )
