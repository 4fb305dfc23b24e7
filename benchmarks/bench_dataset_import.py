"""Time `import_source` on a full-size split in both public formats, and its peak memory.

Not a test. Writes, in a temporary folder, one split of ``--rows`` questions (default
5,000, DocVQA's validation size) whose pages are random-noise PNGs of about
``--image-kb`` KB each (incompressible, default 1,000 KB, so the split is ~5 GB), as

- a Hugging Face parquet folder (``data/validation-0000K-of-0000N.parquet``, shards of
  ~500 MB, row groups of 100 rows: the layout ``datasets`` writes for image data), and
- a VLMEvalKit TSV (``DocVQA_VAL.tsv``, base64 pages; with ``--questions-per-image K``
  the rows after the first of each page name it by index, as VLMEvalKit does),

(the pages are 16 noise images, each copy made distinct by a PNG text chunk), then
imports each in a child process (``vlmhyperbench.datasets.sources.import_source``,
the step a ``benchmark:`` run takes once) and reads the child's peak resident memory
(``VmHWM`` of /proc/self/status, Linux: ``ru_maxrss`` would carry over the parent's
peak across fork and exec). The child also reports its peak before the import starts (Python
with pyarrow and Pillow loaded), so the memory the import itself adds is visible.

    python benchmarks/bench_dataset_import.py --out docs/figures/bench_dataset_import.json
    python benchmarks/bench_dataset_import.py --rows 500      # a quick look
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import platform
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

ROW_GROUP = 100
POOL = 16
SHARD_BYTES = 500 * 2**20
CHILD = """
import json, sys, time
from vlmhyperbench.datasets.sources import ReadOptions, import_source
import pyarrow.parquet, PIL.Image

def peak_kb():  # the high-water mark of this process's own memory (reset by exec, unlike ru_maxrss)
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))

before = peak_kb()
started = time.perf_counter()
report = import_source(sys.argv[1], sys.argv[2], sys.argv[3], ReadOptions(split=sys.argv[4]))
print(json.dumps({"seconds": time.perf_counter() - started, "rss_before_kb": before, "peak_kb": peak_kb(),
                  "samples": report.samples, "images": report.images, "image_bytes": report.image_bytes}))
