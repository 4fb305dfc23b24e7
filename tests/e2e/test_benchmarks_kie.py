"""`vlmhb run` with ``benchmark: sroie|cord|funsd`` on tiny sources in their released layouts,
against a scripted model: the headline equals the official scorer's; and a PDF imported
with page ranges and read by tesseract.

The expected numbers are tests/data/golden/benchmarks/<name>/<name>.json, written by the
script beside each from the references and predictions of tests/support/fixtures_kie.py.
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

from tests.support import fixtures_kie as fx
from tests.support.openai_server import ScriptedOpenAIServer
from vlmhyperbench.benchmarks import benchmarks
from vlmhyperbench.cli.main import app

GOLDEN = Path(__file__).parents[1] / "data" / "golden" / "benchmarks"
TOLERANCE = 1e-9
CASES: dict[str, tuple[Callable[[Path], Path], dict[str, str], int]] = {
    # writer, the model's answers, how many source rows are invalid
    "sroie": (fx.write_sroie, fx.SROIE_PREDICTIONS, len(fx.SROIE_ODD)),
    "cord": (fx.write_cord, fx.CORD_PREDICTIONS, len(fx.CORD_ODD)),
    "funsd": (fx.write_funsd, fx.FUNSD_PREDICTIONS, len(fx.FUNSD_ODD)),
}


@pytest.fixture(autouse=True)
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VLMHB_CACHE_DIR", str(tmp_path / "cache"))


def write_config(path: Path, source: Path, url: str, *runs: dict[str, Any]) -> Path:
    model = {"backend": "openai", "options": {"base_url": url, "model": "m", "timeout_s": 5}}
    config = {
        "name": "bench",
        "output_dir": str(path.parent / "runs"),
        "runs": [{"dataset": str(source), "model": model, **run} for run in runs],
    }
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def vlmhb(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def metrics(tmp_path: Path, run: str = "*") -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    (metrics_file,) = (tmp_path / "runs").glob(f"bench/{run}/metrics/metrics.json")
    with (metrics_file.parent / "metrics_by_id.csv").open(encoding="utf-8") as fh:
        by_id = {row["sample_id"]: row for row in csv.DictReader(fh)}
    return json.loads(metrics_file.read_text("utf-8")), by_id


@pytest.mark.parametrize("name", list(CASES))
def test_headline_equals_the_official_scorer(
    name: str, tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    write, predictions, invalid = CASES[name]
    openai_server.answers = dict(predictions)
    source = write(tmp_path / "src")
    config = write_config(
        tmp_path / "e.yaml", source, openai_server.url, {"benchmark": {"name": name, "skip_invalid": True}}
    )
    done = vlmhb("run", str(config), "--executor", "inline")
    assert done.exit_code == 0, done.output
    golden = json.loads((GOLDEN / name / f"{name}.json").read_text("utf-8"))
    summary, by_id = metrics(tmp_path)
    headline = summary["benchmark"]
    assert (headline["benchmark"], headline["n"], headline["unit"]) == (name, len(predictions), "%")
    assert headline["value"] == pytest.approx(golden["headline"]["value"], abs=TOLERANCE)
    for sample_id, expected in golden["per_sample"].items():
        assert float(by_id[sample_id]["field_f1_donut"]) == pytest.approx(
            expected["field_f1_donut"], abs=TOLERANCE
        )
    (spec_file,) = (tmp_path / "runs").glob("bench/*/run_spec.json")
    assert json.loads(spec_file.read_text("utf-8"))["benchmark"]["skipped"] == invalid
    preset = benchmarks.get(name)
    first = min(openai_server.requests, key=lambda r: r.received_at).body
    prompt = "".join(p["text"] for p in first["messages"][-1]["content"] if p["type"] == "text")
    assert prompt == preset.prompt and prompt.startswith("Suppose you are an information extraction expert.")
    assert (first["max_tokens"], first["temperature"]) == (2000, 0.0)


def test_sroie_answers_in_cc_ocr_scoring_give_cc_ocr_number(
    tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.answers = dict(fx.SROIE_PREDICTIONS)
    source = fx.write_sroie(tmp_path / "src")
    bench = {"name": "sroie", "skip_invalid": True}
    cc_ocr = {"name": "field_f1_donut", "scorer": "cc_ocr"}
    config = write_config(
        tmp_path / "e.yaml",
        source,
        openai_server.url,
        {"name": "cc-ocr", "benchmark": bench, "metrics": [cc_ocr]},
    )
    done = vlmhb("run", str(config), "--executor", "inline")
    assert done.exit_code == 0, done.output
    golden = json.loads((GOLDEN / "sroie" / "sroie.json").read_text("utf-8"))
    assert golden["cross_check"]["metric"] == cc_ocr
    summary, _ = metrics(tmp_path, "cc-ocr")
    assert summary["benchmark"]["value"] == pytest.approx(golden["cross_check"]["value"], abs=TOLERANCE)
    assert summary["benchmark"]["value"] != pytest.approx(golden["headline"]["value"], abs=0.1)
    # the schema of the four string fields goes to the server as the structured-output format
    body = openai_server.requests[0].body
    assert body["response_format"]["json_schema"]["schema"]["properties"].keys() == set(
        fx.SROIE_TEST["X00016469612"]
    )


@pytest.mark.parametrize("name", list(CASES))
def test_invalid_source_rows_stop_the_run_naming_each_file(name: str, tmp_path: Path) -> None:
    write, _, invalid = CASES[name]
    config = write_config(
        tmp_path / "e.yaml", write(tmp_path / "src"), "http://127.0.0.1:9/v1", {"benchmark": name}
    )
    done = vlmhb("run", str(config), "--executor", "inline")
    assert done.exit_code == 2, done.output
    output = " ".join(done.output.split())
    assert f"{invalid} invalid row(s)" in output and "--skip-invalid" in output and "Traceback" not in output
    if name == "sroie":
        assert "X51005268275.txt:1:1: not valid JSON" in output
        assert "X51005288570.txt (image): image 'X51005288570' does not exist" in output


@pytest.mark.parametrize(
    ("write", "split"),
    [(fx.write_cord, "validation"), (fx.write_cord_folders, "dev")],  # the release calls it dev
)
def test_an_empty_split_is_a_clear_error(write: Callable[[Path], Path], split: str, tmp_path: Path) -> None:
    bench = {"name": "cord", "split": "validation"}
    config = write_config(
        tmp_path / "e.yaml", write(tmp_path / "src"), "http://127.0.0.1:9/v1", {"benchmark": bench}
    )
    done = vlmhb("run", str(config), "--executor", "inline")
    assert done.exit_code == 2, done.output
    assert f"no samples of split '{split}' were read" in " ".join(done.output.split())


@pytest.mark.tesseract
def test_pdf_pages_two_and_three_imported_and_read_by_tesseract(tmp_path: Path) -> None:
    pdf = fx.write_pdf(tmp_path / "doc.pdf")
    done = vlmhb(
        "datasets",
        "import",
        str(pdf),
        "--format",
        "pdf",
        "--pages",
        "2-3",
        "--dpi",
        "144",
        "--out",
        str(tmp_path / "ds"),
    )
    assert done.exit_code == 0, done.output
    row = json.loads((tmp_path / "ds" / "annotation.jsonl").read_text("utf-8"))
    assert row["metadata"]["pages"] == [2, 3] and len(row["images"]) == 2
    config = {
        "name": "bench",
        "output_dir": str(tmp_path / "runs"),
        "runs": [
            {
                "name": "pdf-ocr",
                "task": "ocr",
                "dataset": str(tmp_path / "ds"),
                "model": {"backend": "tesseract", "options": {"lang": "eng"}},
            }
        ],
    }
    (tmp_path / "e.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    done = vlmhb("run", str(tmp_path / "e.yaml"), "--executor", "inline")
    assert done.exit_code == 0, done.output
    (answer,) = [
        json.loads(line)
        for line in (tmp_path / "runs" / "bench" / "pdf-ocr" / "answers.jsonl")
        .read_text("utf-8")
        .splitlines()
    ]
    text = " ".join(answer["answer"].split())
    assert "BRAVO 222" in text and "DELTA 333" in text and "ALPHA" not in text
