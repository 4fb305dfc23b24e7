"""How fast the dashboard's pages open over a large index, and how much memory its server holds.

Reuses the run folders of `bench_dashboard.py` (``--runs`` × ``--answers``, built once into
``--workdir`` and kept: building 100 × 5,000 takes minutes, indexing them ~3 minutes), starts
the real server (``vlmhb dashboard`` in a subprocess: uvicorn on a free port, the default
background refresh every 2 s) and times ``--repeat`` sequential requests of each page with
httpx, from sending the request to reading the whole body:

- the experiments page, the leaderboard, a run page;
- the sample browser filtered by doc class and a metric range, sorted by that metric;
- a sample page;
- ``/compare`` of two runs: the first opening of ``--compare-firsts`` distinct pairs (the
  paired test is computed) and then the same pair again (its result is kept);

and reads the server's resident memory (VmRSS, VmHWM from /proc) after the timings. Each page
is opened once before it is timed (its first opening is reported apart: the sample browser
computes the run's confusion totals then).

    python benchmarks/bench_dashboard_pages.py [--workdir DIR] [--runs 100] [--answers 5000]
        [--repeat 50] [--out docs/figures/bench_dashboard_pages.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_dashboard import build, free_port

from vlmhyperbench.dashboard import open_index

FILTER = "doc_class=passport&metric=anls&min=0.2&max=0.9&sort=metric&order=desc"
"""The filtered sample browser: one doc class, a metric range, sorted by the metric."""


def prepare(work: Path, runs: int, answers: int, templates: int) -> dict[str, Any]:
    """Build the run folders and index them unless ``work`` already has them."""
    root, db = work / "runs", work / "index.sqlite"
    out: dict[str, Any] = {"build_folders_s": None, "full_index_s": None}
    if not root.exists():
        out["build_folders_s"] = round(build(root, runs, answers, templates), 1)
    index = open_index(root, f"sqlite:///{db}")
    try:
        started = time.perf_counter()
        result = index.refresh()
        if result.answers_added:
            out["full_index_s"] = round(time.perf_counter() - started, 1)
            out["answers_indexed"] = result.answers_added
    finally:
        index.close()
    return out


def summary(seconds: list[float]) -> dict[str, float]:
    """p50, p95 and max in milliseconds (p95: the value 95 % of the requests stay under)."""
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, max(0, round(0.95 * len(ms)) - 1))]
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(ms[-1], 1),
    }


def timed_get(client: httpx.Client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    response.read()
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}: {response.text[:500]}")
    return elapsed


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of ``pid`` in MiB."""
    fields = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {
        line.split(":")[0]: int(line.split()[1]) // 1024
        for line in fields
        if line.startswith(("VmRSS", "VmHWM"))
    }


def wait_ready(base: str, proc: subprocess.Popen[str]) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < 600:
        if proc.poll() is not None:
            raise SystemExit(f"vlmhb dashboard exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("vlmhb dashboard did not answer /healthz within 600 s")


def measure(root: Path, db_url: str, runs: int, repeat: int, compare_firsts: int) -> dict[str, Any]:
    """Start the server, time every page, read its memory."""
    port = free_port()
    cmd = [sys.executable, "-m", "vlmhyperbench", "dashboard", str(root), "--db", db_url, "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        ready_s = wait_ready(base, proc)
        pages = {
            "experiments": "/",
            "leaderboard": "/leaderboard",
            "run": "/runs/bench/run-000",
            "samples_filtered": f"/runs/bench/run-000/samples?{FILTER}",
            "sample": "/runs/bench/run-000/samples/s-00042",
            "compare_cached": "/compare?a=bench/run-000&b=bench/run-001&metric=anls",
        }
        results: dict[str, Any] = {}
        with httpx.Client(base_url=base, timeout=300) as client:
            for name, url in pages.items():
                first = timed_get(client, url)
                times = [timed_get(client, url) for _ in range(repeat)]
                results[name] = {"url": url, "first_open_ms": round(first * 1000, 1), **summary(times)}
                print(f"{name}: {results[name]}", file=sys.stderr)
            # the first opening of a pair computes the paired test: distinct pairs, each once
            firsts = [
                timed_get(client, f"/compare?a=bench/run-{k:03d}&b=bench/run-{k + 1:03d}&metric=anls")
                for k in range(2, min(runs - 1, 2 + 2 * compare_firsts), 2)
            ]
            results["compare_first"] = {
                "url": "/compare?a=bench/run-K&b=bench/run-K+1&metric=anls",
                **summary(firsts),
            }
            print(f"compare_first: {results['compare_first']}", file=sys.stderr)
            # the sample browser's first opening of a run (confusion totals computed then)
            opened = [
                timed_get(client, f"/runs/bench/run-{k:03d}/samples?{FILTER}")
                for k in range(runs // 2, min(runs, runs // 2 + 10))
            ]
            results["samples_filtered_first_of_run"] = summary(opened)
        mem = memory(proc.pid)
        return {
            "server_ready_s": round(ready_s, 1),
            "pages": results,
            "rss_mib": mem.get("VmRSS"),
            "peak_rss_mib": mem.get("VmHWM"),
        }
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
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="run folders and index, kept for the next time (default: <tmp>/vlmhb-bench-dashboard-RxA)",
    )
    parser.add_argument("--repeat", type=int, default=50, help="timed requests of each page")
    parser.add_argument("--compare-firsts", type=int, default=10, help="distinct pairs opened once")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.gettempdir()) / f"vlmhb-bench-dashboard-{args.runs}x{args.answers}"
    work.mkdir(parents=True, exist_ok=True)
    prepared = prepare(work, args.runs, args.answers, args.templates)
    server = measure(
        work / "runs", f"sqlite:///{work / 'index.sqlite'}", args.runs, args.repeat, args.compare_firsts
    )
    figures = {
        "runs": args.runs,
        "answers_per_run": args.answers,
        "database": "sqlite",
        **prepared,
        "server": server,
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
        "load_average": os.getloadavg(),
    }
    print(json.dumps(figures, indent=2))
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
