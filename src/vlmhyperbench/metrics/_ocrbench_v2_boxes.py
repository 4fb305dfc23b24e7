"""OCRBench v2's boxes: text grounding (IoU) and text spotting (end-to-end F-score).

Coordinates are integers on a 0-1000 grid. Official: Yuliang-Liu/MultimodalOCR
``OCRBench_v2/eval_scripts/IoUscore_metric.py`` (``extract_coordinates``,
``calculate_iou``) and ``spotting_metric.py``, which writes the boxes to the ICDAR
Robust Reading Competition's end-to-end script (``spotting_eval/script.py``, version
1.1: IoU > 0.5, transcriptions equal ignoring case and one special character at either
end of the ground truth, ``###`` as don't-care) and returns its overall hmean. Every box
there is an axis-aligned rectangle, so the polygon areas of the script's ``Polygon3``
are rectangle areas here; the lines the script would read are built and parsed the
same way (``x1,y1,x2,y1,x2,y2,x1,y2,text``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from typing import Any, NamedTuple

__all__ = ["SpottedWord", "box_iou", "last_box", "spotted_words", "spotting_hmean"]

_BOX = re.compile(r"[\(\[]\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*[\)\]]")
_ITEM = re.compile(r"[\[\(]\s*([^\[\]\(\)]*?)\s*[\]\)]")
_LINE = re.compile(r"^\s*" + r"(-?[0-9]+)\s*,\s*" * 7 + r"(-?[0-9]+)\s*,(.*)$")
_QUOTED = re.compile(r"^\s*\"(.*)\"\s*$")
_SPECIAL = "!?.:,*\"()·[]/'"


class SpottedWord(NamedTuple):
    """One box and its text, as the spotting script reads it from a line."""

    x1: int
    y1: int
    x2: int
    y2: int
    text: str


def last_box(text: str) -> list[int] | None:
    """``extract_coordinates``: the last ``(x1, y1, x2, y2)`` or ``[...]`` in ``text`` whose
    four numbers are within 0-1000."""
    found = None
    for match in _BOX.finditer(text):
        box = [int(g) for g in match.groups()]
        if all(0 <= n <= 1000 for n in box):
            found = box
    return found


def box_iou(box1: Any, box2: Any) -> float:
    """``calculate_iou``: IoU of two ``[x1, y1, x2, y2]`` boxes after ``int()`` of each
    coordinate; 0 when a coordinate is not an integer or the union is 0."""
    try:
        a = [int(c) for c in box1]
        b = [int(c) for c in box2]
    except Exception:  # noqa: BLE001 (the official code catches everything here)
        return 0
    inter = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union != 0 else 0


def spotted_words(text: str) -> list[SpottedWord] | None:
    """``extract_bounding_boxes_robust``: ``[x1, y1, x2, y2, text]`` items of an answer (a
    Python literal list, else every bracketed group), within 0-1000, without repeats."""
    try:
        data = ast.literal_eval(text)
    except Exception:  # noqa: BLE001 (as the official code)
        data = None
    if data is not None:
        items = [
            [str(v).strip() for v in item[:4]] + [str(item[4])]
            for item in (data if isinstance(data, list | tuple) else [])
            if isinstance(item, list | tuple) and len(item) >= 5
        ]
    else:
        items = [parts for group in _ITEM.findall(text) if len(parts := group.split(",", 4)) == 5]
        items = [[v.strip() for v in parts[:4]] + [parts[4]] for parts in items]
        if not _ITEM.search(text):
            return None
    words: list[SpottedWord] = []
    for *coords, content in items:
        try:
            box = [int(v) for v in coords]
        except ValueError:
            continue
        text_content = content.replace("\n", "").strip().strip('"').strip("'")
        word = SpottedWord(box[0], box[1], box[2], box[3], text_content)
        if all(0 <= n <= 1000 for n in box) and word not in words:
            words.append(word)
    return words or None


def _lines(words: Sequence[SpottedWord]) -> list[SpottedWord]:
    """The words as the script reads them back from ``x1,y1,x2,y1,x2,y2,x1,y2,text`` lines.

    Raises:
        ValueError: a line the script rejects (a coordinate that is not an integer).
    """
    text = "\n".join(
        ",".join([*map(str, (w.x1, w.y1, w.x2, w.y1, w.x2, w.y2, w.x1, w.y2)), w.text]) for w in words
    )
    out = []
    for raw in text.split("\n"):
        line = raw.replace("\r", "")
        if not line:
            continue
        match = _LINE.match(line)
        if match is None:
            raise ValueError(f"the spotting script rejects the line {line[:60]!r}")
        values = [int(g) for g in match.groups()[:8]]
        transcription = match.group(9)
        quoted = _QUOTED.match(transcription)
        if quoted is not None:
            transcription = quoted.group(1).replace("\\\\", "\\").replace('\\"', '"')
        out.append(SpottedWord(values[0], values[1], values[4], values[5], transcription))
    return out


def _same_text(gt: str, det: str) -> bool:
    """``transcription_match``: equal, or equal once one special character is dropped
    from the start, the end or both ends of the ground truth."""
    if gt == det:
        return True
    first, last = gt[0] in _SPECIAL, gt[-1] in _SPECIAL
    return (first and gt[1:] == det) or (last and gt[:-1] == det) or (first and last and gt[1:-1] == det)


def _area(w: SpottedWord) -> int:
    return (w.x2 - w.x1) * (w.y2 - w.y1)


def _overlap(a: SpottedWord, b: SpottedWord) -> int:
    return max(0, min(a.x2, b.x2) - max(a.x1, b.x1)) * max(0, min(a.y2, b.y2) - max(a.y1, b.y1))


def spotting_hmean(predicted: Sequence[SpottedWord], boxes: Sequence[Any], texts: Sequence[Any]) -> float:
    """``spotting_evaluation``: the end-to-end hmean of one image.

    ``boxes`` are the ground-truth quadrilaterals (8 numbers, reduced to their bounding
    rectangle) and ``texts`` their transcriptions.
    """
    det_words = [w for w in predicted if w.x1 < w.x2 and w.y1 < w.y2]
    gt_words = []
    for box, text in zip(boxes, texts):
        xs, ys = box[0::2], box[1::2]
        gt_words.append(SpottedWord(min(xs), min(ys), max(xs), max(ys), text))
    if not det_words or not gt_words:
        return 0
    gts, dets = _lines(gt_words), _lines(det_words)
    dont_care = {g for g, w in enumerate(gts) if w.text == "###"}
    det_dont_care = {
        d
        for d, w in enumerate(dets)
        if any(_area(w) and _overlap(gts[g], w) / _area(w) > 0.5 for g in dont_care)
    }
    gt_matched, det_matched, correct = set(), set(), 0
    for g, gw in enumerate(gts):
        for d, dw in enumerate(dets):
            if g in gt_matched or d in det_matched or g in dont_care or d in det_dont_care:
                continue
            inter = _overlap(gw, dw)
            union = _area(gw) + _area(dw) - inter
            if union and inter / union > 0.5:
                gt_matched.add(g)
                det_matched.add(d)
                correct += _same_text(gw.text.upper(), dw.text.upper())
    care_gt, care_det = len(gts) - len(dont_care), len(dets) - len(det_dont_care)
    recall = 0 if care_gt == 0 else correct / care_gt
    precision = 0 if care_det == 0 else correct / care_det
    return 0 if recall + precision == 0 else 2 * recall * precision / (recall + precision)
