"""olmOCR-bench's text normalisation and its ``present``/``absent``, ``order`` and ``baseline`` checks.

Written anew to give the results of olmocr 0.4.27 (``olmocr/bench/tests.py``:
``normalize_text``, ``TextPresenceTest.run``, ``TextOrderTest.run``, ``BaselineTest.run``;
``olmocr/repeatdetect.py``), explanations included, word for word.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

from ..core import MissingDependency

__all__ = ["baseline_check", "normalize_text", "order_check", "presence_check"]

_BREAK = re.compile(r"<br/?>")
_SPACE = re.compile(r"\s+")
_EMPHASIS = (
    re.compile(r"\*\*(.*?)\*\*"),
    re.compile(r"__(.*?)__"),
    re.compile(r"</?b>"),
    re.compile(r"</?i>"),
    re.compile(r"\*(.*?)\*"),
    re.compile(r"_(.*?)_"),
)
_ASCII = str.maketrans(
    {
        "\u2018": "'",  # ‘
        "\u2019": "'",  # ’
        "\u201a": "'",  # ‚
        "\u201c": '"',  # “
        "\u201d": '"',  # ”
        "\u201e": '"',  # „
        "\uff3f": "_",  # fullwidth low line
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2011": "-",  # non-breaking hyphen
        "\u2012": "-",  # figure dash
        "\u2212": "-",  # minus sign
        "\u00b5": "\u03bc",  # micro sign → Greek mu
    }
)
_DISALLOWED = re.compile(
    "[\u4e00-\u9fff\u3040-\u309f\u30a0-\u30ff"  # CJK ideographs, hiragana, katakana
    "\U0001f600-\U0001f64f\U0001f300-\U0001f5ff\U0001f680-\U0001f6ff\U0001f1e0-\U0001f1ff]"  # emoji, flags
)
_IMAGE_TAG = re.compile(r"!\[.*?\]\(.*?\)")
NGRAM_SIZES = 5
"""The baseline check looks at repeated 1- to 5-character n-grams at the end of the page."""


@lru_cache(maxsize=8192)
def normalize_text(text: str) -> str:
    """The benchmark's normalisation of both the page and the test strings.

    ``<br>``/``<br/>`` become spaces; every whitespace run becomes one space; Markdown bold
    (``**``, ``__``), ``<b>``/``<i>`` tags, then Markdown italics (``*``, ``_``) lose their
    markers (non-greedy, within the text); the text is put in Unicode NFC; curly quotes
    become straight ones, the dashes ``– — ‑ ‒ −`` become ``-``, ``＿`` becomes ``_`` and the
    micro sign ``µ`` becomes Greek ``μ``.
    """
    text = _SPACE.sub(" ", _BREAK.sub(" ", text))
    for pattern in _EMPHASIS:
        text = pattern.sub(r"\1" if pattern.groups else "", text)
    return unicodedata.normalize("NFC", text).translate(_ASCII)


def presence_check(
    text: str,
    page: str,
    *,
    absent: bool,
    max_diffs: int,
    case_sensitive: bool,
    first_n: int | None,
    last_n: int | None,
) -> tuple[bool, str]:
    """A ``present`` (or ``absent``) test: is normalised ``text`` (nearly) in the normalised page?

    With ``first_n``/``last_n`` only the page's first/last characters are searched (both:
    the two pieces joined). The best ``rapidfuzz.fuzz.partial_ratio`` must reach
    ``1 - max_diffs / len(text)`` for presence and stay below it for absence.
    """
    query = normalize_text(text)
    content = normalize_text(page)
    if not case_sensitive:
        query, content = query.lower(), content.lower()
    if first_n and last_n:
        content = content[:first_n] + content[-last_n:]
    elif first_n:
        content = content[:first_n]
    elif last_n:
        content = content[-last_n:]
    threshold = 1.0 - (max_diffs / (len(query) if len(query) > 0 else 1))
    ratio = fuzz.partial_ratio(query, content) / 100.0
    if not absent:
        if ratio >= threshold:
            return True, ""
        return (
            False,
            f"Expected '{query[:40]}...' with threshold {threshold} but best match ratio was {ratio:.3f}",
        )
    if ratio < threshold:
        return True, ""
    return (
        False,
        f"Expected absence of '{query[:40]}...' with threshold {threshold} but best match ratio was {ratio:.3f}",
    )


def order_check(before: str, after: str, page: str, *, max_diffs: int) -> tuple[bool, str]:
    """An ``order`` test: does some match of ``before`` start before some match of ``after``?

    Matches are found in the normalised page within Levenshtein distance ``max_diffs``: exact
    occurrences (overlapping ones too) when it is 0, else fuzzysearch's
    ``find_near_matches`` candidates, overlapping ones merged into the best of each group
    (smallest distance, then longest; ties, which the official code breaks by set order —
    different from one Python process to the next — go to the earliest start).

    Raises:
        MissingDependency: ``max_diffs`` > 0 and fuzzysearch is not installed.
    """
    before, after = normalize_text(before), normalize_text(after)
    content = normalize_text(page)
    before_starts = _match_starts(before, content, max_diffs)
    if not before_starts:
        return False, f"'before' text '{before[:40]}...' not found with max_l_dist {max_diffs}"
    after_starts = _match_starts(after, content, max_diffs)
    if not after_starts:
        return False, f"'after' text '{after[:40]}...' not found with max_l_dist {max_diffs}"
    if min(before_starts) < max(after_starts):
        return True, ""
    return False, f"Could not find a location where '{before[:40]}...' appears before '{after[:40]}...'."


def _match_starts(query: str, content: str, max_diffs: int) -> list[int]:
    if max_diffs == 0:
        starts: list[int] = []
        at = content.find(query)
        while at >= 0:
            starts.append(at)
            at = content.find(query, at + 1)
        return starts
    candidates = [(m.start, m.end, m.dist) for m in _levenshtein_search()(query, content, max_diffs)]
    return [start for start, _, _ in _best_of_overlapping(candidates)]


def _levenshtein_search() -> Any:
    try:
        return importlib.import_module("fuzzysearch.levenshtein").find_near_matches_levenshtein
    except ImportError:
        raise MissingDependency(
            "olmOCR-bench 'order' tests with max_diffs > 0 need fuzzysearch",
            hint="pip install 'vlmhyperbench[parse]'",
        ) from None


def _best_of_overlapping(matches: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Group matches that overlap (transitively, in the order found) and keep each group's best."""
    groups: list[tuple[int, int, list[tuple[int, int, int]]]] = []
    for match in matches:
        start, end, _ = match
        touching = [g for g in groups if not (end <= g[0] or start >= g[1])]
        members = [match] + [m for g in touching for m in g[2]]
        groups = [g for g in groups if all(g is not t for t in touching)]
        groups.append((min(m[0] for m in members), max(m[1] for m in members), members))
    return sorted(min(g[2], key=lambda m: (m[2], m[0] - m[1], m[0])) for g in groups)


