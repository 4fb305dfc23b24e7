"""cer, wer, anls, exact_match against their reference implementations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vlmhyperbench.core import Sample
from vlmhyperbench.metrics import build_metric, metrics

GOLDEN = json.loads((Path(__file__).parents[2] / "data" / "golden" / "text_metrics.json").read_text("utf-8"))
NAMES = ("cer", "wer", "anls", "exact_match")


def sample(*refs: str) -> Sample:
    return Sample(id="x", images=(Path("/nonexistent.png"),), answers=refs)


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda c: repr(c["prediction"])[:30])
@pytest.mark.parametrize("name", NAMES)
def test_metric_matches_recorded_reference(name: str, case: dict) -> None:
    score = build_metric(name).score(case["prediction"], sample(*case["references"]))
    assert score.value == pytest.approx(case[name], abs=1e-12)


def test_golden_file_names_its_reference_versions() -> None:
    assert GOLDEN["reference"] == {"jiwer": "4.0.0", "anls": "0.0.2"}
    assert len(GOLDEN["cases"]) >= 50


jiwer = pytest.importorskip("jiwer")
anls_ref = pytest.importorskip("anls")

texts = st.text(alphabet=st.sampled_from(list("абвгдеёжАБВЁabcXYZ019 .,:-\n\t\u00a0")), max_size=40)


@settings(max_examples=300, deadline=None)
@given(ref=texts, pred=texts)
def test_cer_wer_equal_live_jiwer(ref: str, pred: str) -> None:
    s = sample(ref)
    assert build_metric("cer").score(pred, s).value == pytest.approx(jiwer.cer(ref, pred))
    assert build_metric("wer").score(pred, s).value == pytest.approx(jiwer.wer(ref, pred))


@settings(max_examples=300, deadline=None)
@given(refs=st.lists(texts, min_size=1, max_size=3), pred=texts)
def test_anls_equals_live_reference(refs: list[str], pred: str) -> None:
    expected = anls_ref.anls_score(prediction=pred, gold_labels=refs, threshold=0.5)
    assert build_metric("anls").score(pred, sample(*refs)).value == pytest.approx(expected)


@settings(max_examples=200, deadline=None)
@given(refs=st.lists(texts, min_size=1, max_size=4), pred=texts)
def test_scores_in_range_and_reference_order_irrelevant(refs: list[str], pred: str) -> None:
    for name in ("anls", "exact_match"):
        value = build_metric(name).score(pred, sample(*refs)).value
        assert 0.0 <= value <= 1.0
        assert value == build_metric(name).score(pred, sample(*reversed(refs))).value
    for name in ("cer", "wer"):
        forward = build_metric(name).score(pred, sample(*refs)).value
        assert forward >= 0.0
        assert forward == build_metric(name).score(pred, sample(*reversed(refs))).value


@given(refs=st.lists(texts, min_size=1, max_size=3))
def test_perfect_answer_scores_perfectly(refs: list[str]) -> None:
    pred = refs[-1]
    assert build_metric("anls").score(pred, sample(*refs)).value == 1.0
    assert build_metric("exact_match").score(pred, sample(*refs)).value == 1.0
    assert build_metric("cer").score(pred, sample(*refs)).value == 0.0
    assert build_metric("wer").score(pred, sample(*refs)).value == 0.0


def test_pooled_cer_is_corpus_level_like_jiwer() -> None:
    from vlmhyperbench.aggregators import ScoredSample, aggregators

    refs, preds = ["a b c d", "e"], ["a b c d", "f"]
    wer = build_metric("wer")
    rows = [ScoredSample(sample(r), {"wer": wer.score(p, sample(r))}) for r, p in zip(refs, preds)]
    (general,) = aggregators.get("general").aggregate(rows, [wer])
    assert general.pooled["wer"] == pytest.approx(jiwer.wer(refs, preds)) == pytest.approx(0.2)
    assert general.values["wer"] == pytest.approx(0.5)


def test_no_reference_is_not_scored() -> None:
    for name in NAMES:
        score = build_metric(name).score("x", sample())
        assert score.value is None and score.invalid


def test_metrics_are_versioned_and_listed() -> None:
    assert set(NAMES) <= set(metrics.names())
    info = build_metric({"name": "anls", "threshold": 0.4}).info()
    assert (info.name, info.version, info.options) == ("anls", "1.0.0", {"threshold": 0.4})


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(st.tuples(st.lists(texts, min_size=0, max_size=3), texts), min_size=0, max_size=12))
def test_batch_scoring_equals_scoring_one_by_one(rows: list[tuple[list[str], str]]) -> None:
    samples = [sample(*refs) for refs, _ in rows]
    answers = [answer for _, answer in rows]
    for name in ("cer", "wer", "ned", "anls", "exact_match"):
        metric = build_metric(name)
        assert metric.score_batch(answers, samples) == [metric.score(a, s) for a, s in zip(answers, samples)]
