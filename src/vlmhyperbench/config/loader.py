"""Load an experiment from YAML, JSON or the prototype's CSV run matrix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from ..core import ConfigError, SourceLocation, problems_from_validation_error
from ._yaml import KeyPath, Locator, load_yaml_with_locations
from .experiment import ExperimentConfig
from .run_matrix import load_run_matrix

__all__ = ["LoadedExperiment", "load_experiment"]


@dataclass(frozen=True)
class LoadedExperiment:
    """A validated config, the folder its relative paths start from, and a locator."""

    config: ExperimentConfig
    source: Path
    base_dir: Path
    locate: Locator


def load_experiment(path: Path | str, *, catalogues: list[Path] | None = None) -> LoadedExperiment:
    """Read and validate an experiment file; every problem is reported with its place."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"config file not found: {path}",
            hint="pass a .yaml, .json or run-matrix .csv file; `vlmhb run` alone runs the demo",
        )
    suffix = path.suffix.lower()
    if suffix == ".csv":
        config, lines = load_run_matrix(path, catalogues=catalogues)

        def locate_csv(key: KeyPath, at_key: bool = False) -> SourceLocation:
            if len(key) >= 2 and key[0] == "runs" and isinstance(key[1], int):
                field = str(key[2]) if len(key) > 2 else ""
                column = {
                    "metrics": "metrics",
                    "aggregators": "metrics_aggregators",
                    "task": "task",
                    "model": "model_name",
                    "dataset": "dataset",
                    "prompts": "prompt_collection",
                }.get(field)
                rest = ".".join(str(k) for k in key[2:]) if len(key) > 3 else None
                return SourceLocation(path, lines.get(key[1]), column, rest)
            return SourceLocation(path)

        return LoadedExperiment(config, path, path.parent.resolve(), locate_csv)
    if suffix not in (".yaml", ".yml", ".json"):
        raise ConfigError(
            f"unsupported config type '{suffix}'",
            location=SourceLocation(path),
            hint="use .yaml, .yml, .json, or a run-matrix .csv",
        )
    data, locate = load_yaml_with_locations(path)
    if not isinstance(data, dict):
        raise ConfigError(
            "expected a mapping with 'name' and 'runs'",
            location=SourceLocation(path, 1),
            hint="see docs/configuration.md",
        )
    try:
        config = ExperimentConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(problems=problems_from_validation_error(exc, locate=locate)) from None
    if catalogues:
        config = config.model_copy(update={"catalogues": [*config.catalogues, *catalogues]})
    return LoadedExperiment(config, path, path.parent.resolve(), locate)
