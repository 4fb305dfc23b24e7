"""Metrics: per-sample scores, registered by name with a version."""

from ._base import CorpusValue, Metric, Score, build_metric, metrics, register_metric

__all__ = ["CorpusValue", "Metric", "Score", "build_metric", "metrics", "register_metric"]
