"""The ``by_page_attribute`` aggregator: one row per (page attribute, value), after an ALL row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vlmhyperbench.aggregators import ScoredSample, aggregators
from vlmhyperbench.core import Sample
from vlmhyperbench.metrics import Score, build_metric


def page(page_id: str, attributes: dict[str, Any] | None, num: float, den: float) -> ScoredSample:
    metadata = {} if attributes is None else {"page_attribute": attributes}
    sample = Sample(id=page_id, images=(Path("/p.png"),), task="parse", metadata=metadata)
    return ScoredSample(sample=sample, scores={"cer": Score(num / den, num=num, den=den)})


def test_one_row_per_attribute_value_with_mean_and_pooled() -> None:
    rows = [
        page("a", {"language": "en", "watermark": False}, 1, 10),
        page("b", {"language": "russian", "watermark": True}, 6, 20),
        page("c", {"language": "russian", "watermark": False}, 1, 10),
        page("d", None, 5, 5),  # no attributes: only in ALL
    ]
    out = aggregators.get("by_page_attribute").aggregate(rows, [build_metric("cer")])
    by = {(r.group["attribute"], r.group["value"]): r for r in out}
    assert list(by) == [
        ("ALL", ""),
        ("language", "en"),
        ("watermark", "False"),  # str() of the value, as OmniDocBench's get_page_split labels it
        ("language", "russian"),
        ("watermark", "True"),
    ]
    assert by[("ALL", "")].n == 4
    russian = by[("language", "russian")]
    assert russian.n == 2 and russian.values["cer"] == pytest.approx((0.3 + 0.1) / 2)  # page-averaged
    assert russian.pooled["cer"] == pytest.approx(7 / 30)  # pooled over the group's pages
    assert by[("watermark", "False")].values["cer"] == pytest.approx(0.1)


def test_a_list_attribute_gives_one_row_per_tag_except_table_tags() -> None:
    rows = [page("a", {"special_issue": ["fuzzy_scan", "table_watermark", "watermark"]}, 1, 2)]
    out = aggregators.get("by_page_attribute").aggregate(rows, [build_metric("cer")])
    assert [(r.group["attribute"], r.group["value"]) for r in out] == [
        ("ALL", ""),
        ("special_issue", "fuzzy_scan"),
        ("special_issue", "watermark"),
    ]
