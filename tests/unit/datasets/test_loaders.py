"""Dataset loaders: both layouts, filters, fingerprints and every kind of bad input."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tests.factories import make_prototype_dataset, render_page
from vlmhyperbench.core import DatasetError
from vlmhyperbench.datasets import apply_filters, load_dataset
from vlmhyperbench.datasets.prototype_csv import ANNOTATION_COLUMNS


def test_both_layouts_give_the_same_samples(tiny_dataset: Path, tiny_prototype_dataset: Path) -> None:
    jsonl = load_dataset(tiny_dataset)
    proto = load_dataset(tiny_prototype_dataset)
    assert (jsonl.layout, proto.layout) == ("jsonl", "prototype_csv")
    assert [s.answers for s in jsonl.samples] == [s.answers for s in proto.samples]
    assert [s.id for s in proto.samples] == ["0", "1", "2"]  # the prototype's answers CSV ids
    assert proto.samples[0].metadata["answer_bbox"] == [1.0, 2.0, 3.0, 4.0]
    assert proto.samples[0].question_type == "Фамилия"
    assert all(p.is_absolute() and p.is_file() for s in jsonl.samples for p in s.images)


def test_prototype_csv_without_bom_reads_the_same(tmp_path: Path) -> None:
    a = load_dataset(make_prototype_dataset(tmp_path / "a", bom=True))
    b = load_dataset(make_prototype_dataset(tmp_path / "b", bom=False))
    assert [s.answers for s in a.samples] == [s.answers for s in b.samples]


def test_fingerprint_changes_with_image_bytes(tiny_dataset: Path) -> None:
    before = load_dataset(tiny_dataset).fingerprint
    assert load_dataset(tiny_dataset).fingerprint == before
    render_page(tiny_dataset / "images" / "s-001.png", ["changed"])
    assert load_dataset(tiny_dataset).fingerprint != before


def test_filters_are_independent(tiny_dataset: Path) -> None:
    samples = load_dataset(tiny_dataset).samples
    assert [s.id for s in apply_filters(samples, {"doc_class": ["passport"]})] == ["s-001", "s-002"]
    assert [s.id for s in apply_filters(samples, {"question_type": ["Имя"]})] == ["s-002"]
    assert apply_filters(samples, {"doc_class": ["invoice"], "question_type": ["Имя"]}) == []


def _rewrite_jsonl(root: Path, edit) -> None:
    path = root / "annotation.jsonl"
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    edit(rows)
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")


def _problems(root: Path) -> str:
    with pytest.raises(DatasetError) as info:
        load_dataset(root)
    return str(info.value)


def test_image_path_escaping_the_root_is_refused(tiny_dataset: Path) -> None:
    _rewrite_jsonl(tiny_dataset, lambda rows: rows[1].update(images=["images/../../x.png"]))
    text = _problems(tiny_dataset)
    assert "annotation.jsonl:2" in text and "resolves outside the dataset" in text


def test_missing_and_corrupt_images_are_reported_with_rows(tiny_dataset: Path) -> None:
    (tiny_dataset / "images" / "s-001.png").unlink()
    (tiny_dataset / "images" / "s-003.png").write_bytes(b"not a png")
    text = _problems(tiny_dataset)
    assert "annotation.jsonl:1 (images[0]): image 'images/s-001.png' does not exist" in text
    assert "annotation.jsonl:3 (images[0]): image 'images/s-003.png' cannot be read" in text


def test_duplicate_ids_name_both_lines(tiny_dataset: Path) -> None:
    _rewrite_jsonl(tiny_dataset, lambda rows: rows[2].update(id="s-001"))
    assert "annotation.jsonl:3 (id): duplicate sample id 's-001' (first on line 1)" in _problems(tiny_dataset)


def test_unknown_key_and_wrong_type_are_located(tiny_dataset: Path) -> None:
    _rewrite_jsonl(tiny_dataset, lambda rows: (rows[0].update(answer="x"), rows[1].update(answers="ИВАНОВ")))
    text = _problems(tiny_dataset)
    assert "annotation.jsonl:1 (answer): unknown key" in text
    assert "annotation.jsonl:2 (answers): " in text


def test_malformed_json_line(tiny_dataset: Path) -> None:
    path = tiny_dataset / "annotation.jsonl"
    path.write_text(path.read_text("utf-8") + '{"id": "s-9", \n', "utf-8")
    assert "annotation.jsonl:4" in _problems(tiny_dataset)


def test_non_utf8_csv_says_how_to_convert(tmp_path: Path) -> None:
    root = make_prototype_dataset(tmp_path / "p", bom=False)
    path = root / "annotation.csv"
    path.write_bytes(path.read_text("utf-8").encode("cp1251"))
    text = _problems(root)
    assert "not UTF-8" in text and "iconv -f cp1251 -t utf-8" in text


def test_csv_with_wrong_columns_or_separator(tmp_path: Path) -> None:
    root = make_prototype_dataset(tmp_path / "p")
    path = root / "annotation.csv"
    path.write_text("image_path,question,answer\nimages/0.png,q,a\n", "utf-8")
    assert "separator must be ';'" in _problems(root)
    path.write_text("image_path;question;answer\nimages/0.png;q;a\n", "utf-8")
    assert "missing column(s) doc_class, question_type" in _problems(root)


def test_bad_bbox_literal_is_located(tmp_path: Path) -> None:
    root = make_prototype_dataset(tmp_path / "p")
    path = root / "annotation.csv"
    path.write_text(path.read_text("utf-8-sig").replace("[1, 2, 3, 4]", "__import__('os')", 1), "utf-8")
    assert "annotation.csv:2:answer_bbox: not a list literal" in _problems(root)


def test_missing_folder_or_annotation(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="does not exist"):
        load_dataset(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no annotation file"):
        load_dataset(tmp_path / "empty")


def test_jsonl_layout_round_trip_of_structured_fields(tmp_path: Path) -> None:
    from tests.factories import make_kie_dataset

    (sample,) = load_dataset(make_kie_dataset(tmp_path / "k")).samples
    assert sample.task == "kie" and sample.fields == {"inn": "7707083893", "kpp": "770701001"}
    assert sample.json_schema["properties"]["inn"]["title"] == "ИНН"


@pytest.mark.parametrize("layout", ["jsonl", "prototype_csv"])
def test_without_check_images_a_dataset_loads_without_its_pages(
    layout: str, tiny_dataset: Path, tiny_prototype_dataset: Path
) -> None:
    root = tiny_dataset if layout == "jsonl" else tiny_prototype_dataset
    complete = load_dataset(root)
    for image in (root / "images").iterdir():
        image.unlink()
    with pytest.raises(DatasetError, match="does not exist"):
        load_dataset(root)  # strict by default: validate and inference need the pages
    text_only = load_dataset(root, check_images=False)
    assert [s.id for s in text_only.samples] == [s.id for s in complete.samples]
    assert [s.images for s in text_only.samples] == [s.images for s in complete.samples]
    assert text_only.fingerprint != complete.fingerprint  # the pages are not part of it


def test_without_check_images_paths_outside_the_dataset_are_still_refused(tiny_dataset: Path) -> None:
    _rewrite_jsonl(tiny_dataset, lambda rows: rows[1].update(images=["images/../../x.png"]))
    with pytest.raises(DatasetError, match="resolves outside the dataset"):
        load_dataset(tiny_dataset, check_images=False)


def test_extra_annotation_columns_are_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = make_prototype_dataset(tmp_path / "p")
    path = root / "annotation.csv"
    lines = path.read_text("utf-8-sig").splitlines()
    path.write_text(
        "\n".join([lines[0] + ";reviewer", *(line + ";anna" for line in lines[1:])]) + "\n", "utf-8"
    )
    with caplog.at_level(logging.WARNING):
        samples = load_dataset(root).samples
    assert len(samples) == 3 and "reviewer" not in samples[0].metadata
    assert f"{path}:1: ignoring column(s) 'reviewer'" in caplog.text


def test_the_docs_show_the_annotation_header_the_loader_reads() -> None:
    docs = Path(__file__).resolve().parents[3] / "docs" / "datasets.md"
    assert ";".join(ANNOTATION_COLUMNS) in docs.read_text("utf-8")
