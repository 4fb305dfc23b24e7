"""What GPU packing buys: the makespan of a mixed matrix against running it one run at a time.

Twelve runs with the GPU needs of a real matrix (7B models on one GPU with 40 GiB, 2B
models with 16 GiB, vLLM runs on whole GPUs, a 2-GPU and a 4-GPU model) and different
inference times go through the real `GpuScheduler` on a declared inventory of 4 GPUs ×
80 GiB (``VLMHB_GPU_INVENTORY``, re-read at every decision as in production). Each run
holds its GPUs for its inference time (a sleep: the GPUs are declared, so the run's
work is simulated; what is measured is the scheduler's packing and its reaction time).
Prints, for each backfill limit, the makespan, the sum of run times (what ``jobs: 1``
takes), a lower bound (the longest run, or the GiB-seconds over the capacity) and when
the 4-GPU run started (the run that unbounded backfill keeps waiting).

    python benchmarks/bench_scheduler.py --unit 0.5 --repeat 3                # the mixed matrix
    python benchmarks/bench_scheduler.py --unit 0.5 --repeat 3 --matrix wide  # backfill vs a wide run
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import anyio

from vlmhyperbench.scheduler import ENV_GPU_INVENTORY, GpuNeed, GpuScheduler

GPUS, GIB = 4, 80
MATRIX: list[tuple[str, int, float | None, float]] = [
    # run, GPUs, GiB per GPU (None: whole GPUs), inference time in units
    ("qwen2.5-vl-7b-hf-ocr", 1, 40, 6),
    ("qwen2.5-vl-7b-hf-vqa", 1, 40, 8),
    ("qwen3-vl-8b-hf-ocr", 1, 40, 5),
    ("qwen3-vl-8b-hf-kie", 1, 40, 7),
    ("qwen2.5-vl-32b-hf-ocr", 2, 80, 10),
    ("internvl3-38b-hf-vqa", 2, 80, 12),
    ("qwen2-vl-2b-hf-ocr", 1, 16, 3),
    ("smolvlm2-hf-ocr", 1, 16, 4),
    ("got-ocr-hf-ocr", 1, 16, 3),
    ("qwen2.5-vl-72b-hf-ocr", 4, 70, 8),
    ("qwen2.5-vl-7b-vllm-ocr", 1, None, 9),
    ("olmocr-vllm-ocr", 1, None, 6),
]
WIDE: list[tuple[str, int, float | None, float]] = [
    ("vllm-7b", 1, None, 4),
    ("hf-72b", 4, 40, 4),
    *((f"hf-2b-{i}", 1, 16, 2 + i % 3) for i in range(30)),
]
"""A 4-GPU run queued behind a whole-GPU run, with 30 small runs behind it: what backfill
does to the wide run."""
MATRICES = {"mixed": MATRIX, "wide": WIDE}


async def _makespan(
    matrix: list[tuple[str, int, float | None, float]], unit: float, backfill_limit: int
) -> tuple[float, float]:
    """(makespan, when the 4-GPU run started: the one backfill can starve)."""
    scheduler = GpuScheduler(backfill_limit=backfill_limit, poll_s=min(0.05, unit / 4))
    started: dict[int, float] = {}
    t0 = time.monotonic()

    async def one(position: int, run_id: str, gpus: int, gib: float | None, units: float) -> None:
        need = GpuNeed(gpus, None if gib is None else int(gib * 1024))
        lease = await scheduler.acquire(run_id, need, position)
        started[position] = time.monotonic() - t0
        await anyio.sleep(units * unit)
        scheduler.release(lease)

    async with anyio.create_task_group() as tg:
        for position, run in enumerate(matrix):
            tg.start_soon(one, position, *run)
    makespan = time.monotonic() - t0
    widest = max(range(len(matrix)), key=lambda p: matrix[p][1])
    return makespan, started[widest]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unit", type=float, default=0.2, help="seconds per unit of inference time")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backfill", default="0,2,100", help="backfill limits to compare")
    parser.add_argument("--matrix", choices=sorted(MATRICES), default="mixed")
    args = parser.parse_args()
    matrix = MATRICES[args.matrix]
    with tempfile.TemporaryDirectory() as folder:
        inventory = Path(folder) / "gpus.json"
        gpus = [{"index": i, "uuid": f"GPU-{i}", "memory_total_mib": GIB * 1024} for i in range(GPUS)]
        inventory.write_text(json.dumps(gpus), encoding="utf-8")
        os.environ[ENV_GPU_INVENTORY] = str(inventory)
        serial = sum(units for *_, units in matrix) * args.unit
        area = sum(n * (GIB if gib is None else gib) * units for _, n, gib, units in matrix)
        longest = max(units for *_, units in matrix)
        bound = max(longest, area / (GPUS * GIB)) * args.unit
        print(f"{args.matrix}: {len(matrix)} runs on {GPUS} GPUs x {GIB} GiB, 1 unit = {args.unit:g} s")
        print(f"sum of run times (jobs: 1): {serial:.2f} s; lower bound: {bound:.2f} s")
        print("| backfill limit | makespan s (median) | vs. serial | vs. bound | 4-GPU run started at s |")
        print("|---|---|---|---|---|")
        for limit in (int(x) for x in args.backfill.split(",")):
            results = [anyio.run(_makespan, matrix, args.unit, limit) for _ in range(args.repeat)]
            makespan = statistics.median(r[0] for r in results)
            wait = statistics.median(r[1] for r in results)
            print(
                f"| {limit} | {makespan:.2f} | {serial / makespan:.2f}x faster | "
                f"{makespan / bound:.2f}x | {wait:.2f} |"
            )


if __name__ == "__main__":
    main()
