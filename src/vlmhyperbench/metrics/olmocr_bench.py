"""olmOCR-bench unit tests on a page's Markdown, equal to ``olmocr.bench`` (olmocr 0.4.27).

olmOCR-bench (Poznanski et al. 2025, "olmOCR 2", allenai/olmocr ``olmocr/bench``) scores a
page by pass/fail unit tests written for it: ``present``/``absent`` (a text, fuzzily),
``order`` (one text before another), ``table`` (a cell and its neighbours/headings),
``math`` (a formula, compared as KaTeX renders it) and ``baseline`` (not blank, no endless
repetition, no CJK/emoji). The checks are written anew in the private modules
``_olmocr_text``, ``_olmocr_tables``, ``_olmocr_table_check``, ``_olmocr_tests`` (``math``:
``_katex``) and give the official pass/fail and explanation for every test
(``tests/data/golden/olmocr_bench``).

Metric ``olmocr_bench`` reads the page's tests from ``sample.metadata["olmocr_tests"]``
(each exactly as its ``*.jsonl`` line). A page's value is the share of its tests passed,
``num`` the tests passed, ``den`` the tests; ``detail["tests"]`` lists each test's ``id``,
``type``, ``passed`` (0..1) and ``explanation`` ("" on a pass). With several generations of
a page (``AnswerRecord.extra["repeats"]``, one Markdown text each; a None in it is a
missing generation and is not counted) every test runs on each and ``passed`` is its pass
ratio, as olmOCR-bench's ``evaluate_candidate`` computes it. A page whose answer is missing
(a record without ``answer``, or no repeat at all) fails all its tests ("Missing MD
files", as the official runner scores a page without output), so ``absent`` and blank-page
tests do not pass on it. A
test the official loader would refuse (an unknown type, a missing field, an empty text...)
is recorded as failed with the reason.

`olmocr_overall` is the benchmark's headline: the mean over test files of each file's pass
rate (a test passes when it passed on more than half of its repeats), with the official
stratified bootstrap interval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import Sample
from ._base import Answered, Metric, Score, register_metric
from ._olmocr_tests import TEST_TYPES, InvalidTest, OlmocrTest, parse_test

__all__ = [
    "TEST_TYPES",
    "InvalidTest",
    "OlmocrBench",
    "OlmocrOverall",
    "olmocr_overall",
    "olmocr_pass_rates",
    "parse_test",
    "run_tests",
]


_MISSING = "Missing MD files"
"""olmOCR-bench's explanation for the tests of a page without output."""


@register_metric("olmocr_bench", version="1.0.0", higher_is_better=True, pooled=True)
class OlmocrBench(Metric):
    """Share of a page's olmOCR-bench unit tests that its Markdown passes (olmocr 0.4.27)."""

    def score(self, answer: str, sample: Sample) -> Score:
        """Score one Markdown text (a single generation of the page)."""
        return self._page([answer], sample)

    def score_answers(self, answers: Sequence[Answered], samples: Sequence[Sample]) -> list[Score]:
        """Score each page on all its generations (``record.extra["repeats"]``, else the answer)."""
        return [self._page(_generations(answer), sample) for answer, sample in zip(answers, samples)]

    def _page(self, pages: Sequence[str], sample: Sample) -> Score:
        tests = sample.metadata.get("olmocr_tests")
        if not isinstance(tests, list) or not tests:
            return Score(None, invalid="no olmOCR-bench tests (metadata 'olmocr_tests')")
        results = run_tests(tests, pages)
        passed = sum(r["passed"] for r in results)
        return Score(passed / len(results), num=passed, den=float(len(results)), detail={"tests": results})


def _generations(answer: Answered) -> list[str]:
    """The page's Markdown texts; none when the answer is missing (a failed request)."""
    record = answer.record
    repeats = record.extra.get("repeats") if record is not None else None
    if isinstance(repeats, list) and repeats:
        return [text for text in repeats if isinstance(text, str)]  # a missing repeat is not counted
    if record is not None and record.answer is None:
        return []
    return [answer.text]


