"""`ExperimentConfig`: what the user asks for, validated (YAML, JSON or the CSV matrix)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from ..aggregators import DEFAULT_AGGREGATORS
from ..core import ExecutorSpec, GenerationParams, ResourceSpec, StatisticsSpec
from ..core.resources import Dtype
from ..export import ExportTarget
from ..storage import S3Url, is_s3_url

__all__ = [
    "BenchmarkRef",
    "CatalogueEntry",
    "DatasetConfig",
    "ExperimentConfig",
    "FilterConfig",
    "ModelRef",
    "PromptConfig",
    "RunConfig",
]


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _s3_url(value: Any) -> Any:
    return S3Url(value) if is_s3_url(value) else value  # an invalid s3:// URL never becomes a Path


Location = Annotated[S3Url | Path, Field(union_mode="left_to_right"), BeforeValidator(_s3_url)]
"""A local folder, or an ``s3://bucket/prefix`` URL (kept whole: a `Path` would collapse ``//``)."""


def _as_list(value: Any) -> Any:
    if value is None:
        return []
    return [value] if isinstance(value, str) else value


class FilterConfig(_Config):
    """Keep only samples whose attribute is in the list (an empty list keeps all)."""

    doc_class: list[str] = Field(default_factory=list)
    question_type: list[str] = Field(default_factory=list)
    split: list[str] = Field(default_factory=list)

    _lists = field_validator("doc_class", "question_type", "split", mode="before")(_as_list)


class DatasetConfig(_Config):
    """Where the dataset is and which part of it to use."""

    path: Location
    """Dataset folder; relative paths are resolved against the config file's folder. An
    ``s3://bucket/prefix`` folder is downloaded once per machine into ``$VLMHB_CACHE_DIR``."""
    layout: str = "auto"
    """``auto`` (by annotation file), ``prototype_csv`` or ``jsonl``."""
    filters: FilterConfig = Field(default_factory=FilterConfig)


class BenchmarkRef(_Config):
    """A public benchmark preset (``vlmhb benchmarks list``) and which part of it to read."""

    name: str
    split: str | None = None
    """The split to evaluate (``val``, ``test``...); the preset's default when omitted."""
    subset: str | None = None
    """A configuration or subset (InfographicVQA in an HF folder, a CC-OCR track...)."""
    format: str | None = None
    """How the downloaded files are laid out (``vlmhb datasets list``); detected from
    the preset's formats when omitted."""
    skip_invalid: bool = False
    """Leave out invalid rows of the source (counted in the report) instead of failing."""
    limit: int | None = Field(default=None, ge=1)
    """Read only the first N questions (a quick look at a big split)."""
    dpi: int | None = Field(default=None, ge=36, le=1200)
    """Resolution PDF pages are rendered at (default: the format's, e.g. 144 for ``pdf``)."""
    pages: str | None = None
    """PDF page ranges, 1-based: ``"1-3,5"``."""


class ModelRef(_Config):
    """A model: a catalogue entry by name, or a backend with options, or both."""

    name: str | None = None
    """Catalogue entry (``vlmhb models list``)."""
    backend: str | None = None
    """Backend name, when not taken from the catalogue entry."""
    options: dict[str, Any] = Field(default_factory=dict)
    """Backend options; override the catalogue entry's."""


class PromptConfig(_Config):
    """How prompts are chosen (override → collection/mapping → dataset question)."""

    system: str | None = None
    """System prompt template (Jinja2)."""
    system_file: Path | None = None
    """A text file holding the system prompt (the prototype's SystemPrompts/*.txt)."""
    user: str | None = None
    """Fixed user prompt template for every sample (overrides the rest)."""
    collection: Path | None = None
    """Prompt collection file: prototype CSV or YAML/JSON."""
    builtin: str | None = None
    """A built-in prompt by name (``parse/olmocr``; docs/configuration.md, Built-in prompts):
    its user (and system) prompt, unless ``user`` (``system``) is given too."""
    mapping: dict[str, str] = Field(default_factory=dict)
    """``"<doc_class> <question_type>"`` or ``"<doc_class>"`` → user prompt template."""


