"""Public benchmark presets (``benchmark: docvqa``; ``vlmhb benchmarks list``)."""

from ._base import (
    Benchmark,
    CountCorrect,
    HeadlineRule,
    HeadlineWithInterval,
    Mean,
    MeanOfCapabilities,
    MeanOfGroups,
    MeanOverGroups,
    Pooled,
    benchmarks,
    register_benchmark,
)

__all__ = [
    "Benchmark",
    "CountCorrect",
    "HeadlineRule",
    "HeadlineWithInterval",
    "Mean",
    "MeanOfCapabilities",
    "MeanOfGroups",
    "MeanOverGroups",
    "Pooled",
    "benchmarks",
    "register_benchmark",
]
