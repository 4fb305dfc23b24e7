"""The comparison page's data, read from the index: two runs' outcomes and their paired test.

The outcomes and the disagreeing samples (`comparison_context`) take a few database queries;
the paired test (`paired_context`, 10,000 resamples: most of a second on 5,000 samples) is
fetched by the page separately (``/compare/paired``), so the table never waits for it. Both
are cached per state of the two runs (their ``indexed_at``).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core import RunDir, RunSpec, UserError
from ._compare import DEFAULT_THRESHOLD, PairedComparison, RunComparison, compare_scores, paired_comparison
from .db import Index, MetricRow, Run, SampleRow, SampleScore

__all__ = ["comparison_context", "metric_directions", "paired_context", "parse_run_ref"]

_LISTED = 200
"""Disagreeing samples listed on the comparison page."""
_CACHE_SIZE = 64
_COMPARISONS: dict[tuple[object, ...], RunComparison] = {}
"""Outcomes by both runs' (pk, indexed_at), metric and threshold."""
_PAIRED: dict[tuple[object, ...], PairedComparison] = {}
"""Paired tests by both runs' (pk, indexed_at) and metric: computed once per state of the runs."""
_CACHE_LOCK = threading.Lock()


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
    with _CACHE_LOCK:  # handlers run in a thread pool
        while len(cache) >= _CACHE_SIZE:
            cache.pop(next(iter(cache)))  # the oldest entry
        cache[key] = value


def metric_directions(session: Session, run: Run) -> dict[str, bool]:
    """Metric → higher is better, from the run's metric rows, in metrics.json's order."""
    stmt = (
        select(MetricRow.metric, MetricRow.higher_is_better)
        .where(MetricRow.run_pk == run.id)
        .group_by(MetricRow.metric, MetricRow.higher_is_better)
        .order_by(func.min(MetricRow.id))
    )
    rows = session.execute(stmt).all()
    return {metric: bool(up) for metric, up in rows}


def parse_run_ref(index: Index, session: Session, ref: str, which: str) -> Run:
    """The run named ``EXPERIMENT/RUN_ID`` by query parameter ``which``."""
    experiment, _, run_id = ref.strip().partition("/")
    if not experiment or not run_id:
        raise UserError(f"?{which}={ref!r} is not a run", hint="write it as EXPERIMENT/RUN_ID")
    run = index.get_run(session, experiment, run_id)
    if run is None:
        raise UserError(f"?{which}={ref!r}: no such run in {index.runs_dir}", hint="pick one from the lists")
    return run


def _spec(run: Run) -> RunSpec:
    try:
        return RunDir(Path(run.path)).read_spec()
    except UserError as exc:
        raise UserError(f"run {run.experiment}/{run.run_id}: {exc.render()}") from None


def _scores(session: Session, run: Run, metric: str) -> dict[str, float | None]:
    stmt = (
        select(SampleRow.sample_id, SampleScore.value)
        .join(SampleScore, SampleScore.sample_pk == SampleRow.id)
        .where(SampleRow.run_pk == run.id, SampleScore.metric == metric)
        .order_by(SampleRow.ordinal.asc().nulls_last(), SampleRow.id)
    )  # samples.jsonl's order: the comparison report's, so the bootstrap draws the same pairs
    return {sid: value for sid, value in session.execute(stmt)}


def _check_same_dataset(a: Run, b: Run) -> tuple[RunSpec, RunSpec]:
    spec_a, spec_b = _spec(a), _spec(b)
    if spec_a.dataset.fingerprint != spec_b.dataset.fingerprint:
        raise UserError(
            f"{a.experiment}/{a.run_id} and {b.experiment}/{b.run_id} ran on different datasets "
            f"({spec_a.dataset.path} {spec_a.dataset.fingerprint[:19]}, "
            f"{spec_b.dataset.path} {spec_b.dataset.fingerprint[:19]})",
            hint="a sample-by-sample comparison needs two runs on the same dataset",
        )
    return spec_a, spec_b


def _metric_and_threshold(params: Mapping[str, str], common: list[str]) -> tuple[str, float]:
    if not common:
        raise UserError("the two runs have no metric in common", hint="evaluate both with the same metric")
    metric = params.get("metric") or common[0]
    if metric not in common:
        raise UserError(f"?metric={metric!r} is not scored in both runs", hint=f"one of: {', '.join(common)}")
    try:
        return metric, float(params.get("threshold") or DEFAULT_THRESHOLD)
    except ValueError:
        raise UserError(f"?threshold={params.get('threshold')!r} is not a number", hint="e.g. 0.5") from None


def _answers(session: Session, runs: tuple[Run, Run], ids: list[str]) -> dict[tuple[int, str], str | None]:
    out: dict[tuple[int, str], str | None] = {}
    for run in runs:
        stmt = select(SampleRow.sample_id, SampleRow.answer).where(
            SampleRow.run_pk == run.id, SampleRow.sample_id.in_(ids)
        )
        out.update({(run.id, sid): answer for sid, answer in session.execute(stmt)})
    return out


def _pair(
    params: Mapping[str, str], session: Session, index: Index
) -> tuple[Run, Run, RunSpec, RunSpec, dict[str, bool], list[str], str, float]:
    a = parse_run_ref(index, session, params.get("a", ""), "a")
    b = parse_run_ref(index, session, params.get("b", ""), "b")
    spec_a, spec_b = _check_same_dataset(a, b)
    directions = metric_directions(session, a)
    common = [m for m in directions if m in metric_directions(session, b)]
    metric, threshold = _metric_and_threshold(params, common)
    return a, b, spec_a, spec_b, directions, common, metric, threshold


def comparison_context(params: Mapping[str, str], session: Session, index: Index) -> dict[str, Any]:
    """The comparison page's outcomes and disagreeing samples (``?a=``, ``?b=``, ``?metric=``,
    ``?threshold=``), without the paired test; a `UserError` for a bad request."""
    a, b, spec_a, spec_b, directions, common, metric, threshold = _pair(params, session, index)
    key = (a.id, a.indexed_at, b.id, b.indexed_at, metric, threshold)
    result = _COMPARISONS.get(key)
    if result is None:
        result = compare_scores(
            _scores(session, a, metric),
            _scores(session, b, metric),
            run_a=a.run_id,
            run_b=b.run_id,
            metric=metric,
            higher_is_better=directions[metric],
            threshold=threshold,
        )
        _remember(_COMPARISONS, key, result)
    shown = result.disagreements[:_LISTED]
    options = [[m.options for m in spec.metrics if m.name == metric] for spec in (spec_a, spec_b)]
    return {
        "a": a,
        "b": b,
        "metric": metric,
        "metrics": common,
        "result": result,
        "shown": shown,
        "answers": _answers(session, (a, b), [p.sample_id for p in shown]),
        "options_differ": options[0] != options[1],
    }


def paired_context(params: Mapping[str, str], session: Session, index: Index) -> dict[str, Any]:
    """The paired test of the same request (the threshold plays no part); a `UserError` for a
    bad request."""
    a, b, spec_a, _, directions, _, metric, _ = _pair(params, session, index)
    key = (a.id, a.indexed_at, b.id, b.indexed_at, metric)
    paired = _PAIRED.get(key)
    if paired is None:
        paired = paired_comparison(
            _scores(session, a, metric),
            _scores(session, b, metric),
            run_a=a.run_id,
            run_b=b.run_id,
            metric=metric,
            higher_is_better=directions[metric],
            statistics=spec_a.statistics,
        )
        _remember(_PAIRED, key, paired)
    return {"metric": metric, "test": paired}