class RunConfig(_Config):
    """One run: dataset × task × model × prompts × metrics × aggregators × filters."""

    name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    """Run id (folder name); derived from model, dataset and task when omitted."""
    task: str | None = None
    """Required unless ``benchmark`` gives it."""
    benchmark: BenchmarkRef | None = None
    """A public benchmark preset: ``dataset`` is then its downloaded files (any of the
    preset's formats) and task, prompt, metrics, aggregators and generation default to
    the preset's."""
    dataset: DatasetConfig
    model: ModelRef
    prompts: PromptConfig = Field(default_factory=PromptConfig)
    metrics: list[str | dict[str, Any]] | None = None
    """Metric names or ``{name: ..., <option>: ...}``; the task's defaults when omitted."""
    aggregators: list[str] = Field(default_factory=lambda: list(DEFAULT_AGGREGATORS))
    generation: GenerationParams = Field(default_factory=GenerationParams)
    statistics: StatisticsSpec = Field(default_factory=StatisticsSpec)
    """Bootstrap confidence intervals and the paired test: resamples, confidence, seed."""
    concurrency: int = Field(default=4, ge=1, le=1024)
    hang_after_s: float = Field(default=600.0, gt=0)
    """A request with no new token for this long is recorded as hung (watchdog)."""
    only_evaluate: bool = False
    """Skip inference; score the answers already in the run directory."""
    prototype_csv: bool = False
    """Also write the prototype's answers and metric CSVs into ``<run>/prototype/``
    (``ModelsAnswers/``, ``ModelsMetrics/``) for its downstream scripts; on for the rows
    of a prototype run matrix."""
    seed: int = 0
    executor: ExecutorSpec | None = None
    """Where this run's stages execute; overrides the model's and the experiment's."""
    resources: ResourceSpec | None = None
    """What this run's inference needs (GPUs, GPU memory); overrides the model's and the experiment's."""
    requirements: list[str] = Field(default_factory=list)
    """Extra pip requirements installed in the inference environment (besides the model's)."""
    packages: list[str] = Field(default_factory=list)
    """Extra package-registry names installed in the inference environment."""
    eval_requirements: list[str] = Field(default_factory=list)
    """pip requirements installed in the evaluation environment (metric plugins)."""
    eval_packages: list[str] = Field(default_factory=list)
    """Package-registry names installed in the evaluation environment."""

    @field_validator("dataset", mode="before")
    @classmethod
    def _dataset_path(cls, value: Any) -> Any:
        return {"path": value} if isinstance(value, str) else value

    @field_validator("model", mode="before")
    @classmethod
    def _model_name(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value

    @field_validator("benchmark", mode="before")
    @classmethod
    def _benchmark_name(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _task_given(self) -> RunConfig:
        if self.task is None and self.benchmark is None:
            raise ValueError("a run needs a 'task' (ocr, vqa, kie...) or a 'benchmark' that sets it")
        return self


class CatalogueEntry(_Config):
    """A model as the catalogue knows it: backend, id and how to install it."""

    name: str
    backend: str
    model_id: str | None = None
    """Hub id or path; passed as the backend's ``model`` option when it has one."""
    options: dict[str, Any] = Field(default_factory=dict)
    family: str | None = None
    docker_image: str | None = None
    requirements: list[str] = Field(default_factory=list)
    """pip requirements installed in the model's environment at start (isolated executors)."""
    packages: list[str] = Field(default_factory=list)
    """Package-registry names installed in the model's environment at start."""
    executor: ExecutorSpec | None = None
    """Where this model's runs execute, unless the run says otherwise."""
    resources: ResourceSpec | None = None
    """What this model's inference needs (GPUs, GPU memory), unless the run says otherwise."""
    params_b: float | None = Field(default=None, gt=0)
    """Parameters in billions (vision encoder included): with ``dtype``, what the GPU
    scheduler estimates ``resources.gpu_memory_gb`` from when a run asks for GPUs but no memory."""
    dtype: Dtype = "bfloat16"
    """How the weights are held on the GPU (``float32``, ``bfloat16``, ``float16``, ``int8``, ``int4``)."""
    trust_remote_code: bool = False
    description: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)


class ExperimentConfig(_Config):
    """An experiment: a list of runs and where their results go."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    output_dir: Location = Path("runs")
    """Results go to ``<output_dir>/<name>/<run_id>/`` (relative to the current folder), or to
    ``s3://bucket/prefix/<name>/<run_id>/`` through a local mirror (docs/cluster.md)."""
    catalogues: list[Path] = Field(default_factory=list)
    """Extra model catalogue files (YAML or the prototype's CSV)."""
    models: list[CatalogueEntry] = Field(default_factory=list)
    """Catalogue entries defined inline."""
    runs: list[RunConfig] = Field(min_length=1)
    executor: ExecutorSpec | None = None
    """Default executor of every run (``local`` when not set)."""
    resources: ResourceSpec | None = None
    """Default resources of every run's inference (none: no GPUs)."""
    package_dirs: list[Path] = Field(default_factory=list)
    """Package registry folders (``<name>.yaml`` each); ``packages/`` beside the config is always read."""
    run_mode: Literal["prod", "dev"] | None = None
    """``dev`` applies ``*.dev.yaml`` package overlays; the ``RUN_MODE`` variable when not set."""
    jobs: int = Field(default=1, ge=1, le=64)
    """Runs executed at the same time (each in its own environment)."""
    export: list[ExportTarget] = Field(default_factory=list)
    """Experiment trackers each completed run is exported to after its report:
    ``[{to: mlflow, tracking_uri: sqlite:///mlflow.db}, {to: wandb, dir: wandb-runs}]``
    (`vlmhyperbench.export.MlflowTarget`, `WandbTarget`); a failed export is reported and
    leaves the run as it is."""
