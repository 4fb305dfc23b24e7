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
from ..benchmarks import Benchmark, benchmarks
from ..config import BenchmarkRef
from ..core import (
    BenchmarkSpec,
    ConfigError,
    MetricsDir,
    MetricsSummary,
    RunDir,
    SourceLocation,
    StatisticsSpec,
    experiment_runs,
    prepare_output_dir,
    problems_from_validation_error,
)
from ..datasets import Dataset, load_dataset
from ..metrics import Metric, build_metric
from ..orchestrator._benchmark import check_headline_metric, import_benchmark
from ..reports._benchmark import fmt_benchmark_value
from ..reports._stats import fmt_with_ci
from ..stages.answers_dir import CHECKS_CSV, evaluate_answers_dir, write_checks_csv
from ..stages.evaluate import evaluate_answers
from ..stages.prototype_files import write_prototype_files
from ..stages.report import report_run, with_included_runs, write_experiment_comparison
from ..storage import S3Url, is_s3_url
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


def _benchmark_dataset(
    name: str,
    source: Path,
    split: str | None,
    subset: str | None,
    source_format: str | None,
    skip_invalid: bool,
) -> tuple[Benchmark, BenchmarkSpec]:
    """The preset and what was imported (``spec.imported``: the native copy)."""
    preset = benchmarks.get(name, SourceLocation(key="--benchmark"))
    ref = BenchmarkRef(name=name, split=split, subset=subset, format=source_format, skip_invalid=skip_invalid)
    flags = {"split": "--split", "format": "--format", "name": "--benchmark", "dataset": "--dataset"}
    spec = import_benchmark(
        preset,
        ref,
        source.expanduser().resolve(),
        lambda *key: SourceLocation(key=flags.get(key[-1], key[-1])),
    )
    return preset, spec


