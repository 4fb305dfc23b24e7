"""Paired comparison of runs on the same samples: "is model A really better on invoices?".

For every two runs of the same task on the same dataset (same fingerprint), every metric
both computed with the same version and options, and every group (all samples, then
each doc_class): the per-sample differences A − B over the samples both scored, their
mean with a bootstrap confidence interval, and a two-sided sign-flip permutation
p-value (`vlmhyperbench.aggregators.bootstrap.paired_test`). Seeds come from run A's
statistics settings, so the report is reproducible.
"""

from __future__ import annotations

import csv
import io
import itertools
import logging
from collections.abc import Sequence

from pydantic import BaseModel

from ..aggregators.bootstrap import PairedResult, paired_test, seeded_rng
from ..core import MetricInfo, RunDir, SampleScoreRecord, UserError, read_jsonl_models
from ._model import RunReport
from ._stats import fmt_num
from .markdown import md_table

__all__ = [
    "PAIRED_HEADER",
    "PAIRED_NOTE",
    "PairedRow",
    "paired_cells",
    "paired_csv",
    "paired_md",
    "paired_rows",
    "paired_verdict",
]

logger = logging.getLogger(__name__)

ALPHA = 0.05
"""Significance level used for the verdict column."""


class PairedRow(BaseModel):
    """Run A minus run B for one metric on one group of samples."""

    task: str
    metric: str
    higher_is_better: bool
    run_a: str
    run_b: str
    doc_class: str
    """``""`` for all samples."""
    n: int
    mean_a: float | None
    mean_b: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    min_p_value: float | None = None
    """The smallest p-value the test could give with these pairs (2 / 2^differing pairs)."""
    verdict: str
    """``<run> better``, ``no significant difference``, or ``too few samples (…)`` when no
    outcome could have reached p < 0.05 (``min_p_value`` ≥ 0.05)."""


def _scores(run_dir: RunDir) -> dict[str, SampleScoreRecord]:
    if not run_dir.samples.exists():
        return {}
    try:
        return {r.sample_id: r for _, r in read_jsonl_models(run_dir.samples, SampleScoreRecord)}
    except UserError as exc:
        logger.warning("no paired comparison for %s: %s", run_dir.root, exc)
        return {}


def _common_metrics(a: RunReport, b: RunReport) -> list[MetricInfo]:
    theirs = {(m.name, m.version, repr(sorted(m.options.items()))) for m in b.metrics}
    return [m for m in a.metrics if (m.name, m.version, repr(sorted(m.options.items()))) in theirs]


def _row(
    a: RunReport, b: RunReport, metric: MetricInfo, doc_class: str, pairs: list[tuple[float, float]]
) -> PairedRow:
    stats = a.statistics
    rng = seeded_rng(stats.seed, "paired", a.run_id, b.run_id, metric.name, doc_class)
    result = paired_test(
        [p[0] for p in pairs],
        [p[1] for p in pairs],
        resamples=stats.paired_resamples,
        confidence=stats.confidence,
        rng=rng,
    )
    ci = result.ci or (None, None)
    return PairedRow(
        task=a.task,
        metric=metric.name,
        higher_is_better=metric.higher_is_better,
        run_a=a.run_id,
        run_b=b.run_id,
        doc_class=doc_class,
        n=result.n,
        mean_a=result.mean_a if result.n else None,
        mean_b=result.mean_b if result.n else None,
        difference=result.difference if result.n else None,
        ci_low=ci[0],
        ci_high=ci[1],
        p_value=result.p_value,
        min_p_value=result.min_p_value,
        verdict=paired_verdict(result, a.run_id, b.run_id, metric.higher_is_better, stats.paired_resamples),
    )


