"""The files stages talk through: one model per file, with its reader and writer.

```text
runs/<experiment>/<run_id>/
  run_spec.json      RunSpec          planner → every stage (read-only)
  manifest.json      Manifest         planner creates; each stage adds its section
  answers.jsonl      AnswerRecord     infer appends + flushes each; evaluate reads
  metrics/           metrics_by_id.csv, metrics_<aggregator>.csv, metrics.json
  report/            report.md, report.json, report.html
  logs/<stage>.log
```
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ._io import JsonlAppender, read_json_model, read_jsonl_models, write_json_model
from ._process import ProcessRef
from .answer import AnswerRecord
from .environment import EnvironmentInfo, EnvironmentSpec
from .resources import ResourceSpec

__all__ = [
    "SCHEMA_VERSION",
    "AggregateRow",
    "BenchmarkScore",
    "BenchmarkSpec",
    "DatasetSpec",
    "GenerationParams",
    "Manifest",
    "MetricInfo",
    "MetricsDir",
    "MetricsSummary",
    "PluginRef",
    "PromptSpec",
    "PublishedScore",
    "RunDir",
    "RunSpec",
    "RunState",
    "RunStateRecord",
    "SampleScoreRecord",
    "StageInfo",
    "StatisticsSpec",
    "experiment_runs",
]

SCHEMA_VERSION = 1

RunStatus = Literal["pending", "running", "completed", "failed", "interrupted"]
"""``interrupted``: stopped by Ctrl-C or SIGTERM, or its process was killed outright; resumable."""

RunState = Literal[
    "queued", "preparing", "running", "evaluating", "completed", "failed", "cancelled", "interrupted"
]
"""A run's life as ``events.jsonl`` tells it: waiting for a slot or GPUs, preparing its
environment, inferring, evaluating or reporting, then how it ended (``cancelled``: stopped
before it started; ``interrupted``: stopped while it ran)."""


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PluginRef(_Spec):
    """A registered plugin by name, with its validated options."""

    name: str
    options: dict[str, Any] = Field(default_factory=dict)


class DatasetSpec(_Spec):
    """The dataset a run reads, resolved."""

    path: str
    """Absolute path of the dataset root (the folder holding the annotations)."""
    url: str | None = None
    """The ``s3://`` folder it was fetched from (``path`` is then this machine's cached copy;
    a stage on another machine fetches the URL again)."""
    layout: str
    """Loader name: ``prototype_csv`` or ``jsonl``."""
    fingerprint: str
    """SHA-256 over the annotation file and every image's bytes."""
    filters: dict[str, list[str]] = Field(default_factory=dict)
    """Kept values per sample attribute (doc_class, question_type, split); empty = all."""
    n_samples: int = 0
    """Samples after filtering by task and filters."""


class BenchmarkSpec(_Spec):
    """The public benchmark a run evaluates (a ``benchmark:`` preset), resolved."""

    name: str
    version: str = ""
    format: str
    """The source format it was read in (``vlmhb datasets list``)."""
    source: str
    """The downloaded benchmark (a folder or file), as given."""
    split: str | None = None
    subset: str | None = None
    imported: str = ""
    """The native copy the run reads (``$VLMHB_CACHE_DIR/datasets/...``)."""
    skipped: int = 0
    """Invalid source rows left out (``skip_invalid``)."""


class GenerationParams(_Spec):
    """Decoding settings sent with every request; greedy and bounded by default."""

    max_tokens: int = Field(default=1024, ge=1)
    temperature: float = Field(default=0.0, ge=0.0)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    seed: int | None = 0
    stop: list[str] = Field(default_factory=list)


class PromptSpec(_Spec):
    """How prompts are chosen for the run's samples."""

    system: str | None = None
    """System prompt template (Jinja2), if any."""
    user: str | None = None
    """Fixed user prompt template that overrides everything else."""
    mapping: dict[str, str] = Field(default_factory=dict)
    """``"<doc_class> <question_type>"`` (or ``"<doc_class>"``) → user prompt template."""
    mapping_source: str | None = None
    """File the mapping came from (a prompt collection), for the record."""
    user_source: str | None = None
    """Where the fixed ``user`` prompt came from (``builtin:parse/olmocr``); recorded as the
    answers' ``prompt.source`` instead of ``override``."""
    fingerprint: str = ""
    """Hash of everything above: answers made with other prompts are not reused."""


