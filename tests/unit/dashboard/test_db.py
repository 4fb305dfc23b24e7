"""Opening the index: where it lives, what it refuses, and a database that is gone."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.support.run_folders import make_run_folder
from vlmhyperbench.dashboard import IndexUnavailable, open_index
from vlmhyperbench.dashboard.app import DashboardSettings, create_app
from vlmhyperbench.dashboard.db import (
    INDEX_SCHEMA_VERSION,
    Meta,
    Run,
    SampleRow,
    default_db_url,
    runs_dir_key,
)
from vlmhyperbench.dashboard.queue import state_dir


def test_default_index_is_in_the_cache_named_by_the_runs_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VLMHB_CACHE_DIR", str(tmp_path / "cache"))
    runs = tmp_path / "runs"
    runs.mkdir()
    digest = hashlib.sha1(str(runs.resolve()).encode()).hexdigest()[:12]
    expected = tmp_path / "cache" / "dashboard" / f"index-{digest}.sqlite"
    assert default_db_url(runs) == f"sqlite:///{expected}"
    index = open_index(runs)
    assert index.url == f"sqlite:///{expected}" and expected.is_file()
    assert list(runs.iterdir()) == []


def test_the_index_file_and_the_queue_state_share_one_runs_dir_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VLMHB_CACHE_DIR", str(tmp_path / "cache"))
    runs = tmp_path / "runs"
    key = runs_dir_key(runs)
    assert key == hashlib.sha1(str(runs.resolve()).encode()).hexdigest()[:12]
    assert default_db_url(runs).endswith(f"/index-{key}.sqlite")
    assert state_dir(runs).name == f"state-{key}"
    monkeypatch.setattr("vlmhyperbench.dashboard.queue.runs_dir_key", lambda _: "patched")
    assert state_dir(runs).name == "state-patched"  # the one definition is used


def test_an_index_made_before_the_samples_columns_is_dropped_and_rebuilt(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    make_run_folder(runs / "exp", "r1", n=4)
    url = f"sqlite:///{tmp_path / 'i.sqlite'}"
    index = open_index(runs, url)
    index.refresh()
    with index.engine.begin() as conn:  # the samples table of schema version 1
        for column in ("ordinal", "conf_homoglyph", "conf_yo", "conf_mixed"):
            conn.exec_driver_sql(f"ALTER TABLE samples DROP COLUMN {column}")
        conn.exec_driver_sql("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    index.close()
    index = open_index(runs, url)
    assert index.refresh().runs_seen == 1
    with index.session() as s:
        rows = s.query(SampleRow).all()  # every column read: a v1 table would fail here
    assert len(rows) == 4 and sorted(r.ordinal for r in rows if r.ordinal is not None) == [0, 1, 2, 3]


def test_an_index_file_inside_runs_dir_is_refused(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    with pytest.raises(IndexUnavailable, match="inside RUNS_DIR") as err:
        open_index(runs, f"sqlite:///{runs / 'index.sqlite'}")
    assert "drop --db" in str(err.value)
    assert list(runs.iterdir()) == []


def test_an_unreachable_database_is_a_clear_error_without_the_password(tmp_path: Path) -> None:
    with pytest.raises(IndexUnavailable) as err:
        open_index(tmp_path, "postgresql+psycopg://me:s3cret@127.0.0.1:1/none")
    text = str(err.value)
    assert "postgresql+psycopg://me:***@127.0.0.1:1/none cannot be used" in text
    assert "s3cret" not in text and "check that the database is running" in text


def test_an_index_of_another_schema_version_is_rebuilt(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    make_run_folder(runs / "exp", "r1", n=4)
    url = f"sqlite:///{tmp_path / 'i.sqlite'}"
    index = open_index(runs, url)
    index.refresh()
    with index.session() as s:
        s.merge(Meta(key="schema_version", value=str(INDEX_SCHEMA_VERSION - 1)))
        s.commit()
    index.close()
    index = open_index(runs, url)
    with index.session() as s:
        assert s.query(Run).count() == 0  # dropped; the next refresh fills it again
    assert index.refresh().runs_seen == 1


def test_a_database_gone_while_serving_shows_why(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    make_run_folder(runs / "exp", "r1", n=4)
    file = tmp_path / "db" / "index.sqlite"
    index = open_index(runs, f"sqlite:///{file}")
    index.refresh()
    client = TestClient(create_app(DashboardSettings(runs_dir=runs, refresh_interval_s=0), index=index))
    assert client.get("/").status_code == 200
    index.engine.dispose()
    for path in file.parent.iterdir():
        path.unlink()
    file.write_bytes(b"this is not a database" * 100)
    page = client.get("/", headers={"accept": "text/html"})
    assert page.status_code == 503
    assert "The index database is unavailable" in page.text and "cannot be used" in page.text
    assert "file is not a database" in page.text
    with pytest.raises(IndexUnavailable, match="cannot be used"):
        index.refresh()
    # the refresh button records the failure for every page's banner instead of crashing
    after = client.post("/refresh", headers={"accept": "text/html"}, follow_redirects=False)
    assert after.status_code == 303 and client.app.state.refresh.error  # type: ignore[attr-defined]
