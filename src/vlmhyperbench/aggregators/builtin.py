"""The built-in aggregators: by_id, by_field, by_doc_class, general."""

from __future__ import annotations

from collections.abc import Iterator

from ..metrics import Score
from ._base import Aggregator, ScoredSample, aggregators

__all__ = ["ALIASES", "canonical_aggregator"]


def _register(agg: Aggregator) -> None:
    aggregators.register(agg.name, version="1", description=agg.description)(agg)


def _per_field(row: ScoredSample) -> Iterator[tuple[dict[str, str], ScoredSample]]:
    """One row per KIE field, for metrics that score fields one by one (``field_f1``...)."""
    by_field: dict[str, dict[str, Score]] = {}
    for name, score in row.scores.items():
        fields = (score.detail or {}).get("fields")
        if isinstance(fields, dict):
            for key, value in fields.items():
                by_field.setdefault(str(key), {})[name] = Score(None if value is None else float(value))
    for key, scores in by_field.items():
        group = {"doc_class": row.sample.doc_class, "question_type": f"{row.sample.question_type}.{key}"}
        yield group, ScoredSample(row.sample, scores, row.answer, row.error, row.invalid)


_register(Aggregator("by_id", lambda s: {"sample_id": s.id}, "one row per sample"))
_register(
    Aggregator(
        "by_field",
        lambda s: {"doc_class": s.doc_class, "question_type": s.question_type},
        "one row per (doc_class, question_type); KIE fields as '<question_type>.<field>'",
        expand=_per_field,
    )
)
_register(
    Aggregator("by_doc_class", lambda s: {"doc_class": s.doc_class}, "one row per doc_class", with_ci=True)
)
_register(Aggregator("general", lambda s: {}, "one row over all samples", with_ci=True))

ALIASES = {"by_doc_question": "by_field", "by_doc_type": "by_doc_class"}
"""Prototype aggregator names and the ones they mean here."""


def canonical_aggregator(name: str) -> str:
    """Map a prototype name (``by_doc_question``...) to ours."""
    return ALIASES.get(name, name)
