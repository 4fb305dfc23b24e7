"""anls_star, field_f1, field_f1_donut and structural_fidelity: golden values, properties,
aggregation, evaluation."""

from __future__ import annotations

import json
import random
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import make_kie_dataset
from vlmhyperbench.aggregators import ScoredSample, aggregators
from vlmhyperbench.core import ConfigError, Sample
from vlmhyperbench.metrics import Score, build_metric
from vlmhyperbench.metrics.structured import anls_star_score
from vlmhyperbench.stages.evaluate import evaluate_answers

try:
    import anls_star as anls_star_reference
except ImportError:  # the test extra is not installed
    anls_star_reference = None

GOLDEN = Path(__file__).parents[2] / "data" / "golden"
ANLS_STAR = json.loads((GOLDEN / "anls_star" / "anls_star.json").read_text("utf-8"))
FIELD_F1 = json.loads((GOLDEN / "field_f1" / "field_f1.json").read_text("utf-8"))


def sample(
    *answers: str, fields: dict[str, Any] | None = None, schema: dict[str, Any] | None = None
) -> Sample:
    return Sample(
        id="x", images=(Path("/nonexistent.png"),), answers=answers, fields=fields, json_schema=schema
    )


def canonical_json(value: Any) -> str:
    """What the evaluation stage passes KIE metrics for a valid answer."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def decode(value: Any) -> Any:
    """Golden-file trees: ``{"$tuple": [...]}`` is a tuple of alternatives."""
    if isinstance(value, dict) and set(value) == {"$tuple"}:
        return tuple(decode(v) for v in value["$tuple"])
    if isinstance(value, dict):
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def golden_sample(case: dict[str, Any]) -> Sample:
    return sample(*case.get("answers", ()), fields=case.get("fields"))


# --- golden values --------------------------------------------------------------------


def test_golden_files_name_their_references() -> None:
    assert ANLS_STAR["reference"]["anls-star"] == "1.0.1"
    assert len(ANLS_STAR["cases"]) + len(ANLS_STAR["samples"]) >= 50
    reference = FIELD_F1["reference"]
    assert reference["donut"]["repository"] == "clovaai/donut"
    assert reference["cc_ocr"]["repository"] == "AlibabaResearch/AdvancedLiterateMachinery"
    assert all(len(reference[s]["commit"]) == 40 for s in ("donut", "cc_ocr"))
    assert "no official scorer" in reference["paths"]
    assert len(FIELD_F1["cases"]) >= 50


@pytest.mark.parametrize("case", ANLS_STAR["cases"], ids=lambda c: c["name"])
def test_anls_star_matches_reference_package(case: dict[str, Any]) -> None:
    assert anls_star_score(decode(case["gt"]), decode(case["pred"])) == pytest.approx(
        case["expected"], abs=1e-9
    )


@pytest.mark.parametrize("case", ANLS_STAR["samples"], ids=lambda c: c["name"])
def test_anls_star_metric_applies_ground_truth_conventions(case: dict[str, Any]) -> None:
    score = build_metric("anls_star").score(case["answer"], golden_sample(case))
    assert score.value == pytest.approx(case["expected"], abs=1e-9)


@pytest.mark.parametrize("case", FIELD_F1["cases"], ids=lambda c: c["name"])
def test_field_f1_matches_second_implementation(case: dict[str, Any]) -> None:
    # field_f1 is our own definition: no official scorer, a second implementation of ours
    expected = case["paths"]
    score = build_metric({"name": "field_f1", **case["options"]}).score(case["answer"], golden_sample(case))
    assert score.value == pytest.approx(expected["f1"], abs=1e-12)
    assert score.detail == {k: expected[k] for k in ("tp", "fp", "fn", "fields", "field_counts")}


@pytest.mark.parametrize("group", FIELD_F1["corpus"], ids=lambda g: g["name"])
def test_field_f1_corpus_is_micro_over_the_group(group: dict[str, Any]) -> None:
    metric = build_metric("field_f1")
    by_name = {c["name"]: c for c in FIELD_F1["cases"]}
    scores = [metric.score(by_name[n]["answer"], golden_sample(by_name[n])) for n in group["cases"]]
    corpus = metric.corpus(scores)
    assert corpus is not None and corpus.value == pytest.approx(group["paths"]["f1"], abs=1e-12)
    assert corpus.details == pytest.approx(group["paths"], abs=1e-12)


def best_official(case: dict[str, Any], scorer: str) -> tuple[int, float]:
    """The reference the metric keeps (best official F1, first on ties) and that F1.

    Donut's cal_f1 divides by zero when neither side has a field: the metric scores 1.0.
    """
    values = [1.0 if v is None else v for v in case[scorer]] if scorer == "donut" else []
    values = values or [v["f1"] for v in case[scorer]]
    best = max(range(len(values)), key=lambda i: values[i])
    return best, values[best]


@pytest.mark.parametrize("scorer", ["donut", "cc_ocr"])
@pytest.mark.parametrize("case", FIELD_F1["cases"], ids=lambda c: c["name"])
def test_field_f1_donut_equals_official_scorer(case: dict[str, Any], scorer: str) -> None:
    score = build_metric({"name": "field_f1_donut", "scorer": scorer}).score(
        case["answer"], golden_sample(case)
    )
    chosen, value = best_official(case, scorer)
    assert score.value == pytest.approx(value, abs=1e-12)
    assert score.detail is not None
    if scorer == "cc_ocr":  # CC-OCR also reports the counts and the F1 of each field path
        official = case["cc_ocr"][chosen]
        assert (score.detail["tp"], score.detail["fp"], score.detail["fn"]) == (
            official["tp"],
            official["fp"],
            official["fn"],
        )
        counts = {p: c["tp"] + c["fp"] + c["fn"] for p, c in score.detail["field_counts"].items()}
        assert {p: (c["tp"], counts[p] - c["tp"]) for p, c in score.detail["field_counts"].items()} == {
            p: (f["total_tp"], f["total_fn_or_fp"]) for p, f in official["fields"].items()
        }
        assert score.detail["fields"] == pytest.approx(
            {p: f["acc"] for p, f in official["fields"].items()}, abs=1e-12
        )


def kie_rows(names: list[str], metric_spec: dict[str, Any]) -> tuple[list[ScoredSample], Any]:
    metric = build_metric(metric_spec)
    by_name = {c["name"]: c for c in FIELD_F1["cases"]}
    rows = []
    for i, name in enumerate(names):
        s = Sample(
            id=str(i),
            images=(Path("/x.png"),),
            fields=by_name[name]["fields"],
            doc_class="d",
            question_type="q",
        )
        rows.append(ScoredSample(s, {metric.name: metric.score(by_name[name]["answer"], s)}))
    return rows, metric


@pytest.mark.parametrize("scorer", ["donut", "cc_ocr"])
@pytest.mark.parametrize("group", FIELD_F1["corpus"], ids=lambda g: g["name"])
def test_field_f1_donut_pooled_equals_official_scorer(group: dict[str, Any], scorer: str) -> None:
    rows, metric = kie_rows(group["cases"], {"name": "field_f1_donut", "scorer": scorer})
    official = group[scorer] if scorer == "donut" else group[scorer]["f1"]
    corpus = metric.corpus([r.scores[metric.name] for r in rows])
    assert corpus is not None and corpus.value == pytest.approx(official, abs=1e-12)
    by_field = {r.group["question_type"]: r for r in aggregators.get("by_field").aggregate(rows, [metric])}
    assert by_field["q"].pooled[metric.name] == pytest.approx(official, abs=1e-12)
    if scorer == "cc_ocr":  # the pooled value of each field's row is CC-OCR's class_f1_score
        pooled = {key[2:]: row.pooled[metric.name] for key, row in by_field.items() if key != "q"}
        assert pooled == pytest.approx({p: f["acc"] for p, f in group["cc_ocr"]["fields"].items()}, abs=1e-12)


def test_field_f1_donut_scorer_option() -> None:
    answer, gt = '{"a": "x"}', sample(fields={"a": "x", "b": None})
    assert build_metric("field_f1_donut").score(answer, gt).value == 1.0  # Donut drops the null
    value = build_metric({"name": "field_f1_donut", "scorer": "cc_ocr"}).score(answer, gt).value
    assert value == pytest.approx(1 / (1 + 0.5 + 1e-6), abs=1e-12)  # CC-OCR misses "None"
    with pytest.raises(ConfigError, match=r"field_f1_donut\.scorer"):
        build_metric({"name": "field_f1_donut", "scorer": "cord"})


def test_field_f1_corpus_needs_the_counts() -> None:
    # a group whose scores carry no tp/fp/fn has no pooled value (it used to read 1.0)
    for name in ("field_f1", "field_f1_donut"):
        assert build_metric(name).corpus([Score(0.0), Score(1.0)]) is None


simple_text = st.text(alphabet=st.sampled_from(list("абв12xy")), min_size=1, max_size=4)
flat_objects = st.dictionaries(st.sampled_from(["inn", "date", "Итого"]), simple_text, max_size=3)


@settings(max_examples=200, deadline=None)
@given(gt=flat_objects, pred=flat_objects)
def test_field_f1_equals_donut_on_flat_objects_of_plain_text(
    gt: dict[str, str], pred: dict[str, str]
) -> None:
    # lower-case text without spaces: both definitions coincide (F1 within float rounding)
    ours = build_metric("field_f1").score(canonical_json(pred), sample(fields=gt))
    donut = build_metric("field_f1_donut").score(canonical_json(pred), sample(fields=gt))
    assert ours.value == pytest.approx(donut.value, abs=1e-12)
    assert ours.detail == donut.detail


def test_metrics_without_a_reference_are_invalid() -> None:
    assert build_metric("anls_star").score("x", sample()).invalid == "no reference answer"
    assert build_metric("field_f1").score("{}", sample("plain text")).value is None
    assert build_metric("field_f1_donut").score("{}", sample("plain text")).value is None


# --- properties ---------------------------------------------------------------------

leaves = st.one_of(
    st.text(alphabet=st.sampled_from(list("абвёеЁAbc12 .\u00a0")), max_size=8),
    st.integers(-100, 100),
    st.booleans(),
    st.none(),
)
keys = st.sampled_from(["inn", "date", "total", "name", "Итого"])


def trees(max_list: int) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: st.one_of(st.lists(inner, max_size=max_list), st.dictionaries(keys, inner, max_size=3)),
        max_leaves=10,
    )


objects = st.dictionaries(keys, trees(4), max_size=4)


@pytest.mark.skipif(anls_star_reference is None, reason="needs anls-star==1.0.1 (test extra)")
@settings(max_examples=300, deadline=None)
@given(gt=trees(3), pred=trees(3))
def test_anls_star_equals_live_reference(gt: Any, pred: Any) -> None:
    # Lists stay under 16 pairs: there munkres 3.0 breaks ties as munkres 2.0 does (and as we do).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            expected = anls_star_reference.anls_score(gt, pred)
        except ValueError:  # an empty ground-truth list against a string: we score 0
            assert gt == [] and isinstance(pred, str)
            expected = 0.0
    assert anls_star_score(gt, pred) == pytest.approx(expected, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(gt=objects, pred=objects)
def test_scores_lie_in_unit_interval(gt: dict[str, Any], pred: dict[str, Any]) -> None:
    for name in ("anls_star", "field_f1", "structural_fidelity"):
        value = build_metric(name).score(canonical_json(pred), sample(fields=gt)).value
        assert value is not None and 0.0 <= value <= 1.0


@settings(max_examples=200, deadline=None)
@given(gt=objects)
def test_perfect_answer_scores_one(gt: dict[str, Any]) -> None:
    for name in ("anls_star", "field_f1", "structural_fidelity"):
        assert build_metric(name).score(canonical_json(gt), sample(fields=gt)).value == 1.0


@settings(max_examples=200, deadline=None)
@given(gt=objects, pred=objects, seed=st.integers(0, 2**16))
def test_key_order_does_not_matter(gt: dict[str, Any], pred: dict[str, Any], seed: int) -> None:
    items = list(pred.items())
    random.Random(seed).shuffle(items)
    shuffled = json.dumps(dict(items), ensure_ascii=False)
    for name in ("anls_star", "field_f1"):
        metric = build_metric(name)
        expected = metric.score(canonical_json(pred), sample(fields=gt)).value
        assert metric.score(shuffled, sample(fields=gt)).value == pytest.approx(expected, abs=1e-12)


words = st.text(alphabet=st.sampled_from(list("абвгд12")), min_size=1, max_size=5)


@settings(max_examples=200, deadline=None)
@given(gt=st.lists(words, unique=True, max_size=6), pred=st.lists(words, max_size=6), data=st.data())
def test_anls_star_ignores_order_of_set_like_lists(gt: list[str], pred: list[str], data: Any) -> None:
    metric = build_metric("anls_star")
    expected = metric.score(json.dumps({"items": pred}), sample(fields={"items": gt})).value
    permuted_gt = data.draw(st.permutations(gt))
    permuted_pred = data.draw(st.permutations(pred))
    value = metric.score(json.dumps({"items": permuted_pred}), sample(fields={"items": permuted_gt})).value
    assert value == pytest.approx(expected, abs=1e-12)


# --- structural_fidelity --------------------------------------------------------------

SCHEMA = {
    "type": "object",
    "properties": {"inn": {"type": "string", "pattern": "^[0-9]{10}$"}, "total": {"type": "number"}},
    "required": ["inn"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    ("answer", "schema", "value", "error"),
    [
        ('{"inn": "7707083893", "total": 12.5}', SCHEMA, 1.0, None),
        ('{"inn": "7707083893"}', SCHEMA, 1.0, None),
        ('{"total": 12.5}', SCHEMA, 0.0, "inn"),
        ('{"inn": "77070"}', SCHEMA, 0.0, "inn"),
        ('{"inn": "7707083893", "total": "12,5"}', SCHEMA, 0.0, "total"),
        ('{"inn": "7707083893", "kpp": "1"}', SCHEMA, 0.0, "kpp"),
        ('{"inn": "7707083893"', SCHEMA, 0.0, "invalid JSON"),
        ('["7707083893"]', SCHEMA, 0.0, "expected a JSON object, got list"),
        ("", SCHEMA, 0.0, "empty answer"),
        ('{"anything": [1, 2]}', None, 1.0, None),
        ('"just a string"', None, 0.0, "got str"),
    ],
)
def test_structural_fidelity(answer: str, schema: Any, value: float, error: str | None) -> None:
    score = build_metric("structural_fidelity").score(answer, sample(schema=schema))
    assert score.value == value
    if error is None:
        assert score.detail is None
    else:
        assert score.detail is not None and any(error in e for e in score.detail["errors"])


def test_structural_fidelity_unusable_schema_is_invalid() -> None:
    score = build_metric("structural_fidelity").score("{}", sample(schema={"type": "object", "allOf": []}))
    assert score.value is None and score.invalid is not None and "allOf" in score.invalid


# --- aggregation and the evaluation stage -----------------------------------------------


def test_by_field_expands_per_field_scores() -> None:
    metrics = [build_metric("anls_star"), build_metric("field_f1")]
    gt = {"inn": "7707083893", "kpp": "770701001"}
    rows = []
    for sid, answer in (("a", {"inn": "7707083893", "kpp": "770701001"}), ("b", {"inn": "7707083893"})):
        s = Sample(
            id=sid,
            images=(Path("/x.png"),),
            fields=gt,
            doc_class="invoice",
            question_type="fields",
            task="kie",
        )
        rows.append(ScoredSample(s, {m.name: m.score(canonical_json(answer), s) for m in metrics}))
    out = {row.group["question_type"]: row for row in aggregators.get("by_field").aggregate(rows, metrics)}
    assert set(out) == {"fields", "fields.inn", "fields.kpp"}
    assert out["fields.inn"].values == {"anls_star": 1.0, "field_f1": 1.0}
    assert out["fields.kpp"].values == {"anls_star": 0.5, "field_f1": 0.5}
    assert out["fields"].values["field_f1"] == pytest.approx((1.0 + 2 / 3) / 2)
    assert out["fields"].pooled["field_f1"] == pytest.approx(6 / 7)
    assert out["fields"].details["field_f1"] == {
        "precision": 1.0,
        "recall": 0.75,
        "f1": pytest.approx(6 / 7),
        "tp": 3,
        "fp": 0,
        "fn": 1,
    }


@pytest.mark.parametrize("name", ["field_f1", "field_f1_donut"])
def test_by_field_pooled_value_is_the_fields_own_micro_f1(name: str) -> None:
    # Reported: a field row's pooled field_f1 read 1.0 beside a mean of 0.818.
    metric = build_metric(name)
    gt = {"inn": "7707083893", "kpp": "770701001"}
    answers = [
        {"inn": "7707083893", "kpp": "770701001"},
        {"inn": "7707083893", "kpp": "770701002"},  # kpp wrong: an FP and an FN
        {"inn": "7707083893", "ogrn": "1027700132195"},  # kpp missing (FN), ogrn made up (FP)
    ]
    rows = []
    for i, answer in enumerate(answers):
        s = Sample(
            id=str(i), images=(Path("/x.png"),), fields=gt, doc_class="invoice", question_type="fields"
        )
        rows.append(ScoredSample(s, {name: metric.score(canonical_json(answer), s)}))
    out = {r.group["question_type"]: r for r in aggregators.get("by_field").aggregate(rows, [metric])}
    assert set(out) == {"fields", "fields.inn", "fields.kpp", "fields.ogrn"}
    kpp = out["fields.kpp"]
    assert kpp.values[name] == pytest.approx(1 / 3)
    assert kpp.pooled[name] == pytest.approx(2 * 1 / (2 * 1 + 1 + 2))
    assert (kpp.details[name]["tp"], kpp.details[name]["fp"], kpp.details[name]["fn"]) == (1, 1, 2)
    assert out["fields.inn"].pooled[name] == 1.0
    assert out["fields.ogrn"].values[name] == 0.0 and out["fields.ogrn"].pooled[name] == 0.0
    totals = {
        k: sum(out[f"fields.{f}"].details[name][k] for f in ("inn", "kpp", "ogrn"))
        for k in ("tp", "fp", "fn")
    }
    assert (
        totals
        == {k: out["fields"].details[name][k] for k in ("tp", "fp", "fn")}
        == {"tp": 4, "fp": 2, "fn": 2}
    )


def test_evaluation_scores_invalid_answers_strictly_and_repaired_leniently(tmp_path: Path) -> None:
    root = make_kie_dataset(tmp_path / "kie")
    first = json.loads((root / "annotation.jsonl").read_text("utf-8"))
    rows = [first, {**first, "id": "k-2"}, {**first, "id": "k-3"}]
    (root / "annotation.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    answers = [
        ("k-1", '{"inn": "7707083893", "kpp": "770701001"}'),
        ("k-2", '{"inn": "7707083893", "kpp": "770701001"'),  # missing brace: invalid, repairable
        ("k-3", '```json\n{"inn": "7707083893"}\n```'),  # fenced: valid, one field missing
    ]
    answers_file = tmp_path / "answers.jsonl"
    answers_file.write_text("".join(json.dumps({"sample_id": i, "answer": a}) + "\n" for i, a in answers))
    metrics = [build_metric(n) for n in ("anls_star", "field_f1", "structural_fidelity")]
    evaluate_answers(root, answers_file, metrics, tmp_path / "out")

    summary = json.loads((tmp_path / "out" / "metrics.json").read_text("utf-8"))
    general = summary["aggregates"]["general"][0]
    assert general["values"] == pytest.approx(
        {"anls_star": 0.5, "field_f1": (1 + 0 + 2 / 3) / 3, "structural_fidelity": 2 / 3}
    )
    assert general["lenient"] == pytest.approx(
        {"anls_star": 2.5 / 3, "field_f1": (1 + 1 + 2 / 3) / 3, "structural_fidelity": 1.0}
    )
    assert general["pooled"]["field_f1"] == pytest.approx(2 * 3 / (2 * 3 + 0 + 3))
    by_field = {r["group"]["question_type"]: r for r in summary["aggregates"]["by_field"]}
    kpp = by_field["fields.kpp"]["values"]
    assert (kpp["anls_star"], kpp["field_f1"]) == pytest.approx((1 / 3, 1 / 3))
