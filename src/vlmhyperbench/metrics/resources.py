"""Resource metrics read from each answer's record: latency, TTFT, TPOT, speed, VRAM.

They score how an answer was produced, not what it says, so they read the
`AnswerRecord` (``timings``, ``usage``, ``extra.performance``) instead of the text.
Answers without the figure (a failed request, an answers CSV without timings, a
backend that does not stream) and answers served from a cache (``extra.cached``: the
Tesseract baseline reuses a page's OCR) have no value and are left out of the mean; the
report says how many were scored. Definitions (see docs/metrics.md):

- ``latency_s``: from just before the request was sent to the last byte of the answer.
- ``ttft_s``: from the send to the first content token (streaming backends only).
- ``tpot_s``: (latency − TTFT) / (output tokens − 1).
- ``output_tokens_per_s``: (output tokens − 1) / (latency − TTFT), the decode speed.
- ``peak_vram_gb``: peak GPU memory of the request as the serving API Wrapper reports it
  (``extra.performance.peak_vram_bytes``), in GiB.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..core import AnswerRecord, Sample
from ._base import Answered, Metric, Score, register_metric

__all__ = ["ResourceMetric"]


class ResourceMetric(Metric):
    """Base of metrics computed from an `AnswerRecord` instead of the answer text."""

    def score(self, answer: str, sample: Sample) -> Score:
        """Not defined: a text alone carries no timing. Evaluation calls `score_answers`."""
        raise TypeError(f"metric '{self.name}' scores answer records, not text: call score_answers()")

    def score_answers(self, answers: Sequence[Answered], samples: Sequence[Sample]) -> list[Score]:
        return [self.score_record(a.record, sample) for a, sample in zip(answers, samples)]

    def score_record(self, record: AnswerRecord | None, sample: Sample) -> Score:
        """The figure for one answer, or no value when the record does not carry it or the
        answer came from a cache (``extra.cached``: its time is not the model's)."""
        if record is not None and record.extra.get("cached"):
            return Score(None, invalid="served from a cache: not a measured time")
        value = self.read(record) if record is not None and record.ok else None
        return Score(None, invalid="not measured") if value is None else Score(float(value))

    def read(self, record: AnswerRecord) -> float | None:
        """Pick the figure out of a successful record."""
        raise NotImplementedError


def _timing(record: AnswerRecord, name: str) -> Any:
    return getattr(record.timings, name) if record.timings is not None else None


@register_metric("latency_s", version="1.0.0", higher_is_better=False)
class Latency(ResourceMetric):
    """End-to-end latency of the request, seconds."""

    def read(self, record: AnswerRecord) -> float | None:
        return _timing(record, "latency_s")  # type: ignore[no-any-return]


@register_metric("ttft_s", version="1.0.0", higher_is_better=False)
class TimeToFirstToken(ResourceMetric):
    """Time to the first content token, seconds (streaming only)."""

    def read(self, record: AnswerRecord) -> float | None:
        return _timing(record, "ttft_s")  # type: ignore[no-any-return]


@register_metric("tpot_s", version="1.0.0", higher_is_better=False)
class TimePerOutputToken(ResourceMetric):
    """Mean time per output token after the first, seconds."""

    def read(self, record: AnswerRecord) -> float | None:
        return _timing(record, "tpot_s")  # type: ignore[no-any-return]


@register_metric("output_tokens_per_s", version="1.0.0", higher_is_better=True)
class OutputTokensPerSecond(ResourceMetric):
    """Decode speed of the request, output tokens per second."""

    def read(self, record: AnswerRecord) -> float | None:
        return _timing(record, "output_tokens_per_s")  # type: ignore[no-any-return]


@register_metric("peak_vram_gb", version="1.0.0", higher_is_better=False)
class PeakVram(ResourceMetric):
    """Peak GPU memory during the request (GiB), when the server reports it."""

    def read(self, record: AnswerRecord) -> float | None:
        performance = record.extra.get("performance")
        peak = performance.get("peak_vram_bytes") if isinstance(performance, dict) else None
        return float(peak) / 2**30 if isinstance(peak, (int, float)) else None