@friendly_errors
def evaluate(
    dataset: Path = typer.Option(
        ...,
        "--dataset",
        "-d",
        help="Dataset folder (annotation.csv or annotation.jsonl); with --benchmark, the downloaded benchmark.",
    ),
    answers: Path | None = typer.Option(
        None, "--answers", "-a", help="answers.jsonl (sample_id, answer) or id;model_answer CSV."
    ),
    answers_dir: Path | None = typer.Option(
        None,
        "--answers-dir",
        help="Instead of --answers: a folder of Markdown files made elsewhere, one per page in the "
        "benchmark's naming (<sample id>.md or <sample id>_repeat<k>.md; olmOCR-bench "
        "<pdf path without .pdf>_pg<page>_repeat<k>.md, OmniDocBench <image stem>.md). --out is "
        "then written as a run folder (vlmhb report puts it in an experiment's comparison).",
    ),
    model_name: str | None = typer.Option(
        None,
        "--model-name",
        help="With --answers-dir: the tool that made the files, shown in reports (default: the folder's name).",
    ),
    metrics: str | None = typer.Option(
        None,
        "--metrics",
        help="Comma-separated metrics, each with optional options: cer,anls[threshold=0.4],exact_match "
        "(required unless --benchmark gives them).",
    ),
    out: Path = typer.Option(..., "--out", help="Folder for metrics_*.csv and metrics.json."),
    aggregators: str | None = typer.Option(
        None,
        "--aggregators",
        help=f"Comma-separated aggregators (default: {','.join(DEFAULT_AGGREGATORS)}, or the benchmark's).",
    ),
    benchmark: str | None = typer.Option(
        None,
        "--benchmark",
        help="Score as this public benchmark does (vlmhb benchmarks list): --dataset is its downloaded "
        "files, metrics and aggregators default to the preset's, metrics.json gets its headline.",
    ),
    split: str | None = typer.Option(
        None, "--split", help="With --benchmark: the split (default: the preset's)."
    ),
    subset: str | None = typer.Option(
        None, "--subset", help="With --benchmark: the configuration or subset."
    ),
    source_format: str | None = typer.Option(
        None, "--format", help="With --benchmark: the source format (default: detected)."
    ),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="With --benchmark: leave out invalid source rows instead of failing."
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
    """Score an answers file against a dataset (no model needed; images may be absent).

    With --benchmark, the answers are scored as that public benchmark scores them (its
    sample ids are the benchmark's question ids), whoever produced them. --answers-dir
    scores a folder of Markdown pages made by another tool into a run folder.
    """
    preset = source_spec = None
    _check_answer_flags(answers, answers_dir, model_name, prototype_csv)
    if benchmark is not None and layout != "auto":
        raise ConfigError(
            "--layout does not go with --benchmark",
            location=SourceLocation(key="--layout"),
            hint="with --benchmark the source is read in its own format: use --format",
        )
    if benchmark is not None:
        preset, source_spec = _benchmark_dataset(
            benchmark, dataset, split, subset, source_format, skip_invalid
        )
        dataset, layout = Path(source_spec.imported), "jsonl"
    elif any(v is not None for v in (split, subset, source_format)) or skip_invalid:
        raise ConfigError(
            "--split, --subset, --format and --skip-invalid go with --benchmark",
            hint="for a native dataset use --doc-class/--question-type/--task to choose samples",
        )
    if metrics is not None:
        refs = parse_metric_list(metrics)
    elif preset is not None:
        refs = [m if isinstance(m, dict) else {"name": m} for m in preset.metrics]
    else:
        raise ConfigError(
            "--metrics is required (or --benchmark, which gives them)",
            location=SourceLocation(key="--metrics"),
        )
    built = [build_metric(ref, SourceLocation(key="--metrics")) for ref in refs]
    if preset is not None:
        check_headline_metric(preset, [m.name for m in built], SourceLocation(key="--metrics"))
    if aggregators is None:
        aggregators = ",".join(preset.aggregators if preset is not None else DEFAULT_AGGREGATORS)
    if len({m.name for m in built}) != len(built):
        raise ConfigError("a metric is listed twice in --metrics")
    try:
        stats = StatisticsSpec(resamples=bootstrap, confidence=confidence, seed=seed)
    except ValidationError as exc:
        raise ConfigError(
            problems=problems_from_validation_error(exc, SourceLocation(key="options"))
        ) from None
    data = load_dataset(dataset, layout=layout, check_images=False)
    names = [canonical_aggregator(a, SourceLocation(key="--aggregators")) for a in _names(aggregators)]
    filters = {"doc_class": doc_class or [], "question_type": question_type or [], "task": task or []}
    if answers_dir is not None:
        _evaluate_folder(data, answers_dir, built, out, model_name, names, filters, stats, source_spec)
        return
    assert answers is not None  # _check_answer_flags
    with Progress(console=err_console, transient=True) as bar:
        scoring = bar.add_task("scoring", total=None)
        summary = evaluate_answers(
            data,
            answers,
            built,
            out,
            aggregator_names=names,
            filters=filters,
            statistics=stats,
            progress=lambda done, total: bar.update(scoring, completed=done, total=total),
            benchmark=preset,
        )
    _print_summary(summary)
    if any(m.name == "olmocr_bench" for m in built):
        write_checks_csv(MetricsDir(out), out / CHECKS_CSV)
    if summary.n_missing:
        console.print(f"[yellow]{summary.n_missing} dataset samples have no answer and were not scored[/]")
    other = sorted({s.task for s in data.samples} - set(summary.tasks))
    if other:
        n_other = sum(1 for s in data.samples if s.task in other)
        console.print(
            f"{n_other} samples of other tasks ({', '.join(other)}) were not scored (--task chooses)"
        )
    if prototype_csv:
        write_prototype_files(
            MetricsDir(out),
            stem=answers.stem,
            metrics_dir=out,
            answers_dir=None if answers.suffix.lower() == ".csv" else out,
            samples=data.samples,
            dataset_root=data.root,
        )
    console.print(f"written to {out}")


def _check_answer_flags(
    answers: Path | None, answers_dir: Path | None, model_name: str | None, prototype_csv: bool
) -> None:
    """Exactly one of --answers and --answers-dir; --model-name goes with the folder."""
    if (answers is None) == (answers_dir is None):
        raise ConfigError(
            "give either --answers (a file) or --answers-dir (a folder of Markdown files)",
            location=SourceLocation(key="--answers"),
        )
    if answers_dir is None and model_name is not None:
        raise ConfigError(
            "--model-name goes with --answers-dir",
            location=SourceLocation(key="--model-name"),
            hint="an answers file records its model in each line",
        )
    if answers_dir is not None and prototype_csv:
        raise ConfigError(
            "--prototype-csv goes with --answers",
            location=SourceLocation(key="--prototype-csv"),
            hint="score the folder's answers.jsonl (written into --out) with --answers to get them",
        )


def _evaluate_folder(
    data: Dataset,
    folder: Path,
    built: list[Metric],
    out: Path,
    model_name: str | None,
    names: list[str],
    filters: dict[str, list[str]],
    stats: StatisticsSpec,
    source: BenchmarkSpec | None,
) -> None:
    """--answers-dir: the folder's Markdown files scored into the run folder ``out``."""
    model = model_name or folder.resolve().name
    with Progress(console=err_console, transient=True) as bar:
        scoring = bar.add_task("scoring", total=None)
        summary, found = evaluate_answers_dir(
            data,
            folder,
            built,
            out,
            model=model,
            aggregator_names=names,
            filters=filters,
            statistics=stats,
            benchmark=source,
            progress=lambda done, total: bar.update(scoring, completed=done, total=total),
        )
    _print_summary(summary)
    if found.missing:
        shown = ", ".join(found.missing[:5]) + (", ..." if len(found.missing) > 5 else "")
        console.print(
            f"[yellow]{len(found.missing)} page(s) have no file and were scored as empty[/] ({escape(shown)})"
        )
    for problem in found.unreadable:
        console.print(f"[yellow]unreadable, scored as empty:[/] {escape(problem)}")
    if found.stray:
        shown = ", ".join(found.stray[:10]) + (", ..." if len(found.stray) > 10 else "")
        console.print(
            f"[yellow]warning: {len(found.stray)} .md file(s) match no page and were not read:[/] {escape(shown)}"
        )
    if (out / CHECKS_CSV).exists():
        console.print(f"per-test results: {out / CHECKS_CSV}")
    console.print(
        f"written to {out} (a run folder of model '{escape(model)}': `vlmhb report {out.parent}` "
        f"compares it with the other runs there; `vlmhb report EXPERIMENT --include {out}` adds it to another)"
    )


def _print_summary(summary: MetricsSummary) -> None:
    """The benchmark headline and the general metric values."""
    if summary.benchmark is not None:
        b = summary.benchmark
        value = fmt_benchmark_value(b.value, b.unit)
        if b.value is not None and b.unit not in ("", "points"):
            value += " " + b.unit
        if b.ci is not None and b.value is not None:
            low, high = (fmt_benchmark_value(v, b.unit) for v in b.ci)
            value += f" [{low}, {high}]"
        parts = ", ".join(f"{k} {fmt_benchmark_value(v, b.unit)}" for k, v in b.parts.items())
        console.print(
            f"[bold]{escape(b.title)}[/]: {escape(b.name)} {value}" + (f" ({escape(parts)})" if parts else "")
        )
    general = summary.aggregates.get("general")
    if general:
        row = general[0]
        values = ", ".join(
            f"{k}={fmt_with_ci(v, row.ci.get(k))}" if v is not None else f"{k}=—"
            for k, v in row.values.items()
        )
        console.print(f"{summary.n_samples} answers scored: {values}")


@friendly_errors
def report(
    location: str = typer.Argument(
        ...,
        metavar="PATH",
        help="A run folder, or an experiment folder holding runs; or either in a bucket "
        "(s3://bucket/prefix/EXPERIMENT[/RUN]: pulled into a local mirror, reported, pushed back).",
    ),
    include: list[Path] | None = typer.Option(
        None,
        "--include",
        help="A run folder kept elsewhere to compare beside the experiment's runs, e.g. the --out of "
        "`vlmhb evaluate --answers-dir` (repeatable). With --include, PATH may be a new folder: the "
        "comparison of the included runs alone is written there.",
    ),
) -> None:
    """Rebuild the reports of a run, or of every run of an experiment and their comparison.

    Folders that --fresh moved aside (RUN.old-TIME) are not runs and are left out.
    """
    if not is_s3_url(location):
        _report(Path(location), include)
        return
    from ..orchestrator._remote import output_location, pull_results, push_results

    where = SourceLocation(key="PATH")
    url = output_location(location)
    assert isinstance(url, S3Url)
    local = pull_results(url, where)
    _report(local, include)
    push_results(local, url, where)
    console.print(f"pushed the reports to {url} (local mirror: {local})", soft_wrap=True)


def _report(path: Path, include: list[Path] | None) -> None:
    """`report` on a local folder."""
    if RunDir(path).run_spec.exists():
        if include:
            raise ConfigError(
                f"--include goes with an experiment folder, and {path} is a run folder",
                location=SourceLocation(key="--include"),
                hint="name the experiment folder holding the run, or a new folder for the comparison",
            )
        for written in report_run(RunDir(path)):
            console.print(f"wrote {written}")
        return
    runs = with_included_runs(experiment_runs(path), include or [])
    if not runs:
        raise ConfigError(
            f"{path} is neither a run folder nor an experiment folder",
            hint="a run folder holds run_spec.json; an experiment folder holds run folders",
        )
    prepare_output_dir(path, "PATH")
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
