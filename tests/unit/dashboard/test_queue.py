"""The experiment queue without processes: validation, persistence, recovery, state changes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from tests.factories import make_jsonl_dataset, write_experiment
from tests.support.dashboard_db import db_url  # noqa: F401 - the fixture
from vlmhyperbench.core import ConfigError, UserError, process_ref
from vlmhyperbench.dashboard.queue import ExperimentQueue, state_dir


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """The queue on each database the dashboard supports (PostgreSQL with VLMHB_TEST_POSTGRES_URL)."""
    if db_url.startswith("sqlite:///"):
        Path(db_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def config_text(tmp_path: Path) -> str:
    dataset = make_jsonl_dataset(tmp_path / "tiny")
    return write_experiment(tmp_path / "e.yaml", dataset, base_url="http://127.0.0.1:9/v1").read_text()


def _queue(engine: Engine, tmp_path: Path) -> ExperimentQueue:
    return ExperimentQueue(engine, tmp_path / "runs", root=tmp_path / "state")


def test_a_valid_config_is_saved_in_the_state_folder_and_queued(
    engine: Engine, tmp_path: Path, config_text: str
) -> None:
    queue = _queue(engine, tmp_path)
    item = queue.submit("mine.yaml", config_text)
    assert (item.status, item.experiment, item.runs, item.filename) == ("queued", "exp", ["r1"], "mine.yaml")
    saved = Path(item.config_path)
    assert saved.read_text() == config_text
    assert saved.parent == tmp_path / "state" / "queue" / str(item.id)
    assert not (tmp_path / "runs").exists(), "queueing writes nothing into RUNS_DIR"


def test_a_relative_dataset_starts_from_the_folder_the_dashboard_was_started_in(
    engine: Engine, tmp_path: Path, config_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    relative = config_text.replace(str(tmp_path / "tiny"), "tiny")
    assert relative != config_text
    monkeypatch.chdir(tmp_path)  # where `vlmhb dashboard` was started
    item = _queue(engine, tmp_path).submit("mine.yaml", relative)
    assert item.status == "queued" and Path(item.config_path).read_text() == relative
    monkeypatch.chdir(tmp_path / "state")  # the working directory at start is what counts
    with pytest.raises(UserError, match="tiny"):
        _queue(engine, tmp_path).submit("mine.yaml", relative)


def test_an_invalid_config_names_its_problems_like_validate_and_queues_nothing(
    engine: Engine, tmp_path: Path, config_text: str
) -> None:
    queue = _queue(engine, tmp_path)
    bad = config_text.replace("metrics:\n", "metrics:\n  - anlz\n", 1)
    with pytest.raises(UserError) as caught:
        queue.submit("bad.yaml", bad)
    rendered = caught.value.render()
    assert "unknown metric 'anlz'" in rendered and "did you mean 'anls'" in rendered
    assert rendered.startswith("bad.yaml:"), rendered  # the uploaded name, not the saved path
    assert str(tmp_path / "state") not in rendered
    assert queue.items() == []
    assert list((tmp_path / "state" / "queue").iterdir()) == []


def test_only_files_vlmhb_run_reads_are_accepted(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a config file"):
        _queue(engine, tmp_path).submit("notes.txt", "name: x")


def test_the_queue_survives_a_new_instance_over_the_same_database(
    engine: Engine, tmp_path: Path, config_text: str
) -> None:
    first = _queue(engine, tmp_path).submit("a.yaml", config_text)
    again = _queue(create_engine(engine.url), tmp_path)
    assert [(i.id, i.status) for i in again.items()] == [(first.id, "queued")]


def test_an_item_whose_process_is_gone_is_marked_interrupted_on_start_and_can_be_queued_again(
    engine: Engine, tmp_path: Path, config_text: str
) -> None:
    queue = _queue(engine, tmp_path)
    item = queue.submit("a.yaml", config_text)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    ref = process_ref(child.pid)
    child.wait()
    queue._update(item.id, status="running", process=ref.model_dump())
    alive = queue.submit("b.yaml", config_text)
    queue._update(alive.id, status="running", process=process_ref(os.getpid()).model_dump())
    restarted = _queue(engine, tmp_path)
    assert restarted.recover() == [item.id]
    assert restarted.get(item.id).status == "interrupted"  # type: ignore[union-attr]
    assert restarted.get(alive.id).status == "running", "a process still alive is left running"  # type: ignore[union-attr]
    assert restarted.requeue(item.id).status == "queued"


def test_cancel_a_queued_item_and_refuse_what_has_ended(
    engine: Engine, tmp_path: Path, config_text: str
) -> None:
    queue = _queue(engine, tmp_path)
    item = queue.submit("a.yaml", config_text)
    assert queue.cancel(item.id).status == "cancelled"
    with pytest.raises(ConfigError, match="already ended"):
        queue.cancel(item.id)
    with pytest.raises(ConfigError, match="no queue item 99"):
        queue.cancel(99)
    queued = queue.requeue(item.id)
    with pytest.raises(ConfigError, match="queued already"):
        queue.requeue(queued.id)


def test_the_state_folder_is_in_the_cache_not_in_runs_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VLMHB_CACHE_DIR", str(tmp_path / "cache"))
    folder = state_dir(tmp_path / "runs")
    assert folder.parent == tmp_path / "cache" / "dashboard" and folder.name.startswith("state-")
    assert state_dir(tmp_path / "other") != folder


def test_a_database_that_is_gone_is_a_clear_error_not_a_crash(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="queue database cannot be used"):
        ExperimentQueue(create_engine(f"sqlite:///{tmp_path}/missing/dir/q.sqlite"), tmp_path / "runs")
    path = tmp_path / "q.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    queue = ExperimentQueue(engine, tmp_path / "runs", root=tmp_path / "state")
    engine.dispose()
    path.write_bytes(b"this is not a database file" * 100)
    with pytest.raises(UserError, match="queue database cannot be used"):
        queue.items()
