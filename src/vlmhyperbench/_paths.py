"""Paths of the files shipped inside the package."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["demo_dataset_path", "demo_experiment_path"]


def _package_file(*parts: str) -> Path:
    return Path(str(resources.files("vlmhyperbench").joinpath(*parts)))


def demo_dataset_path() -> Path:
    """The shipped demo dataset folder."""
    return _package_file("datasets", "demo", "data")


def demo_experiment_path() -> Path:
    """The shipped demo experiment."""
    return _package_file("datasets", "demo", "experiment.yaml")
