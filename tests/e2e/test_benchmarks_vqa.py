"""`vlmhb run` with ``benchmark: docvqa|infovqa|chartqa|textvqa|ocrbench`` on tiny sources in
their official layouts, against a scripted model: the headline equals the official scorer's.

The expected numbers are tests/data/golden/benchmarks/<name>/<name>.json, written by the
script beside each, which runs the benchmark's official scoring code on the same
references (tests/support/fixtures_vqa.py) and predictions.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tests.support import fixtures_vqa as fx
from tests.support.openai_server import ScriptedOpenAIServer
from vlmhyperbench.cli.main import app

GOLDEN = Path(__file__).parents[1] / "data" / "golden" / "benchmarks"
TOLERANCE = 1e-9


class Case:
    """One preset: how to write its source, what the model answers, what is asked first."""

    def __init__(
        self,
        write: Callable[[Path], Path],
        predictions: dict[str, str],
        first_prompt: str,
        max_tokens: int | None,
        metric: str,
    ) -> None:
        self.write, self.predictions, self.first_prompt = write, predictions, first_prompt
        self.max_tokens, self.metric = max_tokens, metric


SHORT = "\nAnswer the question using a single word or phrase."
CASES = {
    "docvqa": Case(fx.write_docvqa, fx.DOCVQA_PREDICTIONS, fx.DOCVQA_VAL[0]["question"] + SHORT, 32, "anls"),
    "infovqa": Case(
        fx.write_infovqa, fx.INFOVQA_PREDICTIONS, fx.INFOVQA_VAL[0]["question"] + SHORT, 32, "anls"
    ),
    "chartqa": Case(
        fx.write_chartqa,
        fx.CHARTQA_PREDICTIONS,
        fx.CHARTQA_HUMAN[0]["query"] + "\nAnswer the question with a single word.",
        16,
        "relaxed_accuracy",
    ),
    "textvqa": Case(
        fx.write_textvqa,
        fx.TEXTVQA_PREDICTIONS,
        "What is the brand of this camera?" + SHORT,
        None,
        "vqa_accuracy",
    ),
    "ocrbench": Case(fx.write_ocrbench, fx.OCRBENCH_PREDICTIONS, fx.READ, 128, "substring_match"),
}


@pytest.fixture(autouse=True)
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VLMHB_CACHE_DIR", str(tmp_path / "cache"))


def write_config(path: Path, benchmark: str | dict[str, Any], source: Path, url: str) -> Path:
    run = {
        "benchmark": benchmark,
        "dataset": str(source),
        "model": {"backend": "openai", "options": {"base_url": url, "model": "m", "timeout_s": 5}},
    }
    config = {"name": "bench", "output_dir": str(path.parent / "runs"), "runs": [run]}
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def vlmhb_run(config: Path) -> Any:
    return CliRunner().invoke(app, ["run", str(config), "--executor", "inline"], env={"COLUMNS": "200"})


def first_prompt(server: ScriptedOpenAIServer) -> tuple[str, dict[str, Any]]:
    body = min(server.requests, key=lambda r: r.received_at).body
    parts = body["messages"][-1]["content"]
    return "".join(p["text"] for p in parts if p["type"] == "text"), body


@pytest.mark.parametrize("name", list(CASES))
def test_headline_equals_the_official_scorer(
    name: str, tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    case = CASES[name]
    openai_server.answers = dict(case.predictions)
    source = case.write(tmp_path / "src")
    done = vlmhb_run(write_config(tmp_path / "e.yaml", name, source, openai_server.url))
    assert done.exit_code == 0, done.output
    golden = json.loads((GOLDEN / name / f"{name}.json").read_text("utf-8"))
    (metrics_file,) = (tmp_path / "runs").glob("bench/*/metrics/metrics.json")
    summary = json.loads(metrics_file.read_text("utf-8"))
    headline = summary["benchmark"]
    assert headline["benchmark"] == name and headline["n"] == len(case.predictions)
    assert headline["value"] == pytest.approx(golden["headline"]["value"], abs=TOLERANCE)
    assert headline["parts"].keys() == golden["headline"]["parts"].keys()
    for part, value in golden["headline"]["parts"].items():
        assert headline["parts"][part] == pytest.approx(value, abs=TOLERANCE), part
    with (metrics_file.parent / "metrics_by_id.csv").open(encoding="utf-8") as fh:
        by_id = {row["sample_id"]: row for row in csv.DictReader(fh)}
    for sample_id, expected in golden["per_sample"].items():
        assert float(by_id[sample_id][case.metric]) == pytest.approx(expected[case.metric], abs=TOLERANCE), (
            sample_id
        )
    cross = golden["cross_check"]
    if "mean" in cross:  # DocVQA/InfoVQA: VLMEvalKit's ANLS, reported beside the official one
        general = summary["aggregates"]["general"][0]["values"]
        assert general[cross["metric"]] == pytest.approx(cross["mean"], abs=TOLERANCE)
    prompt, body = first_prompt(openai_server)
    assert prompt == case.first_prompt
    assert body.get("max_tokens") == (case.max_tokens or 1024) and body.get("temperature") == 0.0


def by_position(predictions: dict[str, str], split: str) -> dict[str, str]:
    """The predictions keyed by the ids a source without an id column gets: ``<split>-<n>``."""
    return {f"{split}-{n}": answer for n, answer in enumerate(predictions.values(), start=1)}


HF_CASES = {
    "docvqa": (fx.write_hf_docvqa, fx.DOCVQA_PREDICTIONS),
    "infovqa": (fx.write_hf_infovqa, fx.INFOVQA_PREDICTIONS),
    "chartqa": (fx.write_hf_chartqa, by_position(fx.CHARTQA_PREDICTIONS, "test")),
    "chartqa-lmms-lab": (fx.write_hf_lmms_chartqa, by_position(fx.CHARTQA_PREDICTIONS, "test")),
    "textvqa": (fx.write_hf_textvqa, fx.TEXTVQA_PREDICTIONS),
    "ocrbench": (fx.write_hf_ocrbench, by_position(fx.OCRBENCH_PREDICTIONS, "test")),
}


@pytest.mark.parametrize("name", list(HF_CASES))
def test_the_hugging_face_copy_gives_the_same_headline(
    name: str, tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    write, predictions = HF_CASES[name]
    openai_server.answers = dict(predictions)
    source = write(tmp_path / "hub")
    name = name.split("-")[0]
    done = vlmhb_run(write_config(tmp_path / "e.yaml", name, source, openai_server.url))
    assert done.exit_code == 0, done.output
    (run_dir,) = (tmp_path / "runs").glob("bench/*/")
    manifest = json.loads((run_dir / "manifest.json").read_text("utf-8"))
    assert manifest["spec"]["benchmark"]["format"] == "hf_parquet"
    headline = json.loads((run_dir / "metrics" / "metrics.json").read_text("utf-8"))["benchmark"]
    golden = json.loads((GOLDEN / name / f"{name}.json").read_text("utf-8"))["headline"]
    assert headline["n"] == len(predictions)
    assert headline["value"] == pytest.approx(golden["value"], abs=TOLERANCE)
    assert headline["parts"] == pytest.approx(golden["parts"], abs=TOLERANCE)


TSV_CASES = {
    # A single TSV has no subset to choose: the preset's default (an HF config) is dropped,
    # a subset the user names is the file's.
    "docvqa": (fx.write_tsv_docvqa, fx.DOCVQA_PREDICTIONS, None),
    "infovqa": (fx.write_tsv_infovqa, fx.INFOVQA_PREDICTIONS, "InfoVQA_VAL"),
    "textvqa": (fx.write_tsv_textvqa, fx.TEXTVQA_PREDICTIONS, None),
    "chartqa": (
        fx.write_tsv_chartqa,
        {str(i): answer for i, answer in enumerate(fx.CHARTQA_PREDICTIONS.values())},
        None,
    ),
    "ocrbench": (
        fx.write_tsv_ocrbench,
        {str(i): answer for i, answer in enumerate(fx.OCRBENCH_PREDICTIONS.values())},
        None,
    ),
}


@pytest.mark.parametrize("name", list(TSV_CASES))
def test_the_vlmevalkit_tsv_gives_the_same_headline(
    name: str, tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    write, predictions, subset = TSV_CASES[name]
    openai_server.answers = dict(predictions)
    source = write(tmp_path / "LMUData")
    benchmark = {"name": name, "subset": subset} if subset else name
    done = vlmhb_run(write_config(tmp_path / "e.yaml", benchmark, source, openai_server.url))
    assert done.exit_code == 0, done.output
    (run_dir,) = (tmp_path / "runs").glob("bench/*/")
    manifest = json.loads((run_dir / "manifest.json").read_text("utf-8"))
    assert manifest["spec"]["benchmark"]["format"] == "vlmevalkit_tsv"
    headline = json.loads((run_dir / "metrics" / "metrics.json").read_text("utf-8"))["benchmark"]
    golden = json.loads((GOLDEN / name / f"{name}.json").read_text("utf-8"))["headline"]
    assert headline["n"] == len(predictions)
    assert headline["value"] == pytest.approx(golden["value"], abs=TOLERANCE)
    assert headline["parts"] == pytest.approx(golden["parts"], abs=TOLERANCE)


def test_a_corrupt_tsv_image_is_named_and_can_be_left_out(
    tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.answers = dict(fx.DOCVQA_PREDICTIONS)
    source = fx.write_tsv_docvqa(tmp_path / "LMUData", corrupt="24580")
    benchmark: dict[str, Any] = {"name": "docvqa", "subset": "DocVQA_VAL"}
    done = vlmhb_run(write_config(tmp_path / "e.yaml", benchmark, source, openai_server.url))
    assert done.exit_code == 2, done.output
    assert "DocVQA_VAL.tsv:3 (image): the image is not valid base64" in " ".join(done.output.split())
    done = vlmhb_run(
        write_config(tmp_path / "e.yaml", {**benchmark, "skip_invalid": True}, source, openai_server.url)
    )
    assert done.exit_code == 0, done.output
    (metrics_file,) = (tmp_path / "runs").glob("bench/*/metrics/metrics.json")
    headline = json.loads(metrics_file.read_text("utf-8"))["benchmark"]
    golden = json.loads((GOLDEN / "docvqa" / "docvqa.json").read_text("utf-8"))["per_sample"]
    kept = [v["anls"] for k, v in golden.items() if k != "24580"]
    assert headline["n"] == 6 and headline["value"] == pytest.approx(100 * sum(kept) / 6, abs=TOLERANCE)
    assert "24580" not in {r.sample_id for r in openai_server.requests}


def test_missing_image_stops_the_run_naming_file_and_row(tmp_path: Path) -> None:
    source = fx.write_docvqa(tmp_path / "src", skip_images=("documents/txpp0227_10.png",))
    done = vlmhb_run(write_config(tmp_path / "e.yaml", "docvqa", source, "http://127.0.0.1:9/v1"))
    assert done.exit_code == 2, done.output
    output = " ".join(done.output.split())
    assert "val_v1.0_withQT.json:5 (image): image 'documents/txpp0227_10.png' does not exist" in output
    assert "Traceback" not in done.output


def test_skip_invalid_leaves_the_bad_rows_out_of_the_score(
    tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.answers = dict(fx.CHARTQA_PREDICTIONS)
    human = [*fx.CHARTQA_HUMAN, {"imgname": "gone.png", "query": "Lost?", "label": "1"}]
    source = fx.write_chartqa(tmp_path / "src", human=human)
    (source / "ChartQA Dataset" / "test" / "png" / "gone.png").unlink()
    config = write_config(
        tmp_path / "e.yaml", {"name": "chartqa", "skip_invalid": True}, source, openai_server.url
    )
    done = vlmhb_run(config)
    assert done.exit_code == 0, done.output
    (metrics_file,) = (tmp_path / "runs").glob("bench/*/metrics/metrics.json")
    headline = json.loads(metrics_file.read_text("utf-8"))["benchmark"]
    golden = json.loads((GOLDEN / "chartqa" / "chartqa.json").read_text("utf-8"))
    assert headline["n"] == 7 and headline["value"] == pytest.approx(
        golden["headline"]["value"], abs=TOLERANCE
    )


def test_an_empty_split_is_a_clear_error(tmp_path: Path) -> None:
    source = fx.write_textvqa(tmp_path / "src", rows=[])
    done = vlmhb_run(write_config(tmp_path / "e.yaml", "textvqa", source, "http://127.0.0.1:9/v1"))
    assert done.exit_code == 2, done.output
    assert "no samples of split 'val' were read" in " ".join(done.output.split())


def test_the_test_split_runs_without_answers_and_reports_no_score(
    tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    source = fx.write_docvqa(tmp_path / "src")
    config = write_config(tmp_path / "e.yaml", {"name": "docvqa", "split": "test"}, source, openai_server.url)
    done = vlmhb_run(config)
    assert done.exit_code == 0, done.output
    (metrics_file,) = (tmp_path / "runs").glob("bench/*/metrics/metrics.json")
    headline = json.loads(metrics_file.read_text("utf-8"))["benchmark"]
    assert headline["value"] is None and headline["n"] == 2
    assert len(openai_server.requests) == 2
