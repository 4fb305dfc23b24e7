"""What a Ray task per stage costs: the same tiny run through ``local`` and ``ray``, timed whole.

The run asks the scripted OpenAI-compatible server of the tests (no model, no network)
about the three tiny samples, then evaluates and reports: three stages. Each variant runs
``--repeat`` times with ``fresh=True`` after one warm-up (Ray starts its worker
processes, uv fills its cache), in this process, so the figures hold only what the
executor adds: per stage, ``local`` starts a subprocess; ``ray`` submits a task, starts
the stage on the chosen node, relays its events through a queue actor and records the
node. ``ray+uv`` adds a requirement (a tiny local wheel) that the node layers over its
environment with ``uv run --with``.

Without ``--ray-address`` the loopback cluster of the tests (a head and a worker node with
two fake GPUs, tests/support/ray_cluster.py) is started for the benchmark and stopped after.

    python benchmarks/bench_ray_executor.py --repeat 5
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.factories import make_jsonl_dataset
from tests.support.openai_server import ScriptedOpenAIServer
from tests.support.ray_cluster import start_cluster
from tests.support.wheels import make_wheel
from vlmhyperbench.orchestrator import run_experiment

STAGES = 3


def _config(folder: Path, url: str, executor: dict[str, object], requirements: list[str]) -> Path:
    options = {"base_url": url, "model": "scripted-vlm", "timeout_s": 5}
    config = {
        "name": "bench",
        "executor": executor,
        "runs": [
            {
                "name": "r",
                "task": "vqa",
                "dataset": str(folder / "tiny"),
                "model": {"backend": "openai", "options": options},
                "requirements": requirements,
                "metrics": ["cer"],
                "statistics": {"resamples": 0},
            }
        ],
    }
    path = folder / f"{executor['kind']}-{len(requirements)}.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def _time(config: Path, out: Path) -> float:
    started = time.perf_counter()
    result = run_experiment(config, output_dir=out, fresh=True)
    elapsed = time.perf_counter() - started
    if not result.ok:
        raise SystemExit(f"{config.name} failed: {result.runs}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--ray-address", default=None, help="an existing cluster (default: start one here)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="vlmhb-bench-ray-"))
    cluster = None
    try:
        if not args.ray_address:  # a short path: Ray's socket paths must stay under 108 bytes
            cluster = start_cluster(Path(f"/tmp/vlmhb-bray-{os.getpid()}"))
        address = args.ray_address or (cluster.address if cluster else "")
        make_jsonl_dataset(folder / "tiny")
        wheel = make_wheel(folder / "wheels", "vlmhb-bench-dummy", "1.0.0", "X = 1\n")
        with ScriptedOpenAIServer() as server:
            ray = {"kind": "ray", "address": address, "wheels": str(wheel.parent)}
            variants = {
                "local": _config(folder, server.url, {"kind": "local"}, []),
                "ray": _config(folder, server.url, ray, []),
                "ray+uv": _config(folder, server.url, ray, ["vlmhb-bench-dummy==1.0.0"]),
            }
            medians = {}
            for name, config in variants.items():
                _time(config, folder / "runs" / name)  # warm-up
                times = [_time(config, folder / "runs" / name) for _ in range(args.repeat)]
                medians[name] = statistics.median(times)
                print(
                    f"{name:7s} median {medians[name]:6.2f} s  min {min(times):6.2f}  max {max(times):6.2f}"
                    f"  (n={len(times)})",
                    flush=True,
                )
        for name in ("ray", "ray+uv"):
            extra = medians[name] - medians["local"]
            print(f"{name:7s} over local: {extra:+6.2f} s per run, {extra / STAGES:+5.2f} s per stage")
    finally:
        if cluster is not None:
            cluster.stop()
            shutil.rmtree(cluster.root, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
