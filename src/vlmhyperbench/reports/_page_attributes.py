"""The page-attributes section of run and comparison reports (page parsing).

A run aggregated ``by_page_attribute`` (the ``omnidocbench`` and ``mdpbench`` presets
and the demo's parsing run are) has one row per (page attribute, value) of its pages —
OmniDocBench's ``data_source``, ``language``, ``layout``, ``watermark``...; MDPBench's
``capture`` — after an ``ALL`` row that repeats the summary. Each value's mean over its
pages is the page-averaged figure OmniDocBench's evaluator reports for that attribute
value (its ``page`` results).

The run report shows per attribute a table of value × metric, mean [CI]. The
comparison shows, per task and attribute, one row per (value, metric) and one column
per run (its model; its run id where two runs share a model), so a model run and a
folder of Markdown files scored with ``vlmhb evaluate --answers-dir`` sit side by side;
the best mean of each row is marked by the metric's direction (edit distances ↓, TEDS ↑).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from ..core import AggregateRow, MetricInfo
from ._model import RunReport
from ._stats import fmt_with_ci
from .html import environment
from .markdown import md_cell, md_table

__all__ = [
    "page_attributes_comparison_html",
    "page_attributes_comparison_md",
    "page_attributes_html",
    "page_attributes_md",
]

_NOTE = (
    "Each metric's mean over the pages of each page attribute value (OmniDocBench's page-averaged "
    "figures per attribute; the summary holds all pages). ↑ higher is better (TEDS), ↓ lower is "
    "better (edit distances)."
)


def _arrow(metric: MetricInfo) -> str:
    return "↑" if metric.higher_is_better else "↓"


def _attribute_rows(report: RunReport) -> dict[str, list[AggregateRow]]:
    """The run's rows per attribute, in first-seen order, without the ``ALL`` row."""
    out: dict[str, list[AggregateRow]] = {}
    for row in report.by_page_attribute:
        attribute = row.group.get("attribute", "")
        if attribute and attribute != "ALL":
            out.setdefault(attribute, []).append(row)
    return out


def _value(row: AggregateRow) -> str:
    return row.group.get("value", "") or "(none)"


@dataclass(frozen=True, slots=True)
class _RunTable:
    """One attribute of one run: value × metric."""

    attribute: str
    header: list[str]
    body: list[list[object]]


def _run_tables(report: RunReport) -> list[_RunTable]:
    header = ["value", "n", *(f"{m.name} {_arrow(m)}" for m in report.metrics)]
    return [
        _RunTable(
            attribute,
            header,
            [
                [
                    _value(r),
                    r.n,
                    *(fmt_with_ci(r.values.get(m.name), r.ci.get(m.name)) for m in report.metrics),
                ]
                for r in rows
            ],
        )
        for attribute, rows in _attribute_rows(report).items()
    ]


def page_attributes_md(report: RunReport) -> list[str]:
    """The run report's ``## Page attributes`` section (nothing without attribute rows)."""
    tables = _run_tables(report) if report.metrics else []
    if not tables:
        return []
    out = ["## Page attributes", _NOTE + " Mean [CI]."]
    for t in tables:
        out += [f"### {md_cell(t.attribute)}", md_table(t.header, t.body)]
    return out


_RUN_HTML = """
<h2 id="page-attributes">Page attributes</h2>
<p class="muted">{{ note }} Mean [CI].</p>
{% for t in tables %}
<h3>{{ t.attribute }}</h3>
<table><tr>{% for h in t.header %}<th>{{ h }}</th>{% endfor %}</tr>
{% for cells in t.body %}<tr><td>{{ cells[0] }}</td>{% for v in cells[1:] %}<td class="num">{{ v }}</td>{% endfor %}</tr>
{% endfor %}</table>
{% endfor %}
"""


def page_attributes_html(report: RunReport) -> Markup:
    """The run report's page-attributes section (empty markup without attribute rows)."""
    tables = _run_tables(report) if report.metrics else []
    if not tables:
        return Markup("")
    return Markup(environment().from_string(_RUN_HTML).render(note=_NOTE, tables=tables))


@dataclass(frozen=True, slots=True)
class _Cell:
    text: str
    best: bool


