"""`vlmhb run` with ``benchmark: omnidocbench`` (and ``mdpbench``) on a tiny OmniDocBench.json
against a scripted model that answers Markdown: the headline's figures and the
``by_page_attribute`` rows equal OmniDocBench's official end-to-end evaluator, and the
``mdpbench`` scores MDPBench's ``calculate_scores.py`` (tests/data/golden/benchmarks/omnidocbench,
made by running them on the same pages and answers)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tests.support import fixtures_omnidocbench as fx
from tests.support.openai_server import ScriptedOpenAIServer
from vlmhyperbench.benchmarks import benchmarks
from vlmhyperbench.cli.main import app

GOLDEN = json.loads(
    (Path(__file__).parents[1] / "data/golden/benchmarks/omnidocbench/omnidocbench.json").read_text("utf-8")
)
MDP_GOLDEN = json.loads(
    (Path(__file__).parents[1] / "data/golden/benchmarks/omnidocbench/mdpbench.json").read_text("utf-8")
)
TOLERANCE = 1e-6
# our metric -> (headline part, official element, official metric, scale of the part)
FIGURES = {
    "omnidoc_text_edit": ("Text Edit", "text_block", "Edit_dist", 1.0),
    "omnidoc_formula_edit": ("Formula Edit", "display_formula", "Edit_dist", 1.0),
    "omnidoc_table_teds": ("Table TEDS", "table", "TEDS", 100.0),
    "omnidoc_table_teds_s": ("Table TEDS-S", "table", "TEDS_structure_only", 100.0),
    "omnidoc_table_edit": ("Table Edit", "table", "Edit_dist", 1.0),
    "omnidoc_reading_order": ("Reading Order Edit", "reading_order", "Edit_dist", 1.0),
}


@pytest.fixture(autouse=True)
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VLMHB_CACHE_DIR", str(tmp_path / "cache"))


def run(tmp_path: Path, source: Path, url: str, benchmark: str = "omnidocbench") -> dict[str, Any]:
    config = {
        "name": "bench",
        "output_dir": str(tmp_path / "runs"),
        "runs": [
            {
                "benchmark": benchmark,
                "dataset": str(source),
                "model": {"backend": "openai", "options": {"base_url": url, "model": "m", "timeout_s": 5}},
            }
        ],
    }
    path = tmp_path / "e.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    done = CliRunner().invoke(app, ["run", str(path), "--executor", "inline"], env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    (metrics,) = (tmp_path / "runs").glob("bench/*/metrics/metrics.json")
    result: dict[str, Any] = json.loads(metrics.read_text("utf-8"))
    return result


def official(element: str, metric: str, pooled: bool) -> float:
    """The evaluator's figure over all pages: page-averaged, or pooled over the elements."""
    if metric == "Edit_dist":
        figures = GOLDEN[element]["all"]["Edit_dist"]
        return float(figures["edit_whole" if pooled else "ALL_page_avg"])
    return float(GOLDEN[element]["all" if pooled else "page"][metric]["all" if pooled else "ALL"])


def check_against_golden(metrics: dict[str, Any]) -> None:
    """The headline's parts and every by_page_attribute row equal the official figures."""
    headline = metrics["benchmark"]
    assert headline["benchmark"] == "omnidocbench" and headline["n"] == len(fx.PAGES)
    assert headline["value"] is None  # the Overall needs Formula CDM, which is not computed
    for part, element, metric, scale in FIGURES.values():
        for pooled in (False, True):
            name = f"{part} (pooled)" if pooled else part
            expected = official(element, metric, pooled) * scale
            assert headline["parts"][name] == pytest.approx(expected, abs=TOLERANCE * scale), name

    rows = metrics["aggregates"]["by_page_attribute"]
    checked = 0
    for row in rows:
        attribute, value = row["group"]["attribute"], row["group"]["value"]
        label = "ALL" if attribute == "ALL" else f"{attribute}: {value}"
        for ours, (_, element, metric, _) in FIGURES.items():
            expected = GOLDEN[element]["page"][metric].get(label)
            if expected is None:  # no page of the group has that element
                assert row["values"][ours] is None, (label, ours)
            else:
                assert row["values"][ours] == pytest.approx(expected, abs=TOLERANCE), (label, ours)
                checked += 1
    labels = {f"{r['group']['attribute']}: {r['group']['value']}" for r in rows}
    assert {"language: russian", "language: en", "watermark: True", "data_source: book"} <= labels
    assert checked >= 40


def test_headline_and_page_attributes_equal_the_official_evaluator(
    tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.answers = dict(fx.PREDICTIONS)
    metrics = run(tmp_path, fx.write_omnidocbench(tmp_path / "src"), openai_server.url)
    first = min(openai_server.requests, key=lambda r: r.received_at).body
    sent = "".join(p["text"] for p in first["messages"][-1]["content"] if p["type"] == "text")
    assert sent == benchmarks.get("omnidocbench").prompt  # the official prompt, as written

    check_against_golden(metrics)


def test_mdpbench_scores_equal_its_official_script(
    tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.answers = dict(fx.MDP_PREDICTIONS)
    metrics = run(tmp_path, fx.write_mdpbench(tmp_path / "MDPBench_dataset"), openai_server.url, "mdpbench")
    first = min(openai_server.requests, key=lambda r: r.received_at).body
    sent = "".join(p["text"] for p in first["messages"][-1]["content"] if p["type"] == "text")
    assert sent == benchmarks.get("mdpbench").prompt
    headline = metrics["benchmark"]
    official_scores = MDP_GOLDEN["scores"]
    for name, expected in official_scores.items():  # no display formula: exact without CDM
        assert headline["parts"].get(f"{name} (no CDM)") == expected, name
    assert headline["value"] == official_scores["All"] == 92.6
    rows = {
        (r["group"]["attribute"], r["group"]["value"]): r for r in metrics["aggregates"]["by_page_attribute"]
    }
    assert rows[("capture", "photographed")]["n"] == 1 and rows[("language", "Russian")]["n"] == 2


def test_markdown_files_made_elsewhere_score_the_same(tmp_path: Path) -> None:
    """`vlmhb evaluate --benchmark omnidocbench --answers-dir`: the evaluator's own input,
    one <image stem>.md per page, gives the official figures too."""
    folder = tmp_path / "marker_md"
    folder.mkdir()
    for page_id, markdown in fx.PREDICTIONS.items():
        (folder / f"{page_id}.md").write_text(markdown, encoding="utf-8")
    source = fx.write_omnidocbench(tmp_path / "src")
    args = ["evaluate", "--benchmark", "omnidocbench", "--dataset", str(source), "--answers-dir", str(folder)]
    done = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "out")], env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    headline = json.loads((tmp_path / "out" / "metrics" / "metrics.json").read_text("utf-8"))
    check_against_golden(headline)
    # the console prints an edit distance as the reports do: 3 decimals, not 0.04 for 0.035
    text_edit = headline["benchmark"]["parts"]["Text Edit"]
    assert f"Text Edit {text_edit:.3f}" in " ".join(done.output.split())
