"""The built-in aggregators: by_id, by_field, by_doc_class, general."""

from __future__ import annotations

from ._base import Aggregator, aggregators


def _register(agg: Aggregator) -> None:
    aggregators.register(agg.name, version="1", description=agg.description)(agg)


_register(Aggregator("by_id", lambda s: {"sample_id": s.id}, "one row per sample"))
_register(
    Aggregator(
        "by_field",
        lambda s: {"doc_class": s.doc_class, "question_type": s.question_type},
        "one row per (doc_class, question_type)",
    )
)
_register(Aggregator("by_doc_class", lambda s: {"doc_class": s.doc_class}, "one row per doc_class"))
_register(Aggregator("general", lambda s: {}, "one row over all samples"))

ALIASES = {"by_doc_question": "by_field", "by_doc_type": "by_doc_class"}
"""Prototype aggregator names and the ones they mean here."""


def canonical_aggregator(name: str) -> str:
    """Map a prototype name (``by_doc_question``...) to ours."""
    return ALIASES.get(name, name)


__all__ = ["ALIASES", "canonical_aggregator"]