def paired_verdict(
    result: PairedResult, run_a: str, run_b: str, higher_is_better: bool, resamples: int
) -> str:
    """Which run is better, or why the test cannot tell.

    With m differing pairs a sign-flip p-value is never below 2 / 2^m, so at m ≤ 5 no
    outcome is significant at 0.05 even when the bootstrap interval excludes 0: that is
    "too few samples", not "no significant difference".
    """
    if result.p_value is None or result.n < 2:
        return f"too few samples (n={result.n}): no test is possible"
    if result.n_nonzero == 0:
        return "no significant difference"
    floor = result.min_p_value or 0.0
    if floor >= ALPHA:
        bound = f"the smallest possible p is {fmt_num(floor, 3)}, never below {ALPHA:g}"
        if 2.0 ** (1 - result.n_nonzero) < ALPHA:
            return f"too few resamples ({resamples}): {bound}"
        if result.n_nonzero < result.n:
            return f"too few samples ({result.n_nonzero} of {result.n} pairs differ): {bound}"
        return f"too few samples (n={result.n}): {bound}"
    if result.p_value < ALPHA and result.difference != 0:
        a_better = (result.difference > 0) == higher_is_better
        return f"{run_a if a_better else run_b} better"
    return "no significant difference"


def paired_rows(reports: Sequence[RunReport], run_dirs: Sequence[RunDir]) -> list[PairedRow]:
    """Every paired comparison between runs that share a task and a dataset fingerprint."""
    scores = {r.run_id: _scores(d) for r, d in zip(reports, run_dirs)}
    rows: list[PairedRow] = []
    for a, b in itertools.combinations(reports, 2):
        if a.task != b.task or a.dataset.fingerprint != b.dataset.fingerprint:
            continue
        sa, sb = scores[a.run_id], scores[b.run_id]
        common = [sid for sid in sa if sid in sb]
        for metric in _common_metrics(a, b):
            groups: dict[str, list[tuple[float, float]]] = {"": []}
            for sid in common:
                x, y = sa[sid].scores.get(metric.name), sb[sid].scores.get(metric.name)
                if x is None or y is None:
                    continue
                groups[""].append((x, y))
                groups.setdefault(sa[sid].doc_class, []).append((x, y))
            rows += [_row(a, b, metric, doc_class, pairs) for doc_class, pairs in groups.items()]
    return rows


PAIRED_HEADER = [
    "task",
    "metric",
    "run A",
    "run B",
    "doc_class",
    "n",
    "mean A",
    "mean B",
    "A − B",
    "CI low",
    "CI high",
    "p-value",
    "verdict",
]


def paired_cells(row: PairedRow) -> list[object]:
    """The cells of one row under `PAIRED_HEADER`."""
    return [
        row.task,
        row.metric,
        row.run_a,
        row.run_b,
        row.doc_class or "(all)",
        row.n,
        row.mean_a,
        row.mean_b,
        row.difference,
        row.ci_low,
        row.ci_high,
        row.p_value,
        row.verdict,
    ]


PAIRED_NOTE = (
    "Run A − run B on the samples both scored, per metric, over all samples and per doc_class: "
    "difference of means with its bootstrap interval and a two-sided sign-flip permutation p-value; "
    f"the verdict uses p < {ALPHA:g}. With m pairs that differ, the p-value cannot go below 2 / 2^m, "
    'so with 5 or fewer the verdict is "too few samples" whatever the interval says.'
)
"""What the paired table shows and how to read its verdicts (Markdown and HTML)."""


def paired_md(pairs: list[PairedRow]) -> list[str]:
    """The "Paired comparisons" section of ``comparison.md``; nothing without pairs."""
    if not pairs:
        return []
    body = [[fmt_num(v) if v is None or isinstance(v, float) else v for v in paired_cells(p)] for p in pairs]
    return ["## Paired comparisons", PAIRED_NOTE, md_table(PAIRED_HEADER, body)]


def paired_csv(pairs: list[PairedRow]) -> str:
    """``comparison_pairs.csv``: every `PairedRow` field, one row per comparison."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(list(PairedRow.model_fields))
    for p in pairs:
        writer.writerow(
            ["" if v is None else repr(v) if isinstance(v, float) else v for v in p.model_dump().values()]
        )
    return buf.getvalue()