class StatisticsSpec(_Spec):
    """How uncertainty is estimated: seeded percentile bootstrap."""

    resamples: int = Field(default=1000, ge=0)
    """Bootstrap resamples for confidence intervals (0 turns them off)."""
    confidence: float = Field(default=0.95, gt=0.0, lt=1.0)
    seed: int = 0
    paired_resamples: int = Field(default=10000, ge=100)
    """Resamples of the paired test between runs in the comparison report."""


class RunSpec(_Spec):
    """One resolved run: everything a stage needs, written by the planner."""

    schema_version: int = SCHEMA_VERSION
    experiment: str
    run_id: str
    task: str
    dataset: DatasetSpec
    backend: PluginRef
    model: str
    """Model name as shown in reports (catalogue entry or backend model id)."""
    prompts: PromptSpec
    generation: GenerationParams = Field(default_factory=GenerationParams)
    metrics: list[PluginRef]
    aggregators: list[str]
    statistics: StatisticsSpec = Field(default_factory=StatisticsSpec)
    concurrency: int = Field(default=4, ge=1)
    """Requests in flight at once."""
    hang_after_s: float = Field(default=600.0, gt=0)
    """A request with no new token for this long is recorded as hung and the run goes on."""
    seed: int = 0
    only_evaluate: bool = False
    """Skip inference and score the answers already in the run directory."""
    prototype_csv: bool = False
    """Evaluate also writes the prototype's answers and metric CSVs (``<run>/prototype/``)."""
    environment: EnvironmentSpec = Field(default_factory=EnvironmentSpec)
    """Where the stages run and what they install at start."""
    benchmark: BenchmarkSpec | None = None
    """The public benchmark preset the run evaluates, if any."""
    resources: ResourceSpec = Field(default_factory=ResourceSpec)
    """What the run's inference stage needs (GPUs, memory); see `ResourceSpec`."""


class StageInfo(BaseModel):
    """What one stage did."""

    status: RunStatus = "pending"
    started_at: float | None = None
    finished_at: float | None = None
    duration_s: float | None = None
    counts: dict[str, int] = Field(default_factory=dict)
    error: str | None = None
    log_tail: str | None = None
    environment: str | None = None
    """Id of the `EnvironmentInfo` (manifest ``environments``) the stage last ran in."""
    node: str | None = None
    """The Ray node id the stage last ran on (``executor: ray``); None elsewhere."""
    gpus: list[str] = Field(default_factory=list)
    """UUIDs of the GPUs the GPU scheduler assigned to the stage (empty: none assigned)."""


class RunStateRecord(BaseModel):
    """One line of ``events.jsonl``: a run entered a state."""

    model_config = ConfigDict(extra="forbid")

    time: float
    """Unix time."""
    run_id: str
    state: RunState
    stage: str | None = None
    """The stage it concerns (``infer`` for running, ``evaluate``/``report`` for evaluating)."""
    detail: str | None = None
    """The GPUs assigned, or the error."""
    gpus: list[str] = Field(default_factory=list)
    """UUIDs of the GPUs assigned (``preparing`` of a scheduled run)."""


