"""bleu and chrf against sacreBLEU: recorded goldens, live comparisons and properties."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vlmhyperbench.core import ConfigError, MissingDependency, Sample, StatisticsSpec
from vlmhyperbench.metrics import Metric, Score, build_metric

sacrebleu = pytest.importorskip("sacrebleu")

GOLDEN = json.loads((Path(__file__).parents[2] / "data/golden/bleu/bleu.json").read_text("utf-8"))
OPTIONS = {"bleu": GOLDEN["bleu_options"], "chrf": GOLDEN["chrf_options"]}
PARAMS = [(name, i) for name in ("bleu", "chrf") for i in range(len(OPTIONS[name]))]


def sample(*refs: str) -> Sample:
    return Sample(id="x", images=(Path("/nonexistent.png"),), answers=refs)


def metric(name: str, **options: Any) -> Metric:
    return build_metric({"name": name, **options})


def scores_of(m: Metric, pairs: list[tuple[str, list[str]]]) -> list[Score]:
    return [m.score(hyp, sample(*refs)) for hyp, refs in pairs]


@pytest.mark.parametrize("case", GOLDEN["sentence"], ids=lambda c: repr(c["hypothesis"])[:30])
@pytest.mark.parametrize(("name", "option"), PARAMS)
def test_sentence_value_matches_recorded_sacrebleu(name: str, option: int, case: dict[str, Any]) -> None:
    score = metric(name, **OPTIONS[name][option]).score(case["hypothesis"], sample(*case["references"]))
    assert score.value == pytest.approx(case[name][option], abs=1e-9)


@pytest.mark.parametrize("corpus", GOLDEN["corpus"], ids=lambda c: f"{len(c['cases'])}-samples")
@pytest.mark.parametrize(("name", "option"), PARAMS)
def test_corpus_value_matches_recorded_sacrebleu(name: str, option: int, corpus: dict[str, Any]) -> None:
    cases = [GOLDEN["sentence"][i] for i in corpus["cases"]]
    m = metric(name, **OPTIONS[name][option])
    value = m.corpus(scores_of(m, [(c["hypothesis"], c["references"]) for c in cases]))
    assert value is not None
    assert value.value == pytest.approx(corpus[name][option], abs=1e-9)


def test_golden_file_names_its_reference_and_has_enough_cases() -> None:
    assert GOLDEN["reference"] == {"sacrebleu": "2.6.0"}
    assert len(GOLDEN["sentence"]) >= 50
    assert any(
        len({len(GOLDEN["sentence"][i]["references"]) for i in c["cases"]}) > 1 for c in GOLDEN["corpus"]
    )


def test_corpus_with_varying_reference_counts_equals_padding_with_first_reference() -> None:
    pairs = [
        ("ООО «Ромашка»", ["ООО «Ромашка»", "Общество «Ромашка»", "ООО Ромашка"]),
        ("ИНН 7707083893", ["ИНН 7707083893"]),
        ("Москва, ул. Ленина", ["г. Москва, ул. Ленина, д. 1", "Москва"]),
    ]
    streams = [[refs[j] if j < len(refs) else refs[0] for _, refs in pairs] for j in range(3)]
    hyps = [hyp for hyp, _ in pairs]
    bleu, chrf = metric("bleu"), metric("chrf", word_order=2)
    got_bleu, got_chrf = bleu.corpus(scores_of(bleu, pairs)), chrf.corpus(scores_of(chrf, pairs))
    assert got_bleu is not None and got_chrf is not None
    assert got_bleu.value == pytest.approx(sacrebleu.corpus_bleu(hyps, streams).score)
    assert got_chrf.value == pytest.approx(sacrebleu.corpus_chrf(hyps, streams, word_order=2).score)
    assert got_bleu.details["signature"].startswith("nrefs:var|")


def test_pooled_value_in_aggregates_is_corpus_bleu_not_mean() -> None:
    from vlmhyperbench.aggregators import ScoredSample, aggregators

    pairs = [("the cat sat on the mat", ["the cat is on the mat"]), ("Иванов Иван", ["Иванов Иван Иванович"])]
    m = metric("bleu")
    rows = [
        ScoredSample(sample(*refs), {"bleu": m.score(hyp, sample(*refs))}, answer=hyp) for hyp, refs in pairs
    ]
    (row,) = aggregators.get("general").aggregate(rows, [m], StatisticsSpec(resamples=0))
    expected = sacrebleu.corpus_bleu([h for h, _ in pairs], [[r[0] for _, r in pairs]]).score
    assert row.pooled["bleu"] == pytest.approx(expected)
    assert row.pooled["bleu"] != pytest.approx(row.values["bleu"])
    assert row.details["bleu"]["signature"].startswith("nrefs:1|case:mixed|eff:no|tok:13a")


def test_corpus_chrf_takes_the_first_of_equally_good_references_like_sacrebleu() -> None:
    chrf = metric("chrf")
    forward = chrf.corpus(scores_of(chrf, [("0", ["0"]), ("", ["", "0"])]))
    backward = chrf.corpus(scores_of(chrf, [("0", ["0"]), ("", ["0", ""])]))
    assert forward is not None and backward is not None
    assert forward.value == pytest.approx(sacrebleu.corpus_chrf(["0", ""], [["0", ""], [None, "0"]]).score)
    assert backward.value == pytest.approx(sacrebleu.corpus_chrf(["0", ""], [["0", "0"], [None, ""]]).score)
    assert forward.value != pytest.approx(backward.value)


def test_sample_without_reference_is_not_scored_and_bad_options_are_config_errors() -> None:
    assert metric("bleu").score("текст", sample()).value is None
    with pytest.raises(ConfigError):
        metric("bleu", tokenize="flores200")
    with pytest.raises(ConfigError):
        metric("chrf", char_order=0)


def test_missing_sacrebleu_is_reported_when_the_metric_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sacrebleu", None)
    with pytest.raises(MissingDependency, match=r"sacrebleu>=2\.4"):
        metric("chrf")


texts = st.text(alphabet=st.sampled_from(list("абвгдеёжАБВЁabcXYZ019 .,:-«»\n")), max_size=40)


@settings(max_examples=150, deadline=None)
@given(
    refs=st.lists(texts, min_size=1, max_size=3), hyp=texts, tokenize=st.sampled_from(["13a", "intl", "char"])
)
def test_sentence_values_equal_live_sacrebleu_in_range_and_reference_order_irrelevant(
    refs: list[str], hyp: str, tokenize: str
) -> None:
    bleu, chrf = metric("bleu", tokenize=tokenize), metric("chrf", word_order=2)
    forward_bleu = bleu.score(hyp, sample(*refs)).value
    forward_chrf = chrf.score(hyp, sample(*refs)).value
    assert forward_bleu == pytest.approx(sacrebleu.sentence_bleu(hyp, refs, tokenize=tokenize).score)
    assert forward_chrf == pytest.approx(sacrebleu.sentence_chrf(hyp, refs, word_order=2).score)
    for value in (forward_bleu, forward_chrf):
        assert 0.0 <= value <= 100.0 + 1e-9
    assert bleu.score(hyp, sample(*reversed(refs))).value == pytest.approx(forward_bleu)
    assert chrf.score(hyp, sample(*reversed(refs))).value == pytest.approx(forward_chrf)


@settings(max_examples=100, deadline=None)
@given(pairs=st.lists(st.tuples(texts, st.lists(texts, min_size=1, max_size=3)), min_size=1, max_size=6))
def test_corpus_bleu_ignores_reference_order_and_perfect_answers_score_100(
    pairs: list[tuple[str, list[str]]],
) -> None:
    bleu = metric("bleu")
    forward = bleu.corpus(scores_of(bleu, pairs))
    backward = bleu.corpus(scores_of(bleu, [(h, list(reversed(r))) for h, r in pairs]))
    assert forward is not None and backward is not None
    assert forward.value == pytest.approx(backward.value)
    for m in (bleu, metric("chrf")):
        # Corpus BLEU has no effective order: it is 0 unless some answer has a 4-gram.
        perfect = [(r[0], r) for _, r in pairs if r[0].strip()] + [
            ("раз два три четыре", ["раз два три четыре"])
        ]
        if perfect:
            pooled = m.corpus(scores_of(m, perfect))
            assert pooled is not None and pooled.value == pytest.approx(100.0)
            assert all(s.value == pytest.approx(100.0) for s in scores_of(m, perfect))
