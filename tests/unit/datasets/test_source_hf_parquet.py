"""The ``hf_parquet`` reader on Hugging Face parquet folders written here in the Hub's layouts.

Each fixture is written as ``datasets`` writes a dataset repo: shards named
``<split>-0000N-of-0000M[-<hash>].parquet`` under ``data/`` or a configuration folder,
images as the ``Image`` feature (a ``{bytes, path}`` struct, the feature recorded in the
schema's ``huggingface`` metadata), several row groups per file.
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from vlmhyperbench.core import DatasetError, MissingDependency
from vlmhyperbench.datasets import RowError
from vlmhyperbench.datasets.sources import ReadOptions, import_source, source_formats


def png(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 10), (seed * 40 % 256, seed * 90 % 256, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def image(seed: int | None, path: str | None = None) -> dict[str, Any]:
    return {"bytes": None if seed is None else png(seed), "path": path}


def write(
    path: Path,
    columns: dict[str, list[Any]],
    *,
    row_group_size: int = 2,
    images: tuple[str, ...] = ("image",),
) -> Path:
    """A parquet file as ``datasets`` writes one (Image features named in the metadata)."""
    table = pa.table(columns)
    features = {name: {"_type": "Image"} for name in images if name in columns}
    table = table.replace_schema_metadata(
        {b"huggingface": json.dumps({"info": {"features": features}}).encode()}
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, row_group_size=row_group_size)
    return path


def docvqa(n: int, start: int = 0) -> dict[str, list[Any]]:
    return {
        "questionId": [str(50000 + start + i) for i in range(n)],
        "question": [f"What is field {start + i}?" for i in range(n)],
        "question_types": [["handwritten", "form"] if i % 2 else ["layout"] for i in range(n)],
        "image": [image(start + i, f"page{start + i}.png") for i in range(n)],
        "docId": [700 + start + i for i in range(n)],
        "answers": [[f"answer {start + i}", f"ans {start + i}"] for i in range(n)],
        "data_split": ["val"] * n,
    }


def rows(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "annotation.jsonl").read_text("utf-8").splitlines()]


def read(source: Path, **options: Any) -> Iterator[Any]:
    return source_formats.get("hf_parquet")().read(source, ReadOptions(**options), RowError())


def test_config_folders_with_shards_import_every_row(tmp_path: Path) -> None:
    repo = tmp_path / "DocVQA-repo"
    write(repo / "DocVQA" / "validation-00000-of-00002-1a2b3c4d.parquet", docvqa(3))
    write(repo / "DocVQA" / "validation-00001-of-00002-5e6f7a8b.parquet", docvqa(2, start=3))
    write(repo / "DocVQA" / "test-00000-of-00001.parquet", docvqa(1))
    write(repo / "InfographicVQA" / "validation-00000-of-00001.parquet", docvqa(1))
    report = import_source(
        "hf_parquet", repo, tmp_path / "out", ReadOptions(split="validation", subset="DocVQA")
    )
    assert report.samples == 5 and report.images == 5
    first, *_, last = rows(tmp_path / "out")
    assert (first["id"], first["answers"], first["question_type"]) == (
        "50000",
        ["answer 0", "ans 0"],
        "layout",
    )
    assert last["id"] == "50004" and last["metadata"]["source_row"] == 5
    assert first["split"] == "validation"
    meta = first["metadata"]
    assert meta["docId"] == 700 and meta["data_split"] == "val" and meta["question_types"] == ["layout"]
    assert meta["source_config"] == "DocVQA" and meta["source_split"] == "validation"
    assert "image" not in meta and "questionId" not in meta


def test_chartqa_columns_give_human_and_augmented_splits(tmp_path: Path) -> None:
    columns = {
        "image": [image(i) for i in range(4)],
        "query": ["How many?", "Which year?", "Max value?", "Min value?"],
        "label": [["5"], ["2019"], ["12.5"], ["3"]],
        "human_or_machine": [0, 0, 1, 1],
    }
    write(tmp_path / "ChartQA" / "data" / "test-00000-of-00001.parquet", columns)
    import_source("hf_parquet", tmp_path / "ChartQA", tmp_path / "out", ReadOptions(split="test"))
    got = rows(tmp_path / "out")
    assert [r["split"] for r in got] == ["human", "human", "augmented", "augmented"]
    assert [r["id"] for r in got] == ["test-1", "test-2", "test-3", "test-4"]
    assert got[2]["question"] == "Max value?" and got[2]["answers"] == ["12.5"]
    assert got[2]["metadata"]["human_or_machine"] == 1 and got[2]["metadata"]["source_split"] == "test"


def test_textvqa_ocrbench_and_cord_columns(tmp_path: Path) -> None:
    textvqa = {
        "image_id": ["abc"],
        "question_id": [34602],
        "question": ["what brand?"],
        "question_tokens": [["what", "brand"]],
        "image": [image(1)],
        "answers": [["nous les gosses"] * 10],
        "ocr_tokens": [["nous", "les"]],
    }
    write(tmp_path / "tv" / "data" / "validation-00000-of-00001.parquet", textvqa)
    import_source("hf_parquet", tmp_path / "tv", tmp_path / "tv-out")
    (row,) = rows(tmp_path / "tv-out")
    assert (
        row["id"] == "34602"
        and len(row["answers"]) == 10
        and row["metadata"]["ocr_tokens"] == ["nous", "les"]
    )

    ocrbench = {
        "dataset": ["IIIT5K"],
        "question": ["what is written in the image?"],
        "question_type": ["Regular Text Recognition"],
        "answer": [["CENTRE"]],
        "image": [image(2)],
    }
    write(tmp_path / "ob" / "data" / "test-00000-of-00001.parquet", ocrbench)
    import_source("hf_parquet", tmp_path / "ob", tmp_path / "ob-out")
    (row,) = rows(tmp_path / "ob-out")
    assert (row["doc_class"], row["question_type"], row["answers"]) == (
        "IIIT5K",
        "Regular Text Recognition",
        ["CENTRE"],
    )

    cord = {"image": [image(3)], "ground_truth": [json.dumps({"gt_parse": {"total": {"total_price": "9"}}})]}
    write(tmp_path / "cord" / "data" / "test-00000-of-00001.parquet", cord)
    import_source("hf_parquet", tmp_path / "cord", tmp_path / "cord-out")
    (row,) = rows(tmp_path / "cord-out")
    assert row["question"] == "" and row["answers"] == [] and "gt_parse" in row["metadata"]["ground_truth"]


def test_hub_cache_folder_reads_the_snapshot_refs_main_names(tmp_path: Path) -> None:
    cache = tmp_path / "datasets--lmms-lab--DocVQA"
    blob = write(cache / "blobs" / "0f1e2d", docvqa(2))
    for rev in ("aaaa1111", "bbbb2222"):
        shard = cache / "snapshots" / rev / "DocVQA" / "validation-00000-of-00001.parquet"
        shard.parent.mkdir(parents=True)
        os.symlink(os.path.relpath(blob, shard.parent), shard)  # the Hub cache links shards to blobs/
    (cache / "refs").mkdir()
    (cache / "refs" / "main").write_text("bbbb2222")
    report = import_source("hf_parquet", cache, tmp_path / "out")
    assert report.samples == 2
    (cache / "refs" / "main").unlink()
    with pytest.raises(DatasetError) as err:
        next(read(cache))
    assert "2 snapshots" in str(err.value) and "bbbb2222" in str(err.value)


def test_image_path_relative_to_parquet_and_escapes_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "data" / "pages").mkdir(parents=True)
    (repo / "data" / "pages" / "p.png").write_bytes(png(7))
    (tmp_path / "secret.png").write_bytes(png(8))
    columns = {
        "question": ["q1", "q2", "q3", "q4"],
        "answer": ["a", "b", "c", "d"],
        "image": [
            image(None, "pages/p.png"),
            image(None, "../../secret.png"),
            image(None, "gone.png"),
            image(None),
        ],
    }
    write(repo / "data" / "test-00000-of-00001.parquet", columns)
    with pytest.raises(DatasetError) as err:
        import_source("hf_parquet", repo, tmp_path / "out")
    text = str(err.value)
    shard = "test-00000-of-00001.parquet"
    assert f"{shard}:2 (image): image path '../../secret.png' resolves outside the dataset" in text
    assert f"{shard}:3 (image): image 'gone.png' does not exist" in text
    assert f"{shard}:4 (image): the row has no image" in text
    report = import_source("hf_parquet", repo, tmp_path / "out", skip_invalid=True)
    assert report.samples == 1 and report.skipped == 3
    assert rows(tmp_path / "out")[0]["question"] == "q1"


def test_list_of_images_is_several_pages(tmp_path: Path) -> None:
    columns = {"question": ["q"], "answers": [["a"]], "images": [[image(1), image(2), image(3)]]}
    write(tmp_path / "r" / "data" / "test-00000-of-00001.parquet", columns, images=())  # no metadata: by type
    import_source("hf_parquet", tmp_path / "r", tmp_path / "out")
    assert len(rows(tmp_path / "out")[0]["images"]) == 3


@pytest.mark.parametrize(
    ("options", "message", "listing"),
    [
        ({}, "holds several splits: test, validation", "choose one with split"),
        ({"split": "val"}, "has no split 'val'", "splits found there: test, validation"),
        (
            {"split": "test", "subset": "Nope"},
            "has no subset 'Nope'",
            "subsets found there: DocVQA, InfographicVQA",
        ),
    ],
)
def test_split_and_config_choices_are_listed(
    tmp_path: Path, options: dict[str, str], message: str, listing: str
) -> None:
    write(tmp_path / "r" / "DocVQA" / "validation-00000-of-00001.parquet", docvqa(1))
    write(tmp_path / "r" / "DocVQA" / "test-00000-of-00001.parquet", docvqa(1))
    write(tmp_path / "r" / "InfographicVQA" / "test-00000-of-00001.parquet", docvqa(1))
    if "subset" not in options:
        options = {**options, "subset": "docvqa"}  # configurations also match case-insensitively
    with pytest.raises(DatasetError) as err:
        next(read(tmp_path / "r", **options))
    assert message in str(err.value) and listing in str(err.value)
    with pytest.raises(DatasetError, match="several configurations: DocVQA, InfographicVQA"):
        next(read(tmp_path / "r", split="test"))


def test_no_parquet_files_names_the_expected_layout(tmp_path: Path) -> None:
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "README.md").write_text("# a dataset")
    with pytest.raises(DatasetError) as err:
        next(read(tmp_path / "r"))
    assert "is not a 'hf_parquet' source; it holds: README.md" in str(err.value)
    assert "data/<split>-00000-of-0000N.parquet" in str(err.value)


def test_empty_split_is_a_clear_error(tmp_path: Path) -> None:
    write(tmp_path / "r" / "data" / "test-00000-of-00001.parquet", {k: v[:0] for k, v in docvqa(1).items()})
    with pytest.raises(DatasetError, match="no samples of split 'test' were read"):
        import_source("hf_parquet", tmp_path / "r", tmp_path / "out", ReadOptions(split="test"))


def test_corrupt_file_and_bad_answer_cells_are_located(tmp_path: Path) -> None:
    bad = tmp_path / "r" / "data" / "test-00000-of-00001.parquet"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(DatasetError, match="cannot read the parquet file"):
        next(read(tmp_path / "r"))
    write(bad, {"question": ["q"], "answers": [[{"x": 1}]], "image": [image(1)]})
    with pytest.raises(
        DatasetError, match=r"test-00000-of-00001.parquet:1 \(answers\): expected a string or a list"
    ):
        import_source("hf_parquet", tmp_path / "r", tmp_path / "out")


def test_rows_are_read_in_small_batches_not_as_a_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "r" / "data" / "test-00000-of-00001.parquet", docvqa(40), row_group_size=20)
    sizes: list[int] = []
    batches = 0
    original = pq.ParquetFile.iter_batches

    def counting(self: pq.ParquetFile, batch_size: int = 65536, **kwargs: Any) -> Iterator[pa.RecordBatch]:
        nonlocal batches
        sizes.append(batch_size)
        for batch in original(self, batch_size=batch_size, **kwargs):
            batches += 1
            yield batch

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the reader loaded a whole table")

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", counting)
    monkeypatch.setattr(pq.ParquetFile, "read", refuse)
    monkeypatch.setattr(pq.ParquetFile, "read_row_group", refuse)
    monkeypatch.setattr(pq, "read_table", refuse)
    records = read(path.parents[1])
    next(records)
    assert batches == 1 and sizes == [16]
    assert sum(1 for _ in records) == 39 and batches == 3


def test_missing_pyarrow_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "r" / "data" / "test-00000-of-00001.parquet", docvqa(1))
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingDependency) as err:
        next(read(tmp_path / "r"))
    assert "pip install 'vlmhyperbench[benchmarks]'" in str(err.value)
