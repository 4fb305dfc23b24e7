"""`vlmhb run` with ``benchmark: olmocr_bench`` against a scripted model, then a folder of
Markdown files made elsewhere scored into the same experiment: both in one comparison."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image
from typer.testing import CliRunner

from tests.support import fixtures_olmocr_bench as fx
from tests.support.openai_server import ScriptedOpenAIServer
from vlmhyperbench.cli.main import app
from vlmhyperbench.core import RunDir
from vlmhyperbench.prompts import BUILTIN_PROMPTS
from vlmhyperbench.tasks import PARSE_PROMPT

ANSWERS = {
    "arxiv_math/2503.00001_pg1_pg1": "Energy and mass: $E = mc^2$",
    "headers_footers/report_pg3_pg2": "<table><tr><td>Сумма</td></tr><tr><td>Итого</td></tr></table>",
    "headers_footers/report_pg3_pg1": "Отчёт 2024",
    "old_scans/untested_pg1": "UNTESTED",
}


@pytest.fixture(autouse=True)
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VLMHB_CACHE_DIR", str(tmp_path / "cache"))


def vlmhb(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "250"})


def run(tmp_path: Path, source: Path, url: str, **extra: Any) -> RunDir:
    config = {
        "name": "parsing",
        "output_dir": str(tmp_path / "runs"),
        "runs": [
            {
                "name": "vlm",
                "benchmark": "olmocr_bench",
                "dataset": str(source),
                "model": {"backend": "openai", "options": {"base_url": url, "model": "m", "timeout_s": 5}},
                **extra,
            }
        ],
    }
    path = tmp_path / "e.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    done = vlmhb("run", str(path), "--executor", "inline")
    assert done.exit_code == 0, done.output
    return RunDir(tmp_path / "runs" / "parsing" / "vlm")


def image_size(body: dict[str, Any]) -> tuple[int, int]:
    (part,) = [p for p in body["messages"][-1]["content"] if p["type"] == "image_url"]
    data = base64.b64decode(part["image_url"]["url"].split(",", 1)[1])
    return Image.open(io.BytesIO(data)).size


def sent_text(body: dict[str, Any]) -> str:
    return "".join(p["text"] for p in body["messages"][-1]["content"] if p["type"] == "text")


def test_a_parsing_run_scores_olmocr_bench_and_sits_beside_an_outside_tool(
    tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.answers = dict(ANSWERS)
    source = fx.write_bench(tmp_path / "bench")
    run_dir = run(tmp_path, source, openai_server.url)
    requests = openai_server.requests
    assert sorted(r.sample_id or "" for r in requests) == sorted(ANSWERS)
    first = requests[0].body
    assert sent_text(first) == PARSE_PROMPT and first["max_tokens"] == 8000
    assert image_size(first) == (2048, 1024)
    records = {r.sample_id: r for r in run_dir.read_answers()}
    assert records["old_scans/untested_pg1"].prompt is not None
    assert records["old_scans/untested_pg1"].prompt.source == "override"  # the preset's prompt
    headline = json.loads(run_dir.metrics_json.read_text("utf-8"))["benchmark"]
    assert headline["benchmark"] == "olmocr_bench" and headline["n"] == 4
    assert set(headline["parts"]) == {"arxiv_math", "baseline", "headers_footers"}
    assert headline["parts"]["baseline"] == 100.0 and headline["ci"] is not None
    assert (run_dir.metrics_dir / "metrics_by_split.csv").is_file()

    folder = tmp_path / "marker"
    for sample_id, text in ANSWERS.items():
        if sample_id != "old_scans/untested_pg1":
            path = folder / f"{sample_id}_repeat1.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    done = vlmhb(
        "evaluate", "--benchmark", "olmocr_bench", "--dataset", str(source), "--answers-dir", str(folder),
        "--model-name", "marker", "--out", str(tmp_path / "runs" / "parsing" / "marker"),
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    done = vlmhb("report", str(tmp_path / "runs" / "parsing"))
    assert done.exit_code == 0, done.output
    with (tmp_path / "runs" / "parsing" / "comparison.csv").open(encoding="utf-8") as fh:
        rows = {row["run_id"]: row for row in csv.DictReader(fh)}
    assert (rows["vlm"]["model"], rows["marker"]["model"]) == ("m", "marker")
    assert float(rows["vlm"]["olmocr_bench"]) > float(rows["marker"]["olmocr_bench"])  # marker misses a page
    comparison = (tmp_path / "runs" / "parsing" / "comparison.md").read_text("utf-8")
    assert (
        "olmOCR-bench" in comparison and "this run (marker)" in comparison and "Marker 1.10.1" in comparison
    )
    assert re.search(r"\| \d+\.\d\d \[\d+\.\d\d, \d+\.\d\d\] \|", comparison)  # the headline's interval


def test_a_builtin_family_prompt_replaces_the_presets_and_is_recorded(
    tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.answers = dict(ANSWERS)
    run_dir = run(
        tmp_path, fx.write_bench(tmp_path / "bench"), openai_server.url, prompts={"builtin": "parse/olmocr"}
    )
    assert {sent_text(r.body) for r in openai_server.requests} == {BUILTIN_PROMPTS["parse/olmocr"].user}
    sources = {r.prompt.source for r in run_dir.read_answers() if r.prompt is not None}
    assert sources == {"builtin:parse/olmocr"}


def test_dpi_in_the_benchmark_renders_at_that_resolution(
    tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.answers = dict(ANSWERS)
    run(tmp_path, fx.write_bench(tmp_path / "bench"), openai_server.url)
    openai_server.clear(requests=True)
    config_bench = {"name": "olmocr_bench", "dpi": 72, "split": "arxiv_math"}
    config = {
        "name": "dpi",
        "output_dir": str(tmp_path / "runs"),
        "runs": [
            {
                "benchmark": config_bench,
                "dataset": str(tmp_path / "bench"),
                "model": {"backend": "openai", "options": {"base_url": openai_server.url, "model": "m"}},
            }
        ],
    }
    path = tmp_path / "dpi.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    done = vlmhb("run", str(path), "--executor", "inline")
    assert done.exit_code == 0, done.output
    (request,) = openai_server.requests  # one test file: one page
    assert image_size(request.body) == (200, 100)
