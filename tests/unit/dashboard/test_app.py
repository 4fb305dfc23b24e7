"""The application's settings take effect: refresh loop, token, read-only; the CLI's options."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.factories import run_vlmhb
from tests.support.run_folders import make_run_folder
from vlmhyperbench.core import AnswerRecord, MissingDependency, RunDir
from vlmhyperbench.dashboard import open_index
from vlmhyperbench.dashboard.app import DashboardSettings, create_app
from vlmhyperbench.dashboard.db import Run


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    make_run_folder(tmp_path / "runs" / "exp", "r1", n=6, status="running", evaluate=False)
    return tmp_path / "runs"


def _answered(html: str) -> str:
    start = html.index('<dd id="n-answers">') + len('<dd id="n-answers">')
    return html[start : html.index("</dd>", start)]


def test_the_background_refresh_follows_a_run_in_progress(runs: Path, tmp_path: Path) -> None:
    index = open_index(runs, f"sqlite:///{tmp_path / 'i.sqlite'}")
    app = create_app(DashboardSettings(runs_dir=runs, refresh_interval_s=0.1), index=index)
    with TestClient(app) as client:
        deadline = time.time() + 10
        while "indexed " not in client.get("/").text and time.time() < deadline:
            time.sleep(0.05)
        assert _answered(client.get("/runs/exp/r1").text) == "5 / 6"
        with RunDir(runs / "exp" / "r1").answers_appender() as out:
            out.append(AnswerRecord(sample_id="s-00003", answer="ИВАНОВ"))
        while _answered(client.get("/runs/exp/r1").text) != "6 / 6" and time.time() < deadline:
            time.sleep(0.05)
        assert _answered(client.get("/runs/exp/r1").text) == "6 / 6"


def test_refresh_interval_zero_leaves_the_index_alone(runs: Path, tmp_path: Path) -> None:
    index = open_index(runs, f"sqlite:///{tmp_path / 'i.sqlite'}")
    with TestClient(
        create_app(DashboardSettings(runs_dir=runs, refresh_interval_s=0), index=index)
    ) as client:
        time.sleep(0.3)
        assert (
            "No run folders found" in client.get("/").text and "automatic refresh off" in client.get("/").text
        )
        client.post("/refresh")
        assert 'data-run="exp/r1"' in client.get("/").text


def test_a_token_is_required_when_set(runs: Path, tmp_path: Path) -> None:
    index = open_index(runs, f"sqlite:///{tmp_path / 'i.sqlite'}")
    settings = DashboardSettings(runs_dir=runs, refresh_interval_s=0, token="t0ken")
    with TestClient(create_app(settings, index=index)) as client:
        assert client.get("/leaderboard").status_code == 401
        assert client.get("/leaderboard", headers={"authorization": "Bearer t0ken"}).status_code == 200


def test_read_only_is_shown_on_every_page(runs: Path, tmp_path: Path) -> None:
    index = open_index(runs, f"sqlite:///{tmp_path / 'i.sqlite'}")
    with TestClient(
        create_app(DashboardSettings(runs_dir=runs, refresh_interval_s=0, read_only=True), index=index)
    ) as c:
        assert '<span class="badge">read-only</span>' in c.get("/").text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve_and_get(runs: Path, *args: str) -> str:
    """Start `vlmhb dashboard RUNS --port P ARGS`, return the experiments page once it lists r1."""
    port = _free_port()
    cmd = [sys.executable, "-m", "vlmhyperbench", "dashboard", str(runs), "--port", str(port), *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        text = ""
        while time.time() < deadline:
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/", timeout=2).text
                if 'data-run="exp/r1"' in text:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        return text
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_cli_serves_runs_dir_on_port_with_db(runs: Path, tmp_path: Path) -> None:
    db = tmp_path / "elsewhere" / "index.sqlite"
    page = _serve_and_get(runs, "--db", f"sqlite:///{db}", "--refresh-interval-s", "0.2")
    assert 'data-run="exp/r1"' in page and "<td>model-a</td>" in page
    assert db.is_file()


def test_cli_rebuild_forgets_what_was_indexed(runs: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'i.sqlite'}"
    index = open_index(runs, url)
    index.refresh()
    with index.session() as s:  # an index that no longer matches the folders (files unchanged)
        s.execute(update(Run).values(model="stale-model"))
        s.commit()
    index.close()
    assert "<td>stale-model</td>" in _serve_and_get(runs, "--db", url)
    assert "<td>model-a</td>" in _serve_and_get(runs, "--db", url, "--rebuild")


def test_a_missing_extra_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    from vlmhyperbench.cli import dashboard as cli

    monkeypatch.setitem(sys.modules, "sqlalchemy", None)  # as if not installed
    with pytest.raises(MissingDependency) as err:
        cli.require_dashboard_extra(None)
    assert "sqlalchemy" in str(err.value) and "pip install 'vlmhyperbench[dashboard]'" in str(err.value)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--host", "0.0.0.0"], "reachable from other machines"),
        (
            ["--db", "postgresql+psycopg://u:pw@127.0.0.1:1/x"],
            "postgresql+psycopg://u:***@127.0.0.1:1/x cannot be used",
        ),
    ],
)
def test_cli_refuses_unsafe_or_unreachable_setups(runs: Path, args: list[str], message: str) -> None:
    result = run_vlmhb("dashboard", str(runs), *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_cli_names_a_missing_runs_dir(tmp_path: Path) -> None:
    result = run_vlmhb("dashboard", str(tmp_path / "nope"))
    assert result.returncode == 2 and "RUNS_DIR" in result.stderr and "does not exist" in result.stderr
