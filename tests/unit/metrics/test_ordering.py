"""kendall_tau, spearman_rho, position_accuracy against scipy.stats and their properties."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vlmhyperbench.core import Sample
from vlmhyperbench.metrics import build_metric
from vlmhyperbench.metrics.ordering import parse_page_order

GOLDEN = json.loads((Path(__file__).parents[2] / "data/golden/ordering/ordering.json").read_text("utf-8"))
NAMES = ("kendall_tau", "spearman_rho", "position_accuracy")


def sample(*refs: str) -> Sample:
    return Sample(id="x", images=(Path("/nonexistent.png"),), answers=refs)


@pytest.mark.parametrize(
    "case", GOLDEN["cases"], ids=lambda c: f"{c['reference'][:20]!r}-{c['answer'][:20]!r}"
)
@pytest.mark.parametrize("name", NAMES)
def test_metric_matches_recorded_scipy(name: str, case: dict[str, Any]) -> None:
    score = build_metric({"name": name, "one_based": case["one_based"]}).score(
        case["answer"], sample(case["reference"])
    )
    if case[name] is None:
        assert score.value is None and score.invalid is not None
    else:
        assert score.value == pytest.approx(case[name], abs=1e-12)
        assert (score.invalid is not None) == (case["pred"] is None)


def test_golden_file_names_its_reference_and_has_enough_cases() -> None:
    assert GOLDEN["reference"] == {"scipy": "1.17.1"}
    assert len(GOLDEN["cases"]) >= 50


@pytest.mark.parametrize(
    ("text", "pages"),
    [
        ('{"ordered_pages": [2, 0, 1]}', [2, 0, 1]),
        ("```json\n[1, 0]\n```", [1, 0]),
        ("Страницы по порядку: 3, 1, 2", [3, 1, 2]),
        ('{"pages": [1, 0]}', [1, 0]),
    ],
)
def test_answer_formats_are_read_as_documented(text: str, pages: list[int]) -> None:
    assert parse_page_order(text) == pages


def test_reference_must_be_a_list_not_prose() -> None:
    with pytest.raises(ValueError):
        parse_page_order("страницы 0 и 1", reference=True)
    assert parse_page_order("2,0 1", reference=True) == [2, 0, 1]


def test_invalid_answers_count_as_zero_in_the_mean() -> None:
    from vlmhyperbench.aggregators import ScoredSample, aggregators
    from vlmhyperbench.core import StatisticsSpec

    m = build_metric("kendall_tau")
    rows = [
        ScoredSample(sample("[0, 1, 2]"), {"kendall_tau": m.score(a, sample("[0, 1, 2]"))})
        for a in ("[0,1,2]", "?")
    ]
    (row,) = aggregators.get("general").aggregate(rows, [m], StatisticsSpec(resamples=0))
    assert row.values["kendall_tau"] == 0.5
    assert row.n_scored["kendall_tau"] == 2


orders = st.integers(min_value=2, max_value=12).flatmap(lambda n: st.permutations(range(n)))


@settings(max_examples=200, deadline=None)
@given(true=orders, data=st.data(), one_based=st.booleans())
def test_values_equal_live_scipy_in_range_and_perfect_is_one(
    true: list[int], data: st.DataObject, one_based: bool
) -> None:
    scipy_stats = pytest.importorskip("scipy.stats")  # test-only reference; the goldens need none
    shift = int(one_based)
    true = [p + shift for p in true]
    pred = data.draw(st.permutations(true))
    ref, answer = json.dumps(true), json.dumps({"ordered_pages": pred})
    values = {
        n: build_metric({"name": n, "one_based": one_based}).score(answer, sample(ref)).value for n in NAMES
    }
    t, q = list(range(len(true))), [pred.index(p) for p in true]
    assert values["kendall_tau"] == pytest.approx(scipy_stats.kendalltau(t, q).statistic, abs=1e-12)
    assert values["spearman_rho"] == pytest.approx(scipy_stats.spearmanr(t, q).statistic, abs=1e-12)
    assert all(v is not None and -1.0 <= v <= 1.0 for v in values.values())
    assert values["position_accuracy"] is not None and 0.0 <= values["position_accuracy"] <= 1.0
    for n in NAMES:
        perfect = build_metric({"name": n, "one_based": one_based}).score(
            " ".join(map(str, true)), sample(ref)
        )
        assert perfect.value == 1.0


@settings(max_examples=100, deadline=None)
@given(true=orders, data=st.data())
def test_page_numbering_is_irrelevant(true: list[int], data: st.DataObject) -> None:
    """Renaming pages consistently in reference and answer changes no value."""
    pred = data.draw(st.permutations(true))
    rename = data.draw(st.permutations(range(len(true))))
    for n in NAMES:
        m = build_metric(n)
        original = m.score(json.dumps(pred), sample(json.dumps(true))).value
        renamed = m.score(
            json.dumps([rename[p] for p in pred]), sample(json.dumps([rename[p] for p in true]))
        )
        assert renamed.value == pytest.approx(original)
