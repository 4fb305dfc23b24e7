"""Resolve a run's ``benchmark:`` preset: import its source once, fill in its defaults.

The downloaded benchmark (``dataset:``) is read by the first of the preset's formats
that recognises it (or the one named by ``benchmark.format``) and imported into the
cache folder (`cached_import`); the run then reads that native copy like any dataset.
Task, prompt, metrics, aggregators and generation settings come from the preset unless
the run sets them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..benchmarks import Benchmark, benchmarks
from ..config import BenchmarkRef, RunConfig
from ..core import BenchmarkSpec, ConfigError, DatasetError, Problem, SourceLocation
from ..datasets import RowError
from ..datasets.sources import ReadOptions, cached_import, source_formats

__all__ = ["SPLIT_ALIASES", "check_headline_metric", "detect_format", "import_benchmark", "resolve_benchmark"]

logger = logging.getLogger(__name__)

SPLIT_ALIASES: dict[str, tuple[str, ...]] = {
    "val": ("validation", "valid", "dev"),
    "validation": ("val", "valid", "dev"),
    "test": ("testing",),
    "testing": ("test",),
    "train": ("training",),
    "training": ("train",),
}
"""Names the same split goes by in different releases (HF ``validation``, RRC ``val``,
FUNSD ``testing_data``)."""


def _candidates(split: str | None) -> list[str | None]:
    return [split] if split is None else [split, *SPLIT_ALIASES.get(split, ())]


def detect_format(
    source: Path,
    formats: Sequence[str],
    options: ReadOptions,
    where: SourceLocation | None = None,
    *,
    subset_optional: bool = False,
) -> tuple[str, ReadOptions]:
    """The first format (and spelling of the split) that reads a record from ``source``.

    With ``subset_optional`` (the subset is the preset's default, not the user's), a
    format that does not know the subset is tried again without it: a single-subset
    download (one TSV file) has no subset to choose.

    Raises:
        DatasetError: no format reads it; every format's own reason is listed.
    """
    reasons: list[Problem] = []
    subsets = [options.subset, None] if subset_optional and options.subset is not None else [options.subset]
    for name in formats:
        reader = source_formats.get(name)()
        for subset in subsets:
            for split in _candidates(options.split):
                attempt = ReadOptions(split=split, subset=subset, dpi=options.dpi, pages=options.pages)
                try:
                    next(iter(reader.read(source, attempt, RowError())), None)
                except DatasetError as exc:
                    if split == options.split and subset == options.subset:
                        reasons.extend(
                            Problem(p.location, f"[{name}] {p.message}", p.hint) for p in exc.problems
                        )
                    continue
                return name, attempt
    raise DatasetError(
        problems=[
            Problem(where, f"{source} is in none of the formats {', '.join(formats)}"),
            *reasons,
        ]
    )


def import_benchmark(
    preset: Benchmark,
    ref: BenchmarkRef,
    source: Path,
    locate: Callable[..., SourceLocation | None],
) -> BenchmarkSpec:
    """Import the part of ``source`` that ``ref`` names (cached) and describe it.

    ``locate(*key)`` gives the place of a key of ``ref`` (config keys or flags).
    """
    split = ref.split or preset.default_split
    if preset.splits and split is not None and split not in preset.splits:
        raise ConfigError(
            f"benchmark '{preset.name}' has no split '{split}'",
            location=locate("benchmark", "split"),
            hint=f"its splits: {', '.join(preset.splits)}",
        )
    subset = ref.subset or preset.default_subset
    options = ReadOptions(split=split, subset=subset, dpi=ref.dpi, pages=ref.pages)
    if ref.format is not None:
        source_formats.get(ref.format, locate("benchmark", "format"))
        formats: Sequence[str] = (ref.format,)
    else:
        formats = preset.formats
    fmt, options = detect_format(
        source, formats, options, locate("dataset"), subset_optional=ref.subset is None
    )
    logger.info("benchmark %s: importing %s (%s, split %s)", preset.name, source, fmt, options.split)
    imported, report = cached_import(
        fmt, source, options, limit=ref.limit, skip_invalid=ref.skip_invalid, where=locate("dataset")
    )
    return BenchmarkSpec(
        name=preset.name,
        version=benchmarks.entry(preset.name).version or "",
        format=fmt,
        source=str(source),
        split=options.split,
        subset=options.subset,
        imported=str(imported),
        skipped=report.skipped,
    )


def check_headline_metric(preset: Benchmark, names: Sequence[str], where: SourceLocation | None) -> None:
    """The metric the headline is computed from must be among the run's metrics."""
    if preset.headline.metric not in names:
        raise ConfigError(
            f"benchmark '{preset.name}' reports {preset.headline.name} from metric "
            f"'{preset.headline.metric}', which this run leaves out",
            location=where,
            hint=f"add '{preset.headline.metric}' to the metrics, or leave them out to use the preset's",
        )


def resolve_benchmark(
    run: RunConfig,
    source: Path,
    locate: Callable[..., SourceLocation | None],
) -> tuple[RunConfig, BenchmarkSpec, Benchmark]:
    """The run with the preset's defaults and its dataset replaced by the imported copy."""
    ref = run.benchmark
    assert ref is not None
    preset = benchmarks.get(ref.name, locate("benchmark", "name"))
    if run.task is not None and run.task != preset.task:
        raise ConfigError(
            f"benchmark '{preset.name}' is a '{preset.task}' benchmark, not '{run.task}'",
            location=locate("task"),
            hint="leave 'task' out of a benchmark run",
        )
    spec = import_benchmark(preset, ref, source, locate)
    updates: dict[str, Any] = {
        "task": preset.task,
        "dataset": run.dataset.model_copy(update={"path": Path(spec.imported), "layout": "jsonl"}),
    }
    if run.metrics is None:
        updates["metrics"] = list(preset.metrics)
    if "aggregators" not in run.model_fields_set:
        updates["aggregators"] = list(preset.aggregators)
    prompts = run.prompts
    if (
        prompts.user is None
        and prompts.collection is None
        and not prompts.mapping
        and prompts.builtin is None
    ):
        updates["prompts"] = prompts.model_copy(update={"user": preset.prompt})
    if preset.generation:
        given = run.generation.model_dump(exclude_unset=True)
        updates["generation"] = run.generation.model_copy(update={**preset.generation, **given})
    resolved = run.model_copy(update=updates)
    names = [m if isinstance(m, str) else str(m.get("name")) for m in resolved.metrics or ()]
    check_headline_metric(preset, names, locate("metrics"))
    return resolved, spec, preset
