"""`vlmhb run` with ``benchmark: cc_ocr_multi_lan_ocr|cc_ocr_multi_scene_ocr|cc_ocr_kie|cc_ocr_doc_parsing`` on a
tiny CC-OCR release in its official TSV layout, against a scripted model: the headline,
each subset's value and each sample's score equal those of CC-OCR's own evaluator.

The expected numbers are tests/data/golden/benchmarks/cc_ocr/cc_ocr.json, written by
make_cc_ocr.py beside it, which runs VLMEvalKit's copy of CC-OCR's evaluator on the same
references (tests/support/fixtures_ccocr.py) and predictions.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tests.support import fixtures_ccocr as fx
from tests.support.openai_server import ScriptedOpenAIServer
from vlmhyperbench.cli.main import app

GOLDEN = json.loads(
    (Path(__file__).parents[1] / "data" / "golden" / "benchmarks" / "cc_ocr" / "cc_ocr.json").read_text(
        "utf-8"
    )
)
HEADLINE_TOLERANCE = 1e-6
"""CC-OCR divides each mean by ``n + 1e-9``: a relative difference below 1e-9 (values × 100)."""
SAMPLE_TOLERANCE = 1e-12
TRACKS = {
    "multi_lan_ocr": "token_f1",
    "multi_scene_ocr": "token_f1",
    "kie": "field_f1_donut",
    "doc_parsing": "cc_ocr_parsing",
}


@pytest.fixture(autouse=True)
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VLMHB_CACHE_DIR", str(tmp_path / "cache"))


def run_benchmark(tmp_path: Path, benchmark: str | dict[str, Any], source: Path, url: str) -> Any:
    run = {
        "benchmark": benchmark,
        "dataset": str(source),
        "model": {"backend": "openai", "options": {"base_url": url, "model": "m", "timeout_s": 5}},
    }
    config = tmp_path / "e.yaml"
    config.write_text(
        yaml.safe_dump(
            {"name": "bench", "output_dir": str(tmp_path / "runs"), "runs": [run]}, allow_unicode=True
        ),
        encoding="utf-8",
    )
    return CliRunner().invoke(app, ["run", str(config), "--executor", "inline"], env={"COLUMNS": "200"})


def metrics_dir(tmp_path: Path) -> Path:
    (metrics_file,) = (tmp_path / "runs").glob("bench/*/metrics/metrics.json")
    return metrics_file.parent


@pytest.mark.parametrize("track", list(TRACKS))
def test_track_headline_equals_cc_ocr_evaluator(
    track: str, tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.answers = dict(fx.PREDICTIONS)
    source = fx.write_cc_ocr(tmp_path / "src")
    done = run_benchmark(tmp_path, f"cc_ocr_{track}", source, openai_server.url)
    assert done.exit_code == 0, done.output
    golden = GOLDEN["tracks"][track]
    summary = json.loads((metrics_dir(tmp_path) / "metrics.json").read_text("utf-8"))
    headline = summary["benchmark"]
    assert headline["benchmark"] == f"cc_ocr_{track}"
    assert headline["n"] == sum(len(s[3]) for n, s in fx.SUBSETS.items() if fx.TRACK_OF[n] == track)
    assert headline["value"] == pytest.approx(golden["value"], abs=HEADLINE_TOLERANCE)
    assert headline["parts"].keys() == golden["datasets"].keys()
    for dataset, value in golden["datasets"].items():
        assert headline["parts"][dataset] == pytest.approx(value, abs=HEADLINE_TOLERANCE), dataset
    metric = TRACKS[track]
    with (metrics_dir(tmp_path) / "metrics_by_id.csv").open(encoding="utf-8") as fh:
        by_id = {row["sample_id"]: row for row in csv.DictReader(fh)}
    for sample_id, expected in golden["per_sample"].items():
        assert float(by_id[sample_id][metric]) == pytest.approx(expected, abs=SAMPLE_TOLERANCE), sample_id
    first = min(openai_server.requests, key=lambda r: r.received_at).body
    prompt = "".join(p["text"] for p in first["messages"][-1]["content"] if p["type"] == "text")
    prompts = {"kie": [fx.KIE_PROMPT], "doc_parsing": list(fx.PARSING_PROMPTS.values())}
    assert any(prompt.startswith(p) for p in prompts.get(track, [fx.OCR_PROMPT]))
    assert first.get("max_tokens") == 2000


def test_one_language_is_a_subset(tmp_path: Path, openai_server: ScriptedOpenAIServer) -> None:
    openai_server.answers = dict(fx.PREDICTIONS)
    source = fx.write_cc_ocr(tmp_path / "src")
    subset = "multi_lan_ocr/Russian/Russian_150"
    done = run_benchmark(
        tmp_path, {"name": "cc_ocr_multi_lan_ocr", "subset": subset}, source, openai_server.url
    )
    assert done.exit_code == 0, done.output
    headline = json.loads((metrics_dir(tmp_path) / "metrics.json").read_text("utf-8"))["benchmark"]
    russian = GOLDEN["tracks"]["multi_lan_ocr"]["datasets"]["Russian"]
    assert headline["n"] == 3 and list(headline["parts"]) == ["Russian"]
    assert headline["value"] == pytest.approx(russian, abs=HEADLINE_TOLERANCE)


def test_unknown_subset_lists_the_subsets(tmp_path: Path) -> None:
    source = fx.write_cc_ocr(tmp_path / "src")
    done = run_benchmark(
        tmp_path,
        {"name": "cc_ocr_multi_lan_ocr", "subset": "multi_lan_ocr/Klingon"},
        source,
        "http://127.0.0.1:9/v1",
    )
    assert done.exit_code == 2, done.output
    output = " ".join(done.output.split())
    assert "has no subset 'multi_lan_ocr/Klingon'" in output
    assert "multi_lan_ocr/Russian/Russian_150" in output and "Traceback" not in done.output
