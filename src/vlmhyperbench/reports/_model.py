"""`RunReport`: everything a run report shows, as ``report.json`` holds it.

The Markdown and HTML writers render this model only; they never read the run
directory, so every report format shows the same numbers.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from ..core import (
    AggregateRow,
    BenchmarkScore,
    BenchmarkSpec,
    GenerationParams,
    MetricInfo,
    Registry,
    StatisticsSpec,
)
from ._stats import Performance

__all__ = [
    "REPORT_SCHEMA_VERSION",
    "BackendSummary",
    "Counts",
    "DatasetSummary",
    "ErrorExample",
    "ErrorSummary",
    "InvalidExample",
    "InvalidSummary",
    "PromptsSummary",
    "ReportWriter",
    "RunReport",
    "SentPrompt",
    "StageTiming",
    "WorstSample",
    "report_writers",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

REPORT_SCHEMA_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BackendSummary(_Model):
    """The backend plugin and its options (secret-looking values redacted)."""

    name: str
    options: dict[str, Any] = Field(default_factory=dict)


class DatasetSummary(_Model):
    """The dataset the run read."""

    name: str
    """Folder name of the dataset root."""
    path: str
    layout: str
    fingerprint: str
    n_samples: int
    filters: dict[str, list[str]] = Field(default_factory=dict)


class SentPrompt(_Model):
    """One distinct prompt as sent, and how many samples got it."""

    system: str | None
    user: str
    source: str
    count: int


class PromptsSummary(_Model):
    """How prompts were configured, and the prompts actually sent."""

    system: str | None = None
    user: str | None = None
    """Fixed user prompt that overrides every other rule, if set."""
    mapping_source: str | None = None
    mapping_size: int = 0
    """Entries in the ``doc_class question_type`` → prompt mapping."""
    n_distinct: int = 0
    """Distinct (system, user, source) prompts sent; ``sent`` keeps the most common."""
    sent: list[SentPrompt] = Field(default_factory=list)


class Counts(_Model):
    """How many samples reached each step."""

    n_dataset: int
    """Samples in the dataset after filtering (from the run spec)."""
    n_answers: int
    """Samples with an answer record."""
    n_ok: int
    n_errors: int
    n_scored: int | None = None
    """Samples scored by the evaluate stage; None when metrics are missing."""
    n_missing: int | None = None
    """Dataset samples without an answer when the metrics were computed."""


class WorstSample(_Model):
    """A low-scoring sample, with what is needed to look at it."""

    sample_id: str
    doc_class: str = ""
    question_type: str = ""
    metric: str
    score: float
    answer: str | None
    references: list[str]
    image: str | None
    """Absolute path of the sample's first page image."""
    invalid: str | None = None


class ErrorExample(_Model):
    """One failed request."""

    sample_id: str
    kind: str
    message: str


class ErrorSummary(_Model):
    """Failed requests (latest record per sample)."""

    count: int = 0
    by_kind: dict[str, int] = Field(default_factory=dict)
    examples: list[ErrorExample] = Field(default_factory=list)


class InvalidExample(_Model):
    """One answer the task could not parse (scored as empty)."""

    sample_id: str
    reason: str
    answer: str | None


class InvalidSummary(_Model):
    """Answers that could not be parsed."""

    count: int = 0
    examples: list[InvalidExample] = Field(default_factory=list)


class StageTiming(_Model):
    """What one stage did, from the manifest."""

    status: str
    started_at: float | None = None
    finished_at: float | None = None
    duration_s: float | None = None
    counts: dict[str, int] = Field(default_factory=dict)
    error: str | None = None
    environment: str | None = None
    """Where it ran, in one line: executor, image and its id or venv, Python, key packages."""


class RunReport(_Model):
    """Everything a run report shows: ``report/report.json``.

    Sections whose input file is missing are empty, and ``missing`` says why.
    """

    schema_version: int = REPORT_SCHEMA_VERSION
    generated_at: float
    """Unix time the report was built."""
    experiment: str
    run_id: str
    status: str
    """Run status from the manifest (``unknown`` without one)."""
    model: str
    task: str
    backend: BackendSummary
    dataset: DatasetSummary
    prompts: PromptsSummary
    generation: GenerationParams
    metrics: list[MetricInfo] = Field(default_factory=list)
    """Metrics exactly as computed: ``name@version``, options, direction."""
    statistics: StatisticsSpec = Field(default_factory=StatisticsSpec)
    """How the confidence intervals were computed."""
    counts: Counts
    benchmark: BenchmarkScore | None = None
    """The headline of a ``benchmark:`` preset run, with published scores."""
    benchmark_source: BenchmarkSpec | None = None
    """Which benchmark files, format and split the run read."""
    summary: AggregateRow | None = None
    """The ``general`` aggregate: mean and pooled value of each metric."""
    by_doc_class: list[AggregateRow] = Field(default_factory=list)
    by_field: list[AggregateRow] = Field(default_factory=list)
    """One row per (doc_class, question_type)."""
    by_split: list[AggregateRow] = Field(default_factory=list)
    """The ``by_split`` aggregate, one row per split in the dataset's order (robustness)."""
    by_page_attribute: list[AggregateRow] = Field(default_factory=list)
    """The ``by_page_attribute`` aggregate: an ``ALL`` row, then one row per (page attribute,
    value) of the pages (OmniDocBench's data_source, language, layout...; page parsing)."""
    worst_metric: str | None = None
    """The metric ``worst_samples`` is ranked by (the first one)."""
    worst_samples: list[WorstSample] = Field(default_factory=list)
    performance: Performance = Field(default_factory=Performance)
    errors: ErrorSummary = Field(default_factory=ErrorSummary)
    invalid: InvalidSummary = Field(default_factory=InvalidSummary)
    stages: dict[str, StageTiming] = Field(default_factory=dict)
    packages: dict[str, str] = Field(default_factory=dict)
    git_commit: str | None = None
    host: dict[str, Any] = Field(default_factory=dict)
    missing: list[str] = Field(default_factory=list)
    """One sentence per input that is missing or unreadable."""
    perf: list[dict[str, Any]] = Field(default_factory=list)
    """``vlmhb perf`` level summaries attached to the run (``perf/<level>/summary.json``),
    validated as `vlmhyperbench.perf.LevelSummary` and kept as its JSON (perf builds on
    reports, so this model cannot name that class)."""

    def metric(self, name: str) -> MetricInfo | None:
        """The `MetricInfo` called ``name``, if the run computed it."""
        return next((m for m in self.metrics if m.name == name), None)


class ReportWriter(Protocol):
    """Renders a `RunReport` into one file of ``out_dir``."""

    def write(self, report: RunReport, out_dir: Path) -> Path:
        """Write the report and return the file's path."""
        ...


report_writers: Registry[type[ReportWriter]] = Registry(
    "reports",
    builtins=(
        "vlmhyperbench.reports.markdown",
        "vlmhyperbench.reports.json_report",
        "vlmhyperbench.reports.html",
    ),
)
"""Report formats by name: ``md``, ``json``, ``html`` and plugins."""
