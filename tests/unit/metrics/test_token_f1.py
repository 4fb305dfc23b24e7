"""``token_f1`` equals CC-OCR's OCR evaluator (golden data made by running it) and its options work.

tests/data/golden/token_f1/token_f1.json was written by make_token_f1.py beside it, which
executes CC-OCR's ``ocr_evaluator.py`` from a checkout on every case and group.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vlmhyperbench.core import ConfigError, Sample
from vlmhyperbench.metrics import build_metric

GOLDEN = json.loads(
    (Path(__file__).parents[2] / "data" / "golden" / "token_f1" / "token_f1.json").read_text("utf-8")
)
AUTO = {"name": "token_f1", "tokens": "auto", "alphanum_only": "auto"}


def sample(references: tuple[str, ...], dataset: str = "Russian", track: str = "multi_lan_ocr") -> Sample:
    return Sample(
        id="s",
        images=(Path("/p.png"),),
        answers=references,
        task="ocr",
        split=dataset,
        metadata={"category": track},
    )


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda c: f"{c['dataset']}:{c['reference'][:20]}")
def test_token_f1_equals_cc_ocr_evaluator(case: dict[str, Any]) -> None:
    score = build_metric(AUTO).score(
        case["prediction"], sample((case["reference"],), case["dataset"], case["track"])
    )
    assert score.value == pytest.approx(case["f1"], abs=1e-12)
    assert score.detail is not None
    assert (score.detail["right"], score.detail["reference_tokens"], score.detail["answer_tokens"]) == (
        case["right"],
        len(case["reference_tokens"]),
        len(case["answer_tokens"]),
    )


@pytest.mark.parametrize("name", list(GOLDEN["groups"]))
def test_corpus_is_cc_ocr_micro_f1_and_mean_its_macro_f1(name: str) -> None:
    group = GOLDEN["groups"][name]
    metric = build_metric(AUTO)
    cases = [GOLDEN["cases"][i] for i in group["cases"]]
    scores = [
        metric.score(c["prediction"], sample((c["reference"],), c["dataset"], c["track"])) for c in cases
    ]
    corpus = metric.corpus(scores)
    assert corpus is not None and corpus.value == pytest.approx(group["mirco_f1_score"], abs=1e-12)
    macro = sum(s.value or 0.0 for s in scores) / (len(scores) + 1e-9)
    assert macro == pytest.approx(group["macro_f1_score"], abs=1e-12)


def test_golden_set_covers_every_tokenisation_rule() -> None:
    configs = {tuple(c["metric_config"].values()) for c in GOLDEN["cases"]}
    assert len(configs) == 3  # words; characters; words with [A-Za-z0-9] only
    assert GOLDEN["reference"]["commit"] and len(GOLDEN["cases"]) >= 50
    assert any(c["reference"] == "" for c in GOLDEN["cases"]) and any(
        c["prediction"] == "" for c in GOLDEN["cases"]
    )


@pytest.mark.parametrize(
    ("options", "reference", "answer", "expected"),
    [
        ({}, "Привет мир", "привет мир", 1.0),
        ({"lowercase": False}, "Привет мир", "привет мир", 0.5),
        ({"tokens": "chars"}, "ab cd", "abdc", 1.0),
        ({"tokens": "words"}, "ab cd", "abdc", 0.0),
        ({"alphanum_only": True}, "STOP!", "stop", 1.0),
        ({"alphanum_only": False}, "STOP!", "stop", 0.0),
    ],
)
def test_each_option_takes_effect(
    options: dict[str, Any], reference: str, answer: str, expected: float
) -> None:
    score = build_metric({"name": "token_f1", **options}).score(answer, sample((reference,)))
    assert score.value == pytest.approx(expected, abs=1e-8)


def test_auto_follows_the_dataset_and_track() -> None:
    metric = build_metric(AUTO)
    assert metric.score("ab", sample(("a b",), "zh_doc")).value == pytest.approx(1.0, abs=1e-8)
    assert metric.score("ab", sample(("a b",), "French")).value == 0.0
    assert metric.score("stop", sample(("STOP!",), "IC15", "multi_scene_ocr")).value == pytest.approx(
        1, abs=1e-8
    )
    assert metric.score("stop", sample(("STOP!",), "IC15", "multi_lan_ocr")).value == 0.0


def test_best_reference_counts_and_no_reference_is_not_scored() -> None:
    metric = build_metric("token_f1")
    assert metric.score("a b", sample(("x y", "a b"))).value == pytest.approx(1.0, abs=1e-8)
    assert metric.score("a b", sample(())).value is None
    with pytest.raises(ConfigError):
        build_metric({"name": "token_f1", "tokens": "lines"})
