"""Preset ``olmocr_bench`` (page parsing scored by unit tests, allenai/olmOCR-bench).

Each tested PDF page is a ``parse`` sample (source format ``olmocr_bench``); the metric
``olmocr_bench`` runs the page's tests on the answer. The headline is olmOCR-bench's
"Overall" (olmocr 0.4.27: olmocr/bench/benchmark.py ``main``): per test file, the share
of its tests that pass — a test passes when it passes on more than half of the page's
repeats — and the unweighted mean over the files, the added ``baseline`` tests being a
file of their own (the README's "Base" column).

olmOCR-bench has no prompt of its own (each runner sends its tool's), so the preset
uses the generic parse prompt; ``prompts: {builtin: parse/olmocr}`` (or another family,
see docs/configuration.md) sends a model family's own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..aggregators import DEFAULT_AGGREGATORS, ScoredSample
from ..core import PublishedScore
from ..metrics import Metric
from ..metrics.olmocr_bench import olmocr_overall, olmocr_pass_rates
from ..tasks import PARSE_PROMPT
from ._base import Benchmark, register_benchmark

__all__ = ["OLMOCR_BENCH_README", "MeanOverTestFiles", "test_outcomes"]

OLMOCR_BENCH_README = (
    "https://github.com/allenai/olmocr/blob/f2bd40ea56095816d2d9ca5b4b3411cbff9175c6/olmocr/bench/README.md"
)
"""The README whose Results table the published scores quote (allenai/olmocr@f2bd40e, Nov 2025)."""


def test_outcomes(row: ScoredSample, metric: str) -> list[tuple[str, str, float | None]]:
    """(test id, test file, pass ratio over repeats) of each of the page's tests.

    The tests are the sample's (``metadata["olmocr_tests"]``); a test the metric's
    ``detail["tests"]`` does not list counts as failed, and every ratio is None when
    the page has no score (the metric could not run).
    """
    score = row.scores.get(metric)
    metadata = row.sample.metadata
    files = metadata.get("olmocr_test_files") or {}
    results: dict[str, float] | None = None
    if score is not None and score.value is not None:
        results = {
            str(t.get("id")): float(t.get("passed") or 0.0) for t in (score.detail or {}).get("tests", [])
        }
    return [
        (
            str(test.get("id")),
            str(files.get(test.get("id"), row.sample.split)),
            None if results is None else results.get(str(test.get("id")), 0.0),
        )
        for test in metadata.get("olmocr_tests") or []
        if isinstance(test, dict)
    ]


@dataclass(frozen=True)
class MeanOverTestFiles:
    """olmOCR-bench's overall (`olmocr_overall`): the mean over test files of each file's
    pass rate × ``scale``, with the official stratified bootstrap interval."""

    metric: str = "olmocr_bench"
    name: str = "overall pass rate"
    scale: float = 100.0
    n_bootstrap: int = 1000
    """The official ``--bootstrap_samples``; the interval is the official 95%, seeded with 0."""

    def describe(self) -> str:
        return (
            f"per test file the share of its tests that pass ({self.metric}; with repeats, a test passes "
            f"on more than half of them), then the mean over the files (baseline tests are a file), "
            f"× {self.scale:g}; interval: bootstrap of the tests within each file"
        )

    def _per_test(self, rows: Sequence[ScoredSample]) -> dict[str, list[float]] | None:
        """Test file → each test's pass ratio; None when a page could not be scored."""
        per_test: dict[str, list[float]] = {}
        for row in rows:
            for _, group, ratio in test_outcomes(row, self.metric):
                if ratio is None:
                    return None
                per_test.setdefault(group, []).append(ratio)
        return dict(sorted(per_test.items()))

    def compute(
        self, rows: Sequence[ScoredSample], metrics: Mapping[str, Metric]
    ) -> tuple[float | None, dict[str, float | None], str]:
        per_test = self._per_test(rows)
        unit = "%" if self.scale == 100 else ""
        if per_test is None:
            return None, {}, unit
        value, per_file = olmocr_pass_rates(per_test)  # the interval is `interval`'s work
        parts: dict[str, float | None] = {k: v * self.scale for k, v in per_file.items()}
        return (value * self.scale if per_test else None), parts, unit

    def interval(
        self, rows: Sequence[ScoredSample], metrics: Mapping[str, Metric]
    ) -> tuple[float, float] | None:
        per_test = self._per_test(rows)
        if not per_test:
            return None
        low, high = olmocr_overall(per_test, n_bootstrap=self.n_bootstrap).ci
        return low * self.scale, high * self.scale


def _published(model: str, value: float, ci: str, note: str = "") -> PublishedScore:
    return PublishedScore(
        model=model,
        value=value,
        split="all",
        source=OLMOCR_BENCH_README,
        note=", ".join(x for x in (f"±{ci} (95% CI)", note) if x),
    )


_BY_AUTHORS = "reported by the model's authors"

register_benchmark(
    Benchmark(
        name="olmocr_bench",
        title="olmOCR-bench (PDF pages to Markdown, checked by unit tests)",
        task="parse",
        formats=("olmocr_bench",),
        prompt="{{ question or '" + PARSE_PROMPT + "' }}",
        prompt_source="none: olmOCR-bench has no prompt (each runner sends its tool's); the generic parse "
        "prompt, or a family's with prompts.builtin",
        metrics=("olmocr_bench",),
        headline=MeanOverTestFiles(),
        splits=(),
        default_split=None,
        licence="ODC-BY-1.0 (HF allenai/olmOCR-bench); the PDFs keep their own terms",
        homepage="https://huggingface.co/datasets/allenai/olmOCR-bench",
        description="1,403 single-page PDFs and 7,010 unit tests in 7 test files (arxiv_math, "
        "headers_footers, long_tiny_text, multi_column, old_scans, old_scans_math, table_tests: the HF "
        "dataset card's splits), plus a baseline test per PDF.",
        aggregators=(*DEFAULT_AGGREGATORS, "by_split"),
        published=(
            _published("olmOCR v0.4.0", 82.4, "1.1"),
            _published("Chandra OCR 0.1.0", 83.1, "0.9", _BY_AUTHORS),
            _published("Infinity-Parser 7B", 82.5, "?", _BY_AUTHORS),
            _published("PaddleOCR-VL", 80.0, "1.0", _BY_AUTHORS),
            _published("Marker 1.10.1", 76.1, "1.1"),
            _published("DeepSeek-OCR", 75.7, "1.0"),
            _published("MinerU 2.5.4", 75.2, "1.1", _BY_AUTHORS),
            _published("Mistral OCR API", 72.0, "1.1"),
            _published("Nanonets-OCR2-3B", 69.5, "1.1"),
        ),
        notes="Split = the test file a page's tests come from (--split reads one file). Pages are rendered "
        "to 2048 px on the longer side (olmOCR-bench's renderer default; `dpi:` overrides). A page "
        "without an answer is scored as an empty answer (olmocr.bench.benchmark fails all of its tests "
        "with --force, or refuses the candidate). Answers are scored raw: no code fence or olmOCR front "
        "matter is removed, as olmocr.bench reads the .md files. max_tokens is olmOCR's pipeline cap.",
        generation={"max_tokens": 8000},
    )
)