def repeated_ngrams(text: str, sizes: int = NGRAM_SIZES) -> list[int]:
    """For n = 1..``sizes``: how many times the page's last n characters repeat back to back at
    its end (whitespace runs count as one space; 0 when the text is shorter than n)."""
    counts = [0] * sizes
    text = _SPACE.sub(" ", text)
    for size in range(1, min(sizes, len(text)) + 1):
        tail = text[-size:]
        end = len(text)
        while end - size >= 0 and text[end - size : end] == tail:
            counts[size - 1] += 1
            end -= size
    return counts


def baseline_check(
    page: str,
    *,
    max_length: int | None,
    max_length_skips_image_alt_tags: bool,
    max_repeats: int,
    check_disallowed_characters: bool,
) -> tuple[bool, str]:
    """A ``baseline`` test: the page is not blank, does not end in a loop and has no CJK/emoji.

    With ``max_length`` it is a blank-page test instead: at most ``max_length`` letters and
    digits (not counting Markdown image tags when ``max_length_skips_image_alt_tags``).
    """
    length = sum(1 for c in page if c.isalnum())
    if max_length is not None:
        if max_length_skips_image_alt_tags:
            length = sum(1 for c in _IMAGE_TAG.sub("", page) if c.isalnum())
        if length > max_length:
            return False, f"{length} characters were output for a page we expected to be blank"
        return True, ""
    if length == 0:
        return False, "The text contains no alpha numeric characters"
    for index, count in enumerate(repeated_ngrams(page)):
        if count > max_repeats:
            return False, f"Text ends with {count} repeating {index + 1}-grams, invalid"
    found = _DISALLOWED.findall(page)
    if check_disallowed_characters and found:
        return False, f"Text contains disallowed characters {found}"
    return True, ""
