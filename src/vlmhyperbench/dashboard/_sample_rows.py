"""Writing a run's samples into the index: rows from answers and scores, counts, speed.

Bulk statements in SQLAlchemy Core (not the ORM unit of work): 5,000 rows cost
milliseconds, not seconds. New rows go in by one executemany INSERT on SQLite and by COPY on
PostgreSQL (psycopg's executemany sends a statement per row: a full index took 2.2 times
SQLite's time), with their confusion counts computed beforehand, not by a later UPDATE.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, cast

from sqlalchemy import JSON, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from ..reports import distribution
from . import _ingest
from ._diff import count_confusions
from ._progress import answers_per_s
from .db import Run, SampleRow, SampleScore

__all__ = [
    "count_answers",
    "existing_samples",
    "forget_samples",
    "read_samples",
    "speed_figures",
    "write_samples",
]


def forget_samples(session: Session, run: Run) -> None:
    session.execute(delete(SampleScore).where(SampleScore.run_pk == run.id))
    session.execute(delete(SampleRow).where(SampleRow.run_pk == run.id))
    run.indexed_offset = run.n_lines = run.answers_size = 0
    run.samples_mtime = 0.0


def existing_samples(session: Session, run: Run) -> dict[str, tuple[int, bool]]:
    """Sample id → (row id, whether it has an answer) of the run's indexed samples."""
    query = select(SampleRow.sample_id, SampleRow.id, SampleRow.answer.is_not(None))
    return {sid: (pk, ok) for sid, pk, ok in session.execute(query.where(SampleRow.run_pk == run.id))}


def read_samples(path: Path) -> dict[str, dict[str, Any]]:
    """Each scored sample's `SampleRow` columns (metrics/samples.jsonl or metrics_by_id.csv)."""
    if not path.exists():
        return {}
    if path.suffix == ".jsonl":
        return _ingest.read_scored_samples(path)
    by_id = _ingest.read_by_id_scores(path)
    return {sid: {"scores": s, "evaluated": True, "ordinal": i} for i, (sid, s) in enumerate(by_id.items())}


_SAMPLE_DEFAULTS: dict[str, Any] = {
    "doc_class": "",
    "question_type": "",
    "split": "",
    "task": "",
    "answer": None,
    "references": [],
    "error_kind": None,
    "error_message": None,
    "started_at": None,
    "latency_s": None,
    "ttft_s": None,
    "output_tokens_per_s": None,
    "output_tokens": None,
    "cached": False,
    "attempts": 1,
    "line_offset": 0,
    "scores": {},
    "evaluated": False,
    "ordinal": None,
    "conf_homoglyph": 0,
    "conf_yo": 0,
    "conf_mixed": 0,
}


def write_samples(
    session: Session,
    run: Run,
    existing: dict[str, tuple[int, bool]],
    answer_rows: dict[str, dict[str, Any]],
    sample_rows: dict[str, dict[str, Any]] | None,
) -> None:
    """Insert new samples and update known ones in a few executemany statements (Core, not
    the ORM unit of work: 5,000 rows take milliseconds, not seconds)."""
    table = cast(Table, SampleRow.__table__)
    scored = sample_rows or {}
    new = [sid for sid in {**answer_rows, **scored} if sid not in existing]
    if new:
        rows = [
            _with_confusions(
                {
                    **_SAMPLE_DEFAULTS,
                    "run_pk": run.id,
                    "sample_id": sid,
                    **answer_rows.get(sid, {}),
                    **scored.get(sid, {}),
                }
            )
            for sid in new
        ]
        _insert(session, table, rows)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for sid in existing.keys() & (answer_rows.keys() | scored.keys()):
        values = {**answer_rows.get(sid, {}), **scored.get(sid, {})}
        groups[tuple(sorted(values))].append(
            {"_pk": existing[sid][0], **{f"v_{k}": v for k, v in values.items()}}
        )
    for keys, rows in groups.items():
        stmt = (
            update(table).where(table.c.id == bindparam("_pk")).values({k: bindparam(f"v_{k}") for k in keys})
        )
        session.execute(stmt, rows)
    _count_confusions(session, run, (answer_rows.keys() | scored.keys()) & existing.keys())
    if sample_rows is None:
        return
    session.execute(delete(SampleScore).where(SampleScore.run_pk == run.id))
    pks = dict(
        session.execute(select(SampleRow.sample_id, SampleRow.id).where(SampleRow.run_pk == run.id)).all()
    )
    scores = [
        {"sample_pk": pks[sid], "run_pk": run.id, "metric": metric, "value": value}
        for sid, fields in sample_rows.items()
        for metric, value in fields["scores"].items()
    ]
    if scores:
        _insert(session, cast(Table, SampleScore.__table__), scores)


