"""Metrics: per-sample scores, registered by name with a version."""

from ._base import Metric, Score, build_metric, metrics, register_metric

__all__ = ["Metric", "Score", "build_metric", "metrics", "register_metric"]
