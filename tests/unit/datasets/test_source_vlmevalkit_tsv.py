"""The ``vlmevalkit_tsv`` and ``cc_ocr`` readers on TSVs written here as VLMEvalKit writes them.

Files are tab-separated with every field quoted (VLMEvalKit's ``dump_tsv``,
``csv.QUOTE_ALL``), images as base64 PNG, a short ``image`` being another row's
``index``, list cells as Python literals (``str(list)``).
"""

from __future__ import annotations

import base64
import io
import json
import random
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.support import fixtures_ccocr as fx
from vlmhyperbench.core import DatasetError
from vlmhyperbench.datasets import RowError
from vlmhyperbench.datasets.sources import ReadOptions, SourceRecord, import_source, source_formats

COLUMNS = ["index", "image", "question", "answer", "category", "extra"]


def b64(seed: int) -> str:
    return fx.png_base64(seed)


def noise_b64(side: int) -> str:
    """A PNG of random pixels (incompressible: ~3 bytes a pixel)."""
    rng = random.Random(side)
    img = Image.frombytes("RGB", (side, side), bytes(rng.getrandbits(8) for _ in range(side * side * 3)))
    buffer = io.BytesIO()
    img.save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def row(index: Any, image: str, answer: str = "a", **extra: Any) -> dict[str, Any]:
    return {"index": index, "image": image, "question": f"question {index}?", "answer": answer, **extra}


def write(path: Path, rows: list[dict[str, Any]], columns: list[str] = COLUMNS) -> Path:
    return fx.write_tsv(path, rows, columns)


def imported(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "annotation.jsonl").read_text("utf-8").splitlines()]


def read(fmt: str, source: Path, **options: Any) -> list[SourceRecord]:
    return list(source_formats.get(fmt)().read(source, ReadOptions(**options), RowError()))


def test_rows_answers_and_image_reuse_by_index(tmp_path: Path) -> None:
    rows = [
        row(1, "3", "['5', 'five']", category="Doc-oriented VQA", extra="x"),  # forward reference
        row(2, b64(2), "plain answer\nover two lines", category="c"),
        row(3, b64(3), "[not a literal]", category="c"),
        row(4, "2", "", category="c"),  # backward reference, no answer
        row(5, str([b64(5), b64(6)]), "b", category="c"),  # several pages
    ]
    path = write(tmp_path / "DocVQA_VAL.tsv", rows)
    report = import_source("vlmevalkit_tsv", path, tmp_path / "out", ReadOptions(split="val"))
    assert report.samples == 5 and report.images == 4  # rows 1/3 and 2/4 share their page
    got = {r["id"]: r for r in imported(tmp_path / "out")}
    assert got["1"]["answers"] == ["5", "five"] and got["1"]["images"] == got["3"]["images"]
    assert (
        got["2"]["answers"] == ["plain answer\nover two lines"] and got["4"]["images"] == got["2"]["images"]
    )
    assert got["3"]["answers"] == ["[not a literal]"] and got["4"]["answers"] == []
    assert len(got["5"]["images"]) == 2
    first = got["1"]
    assert (first["question"], first["question_type"], first["split"]) == (
        "question 1?",
        "Doc-oriented VQA",
        "val",
    )
    assert first["metadata"] == {
        "category": "Doc-oriented VQA",
        "extra": "x",
        "source_split": "val",
        "source_file": "DocVQA_VAL.tsv",
        "source_row": 1,
    }


