"""What isolation costs: the same small experiment through each executor, timed whole.

The experiment is the demo's OCR baseline on the passport pages (11 pages, tesseract
eng) — its three stages, each in the executor's environment. Every executor runs it
``--repeat`` times with ``--fresh`` (all answers asked again); the first run of each
(building a venv or an image's first container) is a warm-up and not counted. Prints
the median, min and max wall seconds per executor and the overhead over ``inline``
(the orchestrator's own process, no isolation), per run and per stage.

    python benchmarks/bench_executors.py --executors inline,local,venv,docker --repeat 5

docker needs a running engine and the image (``scripts/build_images.sh``).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from vlmhyperbench._paths import demo_dataset_path


def _experiment(folder: Path, image: str) -> Path:
    config = {
        "name": "bench",
        "executor": {"image": image, "pull": "never"},
        "runs": [
            {
                "name": "ocr",
                "task": "ocr",
                "dataset": {"path": str(demo_dataset_path()), "filters": {"doc_class": ["passport"]}},
                "model": "tesseract-eng",
                "metrics": ["cer"],
                "statistics": {"resamples": 0},
                "concurrency": 2,
            }
        ],
    }
    path = folder / "experiment.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def _time(config: Path, executor: str, out: Path) -> float:
    argv = [
        sys.executable,
        "-m",
        "vlmhyperbench",
        "run",
        str(config),
        "--executor",
        executor,
        "--output-dir",
        str(out),
        "--fresh",
    ]
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{executor} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--executors", default="inline,local,venv,docker")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--image", default="vlmhyperbench:cpu")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = _experiment(folder, args.image)
        results: dict[str, list[float]] = {}
        for executor in args.executors.split(","):
            _time(config, executor, folder / executor)  # warm-up: builds the venv, fills caches
            results[executor] = [_time(config, executor, folder / executor) for _ in range(args.repeat)]
            times = results[executor]
            print(
                f"{executor:9s} median {statistics.median(times):6.2f} s  "
                f"min {min(times):6.2f}  max {max(times):6.2f}  (n={len(times)})",
                flush=True,
            )
        if "inline" in results:
            base = statistics.median(results["inline"])
            for executor, times in results.items():
                extra = statistics.median(times) - base
                print(
                    f"{executor:9s} overhead over inline: {extra:+6.2f} s per run, {extra / 3:+5.2f} s per stage"
                )


if __name__ == "__main__":
    main()
