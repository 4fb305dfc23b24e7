"""Character confusions that matter for Russian documents: the one table and the classifiers.

Three kinds are counted per answer (against its best reference, see `_diff`) and per run:

- ``homoglyph``: a character of the reference replaced in the answer by its look-alike in
  the other script, e.g. Cyrillic ``Р`` (U+0420) read as Latin ``P`` (U+0050). The pairs
  are `HOMOGLYPHS`: the Cyrillic letters of the Russian alphabet whose printed shape
  equals a Latin letter's (upper case А В Е К М Н О Р С Т У Х, lower case а е к о р с у х),
  and ``ё``/``ë``. One count per substituted character.
- ``yo``: ``ё`` in the reference and ``е`` in the answer, or the reverse (and upper case).
  One count per substituted character.
- ``mixed_script``: a word of the answer that holds both Cyrillic and Latin letters
  (``Пaспорт`` with a Latin ``a``), found without any reference. A word is a maximal run of
  letters, so ``Санкт-Петербург`` is two words and digits split words.
  One count per word.

This module is the project's only homoglyph table; anything else that needs one imports it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "HOMOGLYPHS",
    "ConfusionCounts",
    "ConfusionKind",
    "RunConfusions",
    "confusion_of",
    "describe_pair",
    "mixed_script_words",
    "script_of",
]

ConfusionKind = Literal["homoglyph", "yo"]
"""A confusion between one reference character and one answer character."""

HOMOGLYPHS: dict[str, str] = {
    "А": "A",
    "В": "B",
    "Е": "E",
    "К": "K",
    "М": "M",
    "Н": "H",
    "О": "O",
    "Р": "P",
    "С": "C",
    "Т": "T",
    "У": "Y",
    "Х": "X",
    "Ё": "Ë",
    "а": "a",
    "е": "e",
    "к": "k",
    "о": "o",
    "р": "p",
    "с": "c",
    "у": "y",
    "х": "x",
    "ё": "ë",
}
"""Cyrillic letter → the Latin letter printed the same (or nearly: ``к``/``k``, ``У``/``Y``)."""

_PAIRS = frozenset(HOMOGLYPHS.items()) | frozenset((lat, cyr) for cyr, lat in HOMOGLYPHS.items())
_YO = frozenset({("ё", "е"), ("е", "ё"), ("Ё", "Е"), ("Е", "Ё")})


_WORD = re.compile(r"[^\W\d_]+")
"""A word: a maximal run of letters (word characters other than digits and ``_``)."""


@functools.lru_cache(maxsize=4096)
def script_of(ch: str) -> Literal["cyrillic", "latin"] | None:
    """``cyrillic`` or ``latin`` for a letter of that script (by its Unicode name), else None."""
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    if name.startswith("CYRILLIC"):
        return "cyrillic"
    if name.startswith("LATIN"):
        return "latin"
    return None


def confusion_of(reference: str, answer: str) -> ConfusionKind | None:
    """The confusion when ``answer`` stands where the reference has ``reference`` (one character each)."""
    if (reference, answer) in _YO:
        return "yo"
    if (reference, answer) in _PAIRS:
        return "homoglyph"
    return None


def describe_pair(reference: str, answer: str) -> str:
    """``Latin P (U+0050) instead of Cyrillic Р (U+0420)``: the tooltip of a confusion."""

    def one(ch: str) -> str:
        script = script_of(ch)
        return f"{script.capitalize() + ' ' if script else ''}{ch} (U+{ord(ch):04X})"

    return f"{one(answer)} instead of {one(reference)}"


def mixed_script_words(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every word of ``text`` that mixes Cyrillic and Latin letters."""
    spans: list[tuple[int, int]] = []
    for word in _WORD.finditer(text):
        letters = word.group()
        if letters.isascii():
            continue
        scripts = {script_of(ch) for ch in letters}
        if "cyrillic" in scripts and "latin" in scripts:
            spans.append(word.span())
    return spans


@dataclass(frozen=True, slots=True)
class ConfusionCounts:
    """The confusions of one answer (or a sum over answers)."""

    homoglyph: int = 0
    """Characters replaced by their look-alike in the other script."""
    yo: int = 0
    """Characters where ё and е were swapped."""
    mixed_script: int = 0
    """Words of the answer mixing Cyrillic and Latin letters."""

    @property
    def total(self) -> int:
        """All confusions together."""
        return self.homoglyph + self.yo + self.mixed_script

    def __add__(self, other: ConfusionCounts) -> ConfusionCounts:
        return ConfusionCounts(
            self.homoglyph + other.homoglyph, self.yo + other.yo, self.mixed_script + other.mixed_script
        )


@dataclass(frozen=True, slots=True)
class RunConfusions:
    """The confusions of a run: totals, and how many answers have each kind."""

    answers: int
    """Answers looked at (failed requests have no answer and are not counted)."""
    totals: ConfusionCounts
    """Sum over the answers."""
    answers_with: ConfusionCounts
    """Per kind, the number of answers with at least one such confusion."""

    @classmethod
    def of(cls, per_answer: Iterable[ConfusionCounts]) -> RunConfusions:
        """Sum the counts of a run's answers."""
        n, totals, with_ = 0, ConfusionCounts(), ConfusionCounts()
        for c in per_answer:
            n += 1
            totals += c
            with_ += ConfusionCounts(int(c.homoglyph > 0), int(c.yo > 0), int(c.mixed_script > 0))
        return cls(n, totals, with_)
