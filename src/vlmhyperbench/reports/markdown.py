"""``report.md``: the run report as Markdown tables, readable in any viewer or diff."""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..core import AggregateRow, atomic_write_text
from ._model import RunReport, report_writers
from ._stats import Distribution, fmt_ci, fmt_num, fmt_time, fmt_with_ci, timing_note

__all__ = ["MarkdownReport", "md_cell", "md_table"]

logger = logging.getLogger(__name__)

_CELL_LIMIT = 200


def md_cell(value: object, limit: int = _CELL_LIMIT) -> str:
    """A table cell: numbers formatted; text clipped, HTML and ``|`` escaped, newlines ``<br>``."""
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return fmt_num(value)
    text = str(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    text = html.escape(text, quote=False).replace("|", "\\|")
    return re.sub(r"\r\n|\r|\n", "<br>", text)


def md_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table; every cell goes through `md_cell`."""
    lines = [
        "| " + " | ".join(md_cell(h) for h in header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _fenced(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def _metric_columns(report: RunReport) -> list[tuple[str, str, bool]]:
    """(header, metric name, pooled?) for each metric, its pooled value after it."""
    columns: list[tuple[str, str, bool]] = []
    for m in report.metrics:
        columns.append((m.name, m.name, False))
        if m.pooled:
            columns.append((f"{m.name} (pooled)", m.name, True))
    return columns


def _group_table(report: RunReport, rows: list[AggregateRow], keys: list[str]) -> str:
    columns = _metric_columns(report)
    return md_table(
        [*keys, "n", *(c[0] for c in columns)],
        [
            [
                *(r.group.get(k, "") for k in keys),
                r.n,
                *(
                    fmt_with_ci(
                        (r.pooled if pooled else r.values).get(name),
                        (r.pooled_ci if pooled else r.ci).get(name),
                    )
                    for _, name, pooled in columns
                ),
            ]
            for r in rows
        ],
    )


def _run(report: RunReport) -> list[str]:
    c = report.counts
    return [
        "## Run",
        md_table(
            ["Item", "Value"],
            [
                ["Experiment", report.experiment],
                ["Run id", report.run_id],
                ["Status", report.status],
                ["Task", report.task],
                ["Generated", fmt_time(report.generated_at)],
                ["Dataset samples", c.n_dataset],
                ["Answers", c.n_answers],
                ["Successful", c.n_ok],
                ["Failed requests", c.n_errors],
                ["Scored", c.n_scored],
                ["Without answer at scoring", c.n_missing],
            ],
        ),
    ]


def _model_and_prompts(report: RunReport) -> list[str]:
    p = report.prompts
    out = [
        "## Model and prompts",
        md_table(
            ["Item", "Value"],
            [
                ["Model", report.model],
                ["Backend", report.backend.name],
                ["Backend options", json.dumps(report.backend.options, ensure_ascii=False)],
                ["Generation", json.dumps(report.generation.model_dump(mode="json"))],
                ["Prompt mapping", f"{p.mapping_source or 'none'} ({p.mapping_size} entries)"],
            ],
        ),
    ]
    if p.system:
        out += ["System prompt template:", _fenced(p.system)]
    if p.user:
        out += ["User prompt override:", _fenced(p.user)]
    if p.sent:
        out += [
            f"Prompts sent: {p.n_distinct} distinct (most common {len(p.sent)} shown).",
            md_table(
                ["Count", "Source", "System", "User"], [[s.count, s.source, s.system, s.user] for s in p.sent]
            ),
        ]
    return out


def _dataset(report: RunReport) -> list[str]:
    d = report.dataset
    filters = "; ".join(f"{k}: {', '.join(v)}" for k, v in d.filters.items()) or "none"
    return [
        "## Dataset",
        md_table(
            ["Item", "Value"],
            [
                ["Name", d.name],
                ["Path", d.path],
                ["Layout", d.layout],
                ["Fingerprint", d.fingerprint],
                ["Samples", d.n_samples],
                ["Filters", filters],
            ],
        ),
    ]


def _scores(report: RunReport) -> list[str]:
    if not report.metrics:
        return [
            "## Summary",
            "No metrics: see the missing inputs above.",
            "## By document class",
            "—",
            "## By field",
            "—",
        ]
    general = report.summary
    lenient = bool(general and general.lenient)
    header = ["Metric", "Version", "Better", "Mean (strict)", "CI", "Pooled", "Pooled CI"]
    header += ["Lenient mean"] if lenient else []
    body = []
    for m in report.metrics:
        row: list[object] = [
            m.name,
            m.version,
            "higher" if m.higher_is_better else "lower",
            general.values.get(m.name) if general else None,
            fmt_ci(general.ci.get(m.name)) if general else "—",
            general.pooled.get(m.name) if general and m.pooled else None,
            fmt_ci(general.pooled_ci.get(m.name)) if general and m.pooled else "—",
        ]
        if lenient and general:
            row.append(general.lenient.get(m.name))
        body.append(row)
    stats = report.statistics
    out = [
        "## Summary",
        md_table(header, body),
        f"CI: {stats.confidence:.0%} seeded percentile bootstrap, {stats.resamples} resamples "
        f"(seed {stats.seed}). Strict: invalid structured answers score as empty; "
        "lenient: scored after JSON repair. Options: "
        + "; ".join(f"{m.name} {json.dumps(m.options, ensure_ascii=False)}" for m in report.metrics),
    ]
    for m in report.metrics:
        details = general.details.get(m.name, {}) if general else {}
        if details.get("confusion_matrix"):
            labels = details["labels"]
            out += [
                f"### Confusion matrix: {md_cell(m.name)} (rows true, columns predicted)",
                md_table(
                    ["", *labels], [[labels[i], *row] for i, row in enumerate(details["confusion_matrix"])]
                ),
            ]
    out += [
        "## By document class",
        _group_table(report, report.by_doc_class, ["doc_class"]) if report.by_doc_class else "—",
        "## By field",
    ]
    classes = list(dict.fromkeys(r.group.get("doc_class", "") for r in report.by_field))
    for doc_class in classes:
        rows = [r for r in report.by_field if r.group.get("doc_class", "") == doc_class]
        out += [f"### {md_cell(doc_class or '(none)')}", _group_table(report, rows, ["question_type"])]
    return out if classes else [*out, "—"]


def _worst(report: RunReport) -> list[str]:
    out = ["## Worst samples"]
    if not report.worst_samples:
        return [*out, "—"]
    metric = report.metric(report.worst_metric or "")
    direction = "lowest" if metric is None or metric.higher_is_better else "highest"
    out.append(
        f"The {len(report.worst_samples)} answered samples with the {direction} `{report.worst_metric}`."
    )
    out.append(
        md_table(
            ["#", "Sample", "doc_class", "question_type", "Score", "Answer", "References", "Image"],
            [
                [
                    i,
                    w.sample_id,
                    w.doc_class,
                    w.question_type,
                    w.score,
                    w.answer if w.answer is not None else "(no answer)",
                    " ‖ ".join(w.references),
                    w.image,
                ]
                for i, w in enumerate(report.worst_samples, start=1)
            ],
        )
    )
    return out


def _performance(report: RunReport) -> list[str]:
    perf = report.performance
    dists: list[tuple[str, Distribution | None]] = [
        ("latency_s", perf.latency_s),
        ("ttft_s", perf.ttft_s),
        ("tpot_s", perf.tpot_s),
        ("output_tokens_per_s", perf.output_tokens_per_s),
    ]
    out = ["## Performance", timing_note(perf)]
    if any(d is not None for _, d in dists):
        header = ["Quantity", "count", "mean", "p50", "p90", "p95", "p99", "min", "max"]
        out.append(
            md_table(
                header,
                [
                    [name, d.count, d.mean, d.p50, d.p90, d.p95, d.p99, d.min, d.max]
                    for name, d in dists
                    if d is not None
                ],
            )
        )
    sources = ", ".join(f"{k}: {v}" for k, v in perf.usage_source.items()) or "—"
    out.append(
        md_table(
            ["Tokens", "Total"],
            [
                ["prompt", perf.prompt_tokens],
                ["completion", perf.completion_tokens],
                ["total", perf.total_tokens],
                ["usage source", sources],
            ],
        )
    )
    return out


def _errors(report: RunReport) -> list[str]:
    e, inv = report.errors, report.invalid
    out = ["## Errors", f"Failed requests: {e.count}."]
    if e.by_kind:
        out.append(md_table(["Kind", "Count"], sorted(e.by_kind.items())))
        out.append(
            md_table(["Sample", "Kind", "Message"], [[x.sample_id, x.kind, x.message] for x in e.examples])
        )
    out.append(f"Invalid answers (could not be parsed; scored as empty): {inv.count}.")
    if inv.examples:
        out.append(
            md_table(
                ["Sample", "Reason", "Answer"], [[x.sample_id, x.reason, x.answer] for x in inv.examples]
            )
        )
    return out


def _environment(report: RunReport) -> list[str]:
    out = [
        "## Environment",
        md_table(
            ["Item", "Value"],
            [
                ["Git commit", report.git_commit],
                *(
                    [f"host.{k}", json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v]
                    for k, v in report.host.items()
                ),
            ],
        ),
    ]
    if report.stages:
        header = ["Stage", "Status", "Started", "Duration (s)", "Counts", "Environment", "Error"]
        out += [
            "Stages:",
            md_table(
                header,
                [
                    [
                        name,
                        s.status,
                        fmt_time(s.started_at),
                        s.duration_s,
                        ", ".join(f"{k}={v}" for k, v in s.counts.items()),
                        s.environment,
                        s.error,
                    ]
                    for name, s in report.stages.items()
                ],
            ),
        ]
    if report.packages:
        out += ["Packages:", md_table(["Package", "Version"], sorted(report.packages.items()))]
    return out


def _benchmark(report: RunReport) -> list[str]:
    from ._benchmark import benchmark_md  # it renders tables with this module's helpers

    return benchmark_md([report])


def _robustness(report: RunReport) -> list[str]:
    from ._robustness import robustness_md  # it renders tables with this module's helpers

    return robustness_md(report)


def _page_attributes(report: RunReport) -> list[str]:
    from ._page_attributes import page_attributes_md  # it renders tables with this module's helpers

    return page_attributes_md(report)


def render_markdown(report: RunReport) -> str:
    """The whole Markdown document for ``report``."""
    parts = [f"# Run report: {md_cell(report.run_id)}"]
    parts += [f"> **Missing:** {md_cell(note, 1000)}" for note in report.missing]
    for section in (
        _run,
        _benchmark,
        _model_and_prompts,
        _dataset,
        _scores,
        _robustness,
        _page_attributes,
        _worst,
        _performance,
        _errors,
        _environment,
    ):
        parts += section(report)
    return "\n\n".join(parts) + "\n"


@report_writers.register("md", version="1.0.0")
class MarkdownReport:
    """Markdown tables: ``report/report.md``."""

    filename = "report.md"

    def write(self, report: RunReport, out_dir: Path) -> Path:
        """Write ``report.md`` into ``out_dir``."""
        path = out_dir / self.filename
        atomic_write_text(path, render_markdown(report))
        logger.debug("wrote %s", path)
        return path
