"""Aggregators: by_id, by_field, by_doc_class, general, by_split (and plugins)."""

from ._base import Aggregator, ScoredSample, aggregators, summarise
from .builtin import ALIASES, canonical_aggregator

__all__ = [
    "ALIASES",
    "DEFAULT_AGGREGATORS",
    "Aggregator",
    "ScoredSample",
    "aggregators",
    "canonical_aggregator",
    "summarise",
]

DEFAULT_AGGREGATORS = ("by_id", "by_field", "by_doc_class", "general")
"""What evaluation aggregates by when nobody says otherwise (config, CLI, API)."""
