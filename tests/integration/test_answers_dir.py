"""``vlmhb evaluate --answers-dir``: a folder of Markdown files made elsewhere, scored as a run.

OmniDocBench naming (``<image stem>.md``) on a native parse dataset with the ``ned``
metric, olmOCR-bench naming (``<pdf path>_pg<page>_repeat<k>.md`` in subfolders) with
the ``olmocr_bench`` metric and ``checks.csv``; bad input: a file that is not UTF-8, a
page without a file, a stray file, an empty folder.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from typer.testing import CliRunner

from tests.support import fixtures_olmocr_bench as fx
from vlmhyperbench.cli.main import app
from vlmhyperbench.core import RunDir

REFERENCES = {
    "ru_invoice_1": "# Счёт № 17\n\n| Товар | Сумма |\n|---|---|\n| Бумага | 120 |",
    "en_letter_2": "Dear Sir,\n\nThank you.",
    "ru_blank_3": "Пусто",
    "en_scan_4": "Scanned text",
}


@pytest.fixture(autouse=True)
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VLMHB_CACHE_DIR", str(tmp_path / "cache"))


def vlmhb(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "250"})


def parse_dataset(root: Path) -> Path:
    """A native dataset of parse samples named like OmniDocBench pages, with reference Markdown."""
    (root / "images").mkdir(parents=True)
    rows = []
    for sample_id, reference in REFERENCES.items():
        Image.new("RGB", (20, 20), "white").save(root / "images" / f"{sample_id}.png")
        rows.append(
            {"id": sample_id, "images": [f"images/{sample_id}.png"], "answers": [reference], "task": "parse"}
        )
    (root / "annotation.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    return root


def omnidoc_folder(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "ru_invoice_1.md").write_text(REFERENCES["ru_invoice_1"], encoding="utf-8")
    (folder / "en_letter_2.md").write_text("Dear Sir,", encoding="utf-8")
    (folder / "ru_blank_3.md").write_bytes("Пусто".encode("cp1251"))
    (folder / "notes.md").write_text("not a page", encoding="utf-8")
    return folder


def by_id(metrics_dir: Path, metric: str) -> dict[str, str]:
    with (metrics_dir / "metrics_by_id.csv").open(encoding="utf-8") as fh:
        return {row["sample_id"]: row[metric] for row in csv.DictReader(fh)}


def test_omnidocbench_naming_scores_each_page_and_records_what_did_not_fit(tmp_path: Path) -> None:
    data = parse_dataset(tmp_path / "data")
    out = tmp_path / "exp" / "marker"
    done = vlmhb(
        "evaluate", "--dataset", str(data), "--answers-dir", str(omnidoc_folder(tmp_path / "md")),
        "--metrics", "ned", "--out", str(out), "--model-name", "marker 1.10",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "1 page(s) have no file and were scored as empty (en_scan_4)" in done.output
    assert "ru_blank_3.md: not UTF-8: byte 0xcf at byte 0" in done.output
    assert "1 .md file(s) match no page and were not read: notes.md" in done.output
    run = RunDir(out)
    records = {r.sample_id: r for r in run.read_answers()}
    assert records["ru_invoice_1"].answer == REFERENCES["ru_invoice_1"] and records["ru_invoice_1"].ok
    assert records["en_scan_4"].error is not None and records["en_scan_4"].error.kind == "missing"
    assert records["ru_blank_3"].error is not None and records["ru_blank_3"].error.kind == "invalid_response"
    assert "ru_blank_3.md: not UTF-8" in records["ru_blank_3"].error.message
    summary = run.read_metrics()
    assert (summary.n_samples, summary.n_errors, summary.n_missing) == (4, 2, 0)
    ned = by_id(run.metrics_dir, "ned")
    assert float(ned["ru_invoice_1"]) == 0.0
    assert float(ned["en_letter_2"]) == pytest.approx(len("\n\nThank you.") / len(REFERENCES["en_letter_2"]))
    assert float(ned["en_scan_4"]) == 1.0 and float(ned["ru_blank_3"]) == 1.0  # scored as empty
    spec = run.read_spec()
    assert (spec.model, spec.backend.name, spec.task) == ("marker 1.10", "answers_dir", "parse")
    assert all(r.model == "marker 1.10" and r.backend == "answers_dir" for r in records.values())


def test_the_scored_folder_appears_in_the_experiment_comparison(tmp_path: Path) -> None:
    data = parse_dataset(tmp_path / "data")
    folder = omnidoc_folder(tmp_path / "docling")
    for name, extra in (("a", ["--model-name", "marker"]), ("b", [])):
        done = vlmhb(
            "evaluate", "--dataset", str(data), "--answers-dir", str(folder), "--metrics", "ned",
            "--out", str(tmp_path / "exp" / name), *extra,
        )  # fmt: skip
        assert done.exit_code == 0, done.output
    done = vlmhb("report", str(tmp_path / "exp"))
    assert done.exit_code == 0, done.output
    with (tmp_path / "exp" / "comparison.csv").open(encoding="utf-8") as fh:
        rows = {row["run_id"]: row for row in csv.DictReader(fh)}
    assert (rows["a"]["model"], rows["b"]["model"]) == ("marker", "docling")  # default: the folder's name
    assert rows["a"]["backend"] == "answers_dir" and float(rows["a"]["ned"]) == float(rows["b"]["ned"])
    assert (tmp_path / "exp" / "a" / "report" / "report.md").is_file()


def test_bad_folders_and_flags_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    data = parse_dataset(tmp_path / "data")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "page.txt").write_text("x", encoding="utf-8")
    done = vlmhb(
        "evaluate", "--dataset", str(data), "--answers-dir", str(tmp_path / "empty"), "--metrics", "ned",
        "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert done.exit_code == 2 and "holds no .md files" in done.output
    assert "<image stem>.md" in done.output and not (tmp_path / "out" / "run_spec.json").exists()
    folder = omnidoc_folder(tmp_path / "md")
    both = vlmhb(
        "evaluate", "--dataset", str(data), "--answers-dir", str(folder), "--answers", str(folder / "x.jsonl"),
        "--metrics", "ned", "--out", str(tmp_path / "o2"),
    )  # fmt: skip
    assert both.exit_code == 2 and "either --answers" in both.output
    name = vlmhb(
        "evaluate", "--dataset", str(data), "--answers", str(folder / "x.jsonl"), "--model-name", "m",
        "--metrics", "ned", "--out", str(tmp_path / "o3"),
    )  # fmt: skip
    assert name.exit_code == 2 and "--model-name goes with --answers-dir" in name.output
    out = tmp_path / "twice"
    args = [
        "evaluate",
        "--dataset",
        str(data),
        "--answers-dir",
        str(folder),
        "--metrics",
        "ned",
        "--out",
        str(out),
    ]
    assert vlmhb(*args).exit_code == 0
    again = vlmhb(*args)
    assert again.exit_code == 2 and "already holds a run" in again.output


def olmocr_folder(folder: Path) -> Path:
    """Repeats for the arXiv page (the first mentions 'Energy', the second does not), the
    report's page 2, no file for its page 1 nor for the untested PDF, one stray file."""
    (folder / "arxiv_math").mkdir(parents=True)
    (folder / "headers_footers").mkdir()
    page = folder / "arxiv_math" / "2503.00001_pg1_pg1"
    Path(f"{page}_repeat1.md").write_text("Energy and mass: $E = mc^2$", encoding="utf-8")
    Path(f"{page}_repeat2.md").write_text("Nothing to see", encoding="utf-8")
    (folder / "headers_footers" / "report_pg3_pg2_repeat1.md").write_text(
        "Отчёт 2024\n\n<table><tr><td>Сумма</td></tr><tr><td>Итого</td></tr></table>", encoding="utf-8"
    )
    (folder / "arxiv_math" / "2503.00001_pg2_repeat1.md").write_text("stray", encoding="utf-8")
    return folder


