"""The comparison page's accuracy-against-speed chart."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.unit.reports.test_reports import _figures, _title, make_run
from vlmhyperbench.reports import build_run_report, write_comparison
from vlmhyperbench.reports._comparison_charts import _accuracy_speed_chart
from vlmhyperbench.reports.comparison import _tables, _TaskTable

TITLE = "anls ↑ against latency p50 ↓ (up and left is better)"


def _chart(exp: Path) -> tuple[list[dict], dict]:
    figures = _figures((exp / "comparison.html").read_text(encoding="utf-8"))
    [chart] = [f for f in figures if _title(f[1]).startswith("anls ↑ against")]
    return chart


def test_each_run_is_a_point_of_its_headline_metric_against_its_latency(tmp_path: Path) -> None:
    exp = tmp_path / "exp"
    write_comparison(exp, [make_run(exp, "run-slow", scale=0.5, latency=2.0), make_run(exp, "run-fast")])
    traces, layout = _chart(exp)
    assert _title(layout) == TITLE
    points = {t["name"]: (t["x"][0], t["y"][0]) for t in traces}
    assert set(points) == {"run-slow", "run-fast"}
    assert points["run-fast"][1] == pytest.approx(0.425)  # anls, the first metric: never cer ↓ here
    assert points["run-slow"][0] > points["run-fast"][0]  # latency p50 on x


def _table(tmp_path: Path) -> _TaskTable:
    [table] = _tables([build_run_report(make_run(tmp_path / "exp", "run"))])
    return table


def test_the_metric_interval_is_an_error_bar(tmp_path: Path) -> None:
    table = _table(tmp_path)
    [row] = table.rows
    value = row.values["anls"]
    assert value is not None
    with_ci = replace(table, rows=[row.model_copy(update={"ci": {"anls": (value - 0.1, value + 0.05)}})])
    chart = _accuracy_speed_chart(with_ci)
    assert chart is not None
    [(traces, _)] = _figures(str(chart))
    assert traces[0]["error_y"]["array"] == pytest.approx([0.05])
    assert traces[0]["error_y"]["arrayminus"] == pytest.approx([0.1])


def test_a_lower_is_better_headline_says_down_is_better(tmp_path: Path) -> None:
    table = _table(tmp_path)
    cer_first = replace(table, metrics=sorted(table.metrics, key=lambda m: m.higher_is_better))
    chart = _accuracy_speed_chart(cer_first)
    assert chart is not None
    [(_, layout)] = _figures(str(chart))
    assert _title(layout) == "cer ↓ against latency p50 ↓ (down and left is better)"


def test_runs_without_timings_get_no_such_chart(tmp_path: Path) -> None:
    exp = tmp_path / "exp"
    write_comparison(exp, [make_run(exp, "run", metrics=True, answers=False)])
    titles = [_title(layout) for _, layout in _figures((exp / "comparison.html").read_text(encoding="utf-8"))]
    assert not [t for t in titles if "against latency" in t]
