"""Preset ``olmocr_bench``: the overall is the mean over test files, the added baseline tests
being a file of their own, a test passing on a majority of repeats."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vlmhyperbench.aggregators import ScoredSample
from vlmhyperbench.benchmarks import MeanOverGroups, benchmarks
from vlmhyperbench.core import Sample
from vlmhyperbench.metrics import Score, build_metric


def page(
    sample_id: str, split: str, results: dict[str, tuple[str, float]], value: bool = True
) -> ScoredSample:
    """A scored page: test id → (its file, its pass ratio over repeats)."""
    tests = [{"id": test_id, "type": "present", "pdf": "x.pdf", "page": 1} for test_id in results]
    sample = Sample(
        id=sample_id,
        images=(Path("/p.png"),),
        task="parse",
        split=split,
        metadata={"olmocr_tests": tests, "olmocr_test_files": {k: f for k, (f, _) in results.items()}},
    )
    detail: dict[str, Any] = {
        "tests": [{"id": k, "type": "present", "passed": r} for k, (_, r) in results.items()]
    }
    passed = sum(r for _, r in results.values())
    score = Score(passed / len(results) if value else None, num=passed, den=len(results), detail=detail)
    return ScoredSample(sample, {"olmocr_bench": score})


ROWS = [
    page(
        "a_pg1",
        "arxiv_math",
        {"a1": ("arxiv_math", 1.0), "a2": ("arxiv_math", 0.5), "a_b": ("baseline", 1.0)},
    ),
    page("b_pg1", "arxiv_math", {"b1": ("arxiv_math", 1.0), "b_b": ("baseline", 1.0)}),
    page("c_pg1", "baseline", {"c_b": ("baseline", 0.0)}),
]


def test_the_overall_is_the_mean_over_files_with_baseline_apart_and_majority_of_repeats() -> None:
    preset = benchmarks.get("olmocr_bench")
    metric = build_metric("olmocr_bench")
    result = preset.score(ROWS, {"olmocr_bench": metric})
    # arxiv_math: a1 passes, a2 passes on half of its repeats (not a majority), b1 passes: 2/3
    assert result.parts == pytest.approx({"arxiv_math": 200 / 3, "baseline": 200 / 3})
    assert result.value == pytest.approx(200 / 3) and result.unit == "%"
    assert result.ci is not None and result.ci[0] <= result.value <= result.ci[1]
    # the page-split grouping would mix each page's baseline test into its file
    naive, _, _ = MeanOverGroups(metric="olmocr_bench", name="x", pooled=True).compute(
        ROWS, {"olmocr_bench": metric}
    )
    assert naive != pytest.approx(result.value)


def test_a_page_that_could_not_be_scored_leaves_the_overall_empty() -> None:
    preset = benchmarks.get("olmocr_bench")
    rows = [*ROWS[:2], page("c_pg1", "baseline", {"c_b": ("baseline", 0.0)}, value=False)]
    result = preset.score(rows, {"olmocr_bench": build_metric("olmocr_bench")})
    assert result.value is None and result.ci is None


def test_the_preset_sends_the_generic_parse_prompt_and_cites_its_published_scores() -> None:
    preset = benchmarks.get("olmocr_bench")
    assert (preset.task, preset.formats, preset.metrics) == ("parse", ("olmocr_bench",), ("olmocr_bench",))
    assert "by_split" in preset.aggregators and preset.generation == {"max_tokens": 8000}
    assert {p.model: p.value for p in preset.published}["olmOCR v0.4.0"] == 82.4
    assert all("f2bd40ea56095816d2d9ca5b4b3411cbff9175c6" in p.source for p in preset.published)
