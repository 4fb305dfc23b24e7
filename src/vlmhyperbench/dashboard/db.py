"""The dashboard's index: SQLAlchemy models of experiments, runs, metric rows and samples.

Run folders are the source of truth; these tables are an index of them that `Index.refresh`
(`indexer.py`) keeps up to date, and can always be dropped and rebuilt. The default database
is a SQLite file in the cache (never inside RUNS_DIR); PostgreSQL is used through a
``postgresql+psycopg://`` URL.

Per-sample scores are kept twice, on purpose: ``samples.scores`` (a JSON object) is what a
page shows, read with its row without a join; ``sample_scores`` (one narrow row per sample
and metric, indexed on ``(run, metric, value)``) is what filters and sorts use — a metric
range or an ORDER BY on one metric is an index range scan on both SQLite and PostgreSQL,
which an expression on a JSON column is not, portably.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._paths import cache_dir
from ..core import MissingDependency, UserError

try:
    from sqlalchemy import (
        JSON,
        Boolean,
        Float,
        ForeignKey,
        Integer,
        String,
        Text,
        UniqueConstraint,
        create_engine,
        event,
        select,
    )
    from sqlalchemy import (
        Index as SqlIndex,
    )
    from sqlalchemy.engine import Engine
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
except ImportError as exc:  # pragma: no cover - exercised without the extra only
    raise MissingDependency(
        f"vlmhb dashboard needs SQLAlchemy 2, which is not installed ({exc.name})",
        hint="pip install 'vlmhyperbench[dashboard]'",
    ) from None

__all__ = [
    "INDEX_SCHEMA_VERSION",
    "Base",
    "Experiment",
    "Index",
    "IndexUnavailable",
    "Meta",
    "MetricRow",
    "Run",
    "SampleRow",
    "SampleScore",
    "default_db_url",
    "open_index",
    "runs_dir_key",
]

INDEX_SCHEMA_VERSION = 2
"""Bumped when a table changes; an index of another version is dropped and rebuilt."""


class IndexUnavailable(UserError):
    """The index database cannot be opened, read or written (gone, unreachable, refused)."""


class Base(DeclarativeBase):
    """Declarative base of the index tables."""


class Meta(Base):
    """Key/value facts about the index: ``schema_version``, ``runs_dir``."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Experiment(Base):
    """An experiment folder of RUNS_DIR (``runs/<name>/``)."""

    __tablename__ = "experiments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String, unique=True)
    path: Mapped[str] = mapped_column(Text)
    mtime: Mapped[float] = mapped_column(Float, default=0.0)
    """The folder's mtime when last scanned (a new or removed run folder changes it)."""


class Run(Base):
    """A run folder: what run_spec.json, manifest.json, metrics.json and answers.jsonl say."""

    __tablename__ = "runs"
    __table_args__ = (UniqueConstraint("experiment", "run_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"), index=True)
    experiment: Mapped[str] = mapped_column(String, index=True)
    run_id: Mapped[str] = mapped_column(String)
    path: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String, default="", index=True)
    backend: Mapped[str] = mapped_column(String(64), default="")
    task: Mapped[str] = mapped_column(String(64), default="", index=True)
    dataset: Mapped[str] = mapped_column(Text, default="")
    """The dataset's folder name (``dataset_path`` holds the full path)."""
    dataset_path: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(32), default="pending", index=True)
    """``pending``/``running``/``completed``/``failed``/``interrupted`` (the manifest's), or
    ``corrupt`` when the folder could not be read (see ``error``)."""
    created_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    n_samples: Mapped[int] = mapped_column(Integer, default=0)
    """Samples the run is to answer (the spec's dataset count)."""
    n_answers: Mapped[int] = mapped_column(Integer, default=0)
    """Samples with an answer so far."""
    n_errors: Mapped[int] = mapped_column(Integer, default=0)
    """Samples whose latest record is a failed request."""
    n_lines: Mapped[int] = mapped_column(Integer, default=0)
    """Complete lines read from answers.jsonl (retries included)."""
    n_missing: Mapped[int] = mapped_column(Integer, default=0)
    headline_metric: Mapped[str | None] = mapped_column(String, nullable=True)
    headline_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    headline_ci_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    headline_ci_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    headline_higher_is_better: Mapped[bool] = mapped_column(Boolean, default=True)
    latency_p50_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    latency_p95_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    ttft_p50_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    output_tokens_per_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    """Mean decode speed of the uncached answers that report one."""
    samples_per_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    """The run's speed (`_progress.answers_per_s`): uncached answers per second from the first
    request sent to the last answer received; the live figures use the same."""
    n_cached: Mapped[int] = mapped_column(Integer, default=0)
    """Answers left out of the speed figures (``extra.cached``)."""
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    """Why the folder (or one of its files) could not be read; None when it was."""
    indexed_offset: Mapped[int] = mapped_column(Integer, default=0)
    """Byte offset in answers.jsonl up to which complete lines are indexed."""
    answers_size: Mapped[int] = mapped_column(Integer, default=0)
    spec_mtime: Mapped[float] = mapped_column(Float, default=0.0)
    manifest_mtime: Mapped[float] = mapped_column(Float, default=0.0)
    metrics_mtime: Mapped[float] = mapped_column(Float, default=0.0)
    samples_mtime: Mapped[float] = mapped_column(Float, default=0.0)
    indexed_at: Mapped[float] = mapped_column(Float, default=0.0)


