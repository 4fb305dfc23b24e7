"""Per-sample scoring throughput of cer, anls and ned against the reference implementations.

Work: 100,000 pairs of 200-character strings (Russian/English letters, digits,
punctuation; each prediction is its reference with ~10 % random character edits),
generated with a fixed seed. Each implementation scores every pair one by one, as an
evaluation loop does; the time is the median of ``--repeats`` passes.

- ours, one by one: ``Metric.score`` per pair (rapidfuzz C++ Levenshtein);
- ours, batch: ``Metric.score_batch`` over all pairs, what the evaluation stage calls
  (cer and ned: one rapidfuzz ``cpdist`` call on every core; anls loops);
- cer: ``jiwer.cer`` 4.0 per pair;
- anls: ``anls.anls_score`` 0.0.2 (pure-Python Levenshtein): too slow for 100,000
  pairs, it is timed on the first ``--slow-pairs`` pairs and scaled up (stated in the
  output);
- ned: ``Levenshtein.distance(a, b) / max(len(a), len(b))`` — the `Levenshtein`
  package OmniDocBench's text metric uses.

    python benchmarks/bench_text_metrics.py --out docs/figures/bench_text_metrics.json
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

ALPHABET = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЖЗИКЛМНОПРСТabcdefghijklmnopqrstuvwxyz0123456789 .,:;-"


def make_pairs(n: int, length: int, seed: int) -> list[tuple[str, str]]:
    """``n`` (reference, prediction) pairs; predictions carry ~10 % character edits."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        ref = "".join(rng.choice(ALPHABET) for _ in range(length))
        chars = list(ref)
        for _ in range(length // 10):
            i = rng.randrange(len(chars))
            op = rng.random()
            if op < 0.4:
                chars[i] = rng.choice(ALPHABET)
            elif op < 0.7:
                del chars[i]
            else:
                chars.insert(i, rng.choice(ALPHABET))
        pairs.append((ref, "".join(chars)))
    return pairs


def timed(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``repeats`` calls, seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--slow-pairs", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    import anls
    import jiwer
    import Levenshtein

    from vlmhyperbench.core import Sample
    from vlmhyperbench.metrics import build_metric

    pairs = make_pairs(args.pairs, args.length, args.seed)
    samples = [
        Sample(id=str(i), images=(Path("/page.png"),), answers=(ref,)) for i, (ref, _) in enumerate(pairs)
    ]
    work = list(zip(samples, (pred for _, pred in pairs)))
    ours = {name: build_metric(name) for name in ("cer", "anls", "ned")}

    def run_ours(name: str) -> Callable[[], object]:
        metric = ours[name]
        return lambda: [metric.score(pred, sample) for sample, pred in work]

    preds = [pred for _, pred in work]

    def run_batch(name: str) -> Callable[[], object]:
        metric = ours[name]
        return lambda: metric.score_batch(preds, samples)

    slow = pairs[: args.slow_pairs]
    references: dict[str, tuple[Callable[[], object], int, str]] = {
        "cer": (lambda: [jiwer.cer(r, p) for r, p in pairs], len(pairs), f"jiwer {version('jiwer')}"),
        "anls": (lambda: [anls.anls_score(p, [r]) for r, p in slow], len(slow), f"anls {version('anls')}"),
        "ned": (
            lambda: [Levenshtein.distance(p, r) / max(len(p), len(r), 1) for r, p in pairs],
            len(pairs),
            f"Levenshtein {version('Levenshtein')}",
        ),
    }
    results = {}
    for name, (ref_fn, n_ref, label) in references.items():
        t_ours = timed(run_ours(name), args.repeats)
        t_batch = timed(run_batch(name), args.repeats)
        t_ref = timed(ref_fn, 1 if n_ref < len(pairs) else args.repeats) * len(pairs) / n_ref
        results[name] = {
            "ours_one_by_one_s": round(t_ours, 3),
            "ours_batch_s": round(t_batch, 3),
            "reference": label,
            "reference_s": round(t_ref, 3),
            "reference_pairs_timed": n_ref,
            "speedup_one_by_one": round(t_ref / t_ours, 2),
            "speedup_batch": round(t_ref / t_batch, 2),
        }
        scaled = f" (scaled from {n_ref} pairs)" if n_ref < len(pairs) else ""
        print(
            f"{name:5s} ours {t_ours:7.3f} s one by one, {t_batch:7.3f} s batch | {label:20s} {t_ref:9.3f} s"
            f"{scaled} | ratio {t_ref / t_ours:6.2f}x / {t_ref / t_batch:6.2f}x"
        )
    report = {
        "pairs": len(pairs),
        "length": args.length,
        "seed": args.seed,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu_count": __import__("os").cpu_count(),
        "results": results,
    }
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
