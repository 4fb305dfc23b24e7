"""`cc_ocr_parsing`: the rule chosen by ``doc_class``, and the cases CC-OCR's code cannot score.

The expected values here were checked by running VLMEvalKit's ``ParsingEvaluator`` (e8e78f05);
values on fuller answers are checked against CC-OCR's evaluator end to end
(tests/e2e/test_benchmarks_ccocr.py, golden tests/data/golden/benchmarks/cc_ocr/).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vlmhyperbench.core import Sample
from vlmhyperbench.metrics import build_metric


def sample(reference: str | None, kind: str) -> Sample:
    return Sample(
        id="s",
        images=(Path("/p.png"),),
        answers=() if reference is None else (reference,),
        task="ocr",
        doc_class=kind,
        split="doc_scan_eng",
    )


@pytest.mark.parametrize(
    ("answer", "reference", "kind", "expected"),
    [
        ("```latex\nab c\n```", "abc", "doc", 1 - 5 / 8),  # the word "latex" stays, as in CC-OCR
        ("```latex\nab c\n```", "abc", "formula", 1.0),  # the fence goes
        ("<smiles>C C O</smiles>", "CCO", "molecular", 1.0),
        ("<smiles>C C O</smiles>", "CCO", "doc", 1 - 17 / 20),
        ("<table><tr><td>1，5</td></tr></table>", "<table><tr><td>1,5</td></tr></table>", "table", 1.0),
        ("no table", "<table><tr><td>1</td></tr></table>", "table", 0.0),
        ("", "", "doc", 1.0),  # CC-OCR divides by zero here
    ],
)
def test_the_kind_picks_the_rule(answer: str, reference: str, kind: str, expected: float) -> None:
    assert build_metric("cc_ocr_parsing").score(answer, sample(reference, kind)).value == pytest.approx(
        expected
    )


def test_an_unknown_kind_or_no_reference_is_invalid() -> None:
    metric = build_metric("cc_ocr_parsing")
    unknown = metric.score("x", sample("x", "chart"))
    assert unknown.value is None and "'chart'" in (unknown.invalid or "")
    missing = metric.score("x", sample(None, "doc"))
    assert missing.value is None and missing.invalid == "no reference answer"
