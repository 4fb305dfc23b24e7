"""The CC-OCR presets and their headline rule, `MeanOverGroups` (unweighted mean over subsets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vlmhyperbench.aggregators import ScoredSample
from vlmhyperbench.benchmarks import MeanOverGroups, benchmarks
from vlmhyperbench.core import Sample
from vlmhyperbench.metrics import Score, build_metric


def scored(split: str, value: float | None, **detail: int) -> ScoredSample:
    sample = Sample(id=f"{split}-{value}-{len(detail)}", images=(Path("/p.png"),), split=split)
    return ScoredSample(sample=sample, scores={"m": Score(value, detail=detail or None)})


def test_mean_over_groups_weighs_each_group_once() -> None:
    rows = [scored("a", 1.0), scored("a", 0.0), scored("a", 0.5), scored("b", 1.0)]
    value, parts, unit = MeanOverGroups(metric="m", name="x").compute(rows, {})
    assert parts == {"a": 50.0, "b": 100.0} and value == 75.0 and unit == "%"  # the pooled mean would be 62.5


def test_mean_over_groups_pooled_uses_each_groups_corpus_value() -> None:
    metric = build_metric({"name": "field_f1_donut", "scorer": "cc_ocr"})
    rows = [
        ScoredSample(
            sample=Sample(id=f"s{i}", images=(Path("/p.png"),), split=split),
            scores={"field_f1_donut": Score(0.0, detail={"tp": tp, "fp": fp, "fn": fn})},
        )
        for i, (split, tp, fp, fn) in enumerate([("a", 1, 0, 1), ("a", 3, 0, 0), ("b", 0, 1, 1)])
    ]
    rule = MeanOverGroups(metric="field_f1_donut", name="F1", pooled=True, scale=1.0)
    value, parts, _ = rule.compute(rows, {"field_f1_donut": metric})
    assert parts["a"] == pytest.approx(4 / (4 + 0.5 + 1e-6)) and parts["b"] == 0.0
    assert value == pytest.approx(parts["a"] / 2)


def test_a_group_without_a_value_leaves_the_headline_empty() -> None:
    value, parts, _ = MeanOverGroups(metric="m", name="x").compute([scored("a", 1.0), scored("b", None)], {})
    assert value is None and parts == {"a": 100.0, "b": None}
    assert MeanOverGroups(metric="m", name="x").compute([], {})[0] is None


@pytest.mark.parametrize(
    ("name", "task", "metric"),
    [
        ("cc_ocr_multi_lan_ocr", "ocr", "token_f1"),
        ("cc_ocr_multi_scene_ocr", "ocr", "token_f1"),
        ("cc_ocr_kie", "kie", "field_f1_donut"),
        ("cc_ocr_doc_parsing", "ocr", "cc_ocr_parsing"),
    ],
)
def test_cc_ocr_presets(name: str, task: str, metric: str) -> None:
    preset = benchmarks.get(name)
    assert preset.task == task and preset.formats == ("cc_ocr",) and preset.headline.metric == metric
    track = name.removeprefix("cc_ocr_")
    assert preset.default_subset == track and all(s.startswith(track) for s in preset.subsets)
    assert preset.splits == ("test",) and preset.prompt == "{{ question }}"
    assert {p.model for p in preset.published} >= {"GPT-4o", "Gemini-1.5-pro"}
    for option in preset.metrics:
        build_metric(option)  # the options are valid
    if track == "multi_lan_ocr":
        assert "multi_lan_ocr/Russian/Russian_150" in preset.subsets