class Manifest(BaseModel):
    """What actually ran: resolved spec, code and data versions, host, stage timings."""

    schema_version: int = SCHEMA_VERSION
    experiment: str
    run_id: str
    status: RunStatus = "pending"
    created_at: float = Field(default_factory=time.time)
    spec: RunSpec
    registry: dict[str, str] = Field(default_factory=dict)
    """``kind:name`` → ``module:qualname@version`` of every plugin the run uses."""
    packages: dict[str, str] = Field(default_factory=dict)
    git_commit: str | None = None
    dataset_fingerprint: str = ""
    seeds: dict[str, int] = Field(default_factory=dict)
    host: dict[str, Any] = Field(default_factory=dict)
    stages: dict[str, StageInfo] = Field(default_factory=dict)
    environments: dict[str, EnvironmentInfo] = Field(default_factory=dict)
    """Every environment a stage of this run ran in, by id (answers carry the id in ``env``)."""
    owner: ProcessRef | None = None
    """The ``vlmhb`` process driving the run; a ``running`` run whose owner is gone reads as
    ``interrupted``."""

    def mark_orphaned(self) -> bool:
        """Read a ``running`` run whose owner process is gone as ``interrupted``.

        Returns:
            Whether anything changed.
        """
        if self.status != "running" or self.owner is None or not self.owner.is_gone():
            return False
        self.status = "interrupted"
        for info in self.stages.values():
            if info.status == "running":
                info.status = "interrupted"
                info.error = info.error or (
                    f"interrupted: the vlmhb process running it (pid {self.owner.pid}) is gone"
                )
        return True


class MetricInfo(_Spec):
    """A metric exactly as computed: name, version, options."""

    name: str
    version: str
    options: dict[str, Any] = Field(default_factory=dict)
    higher_is_better: bool
    pooled: bool = False
    """Whether aggregates also carry a corpus-level (pooled) value."""


class AggregateRow(BaseModel):
    """One group of an aggregator: its key, size and metric values."""

    group: dict[str, str] = Field(default_factory=dict)
    n: int
    values: dict[str, float | None]
    """Metric name → mean of per-sample values (None when no sample could be scored)."""
    n_scored: dict[str, int] = Field(default_factory=dict)
    """Metric name → samples with a value (the mean's denominator)."""
    pooled: dict[str, float | None] = Field(default_factory=dict)
    """Metric name → corpus value (total edits / total reference length, corpus BLEU...)."""
    ci: dict[str, tuple[float, float] | None] = Field(default_factory=dict)
    """Metric name → bootstrap confidence interval of the mean (general, by_doc_class, by_split)."""
    pooled_ci: dict[str, tuple[float, float] | None] = Field(default_factory=dict)
    """Metric name → bootstrap confidence interval of the pooled value."""
    lenient: dict[str, float | None] = Field(default_factory=dict)
    """Metric name → mean when invalid structured answers are repaired (strict is `values`)."""
    details: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Metric name → further corpus statistics (precision/recall, confusion matrix...)."""


class PublishedScore(BaseModel):
    """A score a benchmark's users quote, with where it was published."""

    model: str
    value: float
    """On the benchmark's own scale (the one its headline uses)."""
    split: str
    """The split it was measured on (``test`` results come from the benchmark's server)."""
    source: str
    """Paper, model card or leaderboard (URL)."""
    note: str = ""


class BenchmarkScore(BaseModel):
    """A benchmark's headline number, computed by its official rule (``metrics.json``)."""

    benchmark: str
    title: str
    name: str
    """What the number is called, e.g. ``ANLS`` or ``OCRBench score``."""
    metric: str
    """The per-sample metric it is computed from."""
    value: float | None
    unit: str = ""
    """``%`` (a mean × 100) or ``points`` (a count, OCRBench)."""
    rule: str = ""
    """How the number is computed, in words."""
    parts: dict[str, float | None] = Field(default_factory=dict)
    """Sub-scores the benchmark reports (ChartQA human/augmented, OCRBench categories)."""
    n: int = 0
    ci: tuple[float, float] | None = None
    """The headline's confidence interval, where the benchmark's rule defines one
    (olmOCR-bench: its stratified bootstrap), on the scale of ``value``."""
    published: list[PublishedScore] = Field(default_factory=list)


class MetricsSummary(BaseModel):
    """``metrics/metrics.json``."""

    schema_version: int = SCHEMA_VERSION
    metrics: list[MetricInfo]
    statistics: StatisticsSpec = Field(default_factory=StatisticsSpec)
    n_samples: int
    """Samples scored (answers present)."""
    n_errors: int = 0
    """Samples whose request failed; scored as empty answers."""
    n_missing: int = 0
    """Dataset samples with no answer in the answers file (not scored)."""
    dataset_fingerprint: str = ""
    answers_file: str = ""
    tasks: list[str] = Field(default_factory=list)
    """Tasks scored; a dataset's samples of other tasks were not expected to be answered."""
    aggregates: dict[str, list[AggregateRow]] = Field(default_factory=dict)
    benchmark: BenchmarkScore | None = None
    """The benchmark's headline number, for runs of a ``benchmark:`` preset."""