def test_bad_rows_are_listed_with_file_line_and_column(tmp_path: Path) -> None:
    rows = [
        row(1, b64(1), "multi\nline\nanswer"),
        row(2, "!!not base64!!" * 8),
        row(3, ""),
        row(4, "99"),
        row(5, "4"),  # names a row that is itself a reference
        row(6, "[1, 2]"),  # short: an index, as VLMEvalKit reads it
        row(7, b64(7)),
        row(8, str([b64(8), "%%" * 40])),
    ]
    path = write(tmp_path / "X.tsv", rows)
    with pytest.raises(DatasetError) as err:
        import_source("vlmevalkit_tsv", path, tmp_path / "out")
    text = str(err.value)
    assert "X.tsv:5 (image): the image is not valid base64" in text  # rows 1's answer spans lines 2-4
    assert "X.tsv:6 (image): the image is empty" in text and "--skip-invalid" in text
    assert "X.tsv:7 (image): refers to index '99', which has no image of its own" in text
    assert "X.tsv:8 (image): refers to index '4', which has no image of its own" in text
    assert "X.tsv:9 (image): refers to index '[1, 2]'" in text
    assert "X.tsv:11 (image[1]): the image is not valid base64" in text
    assert "6 invalid row(s)" in text
    report = import_source("vlmevalkit_tsv", path, tmp_path / "out", skip_invalid=True)
    assert report.samples == 2 and report.skipped == 6


def test_cells_larger_than_the_csv_default_limit(tmp_path: Path) -> None:
    big = noise_b64(220)
    assert len(big) > 131072  # csv.field_size_limit()'s default
    write(tmp_path / "Big.tsv", [row(1, big), row(2, "1")])
    assert len(read("vlmevalkit_tsv", tmp_path / "Big.tsv")) == 2


def test_image_path_without_image_column(tmp_path: Path) -> None:
    (tmp_path / "images" / "Paths").mkdir(parents=True)
    (tmp_path / "beside.png").write_bytes(base64.b64decode(b64(1)))
    (tmp_path / "images" / "Paths" / "lmu.png").write_bytes(base64.b64decode(b64(2)))
    (tmp_path.parent / "outside.png").write_bytes(base64.b64decode(b64(3)))
    columns = ["index", "image_path", "question", "answer"]
    rows = [
        {"index": 1, "image_path": "beside.png", "question": "q", "answer": "a"},
        {"index": 2, "image_path": "lmu.png", "question": "q", "answer": "a"},
        {"index": 3, "image_path": "['beside.png', 'lmu.png']", "question": "q", "answer": "a"},
        {"index": 4, "image_path": "../outside.png", "question": "q", "answer": "a"},
        {"index": 5, "image_path": "gone.png", "question": "q", "answer": "a"},
        {"index": 6, "image_path": "", "question": "q", "answer": "a"},
    ]
    path = write(tmp_path / "Paths.tsv", rows, columns)
    with pytest.raises(DatasetError) as err:
        import_source("vlmevalkit_tsv", path, tmp_path.parent / "out")
    text = str(err.value)
    assert "Paths.tsv:5 (image_path): '../outside.png' resolves outside the dataset" in text
    assert "Paths.tsv:6 (image_path): image 'gone.png' does not exist" in text
    assert "Paths.tsv:7 (image_path): the row has no image path" in text
    report = import_source("vlmevalkit_tsv", path, tmp_path.parent / "out", skip_invalid=True)
    assert report.samples == 3 and report.images == 2


def test_split_column_filters_rows_and_lists_the_splits(tmp_path: Path) -> None:
    columns = [*COLUMNS, "split"]
    rows = [row(1, b64(1), split="dev"), row(2, b64(2), split="test"), row(3, "1", split="dev")]
    path = write(tmp_path / "MMBench.tsv", rows, columns)
    assert [r.id for r in read("vlmevalkit_tsv", path, split="dev")] == ["1", "3"]
    assert [r.split for r in read("vlmevalkit_tsv", path)] == ["dev", "test", "dev"]  # the whole file
    with pytest.raises(DatasetError) as err:
        read("vlmevalkit_tsv", path, split="val")
    assert "has no split 'val'" in str(err.value) and "splits found there: dev, test" in str(err.value)


