"""Load an experiment from YAML, JSON or the prototype's CSV run matrix.

The prototype's own setup is read three ways: its run matrix CSV (the checkout's
``VLMHyperBench_config.json`` is found by walking up from it), that JSON file (its
``user_config`` matrix is run), or the checkout folder itself.

A config's relative paths (datasets, prompt files, catalogues, package folders) start from
the config file's folder, or from ``base_dir`` / ``$VLMHB_CONFIG_BASE_DIR`` when given: the
dashboard's queue keeps uploaded configs in its own state folder and runs them as if they were
in the folder the dashboard was started in.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import ValidationError

from ..core import ConfigError, SourceLocation, problems_from_validation_error
from ._prototype import (
    CONFIG_IN_CHECKOUT,
    PrototypeDirs,
    is_prototype_main_config,
    read_prototype_config,
)
from ._yaml import Locator, load_yaml_with_locations
from .experiment import ExperimentConfig
from .run_matrix import load_run_matrix, matrix_locator

__all__ = ["BASE_DIR_ENV", "LoadedExperiment", "load_experiment"]

BASE_DIR_ENV = "VLMHB_CONFIG_BASE_DIR"
"""Environment variable: the folder a config's relative paths start from, instead of the config
file's folder (set by the dashboard's queue for the ``vlmhb run`` it starts)."""


@dataclass(frozen=True)
class LoadedExperiment:
    """A validated config, the folder its relative paths start from, and a locator."""

    config: ExperimentConfig
    source: Path
    base_dir: Path
    locate: Locator


def _prototype_matrix(
    path: Path, dirs: PrototypeDirs | None, catalogues: list[Path] | None
) -> LoadedExperiment:
    config, lines = load_run_matrix(path, catalogues=catalogues, dirs=dirs)
    return LoadedExperiment(config, path, path.parent.resolve(), matrix_locator(path, lines))


def _checkout_matrix(config_file: Path, catalogues: list[Path] | None) -> LoadedExperiment:
    """The run matrix that the prototype's main config names (its ``user_config``)."""
    dirs = read_prototype_config(config_file)
    if dirs.user_config is None or not dirs.user_config.is_file():
        raise ConfigError(
            f"the run matrix {dirs.user_config} does not exist"
            if dirs.user_config
            else "no run matrix: 'user_config' is not set",
            location=SourceLocation(config_file, key="user_config"),
            hint="set user_config to the run-matrix CSV (relative to the checkout), "
            "or pass the CSV itself to vlmhb",
        )
    return _prototype_matrix(dirs.user_config, dirs, catalogues)


def load_experiment(
    path: Path | str, *, catalogues: list[Path] | None = None, base_dir: Path | None = None
) -> LoadedExperiment:
    """Read and validate an experiment file; every problem is reported with its place.

    ``path`` is a YAML/JSON experiment, a run-matrix CSV, the prototype's
    ``VLMHyperBench_config.json``, or a prototype checkout folder. Its relative paths start
    from ``base_dir``, else ``$VLMHB_CONFIG_BASE_DIR``, else the config file's folder.
    """
    loaded = _load(Path(path), catalogues)
    base = base_dir or os.environ.get(BASE_DIR_ENV)
    return replace(loaded, base_dir=Path(base).resolve()) if base else loaded


def _load(path: Path, catalogues: list[Path] | None) -> LoadedExperiment:
    if path.is_dir() and (path / CONFIG_IN_CHECKOUT).is_file():
        return _checkout_matrix(path / CONFIG_IN_CHECKOUT, catalogues)
    if not path.is_file():
        raise ConfigError(
            f"config file not found: {path}",
            hint="pass a .yaml, .json or run-matrix .csv file, or a prototype checkout "
            f"(a folder holding {CONFIG_IN_CHECKOUT}); `vlmhb run` alone runs the demo",
        )
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _prototype_matrix(path, None, catalogues)
    if suffix not in (".yaml", ".yml", ".json"):
        raise ConfigError(
            f"unsupported config type '{suffix}'",
            location=SourceLocation(path),
            hint="use .yaml, .yml, .json, or a run-matrix .csv",
        )
    data, locate = load_yaml_with_locations(path)
    if suffix == ".json" and is_prototype_main_config(data):
        return _checkout_matrix(path, catalogues)
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