class SampleScoreRecord(BaseModel):
    """One line of ``metrics/samples.jsonl``: a sample's answer, references and scores."""

    model_config = ConfigDict(extra="forbid")

    sample_id: str
    doc_class: str = ""
    question_type: str = ""
    split: str = ""
    task: str = ""
    answer: str | None = None
    """Raw answer; None when the request failed."""
    references: list[str] = Field(default_factory=list)
    """References in the form the metrics compared (canonical JSON for KIE)."""
    scores: dict[str, float | None] = Field(default_factory=dict)
    lenient_scores: dict[str, float | None] = Field(default_factory=dict)
    """Scores on the repaired answer, when the strict answer was invalid."""
    details: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Metric name → per-sample details (per-field matches, labels...)."""
    error: str | None = None
    """Why the request failed (the sample was scored as an empty answer)."""
    invalid: str | None = None
    """Why the answer could not be parsed (scored as an empty answer)."""
    images: list[str] = Field(default_factory=list)


class MetricsDir:
    """The files evaluation writes (a run's ``metrics/`` or ``vlmhb evaluate --out``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def by_id_csv(self) -> Path:
        """``metrics_by_id.csv``: ``sample_id`` then one column per metric."""
        return self.root / "metrics_by_id.csv"

    def aggregate_csv(self, aggregator: str) -> Path:
        """``metrics_<aggregator>.csv``: one row per group of that aggregator."""
        return self.by_id_csv if aggregator == "by_id" else self.root / f"metrics_{aggregator}.csv"

    @property
    def summary_json(self) -> Path:
        """``metrics.json``: the `MetricsSummary`."""
        return self.root / "metrics.json"

    @property
    def samples_jsonl(self) -> Path:
        """``samples.jsonl``: one `SampleScoreRecord` per scored sample."""
        return self.root / "samples.jsonl"

    def read_summary(self) -> MetricsSummary:
        """Read ``metrics.json``."""
        return read_json_model(self.summary_json, MetricsSummary)

    def write_summary(self, summary: MetricsSummary) -> None:
        """Write ``metrics.json`` atomically."""
        write_json_model(self.summary_json, summary)

    def read_samples(self) -> list[SampleScoreRecord]:
        """Every record of ``samples.jsonl`` (empty when absent)."""
        if not self.samples_jsonl.exists():
            return []
        return [rec for _, rec in read_jsonl_models(self.samples_jsonl, SampleScoreRecord)]


_ASIDE = re.compile(r"\.old-\d{8}-\d{6}(-\d+)?$")
"""Suffix of a run folder moved aside by ``--fresh``: ``<run>.old-<time>`` is not a run."""


class RunDir:
    """The layout of one run directory; nobody else joins these path strings."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def move_aside(self) -> Path:
        """Rename the folder to ``<name>.old-<time>`` (never deleted) and return the new path."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.root.with_name(f"{self.root.name}.old-{stamp}")
        n = 1
        while aside.exists():
            n += 1
            aside = self.root.with_name(f"{self.root.name}.old-{stamp}-{n}")
        self.root.rename(aside)
        return aside

    @property
    def metrics(self) -> MetricsDir:
        """``metrics/``: what evaluate writes."""
        return MetricsDir(self.root / "metrics")

    @property
    def run_spec(self) -> Path:
        """``run_spec.json``: the resolved `RunSpec`."""
        return self.root / "run_spec.json"

    @property
    def manifest(self) -> Path:
        """``manifest.json``: what actually ran."""
        return self.root / "manifest.json"

    @property
    def answers(self) -> Path:
        """``answers.jsonl``: one `AnswerRecord` per line."""
        return self.root / "answers.jsonl"

    @property
    def metrics_dir(self) -> Path:
        """``metrics/``: what evaluate writes."""
        return self.root / "metrics"

    @property
    def metrics_json(self) -> Path:
        """``metrics/metrics.json``: the `MetricsSummary`."""
        return self.metrics.summary_json

    @property
    def samples(self) -> Path:
        """Per-sample answers, references, scores and flags written by evaluate."""
        return self.metrics.samples_jsonl

    @property
    def report_dir(self) -> Path:
        """``report/``: report.md, report.json, report.html."""
        return self.root / "report"

    @property
    def logs_dir(self) -> Path:
        """``logs/``: one log file per stage."""
        return self.root / "logs"

    @property
    def prototype_dir(self) -> Path:
        """``prototype/``: the prototype's answers and metric CSVs, when the run writes them."""
        return self.root / "prototype"

    @property
    def events(self) -> Path:
        """``events.jsonl``: the run's states (`RunStateRecord`), appended by the orchestrator."""
        return self.root / "events.jsonl"

    def append_state(self, record: RunStateRecord) -> None:
        """Append one state to ``events.jsonl``."""
        with JsonlAppender(self.events) as appender:
            appender.append(record)

    def read_states(self) -> list[RunStateRecord]:
        """Every state of ``events.jsonl`` in order (empty when absent)."""
        if not self.events.exists():
            return []
        return [rec for _, rec in read_jsonl_models(self.events, RunStateRecord)]

    @property
    def heartbeat(self) -> Path:
        """``.heartbeat``: touched every second by the vlmhb process driving a stage; a stage
        in a container stops when it goes stale (`vlmhyperbench.envs.lifeline`)."""
        return self.root / ".heartbeat"

    def log_file(self, stage: str) -> Path:
        """``logs/<stage>.log``."""
        return self.logs_dir / f"{stage}.log"

    def read_spec(self) -> RunSpec:
        """Read ``run_spec.json``."""
        return read_json_model(self.run_spec, RunSpec)

    def write_spec(self, spec: RunSpec) -> None:
        """Write ``run_spec.json`` atomically."""
        write_json_model(self.run_spec, spec)

    def read_manifest(self) -> Manifest:
        """Read ``manifest.json``; a run left ``running`` by a process that is gone reads as
        ``interrupted`` (see `Manifest.mark_orphaned`)."""
        manifest = read_json_model(self.manifest, Manifest)
        manifest.mark_orphaned()
        return manifest

    def write_manifest(self, manifest: Manifest) -> None:
        """Write ``manifest.json`` atomically."""
        write_json_model(self.manifest, manifest)

    def read_answers(self) -> list[AnswerRecord]:
        """Every record of ``answers.jsonl`` in file order (empty when absent)."""
        if not self.answers.exists():
            return []
        return [rec for _, rec in read_jsonl_models(self.answers, AnswerRecord)]

    def latest_answers(self) -> dict[str, AnswerRecord]:
        """The last record per sample id: a success wins over earlier failures."""
        latest: dict[str, AnswerRecord] = {}
        for rec in self.read_answers():
            previous = latest.get(rec.sample_id)
            if previous is None or not previous.ok or rec.ok:
                latest[rec.sample_id] = rec
        return latest

    def answers_appender(self) -> JsonlAppender:
        """An appender on ``answers.jsonl``."""
        return JsonlAppender(self.answers)

    def read_metrics(self) -> MetricsSummary:
        """Read ``metrics/metrics.json``."""
        return self.metrics.read_summary()

    def write_metrics(self, summary: MetricsSummary) -> None:
        """Write ``metrics/metrics.json`` atomically."""
        self.metrics.write_summary(summary)


def experiment_runs(root: Path) -> list[RunDir]:
    """The run folders of an experiment folder, by name: those holding ``run_spec.json``,
    without the ones ``--fresh`` moved aside."""
    if not root.is_dir():
        return []
    return [
        RunDir(p)
        for p in sorted(root.iterdir())
        if not _ASIDE.search(p.name) and (p / "run_spec.json").is_file()
    ]