def test_file_named_for_a_split_keeps_its_split_column_as_the_part(tmp_path: Path) -> None:
    columns = [*COLUMNS, "split"]
    rows = [row(1, b64(1), split="human"), row(2, b64(2), split="augmented")]
    path = write(tmp_path / "ChartQA_TEST.tsv", rows, columns)
    records = read("vlmevalkit_tsv", path, split="test")
    assert [(r.split, r.metadata["source_split"]) for r in records] == [
        ("human", "test"),
        ("augmented", "test"),
    ]
    with pytest.raises(DatasetError, match="splits found there: test"):
        read("vlmevalkit_tsv", path, split="val")


def test_folder_of_files_subset_and_split_choose_one(tmp_path: Path) -> None:
    for name in ("DocVQA_VAL", "DocVQA_TEST", "OCRBench"):
        write(tmp_path / f"{name}.tsv", [row(name, b64(len(name)))])
    assert read("vlmevalkit_tsv", tmp_path, subset="OCRBench")[0].id == "OCRBench"
    assert read("vlmevalkit_tsv", tmp_path, subset="docvqa_test")[0].id == "DocVQA_TEST"
    assert read("vlmevalkit_tsv", tmp_path, subset="DocVQA", split="val")[0].id == "DocVQA_VAL"
    assert read("vlmevalkit_tsv", tmp_path, split="test")[0].id == "DocVQA_TEST"
    with pytest.raises(DatasetError, match="several TSV files: DocVQA_TEST, DocVQA_VAL, OCRBench"):
        read("vlmevalkit_tsv", tmp_path)
    with pytest.raises(DatasetError) as err:
        read("vlmevalkit_tsv", tmp_path, subset="ChartQA")
    assert "has no subset 'ChartQA'" in str(err.value) and "DocVQA_TEST, DocVQA_VAL, OCRBench" in str(
        err.value
    )


def test_not_a_vlmevalkit_tsv_says_what_is_expected(tmp_path: Path) -> None:
    write(tmp_path / "other.tsv", [{"id": 1, "text": "x"}], ["id", "text"])
    with pytest.raises(DatasetError) as err:
        read("vlmevalkit_tsv", tmp_path / "other.tsv")
    assert "other.tsv:1: not a VLMEvalKit TSV" in str(err.value) and "(it has: id, text)" in str(err.value)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "README.md").write_text("no TSV here")
    with pytest.raises(DatasetError) as err:
        read("vlmevalkit_tsv", tmp_path / "docs")
    assert "is not a 'vlmevalkit_tsv' source; it holds: README.md" in str(err.value)


def test_rows_stream_one_at_a_time(tmp_path: Path) -> None:
    path = write(tmp_path / "S.tsv", [row(i, b64(i)) for i in range(3)])
    with path.open("ab") as fh:
        fh.write(b'"9"\t"\xff\xfe broken"\t"q"\t"a"\t""\t""\n')  # invalid UTF-8 on line 5
    records = source_formats.get("vlmevalkit_tsv")().read(path, ReadOptions(), RowError())
    assert [next(records).id for _ in range(3)] == ["0", "1", "2"]  # read before the bad line is reached
    with pytest.raises(DatasetError, match=r"S.tsv:5: not UTF-8"):
        next(records)


# --- CC-OCR -----------------------------------------------------------------------------


def test_cc_ocr_tracks_tasks_and_kie_fields(tmp_path: Path) -> None:
    source = fx.write_cc_ocr(tmp_path)
    records = {r.id: r for r in read("cc_ocr", source)}
    assert len(records) == sum(len(spec[3]) for spec in fx.SUBSETS.values())
    ru = records["Russian/0"]
    assert (ru.task, ru.split, ru.doc_class, ru.question) == ("ocr", "Russian", "Russian", fx.OCR_PROMPT)
    assert ru.answers == ["Привет, мир!\nСъешь же ещё этих мягких французских булок"]
    assert (
        ru.metadata["track"] == "multi_lan_ocr"
        and ru.metadata["subset"] == "multi_lan_ocr/Russian/Russian_150"
    )
    assert ru.metadata["image_name"] == "ru_0001.jpg" and ru.metadata["source_split"] == "test"
    cord = records["CORD/1"]
    assert cord.task == "kie" and cord.fields == fx.CORD_1 and cord.answers == []  # from a Python literal
    assert records["COLD_SIBR/0"].fields == fx.COLD_0 and records["IC15/0"].task == "ocr"


