"""How fast the dashboard indexes RUNS_DIR, and how much memory its server holds.

Builds ``--runs`` run folders of ``--answers`` answers each with the project's own writers
(`tests/support/run_folders.py`: RunDir, the answers appender, the real evaluate stage) —
``--templates`` distinct runs, copied to make up the rest with their own run_spec.json and
manifest.json — then times:

- a full index into an empty database;
- a refresh with nothing changed (what the background loop costs every 2 s);
- an incremental refresh after 100 answers were appended to each of 10 runs;

and starts the real server (``vlmhb dashboard``) on the built index, opens the main pages
and reads its resident memory (VmRSS, VmHWM from /proc).

    python benchmarks/bench_dashboard.py --runs 100 --answers 5000 [--db postgresql+psycopg://...]
        [--workdir DIR] [--out docs/figures/bench_dashboard.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.run_folders import answer_record, make_run_folder, make_samples
from vlmhyperbench.core import RunDir
from vlmhyperbench.dashboard import open_index
from vlmhyperbench.dashboard.indexer import clear


def build(root: Path, runs: int, answers: int, templates: int) -> float:
    """Make the run folders; returns the seconds it took."""
    started = time.perf_counter()
    exp = root / "bench"
    made = [
        make_run_folder(exp, f"run-{i:03d}", n=answers, model=f"model-{i}", seed=i, resamples=200)
        for i in range(min(templates, runs))
    ]
    for i in range(len(made), runs):
        source = made[i % len(made)]
        target = RunDir(exp / f"run-{i:03d}")
        shutil.copytree(source.root, target.root)
        spec = source.read_spec().model_copy(update={"run_id": target.root.name, "model": f"model-{i}"})
        target.write_spec(spec)
        manifest = source.read_manifest()
        manifest.run_id, manifest.spec = target.root.name, spec
        target.write_manifest(manifest)
        print(f"\rbuilt {i + 1}/{runs} runs", end="", file=sys.stderr)
    print(file=sys.stderr)
    return time.perf_counter() - started


def append_answers(root: Path, n_runs: int, n_answers: int) -> None:
    """Append ``n_answers`` new answers to the first ``n_runs`` runs (a run going on)."""
    import random

    rng = random.Random(7)
    samples = make_samples(n_answers, root / "_dataset")
    for run_dir in sorted((root / "bench").iterdir())[:n_runs]:
        with RunDir(run_dir).answers_appender() as out:
            for s in samples:
                rec = answer_record(s, rng, fail=False, started=time.time())
                out.append(rec.model_copy(update={"sample_id": f"new-{s.id}"}))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_and_measure(root: Path, db_url: str) -> dict[str, Any]:
    """Start `vlmhb dashboard` on the built index, open pages, read its memory."""
    port = free_port()
    cmd = [sys.executable, "-m", "vlmhyperbench", "dashboard", str(root), "--db", db_url, "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        timings = {}
        for url in ("/", "/leaderboard", "/runs/bench/run-000", "/runs/bench/run-000/samples"):
            t = time.perf_counter()
            status = httpx.get(base + url, timeout=120).status_code
            timings[url] = {"status": status, "first_open_s": round(time.perf_counter() - t, 3)}
        status_file = Path(f"/proc/{proc.pid}/status").read_text()
        mem = {
            line.split(":")[0]: int(line.split()[1]) // 1024
            for line in status_file.splitlines()
            if line.startswith(("VmRSS", "VmHWM"))
        }
        return {"pages": timings, "rss_mib": mem.get("VmRSS"), "peak_rss_mib": mem.get("VmHWM")}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--answers", type=int, default=5000)
    parser.add_argument("--templates", type=int, default=4, help="distinct runs made by evaluation")
    parser.add_argument("--db", default=None, help="index URL (default: a SQLite file in the workdir)")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the folders here (default: temp)")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    root = work / "runs"
    build_s = build(root, args.runs, args.answers, args.templates) if not root.exists() else 0.0
    db_url = args.db or f"sqlite:///{work / 'index.sqlite'}"
    index = open_index(root, db_url)
    clear(index)  # start empty
    t = time.perf_counter()
    full = index.refresh()
    full_s = time.perf_counter() - t
    t = time.perf_counter()
    noop = index.refresh()
    noop_s = time.perf_counter() - t
    append_answers(root, 10, 100)
    t = time.perf_counter()
    incr = index.refresh()
    incr_s = time.perf_counter() - t
    index.close()
    server = serve_and_measure(root, db_url)
    figures = {
        "runs": args.runs,
        "answers_per_run": args.answers,
        "database": db_url.split(":")[0],
        "build_folders_s": round(build_s, 1),
        "full_index_s": round(full_s, 2),
        "answers_indexed": full.answers_added,
        "refresh_unchanged_s": round(noop_s, 3),
        "refresh_after_1000_new_answers_s": round(incr_s, 3),
        "incremental_answers": incr.answers_added,
        "server": server,
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
        "unchanged_runs_seen": noop.runs_changed,
    }
    print(json.dumps(figures, indent=2))
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