class MetricRow(Base):
    """One (aggregator, group, metric) value of metrics.json, with its interval."""

    __tablename__ = "metric_rows"
    __table_args__ = (SqlIndex("ix_metric_rows_run_agg", "run_pk", "aggregator"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_pk: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    aggregator: Mapped[str] = mapped_column(String(64))
    group_key: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """The group as ``{"doc_class": "passport", "question_type": "Фамилия"}`` (``{}`` for general)."""
    group_label: Mapped[str] = mapped_column(Text, default="")
    """The group's values joined with `` / `` (``all`` for general)."""
    metric: Mapped[str] = mapped_column(String)
    higher_is_better: Mapped[bool] = mapped_column(Boolean, default=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    pooled: Mapped[float | None] = mapped_column(Float, nullable=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
    n_scored: Mapped[int | None] = mapped_column(Integer, nullable=True)


class SampleRow(Base):
    """A sample of a run: its latest answer (answers.jsonl) and, once evaluated, its
    references and scores (metrics/samples.jsonl)."""

    __tablename__ = "samples"
    __table_args__ = (
        UniqueConstraint("run_pk", "sample_id"),
        SqlIndex("ix_samples_run_doc", "run_pk", "doc_class", "question_type"),
        SqlIndex("ix_samples_run_error", "run_pk", "error_kind"),
        SqlIndex("ix_samples_run_latency", "run_pk", "latency_s"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_pk: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    sample_id: Mapped[str] = mapped_column(String)
    doc_class: Mapped[str] = mapped_column(String, default="")
    question_type: Mapped[str] = mapped_column(String, default="")
    split: Mapped[str] = mapped_column(String, default="")
    task: Mapped[str] = mapped_column(String(64), default="")
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    references: Mapped[list[str]] = mapped_column(JSON, default=list)
    error_kind: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """The failed request's kind (``timeout``, ``http``...); ``invalid`` for an unparsable answer."""
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    """Unix time the kept request was sent."""
    latency_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    ttft_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    output_tokens_per_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    output_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cached: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    line_offset: Mapped[int] = mapped_column(Integer, default=0)
    """Byte offset in answers.jsonl of the record kept (to read its prompt, usage, extra)."""
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Metric name → score (None where not applicable); empty before evaluation."""
    evaluated: Mapped[bool] = mapped_column(Boolean, default=False)
    ordinal: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The record's 0-based position in metrics/samples.jsonl (None before evaluation): the
    order the experiment's comparison report visits samples in."""
    conf_homoglyph: Mapped[int] = mapped_column(Integer, default=0)
    """Latin/Cyrillic look-alikes of the answer against its best reference (`_diff.count_confusions`)."""
    conf_yo: Mapped[int] = mapped_column(Integer, default=0)
    """ё/е swaps of the answer against its best reference."""
    conf_mixed: Mapped[int] = mapped_column(Integer, default=0)
    """Words of the answer mixing Cyrillic and Latin letters."""


class SampleScore(Base):
    """One sample's score on one metric: the narrow table filters and sorts use."""

    __tablename__ = "sample_scores"
    __table_args__ = (SqlIndex("ix_sample_scores_run_metric_value", "run_pk", "metric", "value"),)
    sample_pk: Mapped[int] = mapped_column(ForeignKey("samples.id", ondelete="CASCADE"), primary_key=True)
    metric: Mapped[str] = mapped_column(String, primary_key=True)
    run_pk: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)


def runs_dir_key(runs_dir: Path) -> str:
    """RUNS_DIR's name in the cache: the first 12 hex digits of the SHA-1 of its resolved path
    (the index file and the queue's state folder are named by it)."""
    return hashlib.sha1(str(runs_dir.resolve()).encode("utf-8")).hexdigest()[:12]


def default_db_url(runs_dir: Path) -> str:
    """The SQLite file of RUNS_DIR's index: ``$VLMHB_CACHE_DIR/dashboard/index-<runs_dir_key>.sqlite``."""
    return f"sqlite:///{cache_dir('dashboard', f'index-{runs_dir_key(runs_dir)}.sqlite')}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers are not blocked by a refresh
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown as given
        return url


@dataclass
class Index:
    """An open index of one RUNS_DIR: its engine, sessions and refresh."""

    runs_dir: Path
    url: str
    engine: Engine
    _sessions: sessionmaker[Session]
    lock: threading.Lock = field(default_factory=threading.Lock)
    """Held while a refresh runs: the background loop and a manual refresh take turns."""

    @property
    def display_url(self) -> str:
        """The database URL without its password, for pages and messages."""
        return _redact(self.url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session; a database error inside becomes `IndexUnavailable`.

        Raises:
            IndexUnavailable: the database is gone or refuses the query.
        """
        try:
            with self._sessions() as session:
                yield session
        except SQLAlchemyError as exc:
            raise self.unavailable(exc) from None

    def unavailable(self, exc: BaseException) -> IndexUnavailable:
        """The error to show for a database failure ``exc``."""
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return IndexUnavailable(
            f"the dashboard's index database {self.display_url} cannot be used: {reason}",
            hint="check that the database is running and reachable (--db URL), or drop --db to use "
            "the default SQLite file; the index is rebuilt from RUNS_DIR on the next start",
        )

    def refresh(self) -> Any:
        """Bring the index up to date with RUNS_DIR (see `indexer.refresh`)."""
        from .indexer import refresh

        return refresh(self)

    def rebuild(self) -> Any:
        """Drop everything indexed and index RUNS_DIR again (see `indexer.rebuild`)."""
        from .indexer import rebuild

        return rebuild(self)

    def get_run(self, session: Session, experiment: str, run_id: str) -> Run | None:
        """The run ``experiment/run_id``, or None."""
        return session.scalar(select(Run).where(Run.experiment == experiment, Run.run_id == run_id))

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()


def _prepare_schema(index: Index) -> None:
    engine = index.engine
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        facts = {m.key: m.value for m in session.scalars(select(Meta))}
        wanted = {"schema_version": str(INDEX_SCHEMA_VERSION), "runs_dir": str(index.runs_dir)}
        if facts and facts != wanted:
            session.close()
            Base.metadata.drop_all(engine)  # an index of another version or folder: rebuilt
            Base.metadata.create_all(engine)
        with Session(engine) as fresh:
            for key, value in wanted.items():
                fresh.merge(Meta(key=key, value=value))
            fresh.commit()


def open_index(runs_dir: Path, db_url: str | None = None) -> Index:
    """Open (creating tables if needed) the index of ``runs_dir``.

    Args:
        runs_dir: The folder of experiments the index describes.
        db_url: A SQLAlchemy URL (``sqlite:///file``, ``postgresql+psycopg://user@host/db``);
            None for the default SQLite file in the cache.

    Raises:
        IndexUnavailable: the database cannot be reached or created.
    """
    runs_dir = runs_dir.resolve()
    url = db_url or default_db_url(runs_dir)
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        file = Path(url.removeprefix("sqlite:///")).resolve()
        if file.is_relative_to(runs_dir):
            raise IndexUnavailable(
                f"--db {url} is inside RUNS_DIR {runs_dir}: the dashboard never writes into the run folders",
                hint="put the index file elsewhere, or drop --db to use the default file in the cache",
            )
        file.parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(url, pool_pre_ping=True)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise IndexUnavailable(
            f"--db {_redact(url)} is not a database URL this dashboard can open: {exc}",
            hint="use sqlite:///path/index.sqlite or postgresql+psycopg://user:password@host:5432/db "
            "(PostgreSQL needs pip install 'vlmhyperbench[dashboard]')",
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    index = Index(runs_dir, url, engine, sessionmaker(engine, expire_on_commit=False))
    try:
        _prepare_schema(index)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise index.unavailable(exc) from None
    return index
