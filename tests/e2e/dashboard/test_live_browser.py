"""In headless Chromium: queue a config from the page, watch its progress advance live, see the
item turn completed without a reload; cancel a run from its page. Each test runs with the index
(and queue) in SQLite and in PostgreSQL (``db_url``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.factories import TINY_SAMPLES, make_jsonl_dataset, write_experiment
from tests.support.dashboard_db import db_url  # noqa: F401 - the fixture
from tests.support.live_dashboard import LiveDashboard
from tests.support.openai_server import ScriptedOpenAIServer
from vlmhyperbench.core import RunDir

CHROMIUM = "/usr/bin/chromium"
SAMPLES = [(f"s-{i:03d}", *TINY_SAMPLES[i % 3][1:]) for i in range(1, 9)]

pytestmark = pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed")


@pytest.fixture
def browser_page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield browser.new_page()
        finally:
            browser.close()


@pytest.fixture
def started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str
) -> Iterator[tuple[LiveDashboard, str]]:
    monkeypatch.setenv("VLMHB_CACHE_DIR", str(tmp_path / "cache"))
    dataset = make_jsonl_dataset(tmp_path / "data", samples=SAMPLES)
    with ScriptedOpenAIServer() as server:
        server.answers = {sid: answer for sid, _, _, _, answer, _ in SAMPLES}
        server.first_token_delay = 0.6
        config = write_experiment(tmp_path / "e.yaml", dataset, base_url=server.url, concurrency=1)
        dashboard = LiveDashboard(tmp_path / "runs", db_url)
        try:
            yield dashboard, config.read_text()
        finally:
            for item in dashboard.app.state.queue.items():
                if item.status == "running":
                    dashboard.app.state.queue.cancel(item.id)
            dashboard.stop()


def _queue_from_the_page(page: Any, dashboard: LiveDashboard, config: str) -> None:
    page.goto(f"{dashboard.url}/queue")
    page.fill("textarea[name=text]", config)
    page.fill("input[name=filename]", "from-browser.yaml")
    page.click("#queue-form button[type=submit]")
    page.wait_for_selector("tr[data-queue-item]")


def test_progress_advances_live_and_the_item_completes_without_a_reload(
    browser_page: Any, started: tuple[LiveDashboard, str]
) -> None:
    dashboard, config = started
    page = browser_page
    _queue_from_the_page(page, dashboard, config)
    page.goto(f"{dashboard.url}/queue/1")
    page.evaluate("window.loadedOnce = true")
    bar = '[data-run="exp/r1"] progress[data-live="progress"]'
    page.wait_for_function(
        f"document.querySelector('{bar}') && document.querySelector('{bar}').value >= 2", timeout=60_000
    )
    seen = page.eval_on_selector(bar, "el => [el.value, el.max]")
    assert 2 <= seen[0] < len(SAMPLES) and seen[1] == len(SAMPLES), seen
    assert "answers/s" in page.inner_text('[data-run="exp/r1"] [data-live="summary"]')
    page.wait_for_function(
        "(document.getElementById('item-status')?.textContent ?? '').trim() === 'completed'",
        timeout=90_000,  # absent while live.js swaps the region
    )
    assert page.evaluate("window.loadedOnce === true"), "the page was reloaded"
    assert page.eval_on_selector(bar, "el => el.value") == len(SAMPLES)


def test_cancel_from_the_page_stops_the_run_and_keeps_its_answers(
    browser_page: Any, started: tuple[LiveDashboard, str]
) -> None:
    dashboard, config = started
    page = browser_page
    _queue_from_the_page(page, dashboard, config)
    page.goto(f"{dashboard.url}/queue/1")
    bar = '[data-run="exp/r1"] progress[data-live="progress"]'
    page.wait_for_function(
        f"document.querySelector('{bar}') && document.querySelector('{bar}').value >= 1", timeout=60_000
    )
    page.click("button[data-action=cancel]")
    page.wait_for_function(
        "(document.getElementById('item-status')?.textContent ?? '').trim() === 'cancelled'"
    )  # absent while live.js swaps the region
    run_dir = RunDir(dashboard.app.state.index.runs_dir / "exp" / "r1")
    assert 1 <= len(run_dir.read_answers()) < len(SAMPLES)
    assert run_dir.read_manifest().status == "interrupted"
