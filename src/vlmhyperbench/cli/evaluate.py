"""``vlmhb evaluate`` (re-score answers) and ``vlmhb report`` (rebuild reports)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer
import yaml
from pydantic import ValidationError
from rich.markup import escape
from rich.progress import Progress

from ..aggregators import DEFAULT_AGGREGATORS, canonical_aggregator
from ..core import (
    ConfigError,
    MetricsDir,
    RunDir,
    SourceLocation,
    StatisticsSpec,
    experiment_runs,
    problems_from_validation_error,
)
from ..datasets import load_dataset
from ..metrics import build_metric
from ..reports._stats import fmt_with_ci
from ..stages.evaluate import evaluate_answers
from ..stages.prototype_files import write_prototype_files
from ..stages.report import report_run, write_experiment_comparison
from ._common import console, err_console, friendly_errors

__all__ = ["evaluate", "report"]


_METRIC = re.compile(r"\s*([A-Za-z0-9_.-]+)\s*(?:\[([^\]]*)\])?\s*(?:,|$)")


def parse_metric_list(text: str) -> list[dict[str, Any]]:
    """``anls,exact_match[case_sensitive=true,fold_yo=true]`` → metric references.

    Option values are read as YAML scalars (``true``, ``0.4``, ``text``).
    """
    refs: list[dict[str, Any]] = []
    position = 0
    while position < len(text.strip()):
        match = _METRIC.match(text, position)
        if match is None or match.end() == position:
            raise ConfigError(
                f"cannot read --metrics at {text[position:]!r}",
                hint="write name or name[option=value,...], separated by commas",
            )
        name, options = match.group(1), match.group(2)
        ref: dict[str, Any] = {"name": name}
        for item in filter(None, (o.strip() for o in (options or "").split(","))):
            key, sep, value = item.partition("=")
            if not sep:
                raise ConfigError(f"metric option {item!r} of '{name}' has no '='", hint="write option=value")
            ref[key.strip()] = yaml.safe_load(value.strip())
        refs.append(ref)
        position = match.end()
    return refs


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


@friendly_errors
def evaluate(
    dataset: Path = typer.Option(
        ..., "--dataset", "-d", help="Dataset folder (annotation.csv or annotation.jsonl)."
    ),
    answers: Path = typer.Option(
        ..., "--answers", "-a", help="answers.jsonl (sample_id, answer) or id;model_answer CSV."
    ),
    metrics: str = typer.Option(
        ...,
        "--metrics",
        help="Comma-separated metrics, each with optional options: cer,anls[threshold=0.4],exact_match.",
    ),
    out: Path = typer.Option(..., "--out", help="Folder for metrics_*.csv and metrics.json."),
    aggregators: str = typer.Option(
        ",".join(DEFAULT_AGGREGATORS), "--aggregators", help="Comma-separated aggregators."
    ),
    layout: str = typer.Option("auto", "--layout", help="Dataset layout: auto, prototype_csv or jsonl."),
    doc_class: list[str] | None = typer.Option(None, "--doc-class", help="Only these doc classes."),
    question_type: list[str] | None = typer.Option(
        None, "--question-type", help="Only these question types."
    ),
    task: list[str] | None = typer.Option(
        None,
        "--task",
        help="Only samples of these tasks (default: the tasks of the answered samples; "
        "a dataset's samples of other tasks are not counted as missing).",
    ),
    bootstrap: int = typer.Option(1000, "--bootstrap", help="Bootstrap resamples for intervals (0: none)."),
    confidence: float = typer.Option(0.95, "--confidence", help="Confidence level of the intervals."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap."),
    prototype_csv: bool = typer.Option(
        False,
        "--prototype-csv",
        help="Also write the prototype's <answers>_<aggregator>.csv files (and <answers>.csv "
        "for JSONL answers) into --out, for its downstream scripts.",
    ),
) -> None:
    """Score an answers file against a dataset (no model needed; images may be absent)."""
    built = [build_metric(ref, SourceLocation(key="--metrics")) for ref in parse_metric_list(metrics)]
    if len({m.name for m in built}) != len(built):
        raise ConfigError("a metric is listed twice in --metrics")
    try:
        stats = StatisticsSpec(resamples=bootstrap, confidence=confidence, seed=seed)
    except ValidationError as exc:
        raise ConfigError(
            problems=problems_from_validation_error(exc, SourceLocation(key="options"))
        ) from None
    data = load_dataset(dataset, layout=layout, check_images=False)
    with Progress(console=err_console, transient=True) as bar:
        scoring = bar.add_task("scoring", total=None)
        summary = evaluate_answers(
            data,
            answers,
            built,
            out,
            aggregator_names=[
                canonical_aggregator(a, SourceLocation(key="--aggregators")) for a in _names(aggregators)
            ],
            filters={"doc_class": doc_class or [], "question_type": question_type or [], "task": task or []},
            statistics=stats,
            progress=lambda done, total: bar.update(scoring, completed=done, total=total),
        )
    general = summary.aggregates.get("general")
    if general:
        row = general[0]
        values = ", ".join(
            f"{k}={fmt_with_ci(v, row.ci.get(k))}" if v is not None else f"{k}=—"
            for k, v in row.values.items()
        )
        console.print(f"{summary.n_samples} answers scored: {values}")
    if summary.n_missing:
        console.print(f"[yellow]{summary.n_missing} dataset samples have no answer and were not scored[/]")
    other = sorted({s.task for s in data.samples} - set(summary.tasks))
    if other:
        n_other = sum(1 for s in data.samples if s.task in other)
        console.print(
            f"{n_other} samples of other tasks ({', '.join(other)}) were not scored (--task chooses)"
        )
    if prototype_csv:
        answers_dir = None if answers.suffix.lower() == ".csv" else out
        write_prototype_files(
            MetricsDir(out),
            stem=answers.stem,
            metrics_dir=out,
            answers_dir=answers_dir,
            samples=data.samples,
            dataset_root=data.root,
        )
    console.print(f"written to {out}")


@friendly_errors
def report(
    path: Path = typer.Argument(..., help="A run folder, or an experiment folder holding runs."),
) -> None:
    """Rebuild the reports of a run, or of every run of an experiment and their comparison.

    Folders that --fresh moved aside (RUN.old-TIME) are not runs and are left out.
    """
    if RunDir(path).run_spec.exists():
        for written in report_run(RunDir(path)):
            console.print(f"wrote {written}")
        return
    runs = experiment_runs(path)
    if not runs:
        raise ConfigError(
            f"{path} is neither a run folder nor an experiment folder",
            hint="a run folder holds run_spec.json; an experiment folder holds run folders",
        )
    for run_dir in runs:
        report_run(run_dir)
        console.print(f"wrote {run_dir.report_dir}")
    with_metrics = [r for r in runs if r.metrics_json.exists()]
    unscored = [r.root.name for r in runs if not r.metrics_json.exists()]
    if unscored:
        console.print(
            f"[yellow]not in the comparison, no metrics yet:[/] {escape(', '.join(unscored))} "
            "(inference only?): score them with `vlmhb run` (answers are reused) "
            "or `vlmhb stage evaluate --run-dir RUN`",
            soft_wrap=True,
        )
    if not with_metrics:
        console.print("no comparison written: no run of this experiment has metrics")
        return
    for written in write_experiment_comparison(path, with_metrics):
        console.print(f"wrote {written}")
