"""A model's parsing run and a folder of Markdown files scored elsewhere, in one comparison.

`vlmhb run` with ``benchmark: omnidocbench`` on a tiny OmniDocBench against a scripted
model, `vlmhb evaluate --answers-dir` of another tool's pages into a folder outside the
experiment, and `vlmhb report EXPERIMENT --include THAT_FOLDER`: the comparison shows
both runs per page attribute (Markdown and HTML), with the values of their metrics.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tests.support import fixtures_omnidocbench as fx
from tests.support.openai_server import ScriptedOpenAIServer
from vlmhyperbench.cli.main import app
from vlmhyperbench.core import RunDir
from vlmhyperbench.reports._stats import fmt_with_ci

OTHER_TOOL = {  # a second parser's pages: the Russian ones exact, the English one missing
    "ru_invoice_1": "# Счёт-фактура № 17\n\nПоставщик: ООО «Ромашка», г. Москва.\n\n" + fx.TABLE + "\n\n1\n",
    "ru_letter_2": "Уважаемый Иван Петрович!\n\nСообщаем, что поставка задерживается на неделю.\n\n"
    "$$E = mc^2$$\n",
}


@pytest.fixture(autouse=True)
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VLMHB_CACHE_DIR", str(tmp_path / "cache"))


def vlmhb(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "250"})


def model_run(tmp_path: Path, source: Path, url: str) -> RunDir:
    config = {
        "name": "parsing",
        "output_dir": str(tmp_path / "runs"),
        "runs": [
            {
                "name": "vlm",
                "benchmark": "omnidocbench",
                "dataset": str(source),
                "model": {"backend": "openai", "options": {"base_url": url, "model": "m", "timeout_s": 5}},
            }
        ],
    }
    path = tmp_path / "e.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    done = vlmhb("run", str(path), "--executor", "inline")
    assert done.exit_code == 0, done.output
    return RunDir(tmp_path / "runs" / "parsing" / "vlm")


def outside_evaluation(tmp_path: Path, source: Path) -> RunDir:
    folder = tmp_path / "other_md"
    folder.mkdir()
    for page_id, markdown in OTHER_TOOL.items():
        (folder / f"{page_id}.md").write_text(markdown, encoding="utf-8")
    out = tmp_path / "elsewhere" / "marker"
    done = vlmhb(
        "evaluate", "--benchmark", "omnidocbench", "--dataset", str(source), "--answers-dir", str(folder),
        "--model-name", "marker 1.10", "--out", str(out),
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    return RunDir(out)


def attribute_rows(run_dir: RunDir) -> dict[tuple[str, str], dict[str, Any]]:
    metrics = json.loads(run_dir.metrics_json.read_text("utf-8"))
    return {
        (r["group"]["attribute"], r["group"]["value"]): r for r in metrics["aggregates"]["by_page_attribute"]
    }


def cell(row: dict[str, Any] | None, metric: str) -> str:
    if row is None:
        return "—"
    ci = row["ci"].get(metric)
    return fmt_with_ci(row["values"].get(metric), tuple(ci) if ci else None)


def test_a_model_run_and_an_outside_folder_compare_per_page_attribute(
    tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.answers = dict(fx.PREDICTIONS)
    source = fx.write_omnidocbench(tmp_path / "src")
    vlm = model_run(tmp_path, source, openai_server.url)
    marker = outside_evaluation(tmp_path, source)
    experiment = tmp_path / "runs" / "parsing"

    done = vlmhb("report", str(experiment))
    assert done.exit_code == 0, done.output
    assert "marker 1.10" not in (experiment / "comparison.md").read_text("utf-8")  # outside the experiment

    done = vlmhb("report", str(experiment), "--include", str(marker.root))
    assert done.exit_code == 0, done.output
    assert (marker.report_dir / "report.md").is_file()  # its own report is rebuilt too
    md = (experiment / "comparison.md").read_text("utf-8")
    page = (experiment / "comparison.html").read_text("utf-8")
    assert "| **marker 1.10** | — |" in md and "this run (marker)" in md  # the benchmark block has both

    section = md[md.index("\n## Page attributes\n") :]
    assert "| value | n | metric | m | marker 1.10 |" in section
    html_section = page[page.index('<h2 id="page-attributes">') :]
    assert "<th>m</th><th>marker 1.10</th>" in html_section
    ours, theirs = attribute_rows(vlm), attribute_rows(marker)
    assert set(ours) == set(theirs) and {("language", "russian"), ("watermark", "True")} <= set(ours)
    checked = 0
    for (attribute, value), row in ours.items():
        if attribute == "ALL":
            continue
        assert (
            f"### Task parse: {attribute}\n" in section
            and f"<h3>Task parse: {attribute}</h3>" in html_section
        )
        other = theirs[(attribute, value)]
        for metric in ("omnidoc_text_edit", "omnidoc_table_teds", "omnidoc_reading_order"):
            arrow = "↑" if metric == "omnidoc_table_teds" else "↓"
            a, b = cell(row, metric), cell(other, metric)
            mine, its = row["values"][metric], other["values"][metric]
            if mine is not None and its is not None:  # the best mean of the row is bold, ties both
                best = max(mine, its) if arrow == "↑" else min(mine, its)
                a, b = (f"**{a}**" if mine == best else a), (f"**{b}**" if its == best else b)
            assert f"| {value} | {row['n']} | {metric} {arrow} | {a} | {b} |" in section, (
                attribute,
                value,
                metric,
            )
            checked += 1
    assert checked >= 12
    russian = ours[("language", "russian")]["values"]["omnidoc_text_edit"]
    russian_other = theirs[("language", "russian")]["values"]["omnidoc_text_edit"]
    assert russian_other < russian  # the other tool's invoice is exact: its Russian pages read better
    assert (
        f'<td class="num best">{cell(theirs[("language", "russian")], "omnidoc_text_edit")}</td>'
        in html_section
    )


def test_include_refuses_what_cannot_be_compared(tmp_path: Path) -> None:
    source = fx.write_omnidocbench(tmp_path / "src")
    marker = outside_evaluation(tmp_path, source)
    (tmp_path / "exp").mkdir()
    done = vlmhb("report", str(tmp_path / "exp"), "--include", str(tmp_path / "other_md"))
    assert done.exit_code != 0 and "--include" in done.output and "is not a run folder" in done.output
    done = vlmhb("report", str(marker.root), "--include", str(marker.root))
    assert done.exit_code != 0 and "--include goes with an experiment folder" in done.output
    clash = tmp_path / "exp" / "marker"  # the same run id inside the experiment
    clash.mkdir()
    (clash / "run_spec.json").write_text(marker.run_spec.read_text("utf-8"), encoding="utf-8")
    done = vlmhb("report", str(tmp_path / "exp"), "--include", str(marker.root))
    assert done.exit_code != 0 and "has the run id 'marker'" in done.output
    assert not (tmp_path / "exp" / "comparison.md").exists()


def test_include_into_a_new_folder_compares_the_included_runs_alone(tmp_path: Path) -> None:
    source = fx.write_omnidocbench(tmp_path / "src")
    marker = outside_evaluation(tmp_path, source)
    done = vlmhb("report", str(tmp_path / "cmp"), "--include", str(marker.root))
    assert done.exit_code == 0, done.output
    md = (tmp_path / "cmp" / "comparison.md").read_text("utf-8")
    assert "## Page attributes" in md and "| value | n | metric | marker 1.10 |" in md