@pytest.mark.parametrize(
    ("subset", "ids"),
    [
        ("multi_lan_ocr/Russian/Russian_150", ["Russian/0", "Russian/1", "Russian/2"]),
        ("kie/open_category", ["COLD_SIBR/0", "COLD_SIBR/1"]),
        ("multi_scene_ocr", ["IC15/0", "IC15/1", "zh_scene/0"]),
    ],
)
def test_cc_ocr_subset_is_a_file_or_a_folder_of_them(tmp_path: Path, subset: str, ids: list[str]) -> None:
    source = fx.write_cc_ocr(tmp_path)
    assert [r.id for r in read("cc_ocr", source, subset=subset)] == ids
    inside = source / subset.split("/")[0]  # the track folder given as the source: same names
    assert [r.id for r in read("cc_ocr", inside, subset=subset)] == ids


def test_cc_ocr_unknown_subset_or_split_lists_what_exists(tmp_path: Path) -> None:
    source = fx.write_cc_ocr(
        tmp_path, ["multi_lan_ocr/Russian/Russian_150", "kie/constrained_category/CORD_100"]
    )
    with pytest.raises(DatasetError) as err:
        read("cc_ocr", source, subset="multi_lan_ocr/German")
    text = str(err.value)
    assert "has no subset 'multi_lan_ocr/German'" in text
    assert "kie, kie/constrained_category, kie/constrained_category/CORD_100, multi_lan_ocr" in text
    with pytest.raises(DatasetError) as err:
        read("cc_ocr", source, split="val")
    assert "has no split 'val'" in str(err.value) and "splits found there: test" in str(err.value)


def test_cc_ocr_ocr_text_is_never_a_list_and_bad_kie_answers_are_rows(tmp_path: Path) -> None:
    name = "multi_lan_ocr/French/French_150"
    rows = fx.tsv_rows(name)
    rows[0]["answer"] = "['a', 'b']"
    fx.write_tsv(tmp_path / "CC-OCR" / f"{name}.tsv", rows)
    kie = fx.tsv_rows("kie/constrained_category/CORD_100")
    kie[1]["answer"] = "total: 5"
    fx.write_tsv(tmp_path / "CC-OCR" / "kie/constrained_category/CORD_100.tsv", kie)
    assert read("cc_ocr", tmp_path / "CC-OCR", subset=name)[0].answers == ["['a', 'b']"]
    with pytest.raises(DatasetError, match=r"CORD_100.tsv:3 \(answer\): a KIE answer must be a JSON object"):
        import_source("cc_ocr", tmp_path / "CC-OCR", tmp_path / "out", ReadOptions(subset="kie"))


def test_cc_ocr_combined_file_takes_a_track(tmp_path: Path) -> None:
    rows = [r for name in fx.SUBSETS if fx.TRACK_OF[name] != "doc_parsing" for r in fx.tsv_rows(name)]
    for i, r in enumerate(rows):
        r["index"] = i
    path = fx.write_tsv(tmp_path / "CCOCR.tsv", rows)
    kie = read("cc_ocr", path, subset="kie")
    assert [r.split for r in kie] == ["CORD", "CORD", "COLD_SIBR", "COLD_SIBR"]
    assert kie[0].metadata["subset"] == "kie/CORD" and kie[0].task == "kie"
    with pytest.raises(DatasetError, match="subsets found there: kie, multi_lan_ocr, multi_scene_ocr"):
        read("cc_ocr", path, subset="doc_parsing")
