"""The dashboard's queue and live progress over real HTTP: `vlmhb run` started from the queue
against the scripted OpenAI server, progress streamed as server-sent events, cancel, restart,
validation messages, read-only mode, the token, and secrets kept from every page."""

from __future__ import annotations

import html
import json
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.factories import TINY_SAMPLES, make_jsonl_dataset, run_vlmhb, write_experiment
from tests.support.dashboard_db import db_url  # noqa: F401 - the fixture
from tests.support.live_dashboard import LiveDashboard, wait_for
from tests.support.openai_server import ScriptedOpenAIServer
from vlmhyperbench.core import ProcessRef, RunDir, SSEParser

SECRET = "sk-dashboard-test-secret-4711"
ENV_SECRET = "sk-from-the-environment-0815"
SAMPLES = [(f"s-{i:03d}", *TINY_SAMPLES[i % 3][1:]) for i in range(1, 9)]


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("VLMHB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("OPENAI_API_KEY", ENV_SECRET)
    dataset = make_jsonl_dataset(tmp_path / "data", samples=SAMPLES)
    dashboards: list[LiveDashboard] = []

    def start(db: str | None = None, **settings: Any) -> LiveDashboard:
        dashboard = LiveDashboard(tmp_path / "runs", db or tmp_path / "index.sqlite", **settings)
        dashboards.append(dashboard)
        return dashboard

    with ScriptedOpenAIServer() as server:
        server.answers = {sid: answer for sid, _, _, _, answer, _ in SAMPLES}

        def config(**options: Any) -> str:
            path = write_experiment(
                tmp_path / "written.yaml",
                dataset,
                base_url=server.url,
                concurrency=1,
                extra_options={"api_key_env": "OPENAI_API_KEY", "extra_body": {"api_key": SECRET}, **options},
            )
            return path.read_text()

        yield {"start": start, "server": server, "config": config, "runs": tmp_path / "runs", "tmp": tmp_path}
        for dashboard in dashboards:
            for item in dashboard.app.state.queue.items():
                if item.status == "running":
                    dashboard.app.state.queue.cancel(item.id)
            dashboard.stop()


def progress_events(
    dashboard: LiveDashboard, path: str, until: Callable[[dict[str, Any]], bool]
) -> list[dict[str, Any]]:
    """The ``progress`` events of an SSE stream, until ``until`` holds for one."""
    parser, events = SSEParser(), []
    with dashboard.client.stream("GET", path, params={"max_s": 90}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for chunk in response.iter_bytes():
            for data in parser.feed(chunk):
                events.append(json.loads(data))
                if until(events[-1]):
                    return events
    raise AssertionError(f"the stream ended before the condition held: {events[-3:]}")


def test_a_config_queued_from_the_page_runs_and_streams_increasing_progress(setup: dict[str, Any]) -> None:
    setup["server"].first_token_delay = 0.4
    dashboard = setup["start"]()
    response = dashboard.submit(setup["config"](), "mine.yaml")
    assert response.status_code == 303 and response.headers["location"] == "/queue"
    events = progress_events(dashboard, "/runs/exp/r1/events", lambda e: e["status"] == "completed")
    done = [e["done"] for e in events]
    assert done == sorted(done) and len(set(done)) >= 3, done
    assert events[-1]["done"] == events[-1]["total"] == len(SAMPLES) and events[-1]["finished"]
    assert any(e["rate_per_s"] and e["eta_s"] is not None for e in events if e["stage"] == "infer")
    item = wait_for(
        "the item to complete", lambda: dashboard.items()[0]["status"] == "completed" and dashboard.items()[0]
    )
    assert (item["experiment"], item["runs"], item["returncode"]) == ("exp", ["r1"], 0)
    assert RunDir(setup["runs"] / "exp" / "r1").metrics_json.exists(), (
        "the run went to the dashboard's RUNS_DIR"
    )
    page = dashboard.client.get(f"/queue/{item['id']}")
    assert page.status_code == 200 and 'href="/runs/exp/r1"' in page.text


def test_a_relative_dataset_in_a_queued_config_is_found_from_where_the_dashboard_started(
    setup: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(setup["tmp"])  # `vlmhb dashboard` started in the folder that holds data/
    dashboard = setup["start"]()
    text = setup["config"]().replace(str(setup["tmp"] / "data"), "data")
    assert "dataset: data\n" in text
    response = dashboard.submit(text, "relative.yaml")
    assert response.status_code == 303, response.text
    item = wait_for(
        "the item to end", lambda: (i := dashboard.items()[0])["status"] not in ("queued", "running") and i
    )
    assert item["status"] == "completed", item["message"]
    spec = RunDir(setup["runs"] / "exp" / "r1").read_spec()
    assert Path(spec.dataset.path) == (setup["tmp"] / "data").resolve()


def test_cancel_stops_the_process_group_and_the_run_keeps_its_answers(setup: dict[str, Any]) -> None:
    setup["server"].first_token_delay = 1.0
    dashboard = setup["start"]()
    assert dashboard.submit(setup["config"]()).status_code == 303
    run_dir = RunDir(setup["runs"] / "exp" / "r1")
    wait_for(
        "two answers", lambda: run_dir.answers.exists() and len(run_dir.answers.read_text().splitlines()) >= 2
    )
    item_id = dashboard.items()[0]["id"]
    ref = ProcessRef.model_validate(dashboard.app.state.queue.get(item_id).process)
    response = dashboard.client.post(f"/queue/{item_id}/cancel", headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert ref.is_gone(), "vlmhb run is still running"
    with pytest.raises(ProcessLookupError):
        os.killpg(ref.pid, 0)  # nothing of its process group (the stage process) is left
    kept = len(run_dir.read_answers())
    assert 2 <= kept < len(SAMPLES)
    assert run_dir.read_manifest().status == "interrupted"
    assert dashboard.items()[0]["status"] == "cancelled"


def test_the_queue_survives_a_restart_and_an_orphaned_item_is_interrupted_then_resumed(
    db_url: str,
    setup: dict[str, Any],  # after db_url: torn down first, while the database is there
) -> None:
    setup["server"].first_token_delay = 1.0
    first = setup["start"](db_url)
    assert first.submit(setup["config"]()).status_code == 303
    run_dir = RunDir(setup["runs"] / "exp" / "r1")
    wait_for("an answer", lambda: run_dir.answers.exists() and run_dir.answers.read_text().strip())
    item_id = first.items()[0]["id"]
    ref = ProcessRef.model_validate(first.app.state.queue.get(item_id).process)
    first.app.state.queue.stop()
    first.app.state.queue._children.clear()  # this dashboard "dies": it no longer owns the process
    first.stop()
    os.killpg(ref.pid, signal.SIGKILL)  # and the run dies with the machine's session
    wait_for("the run to be gone", ref.is_gone, timeout=10)

    setup["server"].first_token_delay = 0.0
    second = setup["start"](db_url)
    [item] = second.items()
    assert (item["id"], item["status"]) == (item_id, "interrupted")
    answered_before = {r.sample_id for r in run_dir.read_answers() if r.ok}
    response = second.client.post(f"/queue/{item_id}/requeue", headers={"Accept": "application/json"})
    assert response.json()["status"] == "queued"
    wait_for("the resumed run", lambda: second.items()[0]["status"] == "completed")
    requested = setup["server"].requested_sample_ids
    assert not answered_before & set(requested[-(len(SAMPLES) - len(answered_before)) :]), (
        "answers were reused"
    )


def test_an_invalid_config_shows_the_validation_messages_and_queues_nothing(setup: dict[str, Any]) -> None:
    dashboard = setup["start"]()
    bad = setup["config"]().replace("  - anls\n", "  - anlz\n", 1)
    broken = setup["tmp"] / "broken.yaml"
    broken.write_text(bad)
    cli = run_vlmhb("validate", str(broken))
    assert cli.returncode == 2 and "unknown metric 'anlz'" in cli.stderr
    response = dashboard.submit(bad, "broken.yaml")
    assert response.status_code == 422
    shown = html.unescape(response.text)
    for line in cli.stderr.replace(str(broken), "broken.yaml").splitlines():
        assert " ".join(line.split()) in " ".join(shown.split()), line  # the same words as vlmhb validate
    assert SECRET not in response.text, "the config shown again has its secrets masked"
    assert dashboard.items() == []
    assert not setup["runs"].exists()


def test_read_only_refuses_queue_actions_and_hides_the_form(setup: dict[str, Any]) -> None:
    dashboard = setup["start"](read_only=True)
    response = dashboard.submit(setup["config"]())
    assert response.status_code == 403 and "read-only" in response.json()["detail"]
    page = dashboard.client.get("/queue")
    assert page.status_code == 200 and 'id="queue-form"' not in page.text and "read-only" in page.text
    assert dashboard.client.post("/queue/1/cancel").status_code == 403


def test_the_token_guards_pages_the_stream_and_the_queue(setup: dict[str, Any]) -> None:
    dashboard = setup["start"](token="t0ken-abc")
    assert dashboard.client.get("/queue").status_code == 401
    assert dashboard.client.get("/events", params={"max_s": 1}).status_code == 401
    assert dashboard.submit(setup["config"]()).status_code == 401
    login = dashboard.client.get(
        "/login", params={"token": "t0ken-abc", "next": "/queue"}, follow_redirects=True
    )
    assert login.status_code == 200 and login.url.path == "/queue"
    assert dashboard.client.get("/api/queue").json() == []


def test_no_secret_reaches_any_page(setup: dict[str, Any]) -> None:
    dashboard = setup["start"]()
    assert dashboard.submit(setup["config"]()).status_code == 303
    item = wait_for(
        "the run", lambda: dashboard.items()[0]["status"] in ("completed", "failed") and dashboard.items()[0]
    )
    assert item["status"] == "completed", item
    wait_for("the index", lambda: dashboard.client.get("/runs/exp/r1").status_code == 200)
    pages = [
        "/",
        "/queue",
        f"/queue/{item['id']}",
        "/api/queue",
        "/api/progress",
        "/runs/exp/r1",
        "/leaderboard",
    ]
    pages.append("/experiments/exp")
    for page in pages:
        text = dashboard.client.get(page).text
        assert SECRET not in text and ENV_SECRET not in text, page
    assert "***" in dashboard.client.get(f"/queue/{item['id']}").text


def test_vlmhb_dashboard_refuses_another_host_without_a_token_or_read_only(tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()
    env = {"VLMHB_CACHE_DIR": str(tmp_path / "cache"), "VLMHB_DASHBOARD_TOKEN": ""}
    done = run_vlmhb("dashboard", str(tmp_path / "runs"), "--host", "0.0.0.0", env=env, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    message = " ".join(done.stderr.split())
    assert "--host 0.0.0.0" in message and "--token" in message and "--read-only" in message
    assert "VLMHB_DASHBOARD_TOKEN" in message
