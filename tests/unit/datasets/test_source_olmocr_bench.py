"""The ``olmocr_bench`` reader: one parse sample per tested page, its tests, bad test files."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.support import fixtures_olmocr_bench as fx
from vlmhyperbench.core import DatasetError
from vlmhyperbench.datasets.sources import ReadOptions, import_source

ARXIV_PAGE = "arxiv_math/2503.00001_pg1_pg1"


def imported(source: Path, out: Path, **options: Any) -> dict[str, dict[str, Any]]:
    skip = options.pop("skip", False)
    import_source("olmocr_bench", source, out, ReadOptions(**options), skip_invalid=skip)
    rows = [json.loads(line) for line in (out / "annotation.jsonl").read_text(encoding="utf-8").splitlines()]
    return {r["id"]: r for r in rows}


def problems(source: Path, out: Path, **options: Any) -> str:
    with pytest.raises(DatasetError) as caught:
        import_source("olmocr_bench", source, out, ReadOptions(**options))
    return "\n".join(p.render() for p in caught.value.problems)


def size(out: Path, row: dict[str, Any]) -> tuple[int, int]:
    (name,) = row["images"]
    return Image.open(io.BytesIO((out / name).read_bytes())).size


def test_each_tested_page_is_a_parse_sample_with_its_tests_as_written(tmp_path: Path) -> None:
    fx.write_bench(tmp_path)
    rows = imported(tmp_path, tmp_path / "out")
    assert sorted(rows) == [
        ARXIV_PAGE,
        "headers_footers/report_pg3_pg1",
        "headers_footers/report_pg3_pg2",
        "old_scans/untested_pg1",
    ]
    arxiv = rows[ARXIV_PAGE]
    assert (arxiv["task"], arxiv["split"], arxiv["doc_class"], arxiv["answers"]) == (
        "parse",
        "arxiv_math",
        "arxiv_math",
        [],
    )
    meta = arxiv["metadata"]
    assert (meta["pdf"], meta["page"]) == ("arxiv_math/2503.00001_pg1.pdf", 1)
    assert meta["olmocr_tests"][:3] == fx.ARXIV_TESTS
    page2 = rows["headers_footers/report_pg3_pg2"]["metadata"]
    assert page2["olmocr_tests"] == fx.HEADERS_TESTS[:2] and page2["page"] == 2
    assert page2["olmocr_tests"][0]["text"] == "Страница 2"


def test_pdfs_without_a_baseline_test_get_one_in_its_own_group(tmp_path: Path) -> None:
    """As olmocr/bench/benchmark.py: page 1 of every PDF, named tests or not, group 'baseline'."""
    fx.write_bench(tmp_path)
    rows = imported(tmp_path, tmp_path / "out")
    baseline = {
        "pdf": "arxiv_math/2503.00001_pg1.pdf",
        "page": 1,
        "id": "arxiv_math/2503.00001_pg1.pdf_baseline",
    }
    arxiv = rows[ARXIV_PAGE]["metadata"]
    assert arxiv["olmocr_tests"][3] == {**baseline, "type": "baseline"}
    assert arxiv["olmocr_test_files"] == {
        "arxiv_math_00": "arxiv_math",
        "arxiv_math_01": "arxiv_math",
        "arxiv_math_02": "arxiv_math",
        baseline["id"]: "baseline",
    }
    untested = rows["old_scans/untested_pg1"]
    assert untested["split"] == "baseline" and untested["metadata"]["olmocr_test_files"] == {
        "old_scans/untested.pdf_baseline": "baseline"
    }
    # the report PDF has a baseline test of its own: none is added
    assert rows["headers_footers/report_pg3_pg1"]["metadata"]["olmocr_tests"] == [fx.HEADERS_TESTS[2]]


def test_pages_are_rendered_to_2048_pixels_unless_a_dpi_is_given(tmp_path: Path) -> None:
    fx.write_bench(tmp_path)
    rows = imported(tmp_path, tmp_path / "out")
    assert size(tmp_path / "out", rows[ARXIV_PAGE]) == (2048, 1024)
    assert rows[ARXIV_PAGE]["metadata"]["longest_side"] == 2048
    rows = imported(tmp_path, tmp_path / "dpi", dpi=144)
    assert size(tmp_path / "dpi", rows[ARXIV_PAGE]) == (400, 200)  # 200 × 100 points
    assert rows[ARXIV_PAGE]["metadata"]["dpi"] == 144


def test_a_split_reads_one_test_file_and_an_unknown_one_lists_them(tmp_path: Path) -> None:
    fx.write_bench(tmp_path)
    rows = imported(tmp_path / "bench_data", tmp_path / "out", split="headers_footers")
    assert sorted(rows) == ["headers_footers/report_pg3_pg1", "headers_footers/report_pg3_pg2"]
    text = problems(tmp_path, tmp_path / "bad", split="tables")
    assert "has no split 'tables'" in text and "arxiv_math, headers_footers" in text


def test_a_folder_without_the_layout_names_what_is_expected(tmp_path: Path) -> None:
    (tmp_path / "x.jsonl").write_text("{}\n", encoding="utf-8")
    text = problems(tmp_path, tmp_path / "out")
    assert "is not a 'olmocr_bench' source" in text and "pdfs/<path>.pdf" in text


def test_bad_test_lines_are_named_by_file_and_line(tmp_path: Path) -> None:
    bench = fx.write_bench(
        tmp_path,
        extra_lines={
            "arxiv_math": [
                '{"pdf": "arxiv_math/2503.00001_pg1.pdf", "page": 1, "id": "x1", "type": "present"',
                json.dumps({"pdf": "arxiv_math/2503.00001_pg1.pdf", "page": 1, "id": "x2", "type": "exact"}),
                json.dumps(
                    {"pdf": "arxiv_math/gone.pdf", "page": 1, "id": "x3", "type": "present", "text": "a"}
                ),
                json.dumps(
                    {
                        "pdf": "arxiv_math/2503.00001_pg1.pdf",
                        "page": 4,
                        "id": "x4",
                        "type": "absent",
                        "text": "a",
                    }
                ),
                json.dumps(
                    {
                        "pdf": "arxiv_math/2503.00001_pg1.pdf",
                        "page": 1,
                        "id": "arxiv_math_00",
                        "type": "math",
                        "math": "x",
                    }
                ),
                json.dumps(
                    {"pdf": "arxiv_math/2503.00001_pg1.pdf", "page": "1", "id": "x6", "type": "present"}
                ),
                json.dumps(
                    {
                        "pdf": "arxiv_math/2503.00001_pg1.pdf",
                        "page": 1,
                        "id": "x7",
                        "type": "present",
                        "text": " ",
                    }
                ),
                json.dumps(
                    {
                        "pdf": "arxiv_math/2503.00001_pg1.pdf",
                        "page": 1,
                        "id": "x8",
                        "type": "order",
                        "before": "a",
                        "after": "b",
                        "colour": 1,
                    }
                ),
            ]
        },
    )
    text = problems(tmp_path, tmp_path / "out")
    where = bench / "arxiv_math.jsonl"
    assert f"{where}:4:" in text and "not valid JSON" in text
    assert f"{where}:5 (type): unknown test type 'exact'" in text
    assert "baseline, present, absent, order, table, math" in text
    assert f"{where}:6 (pdf): PDF 'arxiv_math/gone.pdf' does not exist" in text
    assert (
        f"{where}:7 (page): page 4 of 'arxiv_math/2503.00001_pg1.pdf' does not exist: the PDF has 1 page(s)"
        in text
    )
    assert f"{where}:8 (id): duplicate test id 'arxiv_math_00' (first at {where}:1)" in text
    assert f"{where}:9 (page): 'page' must be a page number" in text
    assert f"{where}:10: invalid 'present' test: Text field cannot be empty" in text
    assert f"{where}:11: invalid 'order' test: unexpected field 'colour'" in text
    assert "--skip-invalid" in text
    assert not (tmp_path / "out").exists()


def test_skip_invalid_keeps_the_good_tests_and_records_the_bad_lines(tmp_path: Path) -> None:
    fx.write_bench(tmp_path, extra_lines={"arxiv_math": ["not json", json.dumps({"type": "ocr", "id": "z"})]})
    report = import_source("olmocr_bench", tmp_path, tmp_path / "out", skip_invalid=True)
    assert report.skipped == 2 and any("unknown test type 'ocr'" in r for r in report.skipped_rows)
    rows = imported(tmp_path, tmp_path / "again", skip=True)
    assert [t["id"] for t in rows[ARXIV_PAGE]["metadata"]["olmocr_tests"]][:3] == [
        "arxiv_math_00",
        "arxiv_math_01",
        "arxiv_math_02",
    ]
