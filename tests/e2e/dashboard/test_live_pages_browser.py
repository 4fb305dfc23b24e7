"""In headless Chromium: a run started from the command line (`vlmhb run`) shows up on the open
experiments page while it starts, its progress advances there and on its run page, and both pages
turn into its results when it ends, without a reload; no page logs a console error. Each test
runs with the index in SQLite and in PostgreSQL (``db_url``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.factories import TINY_SAMPLES, make_jsonl_dataset, write_experiment
from tests.support.dashboard_db import db_url  # noqa: F401 - the fixture
from tests.support.live_dashboard import LiveDashboard
from tests.support.openai_server import ScriptedOpenAIServer

CHROMIUM = "/usr/bin/chromium"
SAMPLES = [(f"s-{i:03d}", *TINY_SAMPLES[i % 3][1:]) for i in range(1, 13)]
ROW = 'tr[data-run="exp/r1"]'

pytestmark = pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed")


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str
) -> Iterator[tuple[LiveDashboard, Path]]:
    monkeypatch.setenv("VLMHB_CACHE_DIR", str(tmp_path / "cache"))
    dataset = make_jsonl_dataset(tmp_path / "data", samples=SAMPLES)
    with ScriptedOpenAIServer() as server:
        server.answers = {sid: answer for sid, _, _, _, answer, _ in SAMPLES}
        server.first_token_delay = 0.8  # ~10 s for the run: time to watch it
        config = write_experiment(tmp_path / "e.yaml", dataset, base_url=server.url, concurrency=1)
        (tmp_path / "runs").mkdir()
        # the CLI's default refresh interval: the index lags the folders by up to 2 s
        dashboard = LiveDashboard(tmp_path / "runs", db_url, refresh_interval_s=2.0)
        try:
            yield dashboard, config
        finally:
            dashboard.stop()


def _open(browser: Any, url: str, problems: list[str]) -> Any:
    page = browser.new_page()
    page.on("console", lambda m: problems.append(f"{url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"{url}: {exc}"))
    page.goto(url)
    page.evaluate("window.loadedOnce = true")  # gone if the page is reloaded
    return page


def _value(page: Any, selector: str) -> list[int]:
    return page.eval_on_selector(selector, "el => [el.value, el.max]")  # type: ignore[no-any-return]


def test_a_cli_run_appears_advances_and_turns_into_its_results_without_a_reload(
    browser: Any, setup: tuple[LiveDashboard, Path]
) -> None:
    dashboard, config = setup
    problems: list[str] = []
    experiments = _open(browser, f"{dashboard.url}/", problems)
    assert experiments.is_visible("#no-experiments")
    process = subprocess.Popen(
        [sys.executable, "-m", "vlmhyperbench", "run", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=os.environ.copy(),
    )
    try:
        # it appears while it starts, and its bar advances
        bar = f'{ROW} progress[data-live="progress"]'
        experiments.wait_for_selector(bar, timeout=60_000)
        experiments.wait_for_function(
            f"document.querySelector('{bar}') && document.querySelector('{bar}').value >= 2", timeout=60_000
        )
        value, total = _value(experiments, bar)
        assert 2 <= value < len(SAMPLES) and total == len(SAMPLES), (value, total)
        assert "answers/s" in experiments.inner_text(f'{ROW} [data-live="summary"]')

        # the run page, opened while it goes, follows it too
        run_page = _open(browser, f"{dashboard.url}/runs/exp/r1", problems)
        assert run_page.is_visible("#no-metrics")
        start = _value(run_page, '#run-live progress[data-live="progress"]')[0]
        run_page.wait_for_function(
            "document.querySelector('#run-live progress').value > " + str(start), timeout=60_000
        )
        assert "answers/s" in run_page.inner_text('#run-live [data-live="summary"]')

        # it ends: both pages show its results, without a reload
        run_page.wait_for_selector('#run-live[data-indexed-status="completed"]', timeout=90_000)
        assert run_page.is_visible("#agg-general") and run_page.is_visible("h1 .status-completed")
        experiments.wait_for_selector(f'{ROW}[data-indexed-status="completed"]', timeout=30_000)
        assert "anls" in experiments.inner_text(ROW)
        assert experiments.evaluate("window.loadedOnce === true"), "the experiments page was reloaded"
        assert run_page.evaluate("window.loadedOnce === true"), "the run page was reloaded"
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)
        out = process.stdout.read().decode(errors="replace") if process.stdout else ""
    assert not problems, (problems, out)


def test_the_pages_log_no_console_error(browser: Any, setup: tuple[LiveDashboard, Path]) -> None:
    dashboard, _ = setup
    problems: list[str] = []
    for path in ("/", "/leaderboard", "/queue", "/compare", "/runs/exp/nope"):
        page = _open(browser, f"{dashboard.url}{path}", problems)
        page.wait_for_timeout(1500)  # the favicon request, if any, has been answered
        page.close()
    # /runs/exp/nope: the 404 itself is the one expected error
    assert [p for p in problems if not p.startswith(f"{dashboard.url}/runs/exp/nope")] == []
    assert len(problems) <= 1