@dataclass(frozen=True, slots=True)
class _ComparisonTable:
    """One attribute of one task: a row per (value, metric), a column per run."""

    task: str
    attribute: str
    labels: list[str]
    rows: list[tuple[str, str, str, list[_Cell]]]
    """(value, n per run, metric header, one cell per run)."""

    @property
    def header(self) -> list[str]:
        """``value``, ``n``, ``metric``, then each run's label."""
        return ["value", "n", "metric", *self.labels]


def _labels(runs: Sequence[RunReport]) -> list[str]:
    """Each run's model, or its run id where two runs share a model."""
    models = [r.model for r in runs]
    return [r.model if models.count(r.model) == 1 else r.run_id for r in runs]


def _cells(metric: MetricInfo, rows: Sequence[AggregateRow | None]) -> list[_Cell]:
    means = [r.values.get(metric.name) if r is not None else None for r in rows]
    known = [m for m in means if m is not None]
    best = (max(known) if metric.higher_is_better else min(known)) if len(known) >= 2 else None
    return [
        _Cell(
            fmt_with_ci(mean, row.ci.get(metric.name)) if row is not None else "—",
            best is not None and mean == best,
        )
        for row, mean in zip(rows, means, strict=True)
    ]


def _n(rows: Sequence[AggregateRow | None]) -> str:
    counts = ["—" if r is None else str(r.n) for r in rows]
    return counts[0] if len(set(counts)) == 1 else " / ".join(counts)


def _comparison_tables(reports: Sequence[RunReport]) -> list[_ComparisonTable]:
    tables = []
    for task in sorted({r.task for r in reports}):
        runs = [r for r in reports if r.task == task and r.metrics and _attribute_rows(r)]
        if not runs:
            continue
        metrics: dict[str, MetricInfo] = {}
        attributes: dict[str, dict[str, None]] = {}
        per_run = [_attribute_rows(r) for r in runs]
        for run, by_attribute in zip(runs, per_run, strict=True):
            for m in run.metrics:
                metrics.setdefault(m.name, m)
            for attribute, rows in by_attribute.items():
                attributes.setdefault(attribute, {}).update(dict.fromkeys(_value(r) for r in rows))
        labels = _labels(runs)
        for attribute, values in attributes.items():
            body = []
            for value in values:
                found = [
                    next((r for r in by_attribute.get(attribute, []) if _value(r) == value), None)
                    for by_attribute in per_run
                ]
                n = _n(found)
                for m in metrics.values():
                    present = [
                        row if run.metric(m.name) else None for row, run in zip(found, runs, strict=True)
                    ]
                    body.append((value, n, f"{m.name} {_arrow(m)}", _cells(m, present)))
            tables.append(_ComparisonTable(task, attribute, labels, body))
    return tables


def page_attributes_comparison_md(reports: Sequence[RunReport]) -> list[str]:
    """The comparison's ``## Page attributes`` section: per task and attribute, runs side by side."""
    tables = _comparison_tables(reports)
    if not tables:
        return []
    out = [
        "## Page attributes",
        _NOTE + " Mean [CI]; one column per run, the best mean of a row in **bold**.",
    ]
    for t in tables:
        body = [
            [value, n, metric, *(f"**{c.text}**" if c.best else c.text for c in cells)]
            for value, n, metric, cells in t.rows
        ]
        out += [f"### Task {md_cell(t.task)}: {md_cell(t.attribute)}", md_table(t.header, body)]
    return out


_COMPARISON_HTML = """
<h2 id="page-attributes">Page attributes</h2>
<p class="muted">{{ note }} Mean [CI]; one column per run, the best mean of a row in bold.</p>
{% for t in tables %}
<h3>Task {{ t.task }}: {{ t.attribute }}</h3>
<table><tr>{% for h in t.header %}<th>{{ h }}</th>{% endfor %}</tr>
{% for value, n, metric, cells in t.rows %}<tr><td>{{ value }}</td><td class="num">{{ n }}</td><td>{{ metric }}</td>{% for c in cells %}<td class="num{{ ' best' if c.best else '' }}">{{ c.text }}</td>{% endfor %}</tr>
{% endfor %}</table>
{% endfor %}
"""


def page_attributes_comparison_html(reports: Sequence[RunReport]) -> Markup:
    """The comparison's page-attributes section (empty markup when no run has attribute rows)."""
    tables = _comparison_tables(reports)
    if not tables:
        return Markup("")
    return Markup(environment().from_string(_COMPARISON_HTML).render(note=_NOTE, tables=tables))
