"""Experiments, leaderboard and run pages over real runs of `run_experiment` against the
scripted OpenAI server: the numbers on the pages are the ones in the run folders."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import make_jsonl_dataset, write_experiment
from tests.support.openai_server import ScriptedOpenAIServer
from vlmhyperbench.core import RunDir
from vlmhyperbench.dashboard.app import DashboardSettings, create_app, plotly_js_path
from vlmhyperbench.dashboard.db import open_index
from vlmhyperbench.orchestrator import run_experiment

RIGHT = {"s-001": "ИВАНОВ", "s-002": "ПЁТР", "s-003": "7707083893"}
WRONG = {"s-001": "ИBAHOB", "s-002": "ПЕТР", "s-003": "7707083893"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("dash-runs")
    dataset = make_jsonl_dataset(tmp / "tiny")
    with ScriptedOpenAIServer() as server:
        for name, answers in (("exp-a", RIGHT), ("exp-b", WRONG)):
            server.clear()
            server.answers = dict(answers)
            if name == "exp-b":
                server.fail_with(400, sample_ids={"s-003"})
            result = run_experiment(
                write_experiment(tmp / f"{name}.yaml", dataset, base_url=server.url, name=name)
            )
            assert result.runs
    return tmp / "runs"


@pytest.fixture(scope="module")
def client(runs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    index = open_index(runs, f"sqlite:///{tmp_path_factory.mktemp('idx') / 'index.sqlite'}")
    index.refresh()
    with TestClient(create_app(DashboardSettings(runs_dir=runs, refresh_interval_s=0), index=index)) as c:
        yield c
    index.close()


def _general(runs: Path, experiment: str) -> dict[str, float]:
    summary = RunDir(runs / experiment / "r1").read_metrics()
    return {k: v for k, v in summary.aggregates["general"][0].values.items() if v is not None}


def _get(client: TestClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return response.text


def test_experiments_page_lists_each_run_with_its_status_and_headline(client: TestClient, runs: Path) -> None:
    html = _get(client, "/")
    for name in ("exp-a", "exp-b"):
        row = re.search(rf'<tr data-run="{name}/r1"[^>]*>(.*?)</tr>', html, re.DOTALL)
        assert row is not None, name
        assert "status-completed" in row.group(1)
        assert f"<strong>{_general(runs, name)['anls']:.4f}</strong>" in row.group(1)
    b_row = re.search(r'<tr data-run="exp-b/r1"[^>]*>(.*?)</tr>', html, re.DOTALL)
    assert b_row is not None and re.search(
        r'<td class="num"><span data-live="answered">2</span> / 3</td>\s*'
        r'<td class="num"><span data-live="failed">1</span></td>',
        b_row.group(1),
    )


def _figure(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="pareto-vqa-data">(.*?)</script>', html, re.DOTALL)
    assert found is not None
    figure: dict[str, Any] = json.loads(found.group(1))
    return figure


def test_leaderboard_ranks_runs_with_intervals_and_speed(client: TestClient, runs: Path) -> None:
    html = _get(client, "/leaderboard")
    order = re.findall(r'<tr data-run="([^"]+)">', html)
    a, b = _general(runs, "exp-a"), _general(runs, "exp-b")
    assert a["anls"] > b["anls"] and order == ["exp-a/r1", "exp-b/r1"]
    assert "anls ↑" in html and "cer ↓" in html and "latency p50 ↓" in html
    cell = re.search(r'<tr data-run="exp-a/r1">.*?data-metric="anls">(.*?)</td>', html, re.DOTALL)
    assert cell is not None and f"{a['anls']:.4f}" in cell.group(1) and 'class="ci"' in cell.group(1)
    figure = _figure(html)
    assert figure["layout"]["yaxis"]["title"]["text"] == "anls (↑ better)"
    assert figure["layout"]["xaxis"]["title"]["text"].startswith("latency p50")
    assert sorted(figure["data"][0]["y"]) == sorted([a["anls"], b["anls"]])
    cer = _figure(_get(client, "/leaderboard?metric=cer"))
    assert cer["layout"]["yaxis"]["title"]["text"] == "cer (↓ better)"
    assert sorted(cer["data"][0]["y"]) == sorted([a["cer"], b["cer"]])
    only_b = _get(client, "/leaderboard?experiment=exp-b")
    assert re.findall(r'<tr data-run="([^"]+)">', only_b) == ["exp-b/r1"]


def test_plotly_is_the_reports_file_not_a_copy(client: TestClient) -> None:
    assert '<script src="/static-plotly/plotly.min.js">' in _get(client, "/leaderboard")
    response = client.get("/static-plotly/plotly.min.js")
    assert response.status_code == 200 and response.content == plotly_js_path().read_bytes()
    static = Path(__file__).parents[3] / "src" / "vlmhyperbench" / "dashboard" / "static"
    assert not [p for p in static.rglob("*") if "plotly" in p.name]


def test_run_page_shows_groups_stages_logs_and_reports(client: TestClient, runs: Path) -> None:
    html = _get(client, "/runs/exp-b/r1")
    summary = RunDir(runs / "exp-b" / "r1").read_metrics()
    section = re.search(r'<section class="metrics" id="agg-by_doc_class">(.*?)</section>', html, re.DOTALL)
    assert section is not None
    for row in summary.aggregates["by_doc_class"]:
        tr = re.search(rf"<td>{row.group['doc_class']}</td>(.*?)</tr>", section.group(1), re.DOTALL)
        assert tr is not None and f"{row.values['anls']:.4f}" in tr.group(1)
    assert 'id="agg-by_field"' in html and "passport / Фамилия" in html
    assert '<dd id="n-errors">1</dd>' in html and "samples?error=http" in html
    assert re.search(r"<td>infer</td><td><span class=\"status status-completed\">", html)
    assert "Python " in html  # the stage's environment from the manifest
    assert 'href="/runs/exp-b/r1/samples"' in html
    assert 'href="/runs/exp-b/r1/report/report.html"' in html
    report = client.get("/runs/exp-b/r1/report/report.html")
    assert report.status_code == 200 and "<html" in report.text
    js = re.search(r'src="(plotly-[0-9.]+\.min\.js)"', report.text)
    assert js is not None and client.get(f"/runs/exp-b/r1/report/{js.group(1)}").status_code == 200
    assert client.get("/runs/exp-b/r1/report/..%2Frun_spec.json").status_code == 404
    logs = RunDir(runs / "exp-b" / "r1").logs_dir
    if logs.is_dir() and any(logs.glob("*.log")):
        assert 'id="logs"' in html


def test_the_run_page_names_its_speed_as_the_live_line_does(client: TestClient) -> None:
    html = _get(client, "/runs/exp-b/r1")
    assert re.search(r'<dt>answers/s</dt><dd id="answers-per-s"[^>]*>[0-9.]+</dd>', html)
    assert "throughput" not in html  # one figure, one name: the live line says answers/s too


def test_unknown_run_is_404(client: TestClient) -> None:
    assert client.get("/runs/exp-a/nope").status_code == 404


HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}  # what a browser sends


@pytest.mark.parametrize(
    "url",
    ["/runs/exp-a/nope", "/runs/exp-a/r1/samples/nope", "/runs/exp-a/nope/samples", "/experiments/nope"],
)
def test_an_unknown_page_is_an_html_404_in_the_sites_layout(client: TestClient, url: str) -> None:
    response = client.get(url, headers=HTML)
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    assert 'class="topbar"' in response.text and "<h1>Not found</h1>" in response.text
    assert "nope" in response.text  # what was not found
    other = client.get(url, headers={"Accept": "application/json"})
    assert other.status_code == 404 and "nope" in other.json()["detail"]


def test_pages_have_a_favicon(client: TestClient) -> None:
    assert '<link rel="icon" href="/static/favicon.svg"' in _get(client, "/")
    for url in ("/static/favicon.svg", "/favicon.ico"):
        response = client.get(url)
        assert response.status_code == 200 and response.headers["content-type"].startswith("image/svg+xml")


def test_the_run_page_links_to_compare_with_this_run_as_a(client: TestClient) -> None:
    html = _get(client, "/runs/exp-a/r1")
    assert '<a href="/compare?a=exp-a/r1" id="compare-link">' in html
    assert '<option value="exp-a/r1" selected>' in _get(client, "/compare?a=exp-a/r1")


def test_experiments_and_run_pages_carry_the_live_markup(client: TestClient) -> None:
    for url, region in (
        ("/", "experiments-region"),
        ("/experiments/exp-a", "experiments-region"),
        ("/runs/exp-a/r1", "run-region"),
    ):
        html = _get(client, url)
        assert '<script src="/static/live.js" defer></script>' in html, url
        assert f'<div data-live-region id="{region}"' in html, url
        assert re.search(r'data-run="exp-a/r1" data-indexed-status="completed"', html), url
    assert 'data-live-runs="exp-a"' in _get(client, "/experiments/exp-a")
    run_page = _get(client, "/runs/exp-a/r1")
    assert 'data-run-page="exp-a/r1"' in run_page
    assert '<progress data-live="progress" max="3" value="3">' in run_page


def test_a_corrupt_run_folder_is_shown_with_its_error(runs: Path, tmp_path: Path) -> None:
    copy = tmp_path / "runs"
    shutil.copytree(runs, copy)
    (copy / "exp-b" / "r1" / "manifest.json").write_text("{not json", encoding="utf-8")
    index = open_index(copy, f"sqlite:///{tmp_path / 'i.sqlite'}")
    index.refresh()
    with TestClient(create_app(DashboardSettings(runs_dir=copy, refresh_interval_s=0), index=index)) as c:
        home = _get(c, "/")
        assert "status-corrupt" in home and "manifest.json: " in home and "not valid UTF-8 JSON" in home
        page = _get(c, "/runs/exp-b/r1")
        assert 'id="run-error"' in page and "manifest.json" in page
    index.close()
