"""Core types shared by every other package; no heavy imports."""

from ._csv import CsvRows, read_semicolon_csv
from ._io import (
    JsonlAppender,
    atomic_write_text,
    read_json_model,
    read_jsonl_models,
    read_text_utf8,
    write_json_model,
)
from .answer import AnswerRecord, ErrorInfo, ErrorKind, PromptRecord, Timings, Usage
from .contracts import (
    SCHEMA_VERSION,
    AggregateRow,
    DatasetSpec,
    GenerationParams,
    Manifest,
    MetricInfo,
    MetricsSummary,
    PluginRef,
    PromptSpec,
    RunDir,
    RunSpec,
    SampleScoreRecord,
    StageInfo,
)
from .errors import (
    ConfigError,
    DatasetError,
    MissingDependency,
    Problem,
    SourceLocation,
    UserError,
    problems_from_validation_error,
)
from .registry import Registry, RegistryEntry, did_you_mean
from .sample import Sample

__all__ = [
    "SCHEMA_VERSION",
    "AggregateRow",
    "AnswerRecord",
    "CsvRows",
    "ConfigError",
    "DatasetError",
    "DatasetSpec",
    "ErrorInfo",
    "ErrorKind",
    "GenerationParams",
    "JsonlAppender",
    "Manifest",
    "MetricInfo",
    "MetricsSummary",
    "MissingDependency",
    "PluginRef",
    "Problem",
    "PromptRecord",
    "PromptSpec",
    "Registry",
    "RegistryEntry",
    "RunDir",
    "RunSpec",
    "Sample",
    "SampleScoreRecord",
    "SourceLocation",
    "StageInfo",
    "Timings",
    "Usage",
    "UserError",
    "atomic_write_text",
    "did_you_mean",
    "problems_from_validation_error",
    "read_json_model",
    "read_jsonl_models",
    "read_semicolon_csv",
    "read_text_utf8",
    "write_json_model",
]
