"""Character-level diff of an answer against its best reference, as safe HTML.

The alignment is rapidfuzz's ``Levenshtein.opcodes`` (reference → answer): a minimal
edit script, the same edit distance the text metrics (CER, ANLS, NED) count, so what
the page marks is what the score charged. The standard library's ``difflib`` was not
used: its ``SequenceMatcher`` aligns longest common blocks rather than minimal edits,
and on texts over 200 characters its "autojunk" heuristic drops frequent characters
(spaces, ``о``, ``е``), so its diff of a full page would not match the metric.

The best reference is the one at the smallest normalised Levenshtein distance from the
raw answer (the first on ties). Each replaced character that is a Cyrillic/Latin
look-alike or an ё/е swap is marked as such (`_confusions`), and words of the answer
mixing scripts are marked wherever they appear in the diff.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from markupsafe import Markup, escape
from rapidfuzz.distance import Editops, Levenshtein, Opcodes

from ._confusions import ConfusionCounts, ConfusionKind, confusion_of, describe_pair, mixed_script_words

__all__ = [
    "AnswerDiff",
    "DiffOp",
    "DiffSegment",
    "best_reference",
    "char_diff",
    "count_confusions",
    "diff_answer",
    "render_diff",
]

DiffOp = Literal["equal", "insert", "delete", "replace"]
"""``insert``: in the answer only; ``delete``: in the reference only; ``replace``: both differ."""


@dataclass(frozen=True, slots=True)
class DiffSegment:
    """A run of characters with one edit operation (reference → answer)."""

    op: DiffOp
    reference: str
    """The reference's characters ("" for an insert)."""
    answer: str
    """The answer's characters ("" for a delete)."""
    confusion: ConfusionKind | None = None
    """For a replace: every character pair of the segment is this confusion."""
    mixed: bool = False
    """The answer's characters belong to a word mixing Cyrillic and Latin letters."""


@dataclass(frozen=True, slots=True)
class AnswerDiff:
    """An answer's diff against its best reference, and its confusions."""

    reference: str | None
    """The best reference; None when the sample has none."""
    reference_index: int | None
    segments: list[DiffSegment] = field(default_factory=list)
    confusions: ConfusionCounts = field(default_factory=ConfusionCounts)

    @property
    def html(self) -> Markup:
        """The diff rendered by `render_diff`."""
        return render_diff(self.segments)


_OPS: dict[str, DiffOp] = {"equal": "equal", "insert": "insert", "delete": "delete", "replace": "replace"}


def best_reference(answer: str, references: Sequence[str]) -> int | None:
    """Index of the reference nearest to ``answer`` (normalised Levenshtein); None without one."""
    if not references:
        return None
    distances = [Levenshtein.normalized_distance(answer, r) for r in references]
    return distances.index(min(distances))


def _pairs(reference: str, answer: str) -> list[DiffSegment]:
    """A replace block split into runs of the same confusion (rapidfuzz gives equal lengths)."""
    out: list[DiffSegment] = []
    for r, a in zip(reference, answer):
        kind = confusion_of(r, a)
        last = out[-1] if out else None
        if last is not None and last.confusion == kind and kind is None:
            out[-1] = DiffSegment("replace", last.reference + r, last.answer + a)
        else:
            out.append(DiffSegment("replace", r, a, kind))
    n = min(len(reference), len(answer))
    if len(reference) > n:
        out.append(DiffSegment("delete", reference[n:], ""))
    if len(answer) > n:
        out.append(DiffSegment("insert", "", answer[n:]))
    return out


def _split_mixed(seg: DiffSegment, start: int, mask: bytearray) -> list[DiffSegment]:
    """Cut a segment whose answer text starts at ``start`` where ``mask`` (1: inside a
    mixed-script word) changes."""
    window = mask[start : start + len(seg.answer)]
    if not any(window):
        return [seg]
    out, lo = [], 0
    for hi in range(1, len(window) + 1):
        if hi == len(window) or window[hi] != window[lo]:
            ref = seg.reference[lo:hi] if seg.op in ("equal", "replace") else ""
            out.append(DiffSegment(seg.op, ref, seg.answer[lo:hi], seg.confusion, bool(window[lo])))
            lo = hi
    return out


