"""Time and bytes of a smart sync of a 10,000-answer run folder after 100 new answers.

Not a test. Starts moto's S3 server (``moto_server``, the test extra) on a free loopback
port, writes a run folder in a temporary directory (``--answers`` answer lines of about
``--answer-bytes`` bytes each, as ``answers.jsonl``; ``metrics/samples.jsonl`` with one
scored line per answer; ``run_spec.json``, ``manifest.json`` and the three reports), then:

1. pushes it to ``s3://bench/exp/r1`` (the first, full upload),
2. pulls it into an empty second mirror (another machine),
3. appends ``--new`` answers and rewrites ``manifest.json`` (what inference does between
   two syncs), pushes again, and pulls again on the second mirror.

It reports, for each step, the seconds, the bytes and the objects moved, and the bytes a
naive full copy of the folder would move. Loopback moto: the times are the client's and
the server's work, not a network's; bytes and objects are what any S3 server would see.

    python benchmarks/bench_s3_sync.py --out docs/figures/bench_s3_sync.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answer(i: int, size: int) -> str:
    record = {
        "sample_id": f"s-{i:06d}",
        "answer": ("word " * (size // 5))[: max(10, size - 300)],
        "error": None,
        "prompt": {"system": None, "user": "What is written on the page?", "rule": "override"},
        "timings": {"ttft_s": 0.123, "total_s": 1.234},
        "usage": {"prompt_tokens": 812, "completion_tokens": 64},
    }
    return json.dumps(record)


def _run_folder(root: Path, answers: int, size: int) -> None:
    (root / "metrics").mkdir(parents=True)
    (root / "report").mkdir()
    with (root / "answers.jsonl").open("w") as fh:
        for i in range(answers):
            fh.write(_answer(i, size) + "\n")
    with (root / "metrics" / "samples.jsonl").open("w") as fh:
        for i in range(answers):
            fh.write(json.dumps({"sample_id": f"s-{i:06d}", "scores": {"anls": 0.5, "cer": 0.1}}) + "\n")
    (root / "metrics" / "metrics.json").write_text(
        json.dumps({"n_samples": answers, "general": {"anls": 0.5}})
    )
    (root / "run_spec.json").write_text(json.dumps({"run_id": "r1", "pad": "x" * 4000}))
    (root / "manifest.json").write_text(json.dumps({"status": "running", "done": answers}))
    for name in ("report.md", "report.json", "report.html"):
        (root / "report" / name).write_text("report " * 20_000)


def _folder_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


def _step(name: str, report: Any, naive: int) -> dict[str, Any]:
    row = {
        "step": name,
        "seconds": round(report.seconds, 3),
        "bytes": report.bytes,
        "objects": report.objects,
    }
    row["naive_full_copy_bytes"] = naive
    print(
        f"{name:<32} {row['seconds']:>7.3f} s {row['bytes']:>12,} B {row['objects']:>4} objects (full copy {naive:,} B)"
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--answers", type=int, default=10_000)
    parser.add_argument("--new", type=int, default=100)
    parser.add_argument("--answer-bytes", type=int, default=600)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    port = _free_port()
    binary = Path(sys.executable).with_name("moto_server")
    server = subprocess.Popen(
        [str(binary), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.environ.update(
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
    )
    try:
        for _ in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        from vlmhyperbench.storage import filesystem, pull, push

        filesystem().mkdir("bench")
        url = "s3://bench/exp/r1"
        rows = []
        with tempfile.TemporaryDirectory() as tmp:
            writer, reader = Path(tmp) / "writer", Path(tmp) / "reader"
            _run_folder(writer, args.answers, args.answer_bytes)
            naive = _folder_bytes(writer)
            rows.append(_step(f"push, first ({args.answers:,} answers)", push(writer, url), naive))
            rows.append(_step("pull into an empty mirror", pull(url, reader), naive))
            rows.append(_step("push, nothing changed", push(writer, url), naive))
            with (writer / "answers.jsonl").open("a") as fh:
                for i in range(args.answers, args.answers + args.new):
                    fh.write(_answer(i, args.answer_bytes) + "\n")
            (writer / "manifest.json").write_text(
                json.dumps({"status": "running", "done": args.answers + args.new})
            )
            naive = _folder_bytes(writer)
            rows.append(_step(f"push after {args.new} new answers", push(writer, url), naive))
            rows.append(_step(f"pull after {args.new} new answers", pull(url, reader), naive))
            same = (reader / "answers.jsonl").read_bytes() == (writer / "answers.jsonl").read_bytes()
            print(f"mirrors equal: {same}")
    finally:
        server.terminate()
        server.wait()
    result = {
        "answers": args.answers,
        "new_answers": args.new,
        "answer_bytes": args.answer_bytes,
        "steps": rows,
        "mirrors_equal": same,
        "python": platform.python_version(),
        "s3fs": version("s3fs"),
        "moto": version("moto"),
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
    }
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
