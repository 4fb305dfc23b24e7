"""The built-in aggregators: by_id, by_field, by_doc_class, general, by_split, by_page_attribute."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from ..core import SourceLocation
from ..metrics import Score
from ._base import Aggregator, ScoredSample, aggregators

__all__ = ["ALIASES", "LEGACY_ALIASES", "canonical_aggregator", "page_attribute_groups"]

logger = logging.getLogger(__name__)


def _register(agg: Aggregator) -> None:
    aggregators.register(agg.name, version="1", description=agg.description)(agg)


def _per_field(row: ScoredSample) -> Iterator[tuple[dict[str, str], ScoredSample]]:
    """One row per KIE field, for metrics that score fields one by one (``field_f1``...).

    A field's score carries the metric's counts for that field (``detail["field_counts"]``),
    so a pooled metric's corpus value of the row is that field's own (micro F1 of it).
    """
    by_field: dict[str, dict[str, Score]] = {}
    for name, score in row.scores.items():
        fields = (score.detail or {}).get("fields")
        counts = (score.detail or {}).get("field_counts") or {}
        if isinstance(fields, dict):
            for key, value in fields.items():
                part = Score(None if value is None else float(value), detail=counts.get(key))
                by_field.setdefault(str(key), {})[name] = part
    for key, scores in by_field.items():
        group = {"doc_class": row.sample.doc_class, "question_type": f"{row.sample.question_type}.{key}"}
        yield group, ScoredSample(row.sample, scores, row.answer, row.error, row.invalid)


def page_attribute_groups(attributes: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """The groups of a page by its attributes: (attribute, value, official group name).

    As OmniDocBench's ``get_page_split`` (metrics/show_result.py): a value is its ``str``
    and the group is named ``"attribute: value"`` (``watermark: False``); a list value (the
    older ``special_issue`` tags) gives one group per tag, named by the tag alone, except
    tags naming a table, which that code leaves out as duplicates.
    """
    groups: list[tuple[str, str, str]] = []
    for name, value in attributes.items():
        if isinstance(value, list):
            groups.extend((str(name), str(tag), str(tag)) for tag in value if "table" not in str(tag))
        else:
            groups.append((str(name), str(value), f"{name}: {value}"))
    return groups


def _per_page_attribute(row: ScoredSample) -> Iterator[tuple[dict[str, str], ScoredSample]]:
    """One row per page attribute of the sample (``metadata["page_attribute"]``), grouped as
    `page_attribute_groups`: a page-level metric's mean over a group is then the official
    page-averaged figure of that attribute value."""
    attributes = row.sample.metadata.get("page_attribute")
    if not isinstance(attributes, dict):
        return
    for name, value, _ in page_attribute_groups(attributes):
        yield {"attribute": name, "value": value}, row


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
_register(
    Aggregator(
        "by_split",
        lambda s: {"split": s.split},
        "one row per split, in the dataset's order (the demo: clean to photo-3, a robustness curve)",
        with_ci=True,
    )
)

_register(
    Aggregator(
        "by_page_attribute",
        lambda s: {"attribute": "ALL", "value": ""},
        "one row per (page attribute, value) of metadata['page_attribute'] (OmniDocBench, MDPBench: "
        "data_source, language, layout...), after an 'ALL' row of every page",
        with_ci=True,
        expand=_per_page_attribute,
    )
)

ALIASES = {"by_doc_question": "by_field", "by_doc_type": "by_doc_class"}
"""Prototype aggregator names and the ones they mean here."""
LEGACY_ALIASES = {"overall": "general"}
"""Names of early prototype configs (its evaluator skipped them): accepted with a warning."""


def canonical_aggregator(name: str, where: SourceLocation | None = None) -> str:
    """Map a prototype name (``by_doc_question``...) to ours; a legacy one warns at ``where``."""
    if name in LEGACY_ALIASES:
        logger.warning(
            "%s: aggregator '%s' is read as '%s'; write '%s' (the prototype ignored '%s')",
            where or SourceLocation(key="aggregators"),
            name,
            LEGACY_ALIASES[name],
            LEGACY_ALIASES[name],
            name,
        )
        return LEGACY_ALIASES[name]
    return ALIASES.get(name, name)