def _segments(answer: str, reference: str, ops: Opcodes, spans: list[tuple[int, int]]) -> list[DiffSegment]:
    mask = bytearray(len(answer))
    for lo, hi in spans:
        mask[lo:hi] = b"\x01" * (hi - lo)
    segments: list[DiffSegment] = []
    for op in ops:
        ref, ans = reference[op.src_start : op.src_end], answer[op.dest_start : op.dest_end]
        parts = _pairs(ref, ans) if op.tag == "replace" else [DiffSegment(_OPS[op.tag], ref, ans)]
        start = op.dest_start
        for part in parts:
            segments += _split_mixed(part, start, mask)
            start += len(part.answer)
    return segments


def _counts(answer: str, reference: str, edits: Editops, spans: list[tuple[int, int]]) -> ConfusionCounts:
    """The confusions of the substitutions in ``edits``, and the mixed-script words."""
    kinds = [confusion_of(reference[e.src_pos], answer[e.dest_pos]) for e in edits if e.tag == "replace"]
    return ConfusionCounts(kinds.count("homoglyph"), kinds.count("yo"), len(spans))


def char_diff(answer: str, reference: str) -> list[DiffSegment]:
    """The segments of the minimal edit script turning ``reference`` into ``answer``."""
    return _segments(answer, reference, Levenshtein.opcodes(reference, answer), mixed_script_words(answer))


def count_confusions(answer: str | None, references: Sequence[str]) -> ConfusionCounts:
    """The confusions of ``answer`` against its best reference, without building the diff:
    what `diff_answer` counts, at the cost of the alignment alone (for a whole run)."""
    if answer is None:
        return ConfusionCounts()
    index = best_reference(answer, references)
    spans = mixed_script_words(answer)
    if index is None:
        return ConfusionCounts(mixed_script=len(spans))
    reference = references[index]
    return _counts(answer, reference, Levenshtein.editops(reference, answer), spans)


def diff_answer(answer: str | None, references: Sequence[str]) -> AnswerDiff:
    """Diff ``answer`` against its best reference and count its confusions.

    A failed request (``answer`` None) has no diff and no confusions; a sample without
    references still has its mixed-script words counted.
    """
    if answer is None:
        return AnswerDiff(None, None)
    index = best_reference(answer, references)
    spans = mixed_script_words(answer)
    if index is None:
        return AnswerDiff(
            None, None, [DiffSegment("insert", "", answer)], ConfusionCounts(mixed_script=len(spans))
        )
    reference = references[index]
    ops = Levenshtein.opcodes(reference, answer)
    segments = _segments(answer, reference, ops, spans)
    return AnswerDiff(reference, index, segments, _counts(answer, reference, ops.as_editops(), spans))


_VISIBLE = str.maketrans({" ": "␣", "\n": "↵\n", "\t": "⇥"})
"""Inserted or deleted whitespace is shown, or the mark would be empty."""


def _show(text: str) -> Markup:
    return escape(text.translate(_VISIBLE))


def render_diff(segments: Sequence[DiffSegment]) -> Markup:
    """HTML of the diff: ``<del>`` reference-only text, ``<ins>`` answer-only text, a
    ``d-sub`` span for a substitution (``d-homoglyph``/``d-yo`` when it is a confusion,
    with a tooltip naming both characters), ``d-mixed`` on mixed-script words. Every text
    is escaped; lay it out with ``white-space: pre-wrap``."""
    parts: list[str] = []
    for s in segments:
        mixed = " d-mixed" if s.mixed else ""
        title = ' title="word mixing Cyrillic and Latin letters"' if s.mixed else ""
        if s.op == "equal":
            parts.append(
                f'<span class="d-eq{mixed}"{title}>{escape(s.answer)}</span>' if mixed else escape(s.answer)
            )
        elif s.op == "delete":
            parts.append(f'<del class="d-del" title="missing from the answer">{_show(s.reference)}</del>')
        elif s.op == "insert":
            parts.append(f'<ins class="d-ins{mixed}" title="not in the reference">{_show(s.answer)}</ins>')
        else:
            kind = f" d-{s.confusion}" if s.confusion else ""
            tip = escape(describe_pair(s.reference, s.answer)) if s.confusion else "substituted"
            parts.append(
                f'<span class="d-sub{kind}{mixed}" title="{tip}"><del>{_show(s.reference)}</del>'
                f"<ins>{_show(s.answer)}</ins></span>"
            )
    return Markup("".join(parts))
