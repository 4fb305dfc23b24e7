"""The page-attributes section: each metric per page attribute value, in run and comparison reports."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.reports.test_reports import make_run
from vlmhyperbench.core import AggregateRow, MetricInfo, RunDir
from vlmhyperbench.reports import build_run_report, write_comparison, write_run_report

TEXT = MetricInfo(name="omnidoc_text_edit", version="1.0.0", higher_is_better=False, pooled=True)
TEDS = MetricInfo(name="omnidoc_table_teds", version="1.0.0", higher_is_better=True, pooled=True)
# (attribute, value) -> (n, text edit, table TEDS)
ROWS = {
    ("language", "russian"): (2, 0.035, 0.875),
    ("language", "en"): (1, 0.25, None),
    ("watermark", "False"): (2, 0.1, 0.875),
    ("watermark", "True"): (1, 0.0125, None),
}


def _row(attribute: str, value: str, n: int, text: float | None, teds: float | None) -> AggregateRow:
    return AggregateRow(
        group={"attribute": attribute, "value": value},
        n=n,
        values={TEXT.name: text, TEDS.name: teds},
        ci={
            TEXT.name: None if text is None else (round(text * 0.5, 4), round(text * 1.5, 4)),
            TEDS.name: None if teds is None else (teds - 0.1, teds + 0.1),
        },
    )


def parse_run(
    exp: Path,
    run_id: str,
    rows: dict[tuple[str, str], tuple[int, float | None, float | None]] | None = None,
    *,
    model: str | None = None,
) -> RunDir:
    """A ``parse`` run scored by the text edit ↓ and table TEDS ↑, with ``by_page_attribute`` rows."""
    run_dir = make_run(exp, run_id, task="parse")
    if model is not None:
        spec = run_dir.read_spec().model_copy(update={"model": model})
        run_dir.write_spec(spec)
        run_dir.write_manifest(run_dir.read_manifest().model_copy(update={"spec": spec}))
    summary = run_dir.read_metrics()
    summary.metrics = [TEXT, TEDS]
    summary.aggregates = {
        "general": [AggregateRow(n=3, values={TEXT.name: 0.1, TEDS.name: 0.875})],
        "by_page_attribute": [
            _row("ALL", "", 3, 0.1, 0.875),
            *(_row(a, v, *figures) for (a, v), figures in (ROWS if rows is None else rows).items()),
        ],
    }
    run_dir.write_metrics(summary)
    return run_dir


def _section(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end, text.index(start))]


def test_report_json_keeps_the_by_page_attribute_rows(tmp_path: Path) -> None:
    run_dir = parse_run(tmp_path / "exp", "tesseract")
    report = build_run_report(run_dir)
    assert [(r.group["attribute"], r.group["value"]) for r in report.by_page_attribute] == [
        ("ALL", ""),
        *ROWS,
    ]
    write_run_report(run_dir, formats=("json",))
    saved = json.loads((run_dir.report_dir / "report.json").read_text("utf-8"))
    assert saved["by_page_attribute"][1]["values"] == {TEXT.name: 0.035, TEDS.name: 0.875}


def test_markdown_run_report_has_a_table_per_attribute_with_directions_and_intervals(tmp_path: Path) -> None:
    run_dir = parse_run(tmp_path / "exp", "tesseract")
    write_run_report(run_dir, formats=("md",))
    md = (run_dir.report_dir / "report.md").read_text("utf-8")
    section = _section(md, "\n## Page attributes\n", "\n## Worst samples\n")
    assert "↑ higher is better (TEDS), ↓ lower is better (edit distances)" in section
    header = "| value | n | omnidoc_text_edit ↓ | omnidoc_table_teds ↑ |"
    assert section.count(header) == 2  # language, watermark
    language = _section(section, "### language\n", "### watermark\n")
    assert "| russian | 2 | 0.035 [0.0175, 0.0525] | 0.875 [0.775, 0.975] |" in language
    assert "| en | 1 | 0.25 [0.125, 0.375] | — |" in language  # no table on the page
    assert "| True | 1 | 0.0125 [0.0063, 0.0188] | — |" in section
    assert "| ALL |" not in section  # the summary holds all pages


def test_html_run_report_has_the_section_and_its_link(tmp_path: Path) -> None:
    run_dir = parse_run(tmp_path / "exp", "tesseract")
    write_run_report(run_dir, formats=("html",))
    page = (run_dir.report_dir / "report.html").read_text("utf-8")
    assert '<a href="#page-attributes">Page attributes</a>' in page
    section = _section(page, '<h2 id="page-attributes">', '<h2 id="worst">')
    assert "<h3>language</h3>" in section and "<h3>watermark</h3>" in section
    assert "<th>omnidoc_text_edit ↓</th><th>omnidoc_table_teds ↑</th>" in section
    assert (
        '<tr><td>russian</td><td class="num">2</td><td class="num">0.035 [0.0175, 0.0525]</td>'
        '<td class="num">0.875 [0.775, 0.975]</td></tr>'
    ) in section


def test_no_section_without_attribute_rows(tmp_path: Path) -> None:
    plain = make_run(tmp_path / "exp", "plain", task="parse")
    only_all = parse_run(tmp_path / "exp", "only-all", rows={})
    for run_dir in (plain, only_all):
        write_run_report(run_dir, formats=("md", "html"))
        assert "Page attributes" not in (run_dir.report_dir / "report.md").read_text("utf-8")
        page = (run_dir.report_dir / "report.html").read_text("utf-8")
        assert 'id="page-attributes"' not in page and 'href="#page-attributes"' not in page
    write_comparison(tmp_path / "exp", [plain, only_all])
    assert "Page attributes" not in (tmp_path / "exp" / "comparison.md").read_text("utf-8")
    assert 'id="page-attributes"' not in (tmp_path / "exp" / "comparison.html").read_text("utf-8")


def _two_runs(exp: Path) -> list[RunDir]:
    tesseract = parse_run(exp, "tesseract", model="tesseract-rus-eng")
    marker = parse_run(
        exp,
        "marker",
        {
            ("language", "russian"): (2, 0.02, 0.5),
            ("language", "en"): (1, 0.5, None),
            ("watermark", "False"): (3, 0.1, 0.9),
            ("layout", "double_column"): (1, 0.3, None),
        },
        model="marker 1.10",
    )
    return [tesseract, marker, make_run(exp, "vqa-run")]  # another task: not in the section


def test_markdown_comparison_puts_the_runs_side_by_side_per_attribute(tmp_path: Path) -> None:
    exp = tmp_path / "exp"
    write_comparison(exp, _two_runs(exp))
    md = (exp / "comparison.md").read_text("utf-8")
    section = md[md.index("\n## Page attributes\n") :]
    section = section[: section.index("\n## Paired comparisons\n")] if "## Paired" in section else section
    header = "| value | n | metric | tesseract-rus-eng | marker 1.10 |"
    language = _section(section, "### Task parse: language\n", "### Task parse: watermark\n")
    assert header in language
    # the best mean of a row is bold by the metric's direction: edit ↓, TEDS ↑
    assert (
        "| russian | 2 | omnidoc_text_edit ↓ | 0.035 [0.0175, 0.0525] | **0.02 [0.01, 0.03]** |" in language
    )
    assert "| russian | 2 | omnidoc_table_teds ↑ | **0.875 [0.775, 0.975]** | 0.5 [0.4, 0.6] |" in language
    assert "| en | 1 | omnidoc_table_teds ↑ | — | — |" in language
    watermark = _section(section, "### Task parse: watermark\n", "### Task parse: layout\n")
    assert "| False | 2 / 3 | omnidoc_text_edit ↓ |" in watermark  # the runs' page counts differ
    assert "| True | 1 / — | omnidoc_text_edit ↓ | 0.0125 [0.0063, 0.0188] | — |" in watermark
    layout = section[section.index("### Task parse: layout\n") :]
    assert "| double_column | — / 1 | omnidoc_text_edit ↓ | — | 0.3 [0.15, 0.45] |" in layout
    assert "Task vqa" not in section


def test_html_comparison_marks_the_best_cell_of_each_row(tmp_path: Path) -> None:
    exp = tmp_path / "exp"
    write_comparison(exp, _two_runs(exp))
    page = (exp / "comparison.html").read_text("utf-8")
    section = page[page.index('<h2 id="page-attributes">') :]
    assert "<h3>Task parse: language</h3>" in section
    assert "<th>tesseract-rus-eng</th><th>marker 1.10</th>" in section
    assert (
        '<tr><td>russian</td><td class="num">2</td><td>omnidoc_text_edit ↓</td>'
        '<td class="num">0.035 [0.0175, 0.0525]</td><td class="num best">0.02 [0.01, 0.03]</td></tr>'
    ) in section


def test_two_runs_of_one_model_are_told_apart_by_run_id(tmp_path: Path) -> None:
    exp = tmp_path / "exp"
    runs = [parse_run(exp, "a", model="tesseract"), parse_run(exp, "b", model="tesseract")]
    write_comparison(exp, runs)
    assert "| value | n | metric | a | b |" in (exp / "comparison.md").read_text("utf-8")