"""


def noise_png(side: int) -> bytes:
    """A PNG of random pixels, stored without compression (~3·side² bytes)."""
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=0)
    return buffer.getvalue()


def unique(png: bytes, number: int) -> bytes:
    """``png`` with a text chunk naming ``number`` before its end: a different file (and
    content hash) per page at the cost of a copy, instead of encoding 5,000 images."""
    data = b"page\x00" + str(number).encode()
    chunk = struct.pack(">I", len(data)) + b"tEXt" + data + struct.pack(">I", zlib.crc32(b"tEXt" + data))
    return png[:-12] + chunk + png[-12:]  # the last 12 bytes are the IEND chunk


def pages(rows: int, per_image: int, side: int) -> Iterator[tuple[int, bytes, bool]]:
    """(row, page bytes, whether the page is new) for every row; pages repeat per_image times."""
    pool = [noise_png(side) for _ in range(POOL)]
    current = b""
    for row in range(rows):
        fresh = row % per_image == 0
        if fresh:
            current = unique(pool[row % POOL], row)
        yield row, current, fresh


def question(row: int) -> dict[str, Any]:
    return {
        "questionId": str(10_000 + row),
        "question": f"What is the value of field {row}?",
        "question_types": ["form"] if row % 2 else ["table/list", "layout"],
        "docId": row,
        "answers": [f"value {row}", f"{row}"],
        "data_split": "val",
    }


def write_parquet(folder: Path, rows: int, per_image: int, side: int) -> Path:
    """``data/validation-*.parquet`` shards of ~500 MB, row groups of 100 rows."""
    schema = pa.schema(
        [
            ("questionId", pa.string()),
            ("question", pa.string()),
            ("question_types", pa.list_(pa.string())),
            ("image", pa.struct([("bytes", pa.binary()), ("path", pa.string())])),
            ("docId", pa.int64()),
            ("answers", pa.list_(pa.string())),
            ("data_split", pa.string()),
        ],
        metadata={b"huggingface": json.dumps({"info": {"features": {"image": {"_type": "Image"}}}}).encode()},
    )
    data = folder / "data"
    data.mkdir(parents=True)
    shards: list[Path] = []
    writer: pq.ParquetWriter | None = None
    written, batch = 0, []
    for row, image, _ in pages(rows, per_image, side):
        batch.append({**question(row), "image": {"bytes": image, "path": f"page_{row // per_image}.png"}})
        if len(batch) == ROW_GROUP or row == rows - 1:
            if writer is None or written >= SHARD_BYTES:
                if writer is not None:
                    writer.close()
                shards.append(data / f"validation-{len(shards):05d}.parquet")
                writer, written = pq.ParquetWriter(shards[-1], schema), 0
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            written += sum(len(r["image"]["bytes"]) for r in batch)
            batch = []
    assert writer is not None
    writer.close()
    for i, shard in enumerate(shards):
        shard.rename(shard.with_name(f"validation-{i:05d}-of-{len(shards):05d}.parquet"))
    return folder


def write_tsv(path: Path, rows: int, per_image: int, side: int) -> Path:
    """A VLMEvalKit TSV as its ``dump_tsv`` writes one (every field quoted), base64 pages,
    later rows of a page naming its first. Written by hand: the csv module scans each
    1.3 MB base64 cell for quotes, which base64 never holds."""

    def quoted(value: object) -> str:
        return '"' + str(value).replace('"', '""') + '"'

    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("\t".join(quoted(c) for c in ("index", "image", "question", "answer", "category")) + "\n")
        first = 0
        for row, image, fresh in pages(rows, per_image, side):
            first = row if fresh else first
            cell = '"' + base64.b64encode(image).decode("ascii") + '"' if fresh else quoted(first)
            q = question(row)
            rest = (quoted(q["question"]), quoted(q["answers"]), quoted(q["question_types"][0]))
            fh.write("\t".join((quoted(row), cell, *rest)) + "\n")
    return path


def measure(fmt: str, source: Path, out: Path, split: str) -> dict[str, Any]:
    """Import in a child process; its figures and its peak RSS (``VmHWM``)."""
    child = subprocess.run(
        [sys.executable, "-c", CHILD, fmt, str(source), str(out), split],
        check=False,
        stdout=subprocess.PIPE,
        text=True,
    )
    if child.returncode:
        raise SystemExit(f"the {fmt} import failed ({child.returncode})")
    result: dict[str, Any] = json.loads(child.stdout)
    result["peak_rss_mb"] = round(result.pop("peak_kb") / 1024, 1)
    result["rss_before_mb"] = round(result.pop("rss_before_kb") / 1024, 1)
    result["rows_per_s"] = round(result["samples"] / result["seconds"], 1)
    result["mb_per_s"] = round(result["image_bytes"] / 2**20 / result["seconds"], 1)
    result["seconds"] = round(result["seconds"], 2)
    shutil.rmtree(out)
    return result


def folder_bytes(path: Path) -> int:
    return (
        path.stat().st_size
        if path.is_file()
        else sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000, help="questions in the split (5000)")
    parser.add_argument("--image-kb", type=int, default=1000, help="size of each page in KB (1000)")
    parser.add_argument("--questions-per-image", type=int, default=1, help="rows sharing one page (1)")
    parser.add_argument(
        "--tmp", type=Path, default=None, help="where to write the split (a temporary folder)"
    )
    parser.add_argument("--out", type=Path, default=None, help="write the figures here (JSON)")
    args = parser.parse_args()
    side = int((args.image_kb * 1024 / 3) ** 0.5)
    work = Path(tempfile.mkdtemp(prefix="bench-import-", dir=args.tmp))
    try:
        started = time.perf_counter()
        parquet = write_parquet(work / "hf", args.rows, args.questions_per_image, side)
        tsv = write_tsv(work / "DocVQA_VAL.tsv", args.rows, args.questions_per_image, side)
        made = time.perf_counter() - started
        figures = {
            "hf_parquet": {
                "source_mb": round(folder_bytes(parquet) / 2**20, 1),
                **measure("hf_parquet", parquet, work / "o1", "validation"),
            },
            "vlmevalkit_tsv": {
                "source_mb": round(folder_bytes(tsv) / 2**20, 1),
                **measure("vlmevalkit_tsv", tsv, work / "o2", "val"),
            },
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    document = {
        "rows": args.rows,
        "image_kb": args.image_kb,
        "questions_per_image": args.questions_per_image,
        "parquet_row_group_rows": ROW_GROUP,
        "seconds_to_write_sources": round(made, 1),
        "formats": figures,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "pyarrow": version("pyarrow"),
            "pillow": version("pillow"),
        },
    }
    print(f"{args.rows} rows, pages of ~{args.image_kb} KB, {args.questions_per_image} question(s) per page")
    print(
        f"{'format':16} {'source MB':>10} {'seconds':>8} {'rows/s':>8} {'MB/s':>7} {'peak RSS MB':>12} {'before':>7}"
    )
    for fmt, f in figures.items():
        print(
            f"{fmt:16} {f['source_mb']:>10} {f['seconds']:>8} {f['rows_per_s']:>8} {f['mb_per_s']:>7} "
            f"{f['peak_rss_mb']:>12} {f['rss_before_mb']:>7}"
        )
    if args.out:
        args.out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
