"""Configuration: experiments (YAML/JSON/CSV run matrix) and the model catalogue."""

from .catalogue import builtin_catalogue_path, load_catalogue, load_catalogue_file
from .experiment import (
    BenchmarkRef,
    CatalogueEntry,
    DatasetConfig,
    ExperimentConfig,
    ModelRef,
    PromptConfig,
    RunConfig,
)
from .loader import LoadedExperiment, load_experiment

__all__ = [
    "BenchmarkRef",
    "CatalogueEntry",
    "DatasetConfig",
    "ExperimentConfig",
    "LoadedExperiment",
    "ModelRef",
    "PromptConfig",
    "RunConfig",
    "builtin_catalogue_path",
    "load_catalogue",
    "load_catalogue_file",
    "load_experiment",
]
