"""Robustness figures from index rows: split order, and when runs are compared."""

from __future__ import annotations

from vlmhyperbench.dashboard._robustness import comparison_from_rows, run_figures
from vlmhyperbench.dashboard.db import MetricRow, Run


def _run(pk: int) -> Run:
    return Run(id=pk, experiment="e", run_id=f"r{pk}", model=f"m{pk}", task="ocr")


def _rows(pk: int, splits: list[str], metric: str = "cer", hib: bool = False) -> list[MetricRow]:
    return [
        MetricRow(
            run_pk=pk,
            aggregator="by_split",
            group_key={"split": s},
            metric=metric,
            higher_is_better=hib,
            value=i / 10,
        )
        for i, s in enumerate(splits)
    ]


def test_runs_that_share_no_split_are_not_compared() -> None:
    rows = _rows(1, ["clean", "degraded"]) + _rows(2, ["photo-1", "photo-2"])
    assert comparison_from_rows("ocr", [_run(1), _run(2)], rows) == []


def test_splits_follow_the_runs_first_seen_order_and_a_missing_split_is_a_gap() -> None:
    rows = _rows(1, ["clean", "photo-3"]) + _rows(2, ["clean", "degraded", "photo-3"])
    (fig,) = comparison_from_rows("ocr", [_run(1), _run(2)], rows)
    assert fig["layout"]["xaxis"]["categoryarray"] == ["clean", "photo-3", "degraded"]
    first, second = fig["data"]
    assert first["y"] == [0.0, 0.1, None]
    assert second["y"] == [0.0, 0.2, 0.1]
    assert fig["layout"]["title"]["text"].startswith("cer ↓")


def test_a_run_with_one_split_has_no_robustness_charts() -> None:
    assert run_figures(_rows(1, ["clean"])) == []
    assert comparison_from_rows("ocr", [_run(1), _run(2)], _rows(1, ["clean"]) + _rows(2, ["clean"])) == []


def test_each_metric_has_its_own_chart() -> None:
    rows = _rows(1, ["a", "b"]) + _rows(1, ["a", "b"], metric="anls", hib=True)
    figures = run_figures(rows)
    assert [f["metric"] for f in figures] == ["cer", "anls"]
    assert [len(f["data"]) for f in figures] == [1, 1]
