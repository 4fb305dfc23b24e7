"""The ``omnidocbench`` reader: OmniDocBench.json (or MDPBench_public.json) and its images."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.support import fixtures_omnidocbench as fx
from vlmhyperbench.cli.main import app
from vlmhyperbench.core import DatasetError, Sample
from vlmhyperbench.datasets import load_dataset
from vlmhyperbench.datasets.sources import ReadOptions, import_source
from vlmhyperbench.datasets.sources._json import json_array_items
from vlmhyperbench.metrics.omnidocbench import reference_markdown


def _import(source: Path, out: Path, **options: Any) -> dict[str, Sample]:
    import_source("omnidocbench", source, out, ReadOptions(**options))
    return {s.id: s for s in load_dataset(out).samples}


def test_each_page_is_a_parse_sample_with_its_page_object(tmp_path: Path) -> None:
    samples = _import(fx.write_omnidocbench(tmp_path / "src"), tmp_path / "native")
    assert list(samples) == ["ru_invoice_1", "ru_letter_2", "en_paper_3"]
    invoice = samples["ru_invoice_1"]
    assert invoice.task == "parse" and invoice.doc_class == "research_report" and invoice.split == "russian"
    assert invoice.metadata["omnidocbench"] == fx.PAGES[0]  # exactly as in the file
    assert invoice.metadata["page_attribute"] == fx.PAGES[0]["page_info"]["page_attribute"]
    assert invoice.metadata["source_split"] == "test" and len(invoice.images) == 1
    assert samples["ru_letter_2"].metadata["page_attribute"]["watermark"] is True
    assert samples["en_paper_3"].split == "en"


def test_answers_are_the_reference_markdown(tmp_path: Path) -> None:
    samples = _import(fx.write_omnidocbench(tmp_path / "src"), tmp_path / "native")
    for page in fx.PAGES:
        stem = Path(page["page_info"]["image_path"]).stem
        assert samples[stem].answers == (reference_markdown(page),)
    assert "Счёт-фактура № 17" in samples["ru_invoice_1"].answers[0]


def test_subset_keeps_one_language(tmp_path: Path) -> None:
    source = fx.write_omnidocbench(tmp_path / "src")
    assert list(_import(source, tmp_path / "a", subset="en")) == ["en_paper_3"]
    assert list(_import(source, tmp_path / "b", subset="russian")) == ["ru_invoice_1", "ru_letter_2"]
    with pytest.raises(DatasetError, match=r"(?s)no subset 'fr'.*en, russian"):
        _import(source, tmp_path / "c", subset="fr")
    (source / "images" / "ru_letter_2.jpg").unlink()  # a page of another language is not looked at
    assert list(_import(source, tmp_path / "d", subset="en")) == ["en_paper_3"]


def test_the_json_file_itself_and_the_hf_folder_can_be_given(tmp_path: Path) -> None:
    # the HF copy (opendatalab/OmniDocBench): OmniDocBench.json, images/ and pdfs/
    root = fx.write_omnidocbench(tmp_path / "OmniDocBench", indent=None)
    (root / "pdfs").mkdir()
    (root / "pdfs" / "ru_invoice_1.pdf").write_bytes(b"%PDF-1.4")
    assert len(_import(root, tmp_path / "a")) == 3
    assert len(_import(root / "OmniDocBench.json", tmp_path / "b")) == 3
    assert len(_import(tmp_path, tmp_path / "c")) == 3  # a folder above it


def test_mdpbench_layout_adds_the_capture_condition(tmp_path: Path) -> None:
    samples = _import(fx.write_mdpbench(tmp_path / "MDPBench_dataset"), tmp_path / "native")
    assert list(samples) == ["ru_note_33", "ru_note_33_indoor_light_top_wrinkle", "de_book_12"]
    digital, photo = samples["ru_note_33"], samples["ru_note_33_indoor_light_top_wrinkle"]
    assert digital.split == "Russian" and digital.doc_class == ""
    assert digital.metadata["page_attribute"] == {"language": "Russian", "capture": "digital"}
    assert photo.metadata["page_attribute"] == {"language": "Russian", "capture": "photographed"}


def test_bad_pages_are_each_located(tmp_path: Path) -> None:
    pages: list[Any] = copy.deepcopy(fx.PAGES)
    missing = copy.deepcopy(fx.PAGES[0])
    missing["page_info"]["image_path"] = "gone.png"
    no_layout = {k: v for k, v in copy.deepcopy(fx.PAGES[2]).items() if k != "layout_dets"}
    no_layout["page_info"]["image_path"] = "x.png"
    bad_det = copy.deepcopy(fx.PAGES[2])
    bad_det["page_info"]["image_path"] = "y.png"
    bad_det["layout_dets"][1] = {"text": "no category"}
    bad: list[Any] = [*pages, missing, no_layout, bad_det, "not a page"]
    source = fx.write_omnidocbench(tmp_path / "src", bad)
    (source / "images" / "gone.png").unlink()
    with pytest.raises(DatasetError) as info:
        import_source("omnidocbench", source, tmp_path / "o")
    problems = {p.location.key if p.location else None: p for p in info.value.problems}
    assert problems["[3].page_info.image_path"].message == "image 'gone.png' does not exist"
    hint = problems["[3].page_info.image_path"].hint or ""
    assert "looked for 'gone.png'" in hint and "images" in hint
    assert problems["[4].layout_dets"].message == "the page has no layout_dets"
    assert "category_type" in problems["[5].layout_dets[1]"].message
    assert problems["[6]"].message == "expected a page object, got str"
    # --skip-invalid keeps the good pages and records the others
    report = import_source("omnidocbench", source, tmp_path / "o2", skip_invalid=True)
    assert report.samples == 3 and report.skipped == 4


def test_the_line_of_a_bad_page_is_given(tmp_path: Path) -> None:
    pages = copy.deepcopy(fx.PAGES)
    pages[1]["page_info"]["image_path"] = "gone.png"
    source = fx.write_omnidocbench(tmp_path / "src", pages)
    text = (source / "OmniDocBench.json").read_text(encoding="utf-8")
    (source / "images" / "gone.png").unlink()
    with pytest.raises(DatasetError) as info:
        import_source("omnidocbench", source, tmp_path / "o")
    where = info.value.problems[0].location
    assert where is not None and where.key == "[1].page_info.image_path"
    starts = [n for n, line in enumerate(text.splitlines(), start=1) if line == "  {"]
    assert where.line == starts[1] and where.column == 3


def test_source_errors_say_what_is_expected(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "other.json").write_text("[]")
    with pytest.raises(DatasetError, match=r"(?s)it holds: other\.json.*expects OmniDocBench\.json"):
        import_source("omnidocbench", tmp_path / "empty", tmp_path / "o1")
    source = fx.write_omnidocbench(tmp_path / "src")
    with pytest.raises(DatasetError, match=r"(?s)no split 'val'.*test"):
        import_source("omnidocbench", source, tmp_path / "o2", ReadOptions(split="val"))
    (source / "OmniDocBench.json").write_text('{"layout_dets": []}')
    with pytest.raises(DatasetError, match=r"OmniDocBench\.json:1:1: expected a JSON list"):
        import_source("omnidocbench", source, tmp_path / "o3")
    broken = json.dumps(fx.PAGES, ensure_ascii=False, indent=2)
    (source / "OmniDocBench.json").write_text(broken[: len(broken) // 2], encoding="utf-8")
    with pytest.raises(DatasetError, match=r"OmniDocBench\.json:\d+:\d+: not valid JSON"):
        import_source("omnidocbench", source, tmp_path / "o4")
    (source / "OmniDocBench.json").write_bytes(b'[{"a": "\xff"}]')
    with pytest.raises(DatasetError, match="not UTF-8"):
        import_source("omnidocbench", source, tmp_path / "o5")


@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_the_json_list_is_read_in_chunks_with_lines_and_columns(tmp_path: Path, chunk: int) -> None:
    items: list[Any] = [{"t": "ж" * i, "n": [1.5, None, True]} for i in range(40)] + [123456789, "x", []]
    path = tmp_path / "a.json"
    path.write_text(json.dumps(items, ensure_ascii=False, indent=1), encoding="utf-8")
    read = list(json_array_items(path, chunk_size=chunk))
    assert [item for _, _, item in read] == items and [i for i, _, _ in read] == list(range(len(items)))
    assert (read[0][1].line, read[0][1].column) == (2, 2) and read[1][1].line == 10  # 8 lines each
    for text, message in [
        ("[1, 2", "the file ends inside the list"),
        ("[1,]", "trailing comma"),
        ("[1 2]", "expected ',' or ']'"),
        ("[1] x", "extra data after the list"),
        ('[{"a": }]', "not valid JSON: Expecting value"),
    ]:
        path.write_text(text)
        with pytest.raises(DatasetError, match=message):
            list(json_array_items(path, chunk_size=chunk))
    path.write_text(" [ ] ")
    assert list(json_array_items(path, chunk_size=chunk)) == []


def test_datasets_import_command_reads_the_format(tmp_path: Path) -> None:
    source = fx.write_omnidocbench(tmp_path / "src")
    result = CliRunner().invoke(
        app, ["datasets", "import", str(source), "--format", "omnidocbench", "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    rows = [
        json.loads(line) for line in (tmp_path / "out" / "annotation.jsonl").read_text("utf-8").splitlines()
    ]
    assert [r["id"] for r in rows] == ["ru_invoice_1", "ru_letter_2", "en_paper_3"]
    assert rows[0]["metadata"]["omnidocbench"]["layout_dets"][0]["text"] == "Счёт-фактура № 17"
