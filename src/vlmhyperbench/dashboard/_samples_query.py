"""The sample browser's query: filters, sorting and pagination done by the database.

Every filter is a WHERE clause and the sort an ORDER BY, on indexed columns but for the
text search (a LIKE over the run's rows), so a page of a 5,000-answer run costs two queries
in the database (the page and its count), never a scan in Python. A metric range or a sort by a metric joins the narrow ``sample_scores`` table
on ``(run_pk, metric)``; ties are broken by the sample's row id so pages are stable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from .db import Run, SampleRow, SampleScore

__all__ = ["Facets", "SampleFilters", "SamplePage", "facets", "query_samples"]


class SampleFilters(BaseModel):
    """The sample browser's query string; every field is optional."""

    model_config = ConfigDict(extra="ignore")

    doc_class: str = ""
    question_type: str = ""
    """The field asked for (``by_field``'s second key)."""
    split: str = ""
    metric: str = ""
    """The metric ``min``/``max`` apply to (and ``sort=metric`` sorts by)."""
    min: float | None = None
    """Keep samples whose ``metric`` score is at least this (inclusive)."""
    max: float | None = None
    """Keep samples whose ``metric`` score is at most this (inclusive)."""
    error: str = ""
    """``yes``, ``no``, or an error kind (``timeout``, ``http``, ``invalid``...)."""
    confusion: Literal["", "yes", "no", "homoglyph", "yo", "mixed"] = ""
    """``yes``: answers with a Latin/Cyrillic look-alike, an ё/е swap or a mixed-script word;
    ``no``: answers with none; or one kind."""
    q: str = ""
    """Text searched in the answer, the sample id and the error message; case-insensitive
    (for Latin letters only on SQLite, whose LIKE folds ASCII case only)."""
    sort: Literal["sample_id", "latency", "metric", "doc_class"] = "sample_id"
    order: Literal["asc", "desc"] = "asc"
    page: int = Field(default=1, ge=1)
    per_page: int = Field(default=50, ge=1, le=500)

    def query_string(self, **changes: Any) -> str:
        """This query with ``changes`` applied, as ``a=1&b=2`` (defaults left out)."""
        from urllib.parse import urlencode

        data = self.model_copy(update=changes).model_dump()
        defaults = SampleFilters().model_dump()
        return urlencode({k: v for k, v in data.items() if v is not None and v != defaults[k]})


@dataclass(frozen=True, slots=True)
class SamplePage:
    """One page of the filtered, sorted samples."""

    rows: list[tuple[SampleRow, float | None]]
    """Each row with its score on the chosen metric (None without one)."""
    total: int
    page: int
    pages: int


@dataclass(frozen=True, slots=True)
class Facets:
    """The values the filters offer for one run."""

    doc_classes: list[str]
    question_types: list[str]
    splits: list[str]
    error_kinds: list[str]
    metrics: list[str]


def _where(run: Run, f: SampleFilters) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [SampleRow.run_pk == run.id]
    for column, value in (
        (SampleRow.doc_class, f.doc_class),
        (SampleRow.question_type, f.question_type),
        (SampleRow.split, f.split),
    ):
        if value:
            clauses.append(column == value)
    if f.error == "yes":
        clauses.append(SampleRow.error_kind.is_not(None))
    elif f.error == "no":
        clauses.append(SampleRow.error_kind.is_(None))
    elif f.error:
        clauses.append(SampleRow.error_kind == f.error)
    counts = {"homoglyph": SampleRow.conf_homoglyph, "yo": SampleRow.conf_yo, "mixed": SampleRow.conf_mixed}
    if f.confusion in counts:
        clauses.append(counts[f.confusion] > 0)
    elif f.confusion == "yes":
        clauses.append(or_(*(c > 0 for c in counts.values())))
    elif f.confusion == "no":
        clauses.append(SampleRow.answer.is_not(None))
        clauses.extend(c == 0 for c in counts.values())
    if f.q:
        like = "%" + f.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append(
            or_(
                SampleRow.answer.ilike(like, escape="\\"),
                SampleRow.sample_id.ilike(like, escape="\\"),
                SampleRow.error_message.ilike(like, escape="\\"),
            )
        )
    return clauses


def query_samples(session: Session, run: Run, f: SampleFilters) -> SamplePage:
    """The page of ``run``'s samples that ``f`` selects, in its order."""
    score = SampleScore.value.label("score")
    on = (SampleScore.sample_pk == SampleRow.id) & (SampleScore.metric == f.metric)
    ranged = f.metric and (f.min is not None or f.max is not None)
    stmt = select(SampleRow, score)
    stmt = stmt.join(SampleScore, on) if ranged else stmt.outerjoin(SampleScore, on)
    where = _where(run, f)
    if ranged and f.min is not None:
        where.append(SampleScore.value >= f.min)
    if ranged and f.max is not None:
        where.append(SampleScore.value <= f.max)
    stmt = stmt.where(*where)
    total = session.scalar(select(func.count()).select_from(stmt.with_only_columns(SampleRow.id).subquery()))
    keys = {
        "sample_id": SampleRow.sample_id,
        "latency": SampleRow.latency_s,
        "doc_class": SampleRow.doc_class,
        "metric": SampleScore.value if f.metric else SampleRow.sample_id,
    }
    key = keys[f.sort]
    ordered = key.desc().nulls_last() if f.order == "desc" else key.asc().nulls_last()
    tiebreak = SampleRow.id.desc() if f.order == "desc" else SampleRow.id.asc()
    pages = max(1, -(-(total or 0) // f.per_page))
    page = min(f.page, pages)
    rows = session.execute(stmt.order_by(ordered, tiebreak).limit(f.per_page).offset((page - 1) * f.per_page))
    return SamplePage([(r[0], r[1]) for r in rows], total or 0, page, pages)


def facets(session: Session, run: Run) -> Facets:
    """Distinct doc classes, fields, splits, error kinds and metrics of ``run``'s samples."""

    def values(column: Any) -> list[str]:
        stmt = select(column).distinct().where(SampleRow.run_pk == run.id, column.is_not(None), column != "")
        return sorted(session.scalars(stmt))

    metrics = session.scalars(select(SampleScore.metric).distinct().where(SampleScore.run_pk == run.id))
    return Facets(
        doc_classes=values(SampleRow.doc_class),
        question_types=values(SampleRow.question_type),
        splits=values(SampleRow.split),
        error_kinds=values(SampleRow.error_kind),
        metrics=sorted(metrics),
    )
