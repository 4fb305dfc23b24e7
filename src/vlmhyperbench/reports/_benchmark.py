"""The benchmark block of run and comparison reports: our headline beside published scores.

A run of a ``benchmark:`` preset carries its headline (`BenchmarkScore` in
``metrics.json``). Reports show it with its parts (ChartQA human/augmented, OCRBench
categories), the rule that computed it, the split read, and the scores the preset cites,
each with its split and source: a published test-split score is not a measurement on
the validation split, and the table says which is which. Where the benchmark's rule
defines an interval (olmOCR-bench), our value is followed by it: ``82.40 [81.30, 83.50]``.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup
from pydantic import BaseModel

from ._model import RunReport
from ._stats import fmt_num
from .html import environment
from .markdown import md_cell, md_table

__all__ = ["BenchmarkTable", "benchmark_html", "benchmark_md", "benchmark_tables", "fmt_benchmark_value"]


class BenchmarkRow(BaseModel):
    """One line of a benchmark table: one of our runs, or a published score."""

    model: str
    value: float | None
    split: str
    origin: str
    """The run id, or the published source."""
    published: bool
    parts: dict[str, float | None] = {}
    note: str = ""
    ci: tuple[float, float] | None = None
    """Our run's interval of ``value``, where the benchmark's rule defines one."""


class BenchmarkTable(BaseModel):
    """Our runs of one benchmark and split, and the published scores, best first."""

    benchmark: str
    title: str
    name: str
    unit: str
    rule: str
    part_names: list[str]
    rows: list[BenchmarkRow]


def _decimals(value: float, unit: str) -> int:
    """Points are whole; a figure below 1 without a unit (an edit distance, a 0-1 score) has
    3 decimals, as OmniDocBench's tables print 0.035 (not 0.04); other figures 2."""
    if unit == "points":
        return 0
    return 3 if unit == "" and abs(value) < 1 else 2


def fmt_benchmark_value(value: float | None, unit: str, ci: tuple[float, float] | None = None) -> str:
    """A headline figure as reports print it (``0.035``, ``82.40 [81.30, 83.50]``, ``812``)."""
    if value is None:
        return "—"
    digits = _decimals(value, unit)
    text = f"{value:.{digits}f}"
    return text if ci is None else f"{text} [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"


def benchmark_tables(reports: Sequence[RunReport]) -> list[BenchmarkTable]:
    """One table per benchmark among ``reports`` (runs without a preset are left out)."""
    tables: dict[str, BenchmarkTable] = {}
    for report in reports:
        score, spec = report.benchmark, report.benchmark_source
        if score is None or spec is None:
            continue
        table = tables.get(score.benchmark)
        if table is None:
            table = BenchmarkTable(
                benchmark=score.benchmark,
                title=score.title,
                name=score.name,
                unit=score.unit,
                rule=score.rule,
                part_names=list(score.parts),
                rows=[
                    BenchmarkRow(
                        model=p.model,
                        value=p.value,
                        split=p.split,
                        origin=p.source,
                        published=True,
                        note=p.note,
                    )
                    for p in score.published
                ],
            )
            tables[score.benchmark] = table
        note = f"{spec.skipped} invalid source rows left out" if spec.skipped else ""
        table.rows.append(
            BenchmarkRow(
                model=report.model,
                value=score.value,
                split=spec.split or "",
                origin=report.run_id,
                published=False,
                parts=dict(score.parts),
                note=note,
                ci=score.ci,
            )
        )
        for name in score.parts:
            if name not in table.part_names:
                table.part_names.append(name)
    for table in tables.values():
        table.rows.sort(key=lambda r: (r.value is None, -(r.value or 0.0)))
    return list(tables.values())


def _table_md(table: BenchmarkTable) -> list[str]:
    header = ["Model", table.name, *table.part_names, "Split", "Measured here / source", "Note"]
    body = [
        [
            md_cell(row.model) if row.published else f"**{md_cell(row.model)}**",
            fmt_benchmark_value(row.value, table.unit, row.ci),
            *(
                fmt_benchmark_value(row.parts.get(p), table.unit) if not row.published else ""
                for p in table.part_names
            ),
            md_cell(row.split),
            md_cell(row.origin) if row.published else f"this run ({md_cell(row.origin)})",
            md_cell(row.note),
        ]
        for row in table.rows
    ]
    return [
        f"## Benchmark: {md_cell(table.title)}",
        (
            f"{md_cell(table.name)}: {md_cell(table.rule)}. Published scores are as their sources report "
            "them, on the split named (test-split scores come from the benchmark's server)."
        ),
        md_table(header, body),
    ]


def benchmark_md(reports: Sequence[RunReport]) -> list[str]:
    """Markdown sections (empty when no run is of a preset)."""
    out: list[str] = []
    for table in benchmark_tables(reports):
        out += _table_md(table)
    return out


_HTML = """
{% for t in tables %}
<h2 id="benchmark-{{ t.benchmark }}">Benchmark: {{ t.title }}</h2>
<p class="muted">{{ t.name }}: {{ t.rule }}. Published scores are as their sources report them, on the split named (test-split scores come from the benchmark's server).</p>
<table><tr><th>Model</th><th>{{ t.name }}</th>{% for p in t.part_names %}<th>{{ p }}</th>{% endfor %}<th>Split</th><th>Measured here / source</th><th>Note</th></tr>
{% for r in t.rows %}<tr{% if not r.published %} class="ours"{% endif %}><td>{% if r.published %}{{ r.model }}{% else %}<b>{{ r.model }}</b>{% endif %}</td><td class="num">{{ fmt(r.value, t.unit, r.ci) }}</td>{% for p in t.part_names %}<td class="num">{% if not r.published %}{{ fmt(r.parts.get(p), t.unit) }}{% endif %}</td>{% endfor %}<td>{{ r.split }}</td><td>{% if r.published %}<a href="{{ r.origin }}">{{ r.origin }}</a>{% else %}this run ({{ r.origin }}){% endif %}</td><td>{{ r.note }}</td></tr>
{% endfor %}</table>
{% endfor %}
"""


def benchmark_html(reports: Sequence[RunReport]) -> Markup:
    """HTML sections (empty markup when no run is of a preset)."""
    tables = benchmark_tables(reports)
    if not tables:
        return Markup("")
    return Markup(
        environment().from_string(_HTML).render(tables=tables, fmt=fmt_benchmark_value, fmt_num=fmt_num)
    )