def test_olmocr_bench_naming_with_repeats_writes_one_check_per_test(tmp_path: Path) -> None:
    fx.write_bench(tmp_path / "bench")
    out = tmp_path / "exp" / "tool"
    done = vlmhb(
        "evaluate", "--benchmark", "olmocr_bench", "--dataset", str(tmp_path / "bench"),
        "--answers-dir", str(olmocr_folder(tmp_path / "tool")), "--out", str(out),
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "2 page(s) have no file" in done.output and "arxiv_math/2503.00001_pg2_repeat1.md" in done.output
    record = {r.sample_id: r for r in RunDir(out).read_answers()}["arxiv_math/2503.00001_pg1_pg1"]
    assert record.answer == "Energy and mass: $E = mc^2$"
    assert record.extra["repeats"] == ["Energy and mass: $E = mc^2$", "Nothing to see"]
    with (out / "checks.csv").open(encoding="utf-8") as fh:
        checks = {row["test_id"]: row for row in csv.DictReader(fh)}
    assert list(next(iter(checks.values()))) == ["test_id", "type", "passed", "explanation"]
    expected_ids = {t["id"] for t in fx.ARXIV_TESTS + fx.HEADERS_TESTS} | {
        "arxiv_math/2503.00001_pg1.pdf_baseline",
        "old_scans/untested.pdf_baseline",
    }
    assert set(checks) == expected_ids
    assert (checks["arxiv_math_01"]["type"], checks["arxiv_math_01"]["passed"]) == ("present", "0.5")
    assert checks["hf_00"]["passed"] == "1"  # absent text is absent
    # no file for the page: every test of it fails, as olmOCR-bench's runner scores it with --force
    assert (checks["hf_02"]["passed"], checks["hf_02"]["explanation"]) == ("0", "Missing MD files")
    headline = json.loads((out / "metrics" / "metrics.json").read_text("utf-8"))["benchmark"]
    assert headline["benchmark"] == "olmocr_bench"
    assert set(headline["parts"]) == {"arxiv_math", "baseline", "headers_footers"}
    assert headline["parts"]["baseline"] == 50.0  # the arXiv page passes it, the untested PDF has no file
    assert headline["parts"]["arxiv_math"] == 0.0  # each test passes on one repeat of two: not a majority
    assert headline["value"] == pytest.approx(sum(headline["parts"].values()) / 3)
    low, high = headline["ci"]
    assert low <= headline["value"] <= high and "[" in done.output
    rescored = vlmhb(
        "evaluate", "--benchmark", "olmocr_bench", "--dataset", str(tmp_path / "bench"),
        "--answers", str(out / "answers.jsonl"), "--out", str(tmp_path / "rescored"),
    )  # fmt: skip
    assert rescored.exit_code == 0, rescored.output
    assert (tmp_path / "rescored" / "checks.csv").read_text("utf-8") == (out / "checks.csv").read_text(
        "utf-8"
    )
