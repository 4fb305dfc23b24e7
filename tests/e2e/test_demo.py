"""`vlmhb run` with no argument: the shipped demo experiment, end to end and offline."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.tesseract
@pytest.mark.slow
def test_demo_experiment_produces_reports_and_comparison(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "vlmhyperbench", "run", "--output-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    root = tmp_path / "demo"
    runs = ["ocr-tesseract-rus-eng", "ocr-tesseract-eng", "vqa-tesseract-rus-eng", "kie-tesseract-rus-eng",
            "parse-tesseract-rus-eng"]  # fmt: skip
    for run in runs:
        for name in ("report.md", "report.json", "report.html"):
            assert (root / run / "report" / name).stat().st_size > 0
        manifest = json.loads((root / run / "manifest.json").read_text())
        assert manifest["status"] == "completed" and manifest["dataset_fingerprint"].startswith("sha256:")
    with (root / "comparison.csv").open(encoding="utf-8") as fh:
        rows = {row["run_id"]: row for row in csv.DictReader(fh)}
    assert set(rows) == set(runs)
    assert float(rows["ocr-tesseract-rus-eng"]["cer"]) < float(rows["ocr-tesseract-eng"]["cer"])
    assert float(rows["vqa-tesseract-rus-eng"]["anls"]) > 0.8
    comparison = (root / "comparison.md").read_text("utf-8")
    assert "## Paired comparisons" in comparison
    with (root / "comparison_pairs.csv").open(encoding="utf-8") as fh:
        pairs = [p for p in csv.DictReader(fh) if p["metric"] == "cer" and p["doc_class"] == ""]
    assert (
        pairs and pairs[0]["verdict"] == "ocr-tesseract-rus-eng better" and float(pairs[0]["p_value"]) < 0.01
    )
    assert rows["ocr-tesseract-rus-eng"]["cer_ci_low"] and rows["ocr-tesseract-rus-eng"]["cer_ci_high"]
    robustness = comparison[comparison.index("\n## Robustness\n") :]
    assert "| metric | model | clean | degraded | photo-1 | photo-2 | photo-3 |" in robustness
    with (root / "vqa-tesseract-rus-eng" / "metrics" / "metrics_by_split.csv").open(encoding="utf-8") as fh:
        anls = {row["split"]: float(row["anls"]) for row in csv.DictReader(fh)}
    assert list(anls) == ["clean", "degraded", "photo-1", "photo-2", "photo-3"]
    assert anls["clean"] > anls["photo-1"] > anls["photo-2"] > anls["photo-3"]  # a robustness curve
    report_md = (root / "ocr-tesseract-rus-eng" / "report" / "report.md").read_text("utf-8")
    assert "\n## Robustness\n" in report_md
    assert "seeded percentile bootstrap" in report_md
    html = (root / "ocr-tesseract-rus-eng" / "report" / "report.html").read_text("utf-8")
    assert not re.search(r"<(script|link)\b[^>]*\b(src|href)=[\"']?(https?:)?//", html), "external resource"
    assert html.count("<script") >= 2  # plotly.js loaded from beside the page, figures drawn
    assert re.search(r'<script src="(plotly-[\d.]+\.min\.js)"', html)
    assert list((root / "ocr-tesseract-rus-eng" / "report").glob("plotly-*.min.js"))
    # the parsing run: Tesseract as the baseline page parser, scored as OmniDocBench scores a page
    parse = rows["parse-tesseract-rus-eng"]
    assert parse["task"] == "parse" and parse["n_samples"] == "14" and parse["n_errors"] == "0"
    assert 0 < float(parse["omnidoc_text_edit"]) < 0.5  # it reads the clean pages' text well...
    assert float(parse["omnidoc_table_teds"]) == 0  # ...and writes no table
    assert "## Task: parse" in comparison and "### Task parse: by split" in comparison
    assert "### Task parse: capture" in comparison[comparison.index("\n## Page attributes\n") :]
    metrics = root / "parse-tesseract-rus-eng" / "metrics"
    with (metrics / "metrics_by_page_attribute.csv").open(encoding="utf-8") as fh:
        by_attribute = {(r["attribute"], r["value"]): r for r in csv.DictReader(fh)}
    for key in [("layout", "single_column"), ("layout", "double_column"), ("language", "Russian"),
                ("watermark", "True"), ("capture", "digital"), ("capture", "photographed")]:  # fmt: skip
        assert key in by_attribute, sorted(by_attribute)
    digital, photo = (
        float(by_attribute[("capture", c)]["omnidoc_text_edit"]) for c in ("digital", "photographed")
    )
    assert digital < photo
    with (metrics / "metrics_by_split.csv").open(encoding="utf-8") as fh:
        assert [r["split"] for r in csv.DictReader(fh)] == ["clean", "photo-1", "photo-2", "photo-3"]
