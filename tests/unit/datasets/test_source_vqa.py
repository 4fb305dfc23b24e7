"""Readers of the official DocVQA, InfographicVQA, ChartQA, TextVQA and OCRBench layouts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support import fixtures_vqa as fx
from vlmhyperbench.core import DatasetError
from vlmhyperbench.datasets import RowError, load_dataset
from vlmhyperbench.datasets.sources import ReadOptions, SourceRecord, import_source, source_formats


def read(fmt: str, source: Path, **options: str) -> tuple[list[SourceRecord], RowError]:
    errors = RowError()
    records = list(source_formats.get(fmt)().read(source, ReadOptions(**options), errors))
    return records, errors


def test_docvqa_reads_the_rrc_layout_with_every_official_column(tmp_path: Path) -> None:
    source = fx.write_docvqa(tmp_path / "src")
    records, errors = read("docvqa", source)
    assert not errors.problems
    assert [r.id for r in records] == [str(row["questionId"]) for row in fx.DOCVQA_VAL]
    first = records[1]
    assert first.answers == ["university of california", "University of California San Diego"]
    assert first.question == "What is name of university?" and first.split == "val"
    assert first.question_type == "handwritten, form" and first.doc_class == "document"
    assert first.metadata["docId"] == 14465 and first.metadata["ucsf_document_page_no"] == "81"
    assert first.metadata["image"] == "documents/pybv0228_81.png"
    assert first.metadata["question_types"] == ["handwritten", "form"]
    assert first.metadata["dataset_name"] == "docvqa" and first.metadata["source_split"] == "val"
    assert first.images[0].path == (source / "spdocvqa_images" / "pybv0228_81.png").resolve()
    assert records[0].images[0].path == first.images[0].path  # one page, two questions


def test_docvqa_prefers_the_file_with_question_types(tmp_path: Path) -> None:
    source = fx.write_docvqa(tmp_path / "src")
    plain = [{k: v for k, v in row.items() if k != "question_types"} for row in fx.DOCVQA_VAL[:2]]
    (source / "val_v1.0.json").write_text(json.dumps(fx.rrc_document(plain, "docvqa", "val")))
    records, _ = read("docvqa", source)
    assert len(records) == len(fx.DOCVQA_VAL) and records[1].question_type == "handwritten, form"
    (source / "spdocvqa_qas" / "val_v1.0_withQT.json").unlink()
    records, _ = read("docvqa", source)
    assert len(records) == 2 and records[1].question_type == ""


def test_docvqa_test_split_imports_without_answers(tmp_path: Path) -> None:
    source = fx.write_docvqa(tmp_path / "src")
    report = import_source("docvqa", source, tmp_path / "out", ReadOptions(split="test"))
    data = load_dataset(tmp_path / "out")
    assert report.samples == 2 and [s.answers for s in data.samples] == [(), ()]
    assert data.samples[0].split == "test"


def test_docvqa_finds_pages_where_the_image_path_says(tmp_path: Path) -> None:
    source = fx.write_docvqa(tmp_path / "src")
    images = source / "spdocvqa_images"
    (images / "documents").mkdir()
    for page in list(images.glob("*.png")):
        page.rename(images / "documents" / page.name)
    records, errors = read("docvqa", source)
    assert not errors.problems and len(records) == len(fx.DOCVQA_VAL)
    assert records[0].images[0].path == (images / "documents" / "pybv0228_81.png").resolve()


def test_docvqa_reads_the_annotation_file_given_alone(tmp_path: Path) -> None:
    source = fx.write_docvqa(tmp_path / "src")
    file = source / "spdocvqa_qas" / "val_v1.0_withQT.json"
    shutil.move(source / "spdocvqa_images", file.parent / "spdocvqa_images")
    records, errors = read("docvqa", file)
    assert not errors.problems and len(records) == len(fx.DOCVQA_VAL)
    with pytest.raises(DatasetError, match="no split 'test'"):
        read("docvqa", file, split="test")


def test_infographicvqa_keeps_answer_type_evidence_and_reasoning(tmp_path: Path) -> None:
    source = fx.write_infovqa(tmp_path / "src")
    records, errors = read("docvqa", source, subset="InfographicVQA")
    assert not errors.problems and [r.id for r in records] == ["98313", "98309", "65432", "70001", "70002"]
    record = records[2]
    assert record.doc_class == "infographic" and record.answers == ["apple, orange", "orange, apple"]
    assert (
        record.metadata["answer_type"] == ["multiple spans"] and record.metadata["operation/reasoning"] == []
    )
    assert record.metadata["image_local_name"] == "20471.jpeg"
    assert record.images[0].path == (source / "infographicsvqa_images" / "20471.jpeg").resolve()


def test_docvqa_and_infographicvqa_in_one_folder_need_a_subset(tmp_path: Path) -> None:
    source = fx.write_infovqa(fx.write_docvqa(tmp_path / "src"))
    with pytest.raises(DatasetError, match="both DocVQA and InfographicVQA") as info:
        read("docvqa", source)
    assert "subset: DocVQA or subset: InfographicVQA" in str(info.value)
    assert len(read("docvqa", source, subset="docvqa")[0]) == len(fx.DOCVQA_VAL)  # any case
    assert len(read("docvqa", source, subset="InfographicVQA")[0]) == len(fx.INFOVQA_VAL)
    with pytest.raises(DatasetError, match=r"(?s)no subset 'ChartQA'.*DocVQA, InfographicVQA"):
        read("docvqa", source, subset="ChartQA")


def test_unknown_split_lists_the_splits_found(tmp_path: Path) -> None:
    source = fx.write_docvqa(tmp_path / "src")
    with pytest.raises(DatasetError, match="no split 'train'") as info:
        read("docvqa", source, split="train")
    assert "splits found there: test, val" in str(info.value)


def test_a_folder_in_no_layout_says_what_each_format_expects(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.json").write_text("{}")
    for fmt, expected in [
        ("docvqa", "<split>_v1.0[_withQT].json"),
        ("chartqa", "<split>/<split>_human.json"),
        ("textvqa", "TextVQA_0.5.1_<split>.json"),
        ("ocrbench", "OCRBench.json"),
    ]:
        with pytest.raises(DatasetError, match=f"is not a '{fmt}' source") as info:
            read(fmt, tmp_path / "empty")
        assert expected in str(info.value)


def test_missing_image_fails_the_import_naming_file_and_row(tmp_path: Path) -> None:
    source = fx.write_docvqa(tmp_path / "src", skip_images=("documents/xnbl0037_1.png",))
    with pytest.raises(DatasetError) as info:
        import_source("docvqa", source, tmp_path / "out")
    text = str(info.value)
    assert "val_v1.0_withQT.json:3 (image): image 'documents/xnbl0037_1.png' does not exist" in text
    assert "val_v1.0_withQT.json:4 (image)" in text and "2 invalid row(s)" in text
    assert "spdocvqa_images" in text  # where it looked
    report = import_source("docvqa", source, tmp_path / "out", skip_invalid=True)
    assert report.samples == len(fx.DOCVQA_VAL) - 2 and report.skipped == 2


def test_an_image_path_outside_the_source_is_not_read(tmp_path: Path) -> None:
    fx.draw(tmp_path / "secret.png")
    rows = [{**fx.DOCVQA_VAL[0], "image": "../../secret.png"}]
    source = fx.write_docvqa(tmp_path / "a" / "src", rows)
    _, errors = read("docvqa", source)
    assert "image '../../secret.png' does not exist" in errors.problems[0].message


def test_an_empty_split_is_a_clear_error(tmp_path: Path) -> None:
    source = fx.write_docvqa(tmp_path / "src", rows=[])
    with pytest.raises(DatasetError, match="no samples of split 'val' were read"):
        import_source("docvqa", source, tmp_path / "out", ReadOptions(split="val"))


def test_broken_json_and_rows_are_located(tmp_path: Path) -> None:
    source = fx.write_docvqa(tmp_path / "src")
    file = source / "spdocvqa_qas" / "val_v1.0_withQT.json"
    file.write_text('{"data": [\n  {"questionId": 1,}\n]}')
    with pytest.raises(DatasetError, match=r"val_v1.0_withQT.json:2:\d+: not valid JSON"):
        read("docvqa", source)
    bad = [
        {k: v for k, v in fx.DOCVQA_VAL[0].items() if k != "question"},
        {**fx.DOCVQA_VAL[1], "answers": [["x"]]},
    ]
    file.write_text(json.dumps(fx.rrc_document(bad, "docvqa", "val")))
    records, errors = read("docvqa", source)
    assert records == []
    assert [str(p.location) for p in errors.problems] == [f"{file}:1 (question)", f"{file}:2 (answers)"]
    file.write_text(json.dumps({"data": {"not": "a list"}}))
    with pytest.raises(DatasetError, match="expected an object with a 'data' list"):
        read("docvqa", source)


def test_chartqa_yields_human_then_augmented_with_the_part_as_split(tmp_path: Path) -> None:
    source = fx.write_chartqa(tmp_path / "src")
    records, errors = read("chartqa", source)
    assert not errors.problems
    assert [r.id for r in records] == list(fx.CHARTQA_PREDICTIONS)
    assert [r.split for r in records] == ["human"] * 4 + ["augmented"] * 3
    first = records[0]
    assert first.question == "How many food item is shown in the bar graph?" and first.answers == ["14"]
    assert first.metadata == {
        "imgname": "41699051005347.png",
        "source_split": "test",
        "source_file": "test_human.json",
    }
    assert (
        first.images[0].path == (source / "ChartQA Dataset" / "test" / "png" / "41699051005347.png").resolve()
    )
    assert len(read("chartqa", source / "ChartQA Dataset")[0]) == 7  # the released folder itself
    with pytest.raises(DatasetError, match="no split 'val'"):
        read("chartqa", source, split="val")


def test_textvqa_reads_val_pages_from_train_images(tmp_path: Path) -> None:
    source = fx.write_textvqa(tmp_path / "src")
    records, errors = read("textvqa", source)
    assert not errors.problems and [r.id for r in records] == ["34602", "34603", "34604", "34605"]
    record = records[0]
    assert len(record.answers) == 10 and record.question == "what is the brand of this camera?"
    assert record.metadata["image_id"] == "003a8ae2ef43b901" and record.metadata["set_name"] == "val"
    assert record.metadata["dataset_version"] == "0.5.1"
    assert record.images[0].path == (source / "train_images" / "003a8ae2ef43b901.jpg").resolve()


def test_textvqa_test_split_has_no_answers_even_as_empty_strings(tmp_path: Path) -> None:
    source = tmp_path / "src"
    rows = [{**fx.TEXTVQA_VAL[0], "answers": [""] * 10, "set_name": "test"}, {**fx.TEXTVQA_VAL[2]}]
    del rows[1]["answers"]
    (source / "test_images").mkdir(parents=True)
    for row in rows:
        fx.draw(source / "test_images" / f"{row['image_id']}.jpg")
    (source / "TextVQA_0.5.1_test.json").write_text(json.dumps({"dataset_type": "test", "data": rows}))
    records, errors = read("textvqa", source, split="test")
    assert not errors.problems and [r.answers for r in records] == [[], []]
    assert records[0].images[0].path.parent.name == "test_images"


def test_ocrbench_ids_name_the_source_dataset_and_answers_become_lists(tmp_path: Path) -> None:
    source = fx.write_ocrbench(tmp_path / "src")
    records, errors = read("ocrbench", source)
    assert not errors.problems
    assert [r.id for r in records] == list(fx.OCRBENCH_PREDICTIONS)  # "IIIT5K-5" and "docVQA-5" differ
    assert records[0].answers == ["CENTRE"] and records[3].answers == ["y _ { 2 } = - 1\n", "y_2 = - 1\n"]
    assert records[3].doc_class == "HME100k"
    assert records[3].question_type == "Handwritten Mathematical Expression Recognition"
    assert records[0].metadata == {
        "dataset_name": "IIIT5K",
        "id": 2843,
        "image_path": "IIIT5K/test/918_1.png",
        "type": "Regular Text Recognition",
        "source_split": "test",
    }
    assert records[0].images[0].path == (source / "OCRBench_Images" / "IIIT5K/test/918_1.png").resolve()
    with pytest.raises(DatasetError, match="no split 'val'"):
        read("ocrbench", source, split="val")
