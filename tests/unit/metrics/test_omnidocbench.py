"""The omnidoc_* metrics against OmniDocBench's official end-to-end evaluator (golden data)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import pytest

from vlmhyperbench.aggregators.builtin import page_attribute_groups
from vlmhyperbench.core import ConfigError, MissingDependency, Sample
from vlmhyperbench.metrics import _omnidoc_norm, _omnidoc_page, build_metric, omnidocbench
from vlmhyperbench.metrics.omnidocbench import reference_markdown

GOLDEN = json.loads(
    (Path(__file__).parents[2] / "data" / "golden" / "omnidocbench" / "omnidocbench.json").read_text("utf-8")
)
CASES = GOLDEN["cases"]
SUMMARY = GOLDEN["summary"]
METRICS = {
    # metric: (official element, official per-page key, official metric, pooled key)
    "omnidoc_text_edit": ("text_block", "text_block_edit", "Edit_dist", "edit_whole"),
    "omnidoc_formula_edit": ("display_formula", "display_formula_edit", "Edit_dist", "edit_whole"),
    "omnidoc_table_edit": ("table", "table_edit", "Edit_dist", "edit_whole"),
    "omnidoc_reading_order": ("reading_order", "reading_order_edit", "Edit_dist", "edit_whole"),
    "omnidoc_table_teds": ("table", "TEDS", "TEDS", "all"),
    "omnidoc_table_teds_s": ("table", "TEDS_structure_only", "TEDS_structure_only", "all"),
}


def stem(page: dict[str, Any]) -> str:
    return str(page["page_info"]["image_path"][:-4])


def make_sample(page: dict[str, Any], sample_id: str | None = None) -> Sample:
    return Sample(
        id=sample_id or stem(page),
        images=(Path("/nonexistent.jpg"),),
        metadata={"omnidocbench": page, "page_attribute": page["page_info"]["page_attribute"]},
    )


SAMPLES = [make_sample(case["page"]) for case in CASES]
ANSWERS = [case["markdown"] for case in CASES]


@pytest.fixture(scope="module")
def scores() -> dict[str, list[Any]]:
    return {name: build_metric(name).score_batch(ANSWERS, SAMPLES) for name in METRICS}


def test_golden_covers_the_required_inputs() -> None:
    assert "OmniDocBench@7bd6c2e" in GOLDEN["evaluator"]
    assert 15 <= len(CASES) <= 30
    text = json.dumps(CASES, ensure_ascii=False)
    assert "rowspan" in text and "colspan" in text and "Выручка" in text and "| --- |" in text
    assert any(case["markdown"] == "" for case in CASES)
    assert any(case["page"]["extra"]["relation"] for case in CASES)


@pytest.mark.parametrize("name", METRICS)
def test_page_values_equal_the_official_evaluator(name: str, scores: dict[str, list[Any]]) -> None:
    _, key, _, _ = METRICS[name]
    for case, score in zip(CASES, scores[name]):
        official = GOLDEN["per_page"].get(stem(case["page"]), {}).get(key)
        assert score.invalid is None
        if official is None:
            assert score.value is None, stem(case["page"])
        else:
            assert score.value == pytest.approx(official, abs=1e-6), stem(case["page"])


@pytest.mark.parametrize("name", METRICS)
def test_pooled_and_page_averaged_figures_equal_the_official_ones(
    name: str, scores: dict[str, list[Any]]
) -> None:
    element, _, metric_key, pooled_key = METRICS[name]
    metric = build_metric(name)
    valid = [s for s in scores[name] if s.value is not None]
    corpus = metric.corpus(valid)
    assert corpus is not None
    assert corpus.value == pytest.approx(SUMMARY[element]["all"][metric_key][pooled_key], abs=1e-6)
    page_average = sum(s.value for s in valid) / len(valid)
    official = SUMMARY[element]["page"][metric_key]["ALL"]
    assert page_average == pytest.approx(official, abs=1e-6)
    if metric_key == "Edit_dist":
        assert page_average == pytest.approx(SUMMARY[element]["all"]["Edit_dist"]["ALL_page_avg"], abs=1e-6)


@pytest.mark.parametrize("name", METRICS)
def test_attribute_groups_are_the_mean_of_page_values(name: str, scores: dict[str, list[Any]]) -> None:
    element, _, metric_key, _ = METRICS[name]
    groups: dict[str, list[float]] = {}
    for sample, score in zip(SAMPLES, scores[name]):
        if score.value is not None:
            for *_, group in page_attribute_groups(sample.metadata["page_attribute"]):
                groups.setdefault(group, []).append(score.value)
    official = {k: v for k, v in SUMMARY[element]["page"][metric_key].items() if k != "ALL"}
    assert set(groups) == set(official)
    for group, values in groups.items():
        assert sum(values) / len(values) == pytest.approx(official[group], abs=1e-6), group


def test_empty_answer_is_scored_as_an_empty_prediction() -> None:
    case = next(c for c in CASES if c["markdown"] == "")
    score = build_metric("omnidoc_text_edit").score("", make_sample(case["page"]))
    assert score.value == 1.0 and score.detail is not None and score.detail["empty_prediction"] is True
    assert score.detail["text_missing"] == score.detail["text_pairs"] == 1


def test_broken_html_table_scores_zero_without_error() -> None:
    case = next(c for c in CASES if stem(c["page"]) == "en_broken_html")
    score = build_metric("omnidoc_table_teds").score(case["markdown"], make_sample(case["page"]))
    assert score.value == 0.0 and score.invalid is None


def test_page_without_ground_truth_is_invalid() -> None:
    sample = Sample(id="x", images=(Path("/nonexistent.jpg"),))
    score = build_metric("omnidoc_text_edit").score("text", sample)
    assert score.value is None and "metadata['omnidocbench']" in (score.invalid or "")


def test_page_the_official_code_cannot_score_is_invalid_with_the_reason() -> None:
    page = {
        "layout_dets": [{"text": "no category"}],
        "page_info": {"page_attribute": {}},
        "extra": {"relation": []},
    }
    score = build_metric("omnidoc_text_edit").score("Some text.", make_sample(page, sample_id="broken-gt"))
    assert score.value is None and "KeyError" in (score.invalid or "")


def test_match_option_offers_only_the_method_that_runs_officially() -> None:
    assert build_metric({"name": "omnidoc_text_edit", "match": "quick_match"}).match == "quick_match"
    with pytest.raises(ConfigError, match="quick_match"):
        build_metric({"name": "omnidoc_text_edit", "match": "no_split"})


def test_missing_parse_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pylatexenc.latex2text", None)  # import fails
    _omnidoc_norm._latex_nodes.cache_clear()
    sample = make_sample(CASES[0]["page"], sample_id="missing-extra-test")
    try:
        with pytest.raises(MissingDependency, match=r"vlmhyperbench\[parse\]"):
            build_metric("omnidoc_text_edit").score("Energy $q^{17}_{k}$ here.", sample)
    finally:
        _omnidoc_norm._latex_nodes.cache_clear()


def test_six_metrics_share_one_matching(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = _omnidoc_page.evaluate_page

    def counting(page: Any, markdown: str) -> Any:
        calls.append(markdown)
        return original(page, markdown)

    monkeypatch.setattr(omnidocbench, "evaluate_page", counting)
    sample = make_sample(CASES[0]["page"], sample_id="shared-matching-test")
    for name in METRICS:
        build_metric(name).score(CASES[0]["markdown"] + " ", sample)
    assert len(calls) == 1


def test_reference_markdown_is_the_page_in_reading_order() -> None:
    page = next(c["page"] for c in CASES if stem(c["page"]) == "ru_mixed_long")
    text = reference_markdown(page)
    assert text.index("Раздел 2") < text.index("$$\nS = \\sum_{k=1}^{N} p_k q_k\n$$")
    header = next(c["page"] for c in CASES if stem(c["page"]) == "ru_header_footer")
    assert "Страница 2" not in reference_markdown(header)  # footers are not scored as text
    table = next(c["page"] for c in CASES if stem(c["page"]) == "ru_table_span")
    assert '<th rowspan="2">Показатель</th>' in reference_markdown(table)


def test_reference_markdown_scores_itself_perfectly() -> None:
    perfect = {"omnidoc_text_edit": 0.0, "omnidoc_formula_edit": 0.0, "omnidoc_table_edit": 0.0,
               "omnidoc_reading_order": 0.0, "omnidoc_table_teds": 1.0, "omnidoc_table_teds_s": 1.0}  # fmt: skip
    for case in CASES:
        sample = make_sample(case["page"], sample_id=f"self-{stem(case['page'])}")
        answer = reference_markdown(case["page"])
        for name, best in perfect.items():
            value = build_metric(name).score(answer, sample).value
            assert value is None or math.isclose(value, best, abs_tol=1e-9), (stem(case["page"]), name)
