"""The SROIE, CORD and FUNSD readers on their released layouts, odd rows included."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support import fixtures_kie as fx
from vlmhyperbench.core import DatasetError
from vlmhyperbench.datasets import RowError
from vlmhyperbench.datasets.sources import ReadOptions, import_source, source_formats


def imported(fmt: str, source: Path, out: Path, **options: Any) -> list[dict[str, Any]]:
    import_source(fmt, source, out, ReadOptions(**options), skip_invalid=True)
    lines = (out / "annotation.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def problems(fmt: str, source: Path, out: Path, **options: Any) -> str:
    with pytest.raises(DatasetError) as caught:
        import_source(fmt, source, out, ReadOptions(**options))
    return "\n".join(p.render() for p in caught.value.problems)


# ------------------------------------------------------------------------------- SROIE
def test_sroie_kaggle_layout_gives_one_kie_sample_per_key_file(tmp_path: Path) -> None:
    rows = imported("sroie", fx.write_sroie(tmp_path / "src"), tmp_path / "out")
    by_id = {row["id"]: row for row in rows}
    assert list(by_id) == list(fx.SROIE_TEST)  # the odd rows left out, the image without a key too
    first = by_id["X00016469612"]
    assert first["fields"] == fx.SROIE_TEST["X00016469612"]
    assert first["answers"] == [json.dumps(fx.SROIE_TEST["X00016469612"], separators=(",", ":"))]
    assert (first["task"], first["split"], first["doc_class"], first["question_type"]) == (
        "kie",
        "test",
        "receipt",
        "fields",
    )
    assert first["json_schema"]["properties"].keys() == {"company", "date", "address", "total"}
    assert "required" not in first["json_schema"]
    assert first["metadata"]["key_file"] == "X00016469612.txt" and first["metadata"]["source_split"] == "test"
    assert "address" not in by_id["X51005200931"]["fields"]  # the key file has none
    assert (tmp_path / "out" / first["images"][0]).is_file()


def test_sroie_bad_key_file_and_missing_image_are_listed_with_their_files(tmp_path: Path) -> None:
    text = problems("sroie", fx.write_sroie(tmp_path / "src"), tmp_path / "out")
    assert "entities/X51005268275.txt:1:1: not valid JSON" in text
    assert "entities/X51005288570.txt (image): image 'X51005288570' does not exist" in text
    assert "2 invalid row(s)" in text and "--skip-invalid" in text


def test_sroie_splits_default_to_test_and_an_unknown_one_lists_those_found(tmp_path: Path) -> None:
    source = fx.write_sroie(tmp_path / "src")
    train = imported("sroie", source, tmp_path / "train", split="train")
    assert [r["id"] for r in train] == list(fx.SROIE_TRAIN) and train[0]["split"] == "train"
    text = problems("sroie", source, tmp_path / "val", split="val")
    assert "has no split 'val'" in text and "test, train" in text


def test_sroie_rrc_release_reads_the_task2_folder_and_ignores_task1_boxes(tmp_path: Path) -> None:
    rows = imported("sroie", fx.write_sroie_rrc(tmp_path / "src"), tmp_path / "out")
    assert [(r["id"], r["split"]) for r in rows] == [(name, "train") for name in fx.SROIE_TRAIN]
    assert rows[0]["fields"] == next(iter(fx.SROIE_TRAIN.values()))


def test_sroie_zzzdavid_data_folder_is_the_train_split(tmp_path: Path) -> None:
    source = fx.write_sroie_zzzdavid(tmp_path / "src")
    rows = imported("sroie", source, tmp_path / "out")  # the only split, though test is the default
    assert [(r["id"], r["split"]) for r in rows] == [("000", "train")]
    assert "no split 'test'" in problems("sroie", source, tmp_path / "t", split="test")


def test_sroie_a_value_that_is_not_a_string_is_a_row_problem(tmp_path: Path) -> None:
    source = fx.write_sroie(tmp_path / "src")
    key = source / "SROIE2019" / "train" / "entities" / "X51005442366.txt"
    key.write_text(json.dumps({"company": "TOKO JAYA", "total": 1.0}))
    text = problems("sroie", source, tmp_path / "out", split="train")
    assert "X51005442366.txt (total): expected a string" in text


def test_sroie_an_empty_split_is_an_error(tmp_path: Path) -> None:
    source = fx.write_sroie(tmp_path / "src")
    for sub in ("img", "entities"):
        (source / "SROIE2019" / "val" / sub).mkdir(parents=True)
    assert "no samples of split 'val' were read" in problems("sroie", source, tmp_path / "out", split="val")


def test_sroie_elsewhere_names_the_layouts_it_expects(tmp_path: Path) -> None:
    (tmp_path / "src" / "photos").mkdir(parents=True)
    text = problems("sroie", tmp_path / "src", tmp_path / "out")
    assert "is not a 'sroie' source" in text and "entities/<name>.txt" in text and "photos" in text


# -------------------------------------------------------------------------------- CORD
def test_cord_parquet_gives_gt_parse_as_fields(tmp_path: Path) -> None:
    rows = imported("cord", fx.write_cord(tmp_path / "src"), tmp_path / "out")
    assert [r["id"] for r in rows] == [f"receipt_{i:05d}" for i, _ in fx.CORD_TEST]
    assert [r["fields"] for r in rows] == [parse for _, parse in fx.CORD_TEST]
    assert rows[0]["json_schema"] is None and rows[0]["task"] == "kie" and rows[0]["split"] == "test"
    assert rows[0]["metadata"]["meta"]["image_id"] == 0
    assert json.loads(rows[1]["answers"][0]) == fx.CORD_TEST[1][1]


def test_cord_odd_parquet_rows_are_listed_by_file_and_row(tmp_path: Path) -> None:
    text = problems("cord", fx.write_cord(tmp_path / "src"), tmp_path / "out")
    assert "test-00000-of-00001-0f3a9c.parquet:2 (ground_truth): not valid JSON" in text
    assert "test-00000-of-00001-0f3a9c.parquet:4 (image): the row has no image bytes" in text


def test_cord_empty_validation_split_is_an_error(tmp_path: Path) -> None:
    text = problems("cord", fx.write_cord(tmp_path / "src"), tmp_path / "out", split="validation")
    assert "no samples of split 'validation' were read" in text


def test_cord_parquet_without_its_columns_is_refused(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "src" / "data").mkdir(parents=True)
    pq.write_table(pa.table({"text": ["x"]}), tmp_path / "src" / "data" / "test-00000-of-00001.parquet")
    text = problems("cord", tmp_path / "src", tmp_path / "out")
    assert "expected the columns image and ground_truth; it has text" in text


def test_cord_released_folders_read_like_the_parquet(tmp_path: Path) -> None:
    rows = imported("cord", fx.write_cord_folders(tmp_path / "src"), tmp_path / "out")
    assert [r["id"] for r in rows] == [f"receipt_{i:05d}" for i, _ in fx.CORD_TEST]
    assert [r["fields"] for r in rows] == [parse for _, parse in fx.CORD_TEST]
    reader = source_formats.get("cord")()
    found = list(reader.read(tmp_path / "src", ReadOptions(split="train"), RowError()))
    assert [r.split for r in found] == ["train"]


def test_cord_v0_json_without_gt_parse_says_which_release_is_needed(tmp_path: Path) -> None:
    text = problems("cord", fx.write_cord_folders(tmp_path / "src", v0=True), tmp_path / "out")
    assert "receipt_00000.json (gt_parse): no gt_parse object" in text and "cord-v2" in text


# ------------------------------------------------------------------------------- FUNSD
def test_funsd_entities_become_texts_by_label_without_other(tmp_path: Path) -> None:
    rows = imported("funsd", fx.write_funsd(tmp_path / "src"), tmp_path / "out")
    by_id = {r["id"]: r for r in rows}
    assert list(by_id) == list(fx.FUNSD_TEST)
    form = by_id["0000971160"]
    assert form["fields"] == {
        "header": ["ACCOUNT APPLICATION"],
        "question": ["Name:", "Date:", "Signature:"],
        "answer": ["John Smith", "03/04/97"],
    }
    assert form["metadata"]["links"] == [["Name:", "John Smith"], ["Date:", "03/04/97"]]
    assert (form["split"], form["doc_class"]) == ("test", "form")
    assert form["json_schema"]["properties"]["answer"] == {"type": "array", "items": {"type": "string"}}
    train = imported("funsd", tmp_path / "src", tmp_path / "train", split="train")
    assert [(r["id"], r["split"]) for r in train] == [("0000990274", "train")]


def test_funsd_bad_annotation_files_are_listed(tmp_path: Path) -> None:
    source = fx.write_funsd(tmp_path / "src")
    annotations = source / "dataset" / "testing_data" / "annotations"
    (annotations / "0001123541.json").write_text(
        json.dumps({"form": [{"id": 0, "text": "X", "label": "key"}]})
    )
    text = problems("funsd", source, tmp_path / "out")
    assert "0000999999.json:1:11: not valid JSON" in text
    assert "0000999998.json (image): image '0000999998' does not exist" in text
    assert "0001123541.json (form[0]): expected an entity" in text and 'got label "key"' in text
