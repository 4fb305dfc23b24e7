"""Metrics: per-sample scores, registered by name with a version."""

from ._base import Answered, CorpusValue, Metric, Score, build_metric, metrics, register_metric

__all__ = ["Answered", "CorpusValue", "Metric", "Score", "build_metric", "metrics", "register_metric"]