def _with_confusions(row: dict[str, Any]) -> dict[str, Any]:
    counts = count_confusions(row["answer"], row["references"] or [])
    return {
        **row,
        "conf_homoglyph": counts.homoglyph,
        "conf_yo": counts.yo,
        "conf_mixed": counts.mixed_script,
    }


def _insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (each with the same keys): COPY on PostgreSQL, else an executemany INSERT."""
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    from psycopg import sql
    from psycopg.types.json import Json

    columns = list(rows[0])
    json_columns = {c for c in columns if isinstance(table.c[c].type, JSON)}
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    driver = session.connection().connection.driver_connection  # the session's transaction
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([Json(row[c]) if c in json_columns else row[c] for c in columns])


def _count_confusions(session: Session, run: Run, changed: set[str]) -> None:
    """Set the confusion counts of the samples whose answer or references may have changed."""
    if not changed:
        return
    table = cast(Table, SampleRow.__table__)
    stmt = select(table.c.id, table.c.sample_id, table.c.answer, table.c.references).where(
        table.c.run_pk == run.id
    )
    rows = []
    for pk, sid, answer, references in session.execute(stmt):
        if sid in changed:
            counts = count_confusions(answer, references or [])
            rows.append({"_pk": pk, "h": counts.homoglyph, "y": counts.yo, "m": counts.mixed_script})
    if rows:
        values: dict[str, Any] = {
            "conf_homoglyph": bindparam("h"),
            "conf_yo": bindparam("y"),
            "conf_mixed": bindparam("m"),
        }
        session.execute(update(table).where(table.c.id == bindparam("_pk")).values(values), rows)


def count_answers(session: Session, run: Run) -> None:
    answered = SampleRow.answer.is_not(None)
    counts = dict(
        session.execute(
            select(answered, func.count()).where(SampleRow.run_pk == run.id).group_by(answered)
        ).all()
    )
    run.n_answers = int(counts.get(True, 0))
    run.n_errors = int(
        session.scalar(
            select(func.count()).where(
                SampleRow.run_pk == run.id, SampleRow.answer.is_(None), SampleRow.error_kind.is_not(None)
            )
        )
        or 0
    )


def speed_figures(session: Session, run: Run) -> None:
    rows = session.execute(
        select(
            SampleRow.started_at, SampleRow.latency_s, SampleRow.ttft_s, SampleRow.output_tokens_per_s
        ).where(SampleRow.run_pk == run.id, SampleRow.answer.is_not(None), SampleRow.cached.is_(False))
    ).all()
    run.n_cached = (
        session.scalar(select(func.count()).where(SampleRow.run_pk == run.id, SampleRow.cached.is_(True)))
        or 0
    )
    latency = distribution(r.latency_s for r in rows)
    ttft = distribution(r.ttft_s for r in rows)
    tps = distribution(r.output_tokens_per_s for r in rows)
    run.latency_p50_s = latency.p50 if latency else None
    run.latency_p95_s = latency.p95 if latency else None
    run.ttft_p50_s = ttft.p50 if ttft else None
    run.output_tokens_per_s = tps.mean if tps else None
    run.samples_per_s = answers_per_s(
        (r.started_at, r.started_at + r.latency_s) for r in rows if r.started_at and r.latency_s is not None
    )
