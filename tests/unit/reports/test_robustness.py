"""The robustness section: every metric per split, clean to most degraded, in run and comparison reports."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.unit.reports.test_reports import make_run
from vlmhyperbench.core import AggregateRow, RunDir
from vlmhyperbench.reports import build_run_report, write_comparison, write_run_report

SPLITS = ["clean", "degraded", "photo-1", "photo-2", "photo-3"]


def _with_splits(run_dir: RunDir, anls: list[float], splits: list[str] = SPLITS) -> RunDir:
    """Add a ``by_split`` aggregate: anls as given per split, cer its complement."""
    summary = run_dir.read_metrics()
    summary.aggregates["by_split"] = [
        AggregateRow(
            group={"split": split},
            n=10,
            values={"anls": a, "cer": round(1 - a, 4)},
            ci={"anls": (round(a - 0.05, 4), round(a + 0.05, 4)), "cer": None},
        )
        for split, a in zip(splits, anls, strict=True)
    ]
    run_dir.write_metrics(summary)
    return run_dir


def _positions(text: str, needles: list[str]) -> list[int]:
    found = [text.find(n) for n in needles]
    assert all(p >= 0 for p in found), [n for n, p in zip(needles, found, strict=True) if p < 0]
    return found


def test_run_report_json_keeps_the_by_split_rows_in_order(tmp_path: Path) -> None:
    run_dir = _with_splits(make_run(tmp_path / "exp", "run-a"), [0.9, 0.8, 0.6, 0.4, 0.2])
    report = build_run_report(run_dir)
    assert [r.group["split"] for r in report.by_split] == SPLITS
    write_run_report(run_dir, formats=("json",))
    saved = json.loads((run_dir.report_dir / "report.json").read_text("utf-8"))
    assert [r["group"]["split"] for r in saved["by_split"]] == SPLITS


def test_markdown_run_report_has_a_robustness_table_from_clean_to_photo_3(tmp_path: Path) -> None:
    run_dir = _with_splits(make_run(tmp_path / "exp", "run-a"), [0.9, 0.8, 0.6, 0.4, 0.2])
    write_run_report(run_dir, formats=("md",))
    md = (run_dir.report_dir / "report.md").read_text("utf-8")
    section = md[md.index("\n## Robustness\n") : md.index("\n## Worst samples\n")]
    assert "| split | n | anls ↑ | cer ↓ |" in section
    rows = [f"| {s} |" for s in SPLITS]
    assert _positions(section, rows) == sorted(_positions(section, rows))
    assert "| photo-2 | 10 | 0.4 [0.35, 0.45] | 0.6 |" in section


def test_html_run_report_has_a_robustness_table_and_one_chart_per_metric(tmp_path: Path) -> None:
    plain = make_run(tmp_path / "a" / "exp", "run-a")
    write_run_report(plain, formats=("html",))
    before = (plain.report_dir / "report.html").read_text("utf-8")
    run_dir = _with_splits(make_run(tmp_path / "b" / "exp", "run-a"), [0.9, 0.8, 0.6, 0.4, 0.2])
    write_run_report(run_dir, formats=("html",))
    page = (run_dir.report_dir / "report.html").read_text("utf-8")
    assert '<h2 id="robustness">Robustness</h2>' in page and '<a href="#robustness">' in page
    section = page[page.index('id="robustness"') : page.index('id="worst"')]
    cells = [f"<td>{s}</td>" for s in SPLITS]
    assert _positions(section, cells) == sorted(_positions(section, cells))
    assert page.count("Plotly.newPlot") == before.count("Plotly.newPlot") + 2  # anls and cer apart
    assert "anls@1.0.0 by split (higher is better)" in section
    assert "cer@1.0.0 by split (lower is better)" in section


def test_no_robustness_section_without_two_splits(tmp_path: Path) -> None:
    one = _with_splits(make_run(tmp_path / "exp", "run-a"), [0.9], ["clean"])
    none = make_run(tmp_path / "exp", "run-b")
    for run_dir in (one, none):
        write_run_report(run_dir, formats=("md", "html"))
        assert "## Robustness" not in (run_dir.report_dir / "report.md").read_text("utf-8")
        page = (run_dir.report_dir / "report.html").read_text("utf-8")
        assert 'id="robustness"' not in page and 'href="#robustness"' not in page
    write_comparison(tmp_path / "exp", [one, none])
    assert "Robustness" not in (tmp_path / "exp" / "comparison.md").read_text("utf-8")


def test_comparison_draws_one_line_per_model_over_the_splits_in_order(tmp_path: Path) -> None:
    exp = tmp_path / "exp"
    a = _with_splits(make_run(exp, "run-a"), [0.9, 0.8, 0.6, 0.4, 0.2])
    b = _with_splits(make_run(exp, "run-b", scale=0.5), [0.7, 0.65, 0.5], SPLITS[:3])
    write_comparison(exp, [a, b])
    md = (exp / "comparison.md").read_text("utf-8")
    section = md[md.index("\n## Robustness\n") : md.index("\n## Paired comparisons\n")]
    assert "### Task vqa: by split" in section
    assert "| metric | model | clean | degraded | photo-1 | photo-2 | photo-3 |" in section
    assert "| anls ↑ | model-run-a | 0.9 | 0.8 | 0.6 | 0.4 | 0.2 |" in section
    assert "| anls ↑ | model-run-b | 0.7 | 0.65 | 0.5 | — | — |" in section
    assert "| cer ↓ | model-run-b | 0.3 | 0.35 | 0.5 | — | — |" in section
    page = (exp / "comparison.html").read_text("utf-8")
    section = page[page.index('<h2 id="robustness">') : page.index('<h2 id="paired">')]
    assert section.count("Plotly.newPlot") == 2  # anls ↑ and cer ↓ on their own axes
    assert "anls \\u2191 by split (higher is better)" in section  # plotly's JSON escapes the arrows
    assert "cer \\u2193 by split (lower is better)" in section
    charts = re.findall(r"Plotly\.newPlot\((.*?)\)\s*};", section, re.DOTALL)
    assert len(charts) == 2
    for chart in charts:
        assert chart.count('"name":"model-run-a"') == 1 and chart.count('"name":"model-run-b"') == 1
        assert '"categoryarray":["clean","degraded","photo-1","photo-2","photo-3"]' in chart


def test_two_runs_of_one_model_are_told_apart_by_run_id(tmp_path: Path) -> None:
    exp = tmp_path / "exp"
    a = _with_splits(make_run(exp, "run-a"), [0.9, 0.8, 0.6, 0.4, 0.2])
    b = _with_splits(make_run(exp, "run-b"), [0.8, 0.7, 0.5, 0.3, 0.1])
    spec = b.read_spec().model_copy(update={"model": "model-run-a"})  # the same model, run twice
    b.write_spec(spec)
    b.write_manifest(b.read_manifest().model_copy(update={"spec": spec}))
    write_comparison(exp, [a, b])
    md = (exp / "comparison.md").read_text("utf-8")
    assert "| anls ↑ | run-a | 0.9 |" in md and "| anls ↑ | run-b | 0.8 |" in md
