"""The ``pdf`` reader: page ranges, resolution, questions.jsonl, unreadable PDFs."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.support import fixtures_kie as fx
from vlmhyperbench.core import DatasetError, MissingDependency
from vlmhyperbench.datasets.sources import ReadOptions, import_source
from vlmhyperbench.datasets.sources.pdf import page_ranges


def imported(source: Path, out: Path, **options: Any) -> list[dict[str, Any]]:
    report = import_source("pdf", source, out, ReadOptions(**options), skip_invalid=True)
    assert report.dpi == options.get("dpi", 144) and report.pages == options.get("pages")
    return [json.loads(line) for line in (out / "annotation.jsonl").read_text(encoding="utf-8").splitlines()]


def problems(source: Path, out: Path, **options: Any) -> str:
    with pytest.raises(DatasetError) as caught:
        import_source("pdf", source, out, ReadOptions(**options))
    return "\n".join(p.render() for p in caught.value.problems)


def sizes(out: Path, row: dict[str, Any]) -> list[tuple[int, int]]:
    return [Image.open(io.BytesIO((out / name).read_bytes())).size for name in row["images"]]


@pytest.mark.parametrize(("dpi", "size"), [(72, (300, 100)), (144, (600, 200))])
def test_pages_two_and_three_are_rendered_at_the_resolution_asked(
    tmp_path: Path, dpi: int, size: tuple[int, int]
) -> None:
    pdf = fx.write_pdf(tmp_path / "doc.pdf")  # 3 pages of 300 x 100 points
    (row,) = imported(pdf, tmp_path / "out", dpi=dpi, pages="2-3")
    assert sizes(tmp_path / "out", row) == [size, size]
    assert (row["id"], row["task"], row["answers"], row["question"]) == ("doc", "ocr", [], "")
    assert row["metadata"] | {"source_row": 1} == {
        "pdf": "doc.pdf",
        "pages": [2, 3],
        "page_count": 3,
        "dpi": dpi,
        "source_row": 1,
    }
    whole = imported(pdf, tmp_path / "all", dpi=dpi)
    assert len(whole[0]["images"]) == 3 and whole[0]["images"][1:] == row["images"]


def test_page_ranges_keep_the_order_given_and_each_page_once(tmp_path: Path) -> None:
    pdf = fx.write_pdf(tmp_path / "doc.pdf")
    (row,) = imported(pdf, tmp_path / "out", dpi=72, pages="3, 1-2,2")
    assert row["metadata"]["pages"] == [3, 1, 2]


def test_a_range_past_the_end_names_the_file_and_its_page_count(tmp_path: Path) -> None:
    pdf = fx.write_pdf(tmp_path / "doc.pdf")
    text = problems(pdf, tmp_path / "out", pages="2-5")
    assert "doc.pdf: pages 2-5 go past the end: the PDF has 3 page(s)" in text


@pytest.mark.parametrize("spec", ["a-b", "3-1", "0", "1-", "2,,3"])
def test_a_malformed_page_range_is_refused_with_the_syntax(spec: str) -> None:
    with pytest.raises(DatasetError) as caught:
        page_ranges(spec)
    assert "is not a page range" in caught.value.problems[0].message
    assert "e.g. 1-3,5" in str(caught.value.problems[0].hint)


def test_encrypted_and_broken_pdfs_are_row_problems_naming_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "pdfs"
    fx.write_pdf(folder / "good.pdf")
    fx.write_encrypted_pdf(folder / "sub" / "locked.pdf")
    fx.write_broken_pdf(folder / "cut.pdf")
    text = problems(folder, tmp_path / "bad", dpi=72)
    assert "locked.pdf: the PDF is encrypted (password-protected)" in text and "qpdf --decrypt" in text
    assert "cut.pdf: not a readable PDF" in text
    rows = imported(folder, tmp_path / "out", dpi=72)
    assert [r["id"] for r in rows] == ["good"]


def test_questions_jsonl_makes_one_vqa_sample_per_line(tmp_path: Path) -> None:
    folder = tmp_path / "pdfs"
    fx.write_pdf(folder / "reports" / "q3.pdf")
    lines = [
        {"pdf": "reports/q3.pdf", "question": "What is on page 2?", "answers": "BRAVO 222", "pages": "2"},
        {
            "pdf": "reports/q3.pdf",
            "question": "And on 1 and 3?",
            "answers": ["x", "y"],
            "id": "q-13",
            "lang": "en",
        },
        {"pdf": "missing.pdf", "question": "?"},
        {"pdf": "reports/q3.pdf", "question": "Bad pages", "pages": "9"},
    ]
    text = "\n".join(json.dumps(line) for line in lines) + "\n{oops\n"
    (folder / "questions.jsonl").write_text(text, encoding="utf-8")
    rows = imported(folder, tmp_path / "out", dpi=72, pages="1,3")
    assert [(r["id"], r["task"], r["question"], r["answers"]) for r in rows] == [
        ("q3-1", "vqa", "What is on page 2?", ["BRAVO 222"]),
        ("q-13", "vqa", "And on 1 and 3?", ["x", "y"]),
    ]
    assert [r["metadata"]["pages"] for r in rows] == [[2], [1, 3]] and rows[1]["metadata"]["lang"] == "en"
    report = json.loads((tmp_path / "out" / "import.json").read_text())
    skipped = "\n".join(report["skipped_rows"])
    assert "questions.jsonl:3 (pdf): PDF 'missing.pdf' does not exist" in skipped
    assert "questions.jsonl:4 (pdf): q3.pdf: pages 9 go past the end: the PDF has 3 page(s)" in skipped
    assert "questions.jsonl:5:2: not valid JSON" in skipped


def test_a_file_that_is_not_a_pdf_or_an_empty_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    assert "is not a 'pdf' source" in problems(tmp_path / "notes.txt", tmp_path / "a")
    (tmp_path / "empty").mkdir()
    assert "is not a 'pdf' source" in problems(tmp_path / "empty", tmp_path / "b")


def test_without_pypdfium2_the_error_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pdf = fx.write_pdf(tmp_path / "doc.pdf")
    monkeypatch.setitem(sys.modules, "pypdfium2", None)  # makes `import pypdfium2` fail
    with pytest.raises(MissingDependency) as caught:
        import_source("pdf", pdf, tmp_path / "out")
    assert "pip install 'vlmhyperbench[benchmarks]'" in str(caught.value.problems[0].hint)
