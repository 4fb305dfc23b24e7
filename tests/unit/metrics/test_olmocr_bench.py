"""olmocr_bench against olmOCR-bench's own checker (olmocr 0.4.27), test by test.

The golden file is made by tests/data/golden/olmocr_bench/make_olmocr_bench.py.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from vlmhyperbench.core import AnswerRecord, MissingDependency, Sample
from vlmhyperbench.metrics import Answered, build_metric
from vlmhyperbench.metrics._olmocr_tables import html_tables, markdown_tables
from vlmhyperbench.metrics._olmocr_text import normalize_text, repeated_ngrams
from vlmhyperbench.metrics.olmocr_bench import olmocr_overall, parse_test, run_tests

GOLDEN = json.loads(
    (Path(__file__).parents[2] / "data" / "golden" / "olmocr_bench" / "olmocr_bench.json").read_text("utf-8")
)
TESTS = {t["id"]: t for t in GOLDEN["tests"]}
PAGES = GOLDEN["pages"]
BENCH = GOLDEN["benchmark"]


def page_of(test: dict[str, Any]) -> str:
    return PAGES[Path(test["pdf"]).stem]


@pytest.mark.parametrize("check", GOLDEN["checks"], ids=lambda c: c["id"])
def test_each_check_equals_the_official_checker(check: dict[str, Any]) -> None:
    test = TESTS[check["id"]]
    [result] = run_tests([test], [page_of(test)])
    if "invalid" in check:
        assert result["passed"] == 0.0
        kind, _, message = check["invalid"].partition(": ")
        if kind == "ValidationError" and not message.startswith("Unknown test type"):
            assert result["explanation"] == message
        return
    assert result["passed"] == float(check["passed"])
    assert result["explanation"] == check["explanation"]
    assert (result["id"], result["type"]) == (test["id"], test["type"])


RANDOM = json.loads(
    (Path(__file__).parents[2] / "data" / "golden" / "olmocr_bench" / "olmocr_bench_random.json").read_text(
        "utf-8"
    )
)


def test_random_pages_equal_the_official_checker() -> None:
    differ = []
    for case in RANDOM["cases"]:
        [result] = run_tests([case["test"]], [case["page"]])
        expected = (0.0, None) if "invalid" in case else (float(case["passed"]), case["explanation"])
        got = (result["passed"], None if "invalid" in case else result["explanation"])
        if got != expected:
            differ.append((case["test"]["id"], expected, got))
    assert differ == []
    assert len(RANDOM["cases"]) >= 1000


def test_golden_covers_every_type_and_outcome() -> None:
    valid = [c for c in GOLDEN["checks"] if "invalid" not in c]
    assert {TESTS[c["id"]]["type"] for c in valid} >= {"present", "absent", "order", "table", "baseline"}
    assert {c["passed"] for c in valid} == {True, False}
    assert len(GOLDEN["checks"]) - len(valid) >= 5
    assert GOLDEN["made_with"].startswith("olmocr==0.4.27")


def _file_ratios() -> dict[str, list[float]]:
    """Our pass ratios grouped as the official runner groups them (default baselines included)."""
    groups: dict[str, list[float]] = defaultdict(list)
    with_baseline = set()
    for name, tests in BENCH["files"].items():
        for test in tests:
            stem = Path(test["pdf"]).stem
            [result] = run_tests([test], BENCH["repeats"].get(stem, [PAGES[stem]]))
            groups[f"{name}.jsonl"].append(result["passed"])
            if test["type"] == "baseline":
                with_baseline.add(test["pdf"])
    for pdf in BENCH["pdfs"]:
        if pdf not in with_baseline:
            stem = Path(pdf).stem
            baseline = {"pdf": pdf, "page": 1, "id": f"{pdf}_baseline", "type": "baseline"}
            [result] = run_tests([baseline], BENCH["repeats"].get(stem, [PAGES[stem]]))
            groups["baseline"].append(result["passed"])
    return groups


def test_per_file_and_overall_equal_the_official_benchmark() -> None:
    ratios = _file_ratios()
    assert any(0 < r < 1 for rs in ratios.values() for r in rs)  # repeats that disagree
    overall = olmocr_overall(ratios)
    official = {name: passed / total for name, (passed, total) in BENCH["per_file"].items()}
    assert overall.per_file == pytest.approx(official, abs=1e-12)
    assert overall.value == pytest.approx(sum(official.values()) / len(official), abs=1e-12)


def test_bootstrap_interval_equals_the_official_with_the_same_seed() -> None:
    boot = BENCH["bootstrap"]
    groups, start = {}, 0
    for number, size in enumerate(boot["splits"]):
        groups[f"file{number}"] = boot["scores"][start : start + size]
        start += size
    overall = olmocr_overall(groups, n_bootstrap=boot["n_bootstrap"], seed=BENCH["seed"])
    assert overall.ci == pytest.approx(tuple(boot["ci"]), abs=1e-12)


def test_overall_options_take_effect() -> None:
    ratios = {
        "a": [float(i % 3 != 0) for i in range(37)],
        "b": [float(i % 4 == 0) for i in range(23)],
        "empty": [],
    }
    base = olmocr_overall(ratios)
    assert set(base.per_file) == {"a", "b"}  # files without tests are left out
    assert base.value == pytest.approx((24 / 37 + 6 / 23) / 2)
    assert olmocr_overall(ratios, seed=1).ci != base.ci
    narrow = olmocr_overall(ratios, confidence=0.5)
    assert base.ci[0] <= narrow.ci[0] <= narrow.ci[1] <= base.ci[1]
    assert narrow.ci != base.ci
    assert olmocr_overall(ratios, n_bootstrap=5).ci != base.ci
    assert olmocr_overall({"a": [0.5, 0.51]}).per_file == {"a": 0.5}  # majority: > 0.5 passes
    assert olmocr_overall({}).value == 0.0


def sample(tests: list[dict[str, Any]] | None) -> Sample:
    metadata = {} if tests is None else {"olmocr_tests": tests}
    return Sample(id="docs/p_pg1", images=(Path("/nonexistent.png"),), task="parse", metadata=metadata)


PAGE_TESTS = [
    {"pdf": "p.pdf", "page": 1, "id": "t1", "type": "present", "text": "Итого: 215"},
    {"pdf": "p.pdf", "page": 1, "id": "t2", "type": "absent", "text": "Черновик"},
    {"pdf": "p.pdf", "page": 1, "id": "t3", "type": "stamp", "text": "x"},
]


def test_metric_scores_a_page_and_records_each_test() -> None:
    metric = build_metric("olmocr_bench")
    score = metric.score("Счёт\n\nИтого: 215", sample(PAGE_TESTS))
    assert (score.value, score.num, score.den) == (pytest.approx(2 / 3), 2.0, 3.0)
    tests = score.detail["tests"]
    assert [t["id"] for t in tests] == ["t1", "t2", "t3"]
    assert tests[2] == {
        "id": "t3",
        "type": "stamp",
        "passed": 0.0,
        "explanation": "unknown test type 'stamp'",
    }
    assert metric.info().pooled


def test_metric_runs_every_repeat_and_records_the_pass_ratio() -> None:
    metric = build_metric("olmocr_bench")
    repeats = ["Итого: 215", "Итого: 215 Черновик", "Итого: 216 Черновик", "Итого: 215"]
    record = AnswerRecord(sample_id="docs/p_pg1", answer=repeats[0], extra={"repeats": repeats})
    [score] = metric.score_answers([Answered(repeats[0], record)], [sample(PAGE_TESTS[:2])])
    t1, t2 = score.detail["tests"]
    assert (t1["passed"], t2["passed"]) == (0.75, 0.5)
    assert t1["explanation"].startswith("Expected 'Итого: 215...'")
    assert t2["explanation"].startswith("Expected absence of 'Черновик...'")
    assert score.num == 1.25 and score.den == 2.0
    [single] = metric.score_answers([Answered("Итого: 215", None)], [sample(PAGE_TESTS[:2])])
    assert single.value == 1.0


def test_metric_without_tests_is_not_scored() -> None:
    metric = build_metric("olmocr_bench")
    assert metric.score("text", sample(None)).invalid
    assert metric.score("text", sample([])).value is None


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ("not a test", "a test must be a JSON object, got str"),
        ({"pdf": "a", "page": 1, "id": "x", "type": "present", "text": 5}, "'text' must be a string, got 5"),
        (
            {"pdf": "a", "page": 1, "id": "x", "type": "present", "text": "a", "first_n": "5"},
            "'first_n' must be",
        ),
        ({"pdf": "", "page": 1, "id": "x", "type": "baseline"}, "PDF filename cannot be empty"),
        ({"pdf": "a", "page": 1, "id": "x", "type": "math", "math": " "}, "Math test must have non-empty"),
        ({"pdf": "a", "page": 1, "id": "x", "type": "order", "before": "**", "after": "b"}, "Before field"),
    ],
)
def test_invalid_tests_are_refused_with_the_reason(obj: object, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message[:20].replace("(", r"\(")):
        parse_test(obj)
    [result] = run_tests([obj], ["page"])
    assert result["passed"] == 0.0 and result["explanation"].startswith(message)


def test_normalisation() -> None:
    assert normalize_text("«Ёлка» — “ель”<br/>**жирный**  _курсив_ 5 µm ‑ 3 − 2") == (
        '«Ёлка» - "ель" жирный курсив 5 μm - 3 - 2'
    )
    assert normalize_text("е\u0308") == "ё"  # NFC


def test_repeated_ngrams_at_the_end() -> None:
    assert repeated_ngrams("abcabcabcabc") == [1, 1, 4, 1, 1]
    assert repeated_ngrams("a" * 10) == [10, 5, 3, 2, 2]
    assert repeated_ngrams("ab  ab ab ") == [1, 1, 3, 1, 1]
    assert repeated_ngrams("") == [0, 0, 0, 0, 0]


def test_table_grids() -> None:
    [md] = markdown_tables("x\n| a | b |\n|---|:-:|\n| 1 | 2 | 3 |\ny")
    assert md.cells == [["a", "b", ""], ["1", "2", "3"]]
    [html] = html_tables(
        '<table><tr><td rowspan="2">A</td><td colspan="2">B</td><td>C</td></tr><tr><td>D</td></tr></table>'
    )
    assert html.cells == [["A", "B", "C"], ["A", "D", ""]]  # colspan adds no cell to its own row


def test_missing_fuzzysearch_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fuzzysearch.levenshtein", None)  # import raises ImportError
    test = {
        "pdf": "a",
        "page": 1,
        "id": "o",
        "type": "order",
        "before": "alpha",
        "after": "gamma",
        "max_diffs": 1,
    }
    with pytest.raises(MissingDependency, match="fuzzysearch") as info:
        run_tests([test], ["alpha beta gamma"])
    assert "pip install 'vlmhyperbench[parse]'" in str(info.value)
    exact = {**test, "max_diffs": 0}
    assert run_tests([exact], ["alpha beta gamma"])[0]["passed"] == 1.0  # exact search needs nothing


def test_missing_beautifulsoup_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "bs4", None)
    test = {"pdf": "a", "page": 1, "id": "t", "type": "table", "cell": "1"}
    with pytest.raises(MissingDependency, match="beautifulsoup4") as info:
        run_tests([test], ["<table><tr><td>1</td></tr></table>"])
    assert "pip install 'vlmhyperbench[parse]'" in str(info.value)
    assert run_tests([test], ["| a |\n|---|\n| 1 |"])[0]["passed"] == 1.0  # Markdown needs nothing


def test_math_tests_go_to_the_katex_checker(monkeypatch: pytest.MonkeyPatch) -> None:
    from vlmhyperbench.metrics import _katex

    calls = []

    def fake(reference: str, markdown: str, *, ignore_dollar_delimited: bool = False) -> tuple[bool, str]:
        calls.append((reference, markdown, ignore_dollar_delimited))
        return False, f"No match found for {reference} anywhere in content"

    monkeypatch.setattr(_katex, "math_test_passes", fake)
    test = {"pdf": "a", "page": 1, "id": "m", "type": "math", "math": "x^2", "ignore_dollar_delimited": True}
    [result] = run_tests([test], ["$x^2$"])
    assert calls == [("x^2", "$x^2$", True)]
    assert result == {
        "id": "m",
        "type": "math",
        "passed": 0.0,
        "explanation": "No match found for x^2 anywhere in content",
    }


def test_a_missing_answer_fails_every_test_as_the_official_runner() -> None:
    from vlmhyperbench.core.answer import ErrorInfo

    metric = build_metric("olmocr_bench")
    failed = AnswerRecord(
        sample_id="docs/p_pg1", answer=None, error=ErrorInfo(kind="timeout", message="slow")
    )
    blank = {"pdf": "p.pdf", "page": 1, "id": "t4", "type": "baseline", "max_length": 5}
    [score] = metric.score_answers([Answered("", failed)], [sample([*PAGE_TESTS[:2], blank])])
    assert score.value == 0.0 and score.den == 3.0  # the absent and blank-page tests do not pass
    assert {t["explanation"] for t in score.detail["tests"]} == {"Missing MD files"}
    [empty] = metric.score_answers([Answered("", None)], [sample([*PAGE_TESTS[:2], blank])])
    assert empty.value == pytest.approx(2 / 3)  # an empty page that was answered is scored as it is
    partial = AnswerRecord(
        sample_id="docs/p_pg1", answer="Итого: 215", extra={"repeats": ["Итого: 215", None]}
    )
    [one] = metric.score_answers([Answered("Итого: 215", partial)], [sample(PAGE_TESTS[:1])])
    assert one.value == 1.0  # a missing repeat is not counted


@pytest.mark.parametrize(("n_bootstrap", "confidence"), [(0, 0.95), (10, 1.0), (10, 0.0)])
def test_overall_refuses_an_empty_bootstrap_or_a_degenerate_level(
    n_bootstrap: int, confidence: float
) -> None:
    with pytest.raises(ValueError, match="n_bootstrap"):
        olmocr_overall({"a": [1.0, 0.0]}, n_bootstrap=n_bootstrap, confidence=confidence)
