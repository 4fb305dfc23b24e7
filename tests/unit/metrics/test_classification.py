"""classification against scikit-learn: recorded goldens, live comparisons and properties."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vlmhyperbench.core import ConfigError, Sample, StatisticsSpec
from vlmhyperbench.metrics import Metric, Score, build_metric

GOLDEN = json.loads(
    (Path(__file__).parents[2] / "data/golden/classification/classification.json").read_text("utf-8")
)
FLOATS = [f"{a}_{s}" for a in ("macro", "weighted") for s in ("precision", "recall", "f1")]


def sample(*refs: str) -> Sample:
    return Sample(id="x", images=(Path("/nonexistent.png"),), answers=refs)


def metric(**options: Any) -> Metric:
    return build_metric({"name": "classification", **options})


def assert_report_equal(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert got["labels"] == want["labels"]
    assert got["confusion_matrix"] == want["confusion_matrix"]
    for key in ("accuracy", *FLOATS):
        assert got[key] == pytest.approx(want[key], abs=1e-12), key
    assert got["per_class"].keys() == want["per_class"].keys()
    for label, stats in want["per_class"].items():
        assert got["per_class"][label] == pytest.approx(stats, abs=1e-12), label


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda c: f"{len(c['items'])}-samples")
def test_group_matches_recorded_scikit_learn(case: dict[str, Any]) -> None:
    m = metric(labels=case["labels"], aliases=case["aliases"])
    scores = [m.score(item["answer"], sample(item["reference"])) for item in case["items"]]
    for item, score in zip(case["items"], scores):
        assert score.detail == {"true": item["true"], "pred": item["pred"]}, item["answer"]
        assert score.value == float(item["true"] == item["pred"])
        assert (score.invalid is not None) == (item["pred"] == "unparsable")
    result = m.corpus(scores)
    assert result is not None
    assert_report_equal(result.details, case["expected"])
    assert result.value == pytest.approx(case["expected"]["macro_f1"])


def test_golden_file_names_its_reference_and_has_enough_cases() -> None:
    assert GOLDEN["reference"] == {"scikit-learn": "1.9.1"}
    assert len(GOLDEN["cases"]) >= 50
    assert any("Паспорт" in (c["labels"] or []) for c in GOLDEN["cases"])


def test_pooled_value_option_chooses_the_leaderboard_statistic() -> None:
    pairs = [("паспорт", "паспорт"), ("паспорт", "снилс"), ("снилс", "снилс"), ("инн", "инн")]
    for stat in ("macro_f1", "weighted_f1", "accuracy"):
        m = metric(pooled_value=stat)
        result = m.corpus([m.score(a, sample(r)) for a, r in pairs])
        assert result is not None and result.value == result.details[stat]


def test_aggregate_mean_is_accuracy_and_pooled_is_macro_f1() -> None:
    from vlmhyperbench.aggregators import ScoredSample, aggregators

    m = metric(labels=["паспорт", "снилс"])
    pairs = [("Паспорт", "паспорт"), ("снилс", "паспорт"), ("СНИЛС.", "снилс"), ("что-то", "снилс")]
    rows = [ScoredSample(sample(r), {"classification": m.score(a, sample(r))}, answer=a) for a, r in pairs]
    (row,) = aggregators.get("general").aggregate(rows, [m], StatisticsSpec(resamples=0))
    assert row.values["classification"] == 0.5
    assert row.n_scored["classification"] == 4
    assert row.pooled["classification"] == pytest.approx((2 / 3 + 1 / 2) / 2)  # F1: паспорт, снилс
    assert row.details["classification"]["confusion_matrix"] == [[1, 1, 0], [0, 1, 1], [0, 0, 0]]


def test_reference_outside_the_closed_set_is_not_scored_and_bad_options_fail() -> None:
    assert metric(labels=["a", "b"]).score("a", sample("c")).value is None
    assert metric().score("a", sample()).value is None
    with pytest.raises(ConfigError):
        metric(labels=["a", "A."])
    with pytest.raises(ConfigError):
        metric(labels=["a", "b"], aliases={"x": "c"})
    with pytest.raises(ConfigError):
        metric(labels=["a", "Unparsable"])


LABELS = ["паспорт", "снилс", "инн", "счёт-фактура"]
answers = st.one_of(st.sampled_from(LABELS), st.sampled_from(["", "не знаю", "ИНН.", "«Снилс»"]))


@settings(max_examples=150, deadline=None)
@given(pairs=st.lists(st.tuples(answers, st.sampled_from(LABELS)), min_size=1, max_size=30))
def test_report_equals_live_scikit_learn(pairs: list[tuple[str, str]]) -> None:
    sklearn = pytest.importorskip("sklearn.metrics")  # test-only reference; the goldens need none
    m = metric(labels=LABELS)
    scores: list[Score] = [m.score(a, sample(r)) for a, r in pairs]
    result = m.corpus(scores)
    assert result is not None
    y_true = [str(s.detail["true"]) for s in scores if s.detail]
    y_pred = [str(s.detail["pred"]) for s in scores if s.detail]
    labels = sorted((set(y_true) | set(y_pred)) - {"unparsable"})
    for average in ("macro", "weighted"):
        p, r, f, _ = sklearn.precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=average, zero_division=0
        )
        assert (result.details[f"{average}_precision"], result.details[f"{average}_recall"]) == pytest.approx(
            (p, r)
        )
        assert result.details[f"{average}_f1"] == pytest.approx(f)
    assert result.details["accuracy"] == pytest.approx(sklearn.accuracy_score(y_true, y_pred))
    expected = sklearn.confusion_matrix(y_true, y_pred, labels=[*labels, "unparsable"]).tolist()
    assert result.details["confusion_matrix"] == expected


@settings(max_examples=100, deadline=None)
@given(refs=st.lists(st.sampled_from(LABELS), min_size=1, max_size=20), data=st.data())
def test_perfect_answers_score_perfectly_and_values_are_in_range(
    refs: list[str], data: st.DataObject
) -> None:
    m = metric(labels=LABELS)
    perfect = [m.score(f"«{r.upper()}».", sample(r)) for r in refs]
    assert all(s.value == 1.0 for s in perfect)
    result = m.corpus(perfect)
    assert result is not None
    assert all(result.details[k] == 1.0 for k in ("accuracy", *FLOATS))
    guesses = data.draw(st.lists(answers, min_size=len(refs), max_size=len(refs)))
    noisy = m.corpus([m.score(a, sample(r)) for a, r in zip(guesses, refs)])
    assert noisy is not None
    assert all(0.0 <= noisy.details[k] <= 1.0 for k in ("accuracy", *FLOATS))
