"""In headless Chromium: filter the sample browser, open a failing sample and see its diff with
the look-alikes marked, zoom its page image, compare two runs and follow a disagreement.

Each test runs with the index in SQLite and in PostgreSQL (``db_url``); the run folders are made
once for the module (the dashboard never writes to them)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.dashboard_db import db_url  # noqa: F401 - the fixture
from tests.support.live_dashboard import CHROMIUM, LiveDashboard
from tests.support.sample_runs import make_sample_runs

pytestmark = pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sample_runs(tmp_path_factory.mktemp("sample-runs"))


@pytest.fixture
def dashboard(
    runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str
) -> Iterator[LiveDashboard]:
    monkeypatch.setenv("VLMHB_CACHE_DIR", str(tmp_path / "cache"))
    live = LiveDashboard(runs, db_url)
    live.app.state.index.refresh()
    try:
        yield live
    finally:
        live.stop()


def _rows(page: Any) -> list[str]:
    return page.eval_on_selector_all("#samples tr[data-sample]", "rows => rows.map(r => r.dataset.sample)")


def test_filter_open_a_failing_sample_see_its_diff_and_zoom(page: Any, dashboard: LiveDashboard) -> None:
    page.goto(f"{dashboard.url}/runs/exp/b/samples")
    assert len(_rows(page)) == 6
    page.select_option("select[name=doc_class]", "passport")
    page.select_option("select[name=metric]", "anls")
    page.fill("input[name=max]", "0.5")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**doc_class=passport**")
    assert _rows(page) == ["p-1"]

    page.click("#samples a:text('p-1')")
    page.wait_for_selector("#diff")
    marked = page.eval_on_selector_all(
        "#diff .d-homoglyph", "els => els.map(e => [e.querySelector('del').textContent, e.title])"
    )
    assert len(marked) == 5 and marked[0] == ["В", "Latin B (U+0042) instead of Cyrillic В (U+0412)"]
    assert page.is_visible("#answer-bbox")
    image = page.wait_for_selector(".page-frame img")
    page.wait_for_function("document.querySelector('.page-frame img').naturalWidth > 0")
    before = image.bounding_box()["width"]
    box_before = page.eval_on_selector("#answer-bbox", "e => e.getBoundingClientRect().width")
    page.click("[data-zoom=in]")
    after = image.bounding_box()["width"]
    box_after = page.eval_on_selector("#answer-bbox", "e => e.getBoundingClientRect().width")
    assert after == pytest.approx(before * 1.5, rel=0.02)
    assert box_after / box_before == pytest.approx(after / before, rel=0.02)  # the box follows the page
    assert page.inner_text("#zoom-level") == "150%"


def test_compare_two_runs_and_open_a_sample_where_they_disagree(page: Any, dashboard: LiveDashboard) -> None:
    page.goto(f"{dashboard.url}/runs/exp/a/samples")
    page.click("text=compare with another run")
    page.select_option("select[name=b]", "exp/b")
    page.select_option("select[name=metric]", "exact_match")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("#outcomes")
    assert page.inner_text("#a-only") == "3" and page.inner_text("#b-only") == "2"
    assert "too few samples" in page.inner_text("#verdict")
    page.click('#disagreements tr[data-sample="p-2"] a:text("in A")')
    page.wait_for_selector("#diff")
    assert page.url.endswith("/runs/exp/a/samples/p-2")
    assert page.eval_on_selector("#diff .d-yo del", "e => e.textContent") == "Ё"
