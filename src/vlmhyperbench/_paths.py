"""Paths of the files shipped inside the package, and of the user's cache."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

__all__ = ["cache_dir", "demo_dataset_path", "demo_experiment_path"]


def cache_dir(*parts: str) -> Path:
    """``$VLMHB_CACHE_DIR/<parts>``, by default under ``~/.cache/vlmhyperbench`` (not created)."""
    root = os.environ.get("VLMHB_CACHE_DIR") or Path.home() / ".cache" / "vlmhyperbench"
    return Path(root).joinpath(*parts)


def _package_file(*parts: str) -> Path:
    return Path(str(resources.files("vlmhyperbench").joinpath(*parts)))


def demo_dataset_path() -> Path:
    """The shipped demo dataset folder."""
    return _package_file("datasets", "demo", "data")


def demo_experiment_path() -> Path:
    """The shipped demo experiment."""
    return _package_file("datasets", "demo", "experiment.yaml")
