"""Robustness charts on the run page and the leaderboard over real run folders (written by the
evaluate stage: two splits, ``degraded`` listed first by the dataset), and the perf page."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.openai_server import ScriptedOpenAIServer
from tests.support.run_folders import make_run_folder
from vlmhyperbench.core import RunDir
from vlmhyperbench.dashboard.app import DashboardSettings, create_app, fmt_num
from vlmhyperbench.dashboard.db import open_index
from vlmhyperbench.perf import LevelSummary


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rob") / "runs"
    make_run_folder(root / "exp", "r1", n=12, model="model-a", seed=1)
    make_run_folder(root / "exp", "r2", n=12, model="model-b", seed=2)
    make_run_folder(root / "other", "single", n=12, model="model-c", seed=3, task="ocr")
    with ScriptedOpenAIServer() as server:
        server.first_token_delay, server.token_delay = 0.01, 0.002
        server.answer_fn = lambda body, sid: "раз два три четыре пять шесть семь"
        done = subprocess.run(
            [
                *(
                    sys.executable,
                    "-m",
                    "vlmhyperbench",
                    "perf",
                    "--url",
                    server.url,
                    "--model",
                    "scripted-vlm",
                ),
                *("--text-words", "20", "--concurrency", "1,2", "--rate", "40", "--num-requests", "4"),
                *("--max-tokens", "8", "--out", str(root / "perf-a")),
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    # attached to a run (``vlmhb perf --attach`` writes <run>/perf), with one level's summary broken
    shutil.copytree(root / "perf-a", root / "exp" / "r2" / "perf")
    (root / "exp" / "r2" / "perf" / "c2" / "summary.json").write_text('{"level": "c2", "completed": "many"}')
    shutil.copytree(root / "perf-a", root / "other" / "perf-b")  # inside an experiment folder
    (root / "other" / "perf-b" / "levels.json").write_text("[not json")
    return root


@pytest.fixture(scope="module")
def client(runs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    index = open_index(runs, f"sqlite:///{tmp_path_factory.mktemp('idx') / 'index.sqlite'}")
    index.refresh()
    with TestClient(create_app(DashboardSettings(runs_dir=runs, refresh_interval_s=0), index=index)) as c:
        yield c
    index.close()


def _figures(html: str, prefix: str) -> dict[str, dict[str, Any]]:
    """Every chart figure embedded in ``html`` whose id starts with ``prefix``."""
    found = re.findall(
        r'<script type="application/json" id="(' + prefix + r'[^"]*)-data">(.*?)</script>', html, re.DOTALL
    )
    return {fid: json.loads(text) for fid, text in found}


def _by_split(run_dir: RunDir) -> tuple[list[str], dict[str, list[float | None]], list[str]]:
    """metrics.json's by_split rows: split order, each metric's values, and metric order."""
    rows = run_dir.read_metrics().aggregates["by_split"]
    splits = [r.group["split"] for r in rows]
    metrics = [m.name for m in run_dir.read_metrics().metrics]
    return splits, {m: [r.values.get(m) for r in rows] for m in metrics}, metrics


def test_run_page_has_one_robustness_chart_per_metric_with_metrics_json_values(
    client: TestClient, runs: Path
) -> None:
    html = client.get("/runs/exp/r1").text
    assert 'id="robustness"' in html
    figures = _figures(html, "robustness-")
    splits, values, metrics = _by_split(RunDir(runs / "exp" / "r1"))
    assert splits == ["degraded", "clean"]  # the dataset's order, not sorted
    assert [f["data"][0]["name"] for f in figures.values()] == metrics
    for fig in figures.values():
        (trace,) = fig["data"]
        assert trace["x"] == splits
        assert fig["layout"]["xaxis"]["categoryarray"] == splits
        assert trace["y"] == pytest.approx(values[trace["name"]])
    titles = {f["data"][0]["name"]: f["layout"]["title"]["text"] for f in figures.values()}
    assert titles["cer"].startswith("cer ↓") and "lower is better" in titles["cer"]
    assert titles["anls"].startswith("anls ↑") and "higher is better" in titles["anls"]
    assert "/static-plotly/plotly.min.js" in html and "/static/charts.js" in html


def test_run_page_interval_bars_are_metrics_json_intervals(client: TestClient, runs: Path) -> None:
    figures = _figures(client.get("/runs/exp/r1").text, "robustness-")
    rows = RunDir(runs / "exp" / "r1").read_metrics().aggregates["by_split"]
    anls = next(f for f in figures.values() if f["data"][0]["name"] == "anls")["data"][0]
    assert anls["error_y"]["array"] == pytest.approx([r.ci["anls"][1] - r.values["anls"] for r in rows])
    assert anls["error_y"]["arrayminus"] == pytest.approx([r.values["anls"] - r.ci["anls"][0] for r in rows])


def test_leaderboard_compares_runs_over_splits(client: TestClient, runs: Path) -> None:
    html = client.get("/leaderboard").text
    figures = _figures(html, "robustness-vqa-")
    _, values_1, metrics = _by_split(RunDir(runs / "exp" / "r1"))
    _, values_2, _ = _by_split(RunDir(runs / "exp" / "r2"))
    assert len(figures) == len(metrics)  # one chart per metric
    for fig in figures.values():
        lines = {t["name"]: t for t in fig["data"]}
        metric = fig["layout"]["yaxis"]["title"]["text"]
        assert set(lines) == {"model-a (exp/r1)", "model-b (exp/r2)"}
        for trace in lines.values():
            assert trace["x"] == ["degraded", "clean"]
        assert lines["model-a (exp/r1)"]["y"] == pytest.approx(values_1[metric])
        assert lines["model-b (exp/r2)"]["y"] == pytest.approx(values_2[metric])
    # the ocr task has one run only: nothing to compare
    assert not _figures(html, "robustness-ocr-")


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


def _cells(html: str, section: str, level: str) -> list[str]:
    """The text of each cell of ``level``'s row in the perf folder section ``section``."""
    part = html.split(f'data-folder="{section}"', 1)[1].split("</section>", 1)[0]
    row = part.split(f'<tr data-level="{level}">', 1)[1].split("</tr>", 1)[0]
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)]