def run_tests(tests: Sequence[object], pages: Sequence[str]) -> list[dict[str, Any]]:
    """Run each test on each generation of a page: ``{id, type, passed, explanation}`` per test.

    ``passed`` is the share of generations the test passed; ``explanation`` is that of the
    first generation it failed on ("" when it passed on all). An invalid test fails with
    the reason it is invalid. Without any generation (the page's answer is missing) every
    test fails with "Missing MD files", as olmOCR-bench scores a page without output.
    """
    results = []
    for number, obj in enumerate(tests):
        raw = obj if isinstance(obj, Mapping) else {}
        try:
            test: OlmocrTest | None = parse_test(obj)
        except InvalidTest as exc:
            test, problem = None, str(exc)
        if test is None:
            test_id = raw.get("id", f"#{number}")
            results.append(
                {"id": str(test_id), "type": str(raw.get("type")), "passed": 0.0, "explanation": problem}
            )
            continue
        outcomes = [test.run(page) for page in pages]
        explanations = [why for ok, why in outcomes if not ok]
        results.append(
            {
                "id": test.id,
                "type": test.type,
                "passed": sum(ok for ok, _ in outcomes) / len(outcomes) if outcomes else 0.0,
                "explanation": explanations[0] if explanations else ("" if pages else _MISSING),
            }
        )
    return results


@dataclass(frozen=True)
class OlmocrOverall:
    """olmOCR-bench's headline figure and how it is made up."""

    value: float
    """Mean over test files of each file's pass rate."""
    ci: tuple[float, float]
    """Bootstrap interval of ``value`` (resampling tests within each file)."""
    per_file: dict[str, float]
    """Each file's pass rate (tests passed on more than half of their repeats / tests)."""


def _majority(per_test: Mapping[str, Sequence[float]]) -> dict[str, list[float]]:
    """Each file's tests as 1/0: passed on more than half of the repeats (the official rule)."""
    return {name: [1.0 if r > 0.5 else 0.0 for r in ratios] for name, ratios in per_test.items() if ratios}


def olmocr_pass_rates(per_test: Mapping[str, Sequence[float]]) -> tuple[float, dict[str, float]]:
    """The official overall and each file's pass rate, without the interval (see `olmocr_overall`)."""
    files = _majority(per_test)
    per_file = {name: sum(scores) / len(scores) for name, scores in files.items()}
    return (sum(per_file.values()) / len(per_file) if per_file else 0.0), per_file


def olmocr_overall(
    per_test: Mapping[str, Sequence[float]],
    *,
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> OlmocrOverall:
    """The official overall score with its confidence interval (olmocr/bench/benchmark.py).

    Args:
        per_test: Test file (``arxiv_math``, ..., ``baseline``) → the pass ratio over repeats
            of each of its tests. A test counts as passed when its ratio is above 0.5 (the
            official majority rule); with one generation per page that is plain pass/fail.
        n_bootstrap: Bootstrap resamples (the official ``--bootstrap_samples``, 1000).
        confidence: Interval level (the official ``--confidence_level``, 0.95).
        seed: Seed of the legacy NumPy generator. The official runner draws from NumPy's
            global generator unseeded; with ``np.random.seed(seed)`` before its
            ``calculate_bootstrap_ci`` it draws exactly what this function draws.

    Each resample draws, within each file independently and in the mapping's order, as many
    tests as the file has, with replacement (``np.random.choice``), and takes the mean over
    files of their means; the interval is the (1 - confidence) / 2 and (1 + confidence) / 2
    percentiles (NumPy's linear interpolation) of the resampled means. Files without tests
    are left out; no tests at all gives 0.0 and (0.0, 0.0).
    """
    if n_bootstrap < 1 or not 0 < confidence < 1:
        raise ValueError(
            f"n_bootstrap must be >= 1 and confidence in (0, 1), got {n_bootstrap} and {confidence}"
        )
    files = _majority(per_test)
    if not files:
        return OlmocrOverall(0.0, (0.0, 0.0), {})
    value, per_file = olmocr_pass_rates(per_test)
    rng = np.random.RandomState(seed)
    groups = [np.array(scores) for scores in files.values()]
    means = [
        np.mean([np.mean(rng.choice(group, size=len(group), replace=True)) for group in groups])
        for _ in range(n_bootstrap)
    ]
    alpha = (1 - confidence) / 2
    low, high = np.percentile(means, alpha * 100), np.percentile(means, (1 - alpha) * 100)
    return OlmocrOverall(value, (float(low), float(high)), per_file)
