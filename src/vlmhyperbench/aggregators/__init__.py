"""Aggregators: by_id, by_field, by_doc_class, general (and plugins)."""

from ._base import Aggregator, ScoredSample, aggregators, summarise
from .builtin import ALIASES, canonical_aggregator

__all__ = ["ALIASES", "Aggregator", "ScoredSample", "aggregators", "canonical_aggregator", "summarise"]