def test_perf_page_shows_each_levels_summary(client: TestClient, runs: Path) -> None:
    before = _tree(runs)
    html = client.get("/perf").text
    assert _tree(runs) == before  # read from the folders, never written
    assert 'href="/perf"' in html
    for level in ("c1", "c2", "r40"):
        s = LevelSummary.model_validate_json((runs / "perf-a" / level / "summary.json").read_text())
        cells = _cells(html, "perf-a", level)
        assert cells[:6] == [
            {"c1": "1 in flight", "c2": "2 in flight", "r40": "40 req/s"}[level],
            str(s.completed),
            str(s.failed),
            f"{s.request_throughput:.3f}",
            f"{s.output_token_throughput:.1f}",
            "—" if s.goodput is None else f"{s.goodput:.3f}",
        ]
        assert s.completed == 4
        assert s.tpot_s.median is not None and s.e2e_s.p99 is not None
        expected = [fmt_num(x, 3) for x in (s.ttft_s.median, s.ttft_s.p95, s.ttft_s.p99)]
        expected += [fmt_num(x, 4) for x in (s.tpot_s.median, s.tpot_s.p95, s.tpot_s.p99)]
        expected += [fmt_num(x, 3) for x in (s.e2e_s.median, s.e2e_s.p95, s.e2e_s.p99)]
        assert cells[6:15] == expected
    section = html.split('data-folder="perf-a"', 1)[1].split("</section>", 1)[0]
    (chart,) = _figures(section, "perf-chart-").values()
    summaries = [
        LevelSummary.model_validate_json((runs / "perf-a" / lv / "summary.json").read_text())
        for lv in ("c1", "c2", "r40")
    ]
    p50 = chart["data"][0]
    assert p50["x"] == pytest.approx([s.request_throughput for s in summaries])
    assert p50["y"] == pytest.approx([s.e2e_s.median for s in summaries])
    assert p50["text"] == ["1 in flight", "2 in flight", "40 req/s"]


def test_a_corrupt_level_summary_is_an_error_row(client: TestClient, runs: Path) -> None:
    html = client.get("/perf").text
    part = html.split('data-folder="exp/r2/perf"', 1)[1].split("</section>", 1)[0]
    assert '<tr class="run-error" data-level="c2">' in part
    assert "summary.json" in part and "completed" in part  # the file and the key at fault
    assert _cells(html, "exp/r2/perf", "c1")[1] == "4"  # the other levels are shown


def test_an_unreadable_levels_json_is_shown_and_the_summary_folders_are_listed(client: TestClient) -> None:
    html = client.get("/perf").text
    part = html.split('data-folder="other/perf-b"', 1)[1].split("</section>", 1)[0]
    assert "levels.json: Expecting value" in part
    assert re.findall(r'<tr data-level="([^"]+)">', part) == ["c1", "c2", "r40"]
    assert _cells(html, "other/perf-b", "r40")[0] == "40 req/s"


def test_a_run_with_attached_perf_results_links_to_them(client: TestClient) -> None:
    assert 'href="/perf#perf-exp/r2/perf"' in client.get("/runs/exp/r2").text
    assert 'id="perf-link"' not in client.get("/runs/exp/r1").text
    assert '<section class="perf" id="perf-exp/r2/perf"' in client.get("/perf").text
