"""`vlmhb run` with ``benchmark: ocrbench_v2`` on a tiny OCRBench_v2.json (every task type, EN
and CN) against a scripted model: per-question scores and the EN/CN capability scores equal
OCRBench v2's official eval.py and get_score.py (tests/data/golden/benchmarks/ocrbench_v2)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tests.conftest import ON_CI
from tests.support import fixtures_ocrbench_v2 as fx
from tests.support.openai_server import ScriptedOpenAIServer
from vlmhyperbench.cli.main import app

GOLDEN = json.loads(
    (Path(__file__).parents[1] / "data/golden/benchmarks/ocrbench_v2/ocrbench_v2.json").read_text("utf-8")
)
TOLERANCE = 1e-9


@pytest.fixture(autouse=True)
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VLMHB_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def wordnet() -> bool:
    """Whether NLTK's WordNet loads (tests/conftest.py builds it from Debian's packages)."""
    pytest.importorskip("nltk")
    from vlmhyperbench.metrics._ocrbench_v2_text import page_toolkit

    return not isinstance(page_toolkit(), str)


def run(tmp_path: Path, source: Path, url: str) -> Path:
    config = {
        "name": "bench",
        "output_dir": str(tmp_path / "runs"),
        "runs": [
            {
                "benchmark": "ocrbench_v2",
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
    return metrics


def expected_parts() -> dict[str, float]:
    grouped = GOLDEN["grouped"]
    parts = {"EN": grouped["en_overall"], "CN": grouped["cn_overall"]}
    for language in ("en", "cn"):
        parts.update({f"{language.upper()} {k.replace('_', ' ')}": v for k, v in grouped[language].items()})
    return {k: 100 * v for k, v in parts.items()}


def test_headline_and_scores_equal_the_official_scripts(
    tmp_path: Path, openai_server: ScriptedOpenAIServer, wordnet: bool
) -> None:
    openai_server.answers = dict(fx.PREDICTIONS)
    metrics = run(tmp_path, fx.write_ocrbench_v2(tmp_path / "src"), openai_server.url)
    headline: dict[str, Any] = json.loads(metrics.read_text("utf-8"))["benchmark"]
    assert headline["benchmark"] == "ocrbench_v2" and headline["n"] == len(fx.ROWS)
    first = min(openai_server.requests, key=lambda r: r.received_at).body
    assert (
        "".join(p["text"] for p in first["messages"][-1]["content"] if p["type"] == "text")
        == "What is written?"
    )
    with (metrics.parent / "metrics_by_id.csv").open(encoding="utf-8") as fh:
        by_id = {row["sample_id"]: row["ocrbench_v2"] for row in csv.DictReader(fh)}
    expected = expected_parts()
    if not wordnet:  # the long-text types cannot be scored: their capabilities and languages have no value
        assert headline["value"] is None and headline["parts"]["EN"] is None
        assert headline["parts"]["EN text spotting"] == pytest.approx(expected["EN text spotting"])
        no_wordnet()
    for row_id, row in GOLDEN["rows"].items():
        if row_id in fx.PREDICTIONS and not row["ignore"]:
            assert float(by_id[row_id]) == pytest.approx(row["score"], abs=TOLERANCE), row_id
    assert by_id["44"] == ""  # the translation the official scorer ignores
    assert headline["parts"].keys() == expected.keys()
    for name, value in expected.items():
        assert headline["parts"][name] == pytest.approx(value, abs=TOLERANCE), name
    assert headline["value"] == pytest.approx(expected["EN"], abs=TOLERANCE)
    assert headline["name"] == "EN score" and headline["unit"] == "%"


def test_the_hugging_face_copy_scores_the_same_where_it_holds_the_same(
    tmp_path: Path, openai_server: ScriptedOpenAIServer, wordnet: bool
) -> None:
    """lmms-lab/OCRBench-v2 read by ``hf_parquet``: one row differs, because that copy stores a
    dict answer as JSON text, which the official code parses differently from the dict (a
    string value is one value, not one per character)."""
    from tests.support.fixtures_vqa import write_parquet

    openai_server.answers = dict(fx.PREDICTIONS)
    rows = fx.hf_rows()
    source = tmp_path / "hub"
    write_parquet(source / "data" / "test-00000-of-00001.parquet", rows, [f"{r['id']}.png" for r in rows])
    metrics = run(tmp_path, source, openai_server.url)
    (run_dir,) = (tmp_path / "runs").glob("bench/*/")
    assert (
        json.loads((run_dir / "manifest.json").read_text("utf-8"))["spec"]["benchmark"]["format"]
        == "hf_parquet"
    )
    with (metrics.parent / "metrics_by_id.csv").open(encoding="utf-8") as fh:
        by_id = {row["sample_id"]: row["ocrbench_v2"] for row in csv.DictReader(fh)}
    if not wordnet:
        no_wordnet()
    differs = {"50": 0.5}  # {"a": "xy"} as text: "x" no longer matches one character of "xy"
    for row_id, row in GOLDEN["rows"].items():
        if row_id in fx.PREDICTIONS and not row["ignore"]:
            expected = differs.get(row_id, row["score"])
            assert float(by_id[row_id]) == pytest.approx(expected, abs=TOLERANCE), row_id
    assert by_id["44"] == ""


def no_wordnet() -> None:
    """Without Debian's WordNet the rest of the test cannot run: a skip here, a failure on CI
    (which installs wordnet-base and wordnet-sense-index)."""
    message = "WordNet (Debian wordnet-base, wordnet-sense-index) is not installed"
    if ON_CI:
        pytest.fail(message)
    pytest.skip(message)
