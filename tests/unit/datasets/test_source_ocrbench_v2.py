"""The ``ocrbench_v2`` reader: OCRBench_v2.json with EN_part/ and CN_part/ into the native layout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support import fixtures_ocrbench_v2 as fx
from vlmhyperbench.core import DatasetError
from vlmhyperbench.datasets import load_dataset
from vlmhyperbench.datasets.sources import ReadOptions, import_source


def _import(tmp_path: Path, rows: list[dict[str, Any]] = fx.ROWS, **options: Any) -> dict[str, Any]:
    source = fx.write_ocrbench_v2(tmp_path / "src", rows)
    out = tmp_path / "native"
    import_source("ocrbench_v2", source, out, ReadOptions(**options))
    return {s.id: s for s in load_dataset(out).samples}


def test_rows_become_samples_with_type_language_and_every_field(tmp_path: Path) -> None:
    samples = _import(tmp_path)
    assert len(samples) == len(fx.ROWS)
    spotting = samples["75"]
    assert spotting.question_type == "text spotting en" and spotting.split == "EN"
    assert spotting.doc_class == "text_spotting_en_set" and spotting.answers == ("HELLO", "World!")
    assert spotting.metadata["bbox"] == fx.SPOT_BOXES and spotting.metadata["content"] == ["HELLO", "World!"]
    assert spotting.metadata["id"] == 75 and spotting.metadata["source_split"] == "test"
    assert spotting.metadata["image_path"] == "EN_part/text_spotting_en/75.png"
    assert "answers" not in spotting.metadata  # strings are kept only in ``answers``
    assert samples["2"].metadata["eval"] == "case sensitive"
    assert samples["15"].split == "CN" and samples["15"].question == "这是哪个城市？"


def test_answers_that_are_not_strings_stay_as_they_are_in_metadata(tmp_path: Path) -> None:
    samples = _import(tmp_path)
    grounding, kie, number = samples["71"], samples["46"], samples["12"]
    assert grounding.answers == ("100", "200", "300", "400")
    assert grounding.metadata["answers"] == [100, 200, 300, 400]
    assert kie.answers == ('{"company": ["ACME"], "total": ["30.00"]}',)
    assert kie.metadata["answers"] == [{"company": ["ACME"], "total": ["30.00"]}]
    assert number.answers == ("42",) and number.metadata["answers"] == [42]


@pytest.mark.parametrize(("subset", "language"), [("EN", "EN"), ("cn", "CN")])
def test_subset_keeps_one_language(tmp_path: Path, subset: str, language: str) -> None:
    samples = _import(tmp_path, subset=subset)
    expected = sum(1 for row in fx.ROWS if row["type"].endswith(f" {language.lower()}"))
    assert len(samples) == expected and {s.split for s in samples.values()} == {language}


def test_a_repeated_id_gets_its_row_number(tmp_path: Path) -> None:
    rows = [fx.ROWS[0], {**fx.ROWS[1], "id": 0, "image_path": "EN_part/x/dup.png"}]
    samples = _import(tmp_path, rows)
    assert sorted(samples) == ["0", "0-row2"] and samples["0-row2"].metadata["id"] == 0


def test_the_json_file_itself_can_be_given(tmp_path: Path) -> None:
    fx.write_ocrbench_v2(tmp_path / "src", fx.ROWS[:3])
    report = import_source(
        "ocrbench_v2", tmp_path / "src" / "OCRBench_v2" / "OCRBench_v2.json", tmp_path / "o"
    )
    assert report.samples == 3 and report.counts["split"] == {"EN": 3}


def test_bad_rows_are_each_located(tmp_path: Path) -> None:
    source = fx.write_ocrbench_v2(tmp_path / "src", fx.ROWS[:2])
    path = source / "OCRBench_v2" / "OCRBench_v2.json"
    rows = json.loads(path.read_text("utf-8"))
    rows += [
        {**rows[0], "id": 7, "image_path": "EN_part/missing.png"},
        {**rows[0], "id": 8, "image_path": "../../outside.png"},
        {**rows[0], "id": 9, "type": "text recognition fr"},
        {k: v for k, v in rows[0].items() if k != "question"},
        {**rows[0], "id": 11, "answers": None},
        "not an object",
    ]
    path.write_text(json.dumps(rows), encoding="utf-8")
    with pytest.raises(DatasetError) as info:
        import_source("ocrbench_v2", source, tmp_path / "o")
    text = str(info.value)
    assert "OCRBench_v2.json:3 (image_path): image 'EN_part/missing.png' does not exist" in text
    assert "OCRBench_v2.json:4 (image_path): '../../outside.png' resolves outside the dataset" in text
    assert "OCRBench_v2.json:5 (type): 'text recognition fr' is not an OCRBench v2 type" in text
    assert "OCRBench_v2.json:6 (question): required key is missing" in text
    assert "OCRBench_v2.json:7 (answers): required key is missing" in text
    assert "OCRBench_v2.json:8: expected an object" in text


def test_source_errors_say_what_is_expected(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "other.json").write_text("[]")
    with pytest.raises(DatasetError, match=r"(?s)it holds: other\.json.*expects OCRBench_v2\.json"):
        import_source("ocrbench_v2", tmp_path / "empty", tmp_path / "o1")
    source = fx.write_ocrbench_v2(tmp_path / "src", fx.ROWS[:1])
    with pytest.raises(DatasetError, match=r"(?s)no split 'val'.*test"):
        import_source("ocrbench_v2", source, tmp_path / "o2", ReadOptions(split="val"))
    with pytest.raises(DatasetError, match=r"(?s)no subset 'fr'.*CN, EN"):
        import_source("ocrbench_v2", source, tmp_path / "o3", ReadOptions(subset="fr"))
    (source / "OCRBench_v2" / "OCRBench_v2.json").write_text('{"a": 1}')
    with pytest.raises(DatasetError, match="expected a JSON list of questions"):
        import_source("ocrbench_v2", source, tmp_path / "o4")
    (source / "OCRBench_v2" / "OCRBench_v2.json").write_text("[{")
    with pytest.raises(DatasetError, match=r"(?s)OCRBench_v2\.json:1:3.*not valid JSON"):
        import_source("ocrbench_v2", source, tmp_path / "o5")
