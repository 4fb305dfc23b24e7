"""The dashboard index follows run folders: full, incremental, torn lines, corrupt folders."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.support.dashboard_db import db_url, postgres_url  # noqa: F401  (fixture)
from tests.support.run_folders import make_run_folder
from vlmhyperbench.core import AnswerRecord, ErrorInfo, RunDir
from vlmhyperbench.dashboard import Index, open_index
from vlmhyperbench.dashboard.db import MetricRow, Run, SampleRow, SampleScore
from vlmhyperbench.dashboard.indexer import read_answer_at


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every path under ``root`` with its size and mtime (ns)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            st = path.stat()
            out[str(path.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    out["."] = (0, root.stat().st_mtime_ns)
    return out


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    root = tmp_path / "runs"
    make_run_folder(root / "exp", "r1", n=20, model="model-a", seed=1)
    make_run_folder(root / "exp", "r2", n=20, model="model-b", seed=2, fail_every=0)
    return root


def _run(index: Index, run_id: str) -> Run:
    with index.session() as s:
        run = index.get_run(s, "exp", run_id)
        assert run is not None
        return run


def test_full_index_matches_the_run_files(runs: Path, db_url: str) -> None:
    index = open_index(runs, db_url)
    result = index.refresh()
    assert (result.runs_seen, result.runs_changed, result.answers_added, result.corrupt) == (2, 2, 40, 0)
    run = _run(index, "r1")
    summary = RunDir(runs / "exp" / "r1").read_metrics()
    general = summary.aggregates["general"][0]
    assert run.status == "completed" and run.model == "model-a" and run.task == "vqa"
    assert (run.n_samples, run.n_answers, run.n_errors) == (20, 16, 4)
    assert run.headline_metric == "anls"
    assert run.headline_value == pytest.approx(general.values["anls"])
    assert (run.headline_ci_low, run.headline_ci_high) == pytest.approx(general.ci["anls"])
    assert run.latency_p50_s is not None and run.samples_per_s is not None and run.error is None
    with index.session() as s:
        cer = s.scalar(
            select(MetricRow).where(
                MetricRow.run_pk == run.id, MetricRow.aggregator == "by_doc_class", MetricRow.metric == "cer"
            )
        )
        assert cer is not None and cer.higher_is_better is False and cer.group_key
        by_doc = summary.aggregates["by_doc_class"]
        want = {r.group["doc_class"]: r.values["cer"] for r in by_doc}
        assert cer.value == pytest.approx(want[cer.group_key["doc_class"]])
        records = {r.sample_id: r for r in RunDir(runs / "exp" / "r1").metrics.read_samples()}
        row = s.scalar(select(SampleRow).where(SampleRow.run_pk == run.id, SampleRow.sample_id == "s-00003"))
        assert row is not None and row.error_kind == "timeout" and row.answer is None
        assert row.doc_class == records["s-00003"].doc_class and row.scores == records["s-00003"].scores
        assert (
            s.scalar(select(func.count()).select_from(SampleScore).where(SampleScore.run_pk == run.id)) == 60
        )
    again = index.refresh()
    assert (again.runs_changed, again.answers_added) == (0, 0)


def _append(run_dir: RunDir, *records: AnswerRecord) -> None:
    with run_dir.answers_appender() as out:
        for rec in records:
            out.append(rec)


def test_new_answers_are_read_from_the_last_offset(runs: Path, db_url: str) -> None:
    index = open_index(runs, db_url)
    index.refresh()
    run_dir = RunDir(runs / "exp" / "r1")
    before = _run(index, "r1")
    assert before.indexed_offset == run_dir.answers.stat().st_size
    # a failed sample answered on retry, and a new sample
    _append(
        run_dir,
        AnswerRecord(sample_id="s-00003", answer="ИВАНОВ"),
        AnswerRecord(sample_id="s-09999", answer="x"),
    )
    result = index.refresh()
    assert (result.runs_changed, result.answers_added) == (1, 2)
    run = _run(index, "r1")
    assert (run.n_answers, run.n_errors, run.n_lines) == (18, 3, 22)
    with index.session() as s:
        row = s.scalar(select(SampleRow).where(SampleRow.run_pk == run.id, SampleRow.sample_id == "s-00003"))
        assert row is not None and row.answer == "ИВАНОВ" and row.error_kind is None
        rec = read_answer_at(run, row.line_offset)
        assert rec is not None and rec.sample_id == "s-00003" and rec.answer == "ИВАНОВ"
    # a later failure does not replace a success
    _append(
        run_dir, AnswerRecord(sample_id="s-00003", answer=None, error=ErrorInfo(kind="http", message="500"))
    )
    index.refresh()
    with index.session() as s:
        answer = s.scalar(
            select(SampleRow.answer).where(SampleRow.run_pk == run.id, SampleRow.sample_id == "s-00003")
        )
    assert answer == "ИВАНОВ"


def test_a_half_written_last_line_waits_for_the_next_pass(runs: Path, db_url: str) -> None:
    index = open_index(runs, db_url)
    index.refresh()
    path = RunDir(runs / "exp" / "r2").answers
    line = AnswerRecord(sample_id="s-05000", answer="half").model_dump_json()
    complete_size = path.stat().st_size
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line[:25])  # the writer was interrupted mid-line
    index.refresh()
    run = _run(index, "r2")
    assert run.indexed_offset == complete_size and run.n_answers == 20 and run.error is None
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line[25:] + "\n")
    assert index.refresh().answers_added == 1
    run = _run(index, "r2")
    assert run.n_answers == 21 and run.indexed_offset == path.stat().st_size


def test_corrupt_folders_are_recorded_and_the_scan_goes_on(runs: Path, db_url: str) -> None:
    bad_spec = make_run_folder(runs / "exp", "r3", n=5, evaluate=False)
    bad_spec.run_spec.write_text('{"experiment": "exp", ', encoding="utf-8")
    bad_metrics = make_run_folder(runs / "exp", "r4", n=5)
    bad_metrics.metrics_json.write_text("{}", encoding="utf-8")
    with RunDir(runs / "exp" / "r1").answers.open("a", encoding="utf-8") as fh:
        fh.write('{"sample_id": "s-1", "answer": 5}\n')
    index = open_index(runs, db_url)
    result = index.refresh()
    assert result.runs_seen == 4 and result.corrupt == 1
    r3 = _run(index, "r3")
    assert r3.status == "corrupt" and r3.error and r3.error.startswith("run_spec.json: ")
    assert "not valid UTF-8 JSON" in r3.error
    r4 = _run(index, "r4")
    assert r4.status == "completed" and r4.error and "metrics.json: " in r4.error and "metrics" in r4.error
    assert r4.n_answers == 4  # the answers are indexed all the same
    r1 = _run(index, "r1")
    assert r1.error == "answers.jsonl: answers.jsonl:21 (answer): input should be a valid string, got 5"
    # fixing a file clears its error
    bad_spec.run_spec.unlink()
    make_run_folder(runs / "exp", "r3", n=5, evaluate=False)
    index.refresh()
    r3 = _run(index, "r3")
    assert r3.status == "completed" or r3.status == "pending"
    assert r3.error is None and r3.model == "model-a"


def test_indexing_never_writes_to_runs_dir(runs: Path, db_url: str) -> None:
    make_run_folder(runs / "exp", "r3", n=5, status="running")
    before = snapshot(runs)
    index = open_index(runs, db_url)
    index.refresh()
    index.rebuild()
    index.refresh()
    assert snapshot(runs) == before


def test_removed_and_replaced_runs(runs: Path, db_url: str) -> None:
    index = open_index(runs, db_url)
    index.refresh()
    import shutil

    shutil.rmtree(runs / "exp" / "r2")
    run_dir = RunDir(runs / "exp" / "r1")
    run_dir.answers.write_text(json.dumps({"sample_id": "s-00001", "answer": "new"}) + "\n", encoding="utf-8")
    result = index.refresh()
    assert result.removed == 1
    with index.session() as s:
        assert s.scalar(select(func.count()).select_from(Run)) == 1
        run = index.get_run(s, "exp", "r1")
        assert run is not None
        # answers.jsonl shrank: read again from the start; scores come back from samples.jsonl
        answer = s.scalar(
            select(SampleRow.answer).where(SampleRow.run_pk == run.id, SampleRow.sample_id == "s-00001")
        )
    assert answer == "new" and run.n_lines == 1


def test_runs_dir_may_be_an_experiment_folder(runs: Path, db_url: str) -> None:
    index = open_index(runs / "exp", db_url)
    assert index.refresh().runs_seen == 2


def test_a_new_answer_updates_the_samples_confusion_counts(runs: Path, db_url: str) -> None:
    index = open_index(runs, db_url)
    index.refresh()
    counts = (SampleRow.conf_homoglyph, SampleRow.conf_yo, SampleRow.conf_mixed)

    def of(sample_id: str) -> tuple[int, ...]:
        run = _run(index, "r2")
        with index.session() as s:
            row = s.execute(
                select(*counts).where(SampleRow.run_pk == run.id, SampleRow.sample_id == sample_id)
            ).one()
        return tuple(row)

    before = of("s-00001")  # reference ПЁТР
    record = AnswerRecord(sample_id="s-00001", answer="ПЕТP", model="m", backend="openai")  # Latin P
    with RunDir(runs / "exp" / "r2").answers.open("a", encoding="utf-8") as fh:
        fh.write(record.model_dump_json() + "\n")
    index.refresh()
    # Р→P: one look-alike; Ё→Е: one ё/е swap; ПЕТP mixes scripts: one mixed-script word
    assert before == (0, 0, 0) and of("s-00001") == (1, 1, 1)


def test_experiment_dirs_is_public() -> None:
    from vlmhyperbench.dashboard import indexer, routes_live

    assert "experiment_dirs" in indexer.__all__
    assert routes_live.experiment_dirs is indexer.experiment_dirs


def _rows(index: Index) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Every sample row (but its keys) and every score, by run and sample id."""
    columns = [c for c in SampleRow.__table__.columns if c.name not in ("id", "run_pk")]
    with index.session() as s:
        samples = s.execute(
            select(Run.run_id, *columns)
            .join(Run, Run.id == SampleRow.run_pk)
            .order_by(Run.run_id, SampleRow.sample_id)
        ).all()
        scores = s.execute(
            select(Run.run_id, SampleRow.sample_id, SampleScore.metric, SampleScore.value)
            .join(SampleRow, SampleRow.id == SampleScore.sample_pk)
            .join(Run, Run.id == SampleScore.run_pk)
            .order_by(Run.run_id, SampleRow.sample_id, SampleScore.metric)
        ).all()
    return [tuple(r) for r in samples], [tuple(r) for r in scores]


def test_postgresql_bulk_loading_gives_the_rows_sqlite_gets(runs: Path, tmp_path: Path) -> None:
    """PostgreSQL's rows go in by COPY, SQLite's by INSERT: the same folders give the same rows,
    JSON columns, nulls, booleans and the confusion counts computed before the insert included."""
    postgres = postgres_url()
    pg_url = next(postgres)
    try:
        indexes = [open_index(runs, f"sqlite:///{tmp_path / 'same.sqlite'}"), open_index(runs, pg_url)]
        for index in indexes:
            index.refresh()
        (sqlite_samples, sqlite_scores), (pg_samples, pg_scores) = (_rows(i) for i in indexes)
        for index in indexes:
            index.close()
    finally:
        postgres.close()
    assert len(sqlite_samples) == 40 and len(sqlite_scores) == 120
    assert pg_samples == sqlite_samples and pg_scores == sqlite_scores
    conf = [c.name for c in SampleRow.__table__.columns].index("conf_homoglyph") - 1  # after run_id
    assert any(row[conf] for row in pg_samples), "no sample with a look-alike: the counts are not tested"
