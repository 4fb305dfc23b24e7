"""In headless Chromium, the dashboard over the demo's runs: the shipped demo experiment run by
`vlmhb run` with the Tesseract backend (its OCR runs, on a one-document-per-class demo dataset,
clean pages only, to stay fast); the experiments page lists the runs, the leaderboard ranks them,
a run page opens with its metrics. With the index in SQLite and in PostgreSQL (``db_url``); the
run folders are made once for the module (the dashboard never writes to them)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.dashboard_db import db_url  # noqa: F401 - the fixture
from tests.support.live_dashboard import CHROMIUM, LiveDashboard
from vlmhyperbench._paths import demo_experiment_path

RUS, ENG = "demo/ocr-tesseract-rus-eng", "demo/ocr-tesseract-eng"

pytestmark = [
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed"),
    pytest.mark.tesseract,
    pytest.mark.slow,
]


def _vlmhb(*args: str, env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "vlmhyperbench", *args], capture_output=True, text=True, env=env, timeout=600
    )
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """RUNS_DIR holding the demo experiment's OCR runs, made by `vlmhb run`."""
    root = tmp_path_factory.mktemp("demo")
    env = {**os.environ, "VLMHB_CACHE_DIR": str(root / "cache")}
    _vlmhb("datasets", "make-demo", str(root / "data"), "--n-per-class", "1", env=env)
    config = yaml.safe_load(demo_experiment_path().read_text("utf-8"))
    config["runs"] = [run for run in config["runs"] if run["task"] == "ocr"]
    for run in config["runs"]:
        run["dataset"] = {"path": str(root / "data"), "filters": {"split": ["clean"]}}
    (root / "experiment.yaml").write_text(yaml.safe_dump(config), "utf-8")
    _vlmhb("run", str(root / "experiment.yaml"), "--output-dir", str(root / "runs"), env=env)
    return root / "runs"


@pytest.fixture
def dashboard(
    demo_runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str
) -> Iterator[LiveDashboard]:
    monkeypatch.setenv("VLMHB_CACHE_DIR", str(tmp_path / "cache"))
    live = LiveDashboard(demo_runs, db_url)
    live.app.state.index.refresh()
    try:
        yield live
    finally:
        live.stop()


def test_experiments_leaderboard_and_a_run_page_over_the_demo_runs(
    page: Any, dashboard: LiveDashboard
) -> None:
    page.goto(f"{dashboard.url}/")
    for run in (RUS, ENG):
        row = f'#exp-demo tr[data-run="{run}"]'
        assert page.get_attribute(row, "data-indexed-status") == "completed"
        assert "cer ↓" in page.inner_text(row)

    page.click('#exp-demo a:text("leaderboard")')
    page.wait_for_url("**/leaderboard?experiment=demo")
    ranked = page.eval_on_selector_all("#task-ocr tr[data-run]", "rows => rows.map(r => r.dataset.run)")
    assert ranked == [RUS, ENG]  # Tesseract with Russian reads the Russian documents better
    cer = [float(page.inner_text(f'tr[data-run="{run}"] td[data-metric=cer]').split()[0]) for run in ranked]
    assert cer[0] < cer[1], cer
    page.wait_for_selector("#task-ocr .js-plotly-plot")  # the Pareto view is drawn (plotly, offline)

    page.click(f'#task-ocr tr[data-run="{RUS}"] a:text("ocr-tesseract-rus-eng")')
    page.wait_for_url(f"**/runs/{RUS}")
    assert page.is_visible("h1 .status-completed") and page.is_visible("#agg-general")
    assert page.inner_text("#n-answers") == "6 / 6"
    assert page.inner_text("#n-errors") == "0"
    page.click("#samples-link")
    page.wait_for_url(f"**/runs/{RUS}/samples")
    assert len(page.query_selector_all("#samples tr[data-sample]")) == 6
