"""Datasets: loaders for the prototype CSV and JSONL layouts, filters, fingerprints.

Public benchmarks in their official formats are read by `vlmhyperbench.datasets.sources`
and imported into the JSONL layout.
"""

from ._base import (
    Dataset,
    DatasetLoader,
    RowError,
    apply_filters,
    dataset_loaders,
    detect_layout,
    load_dataset,
)

__all__ = [
    "Dataset",
    "DatasetLoader",
    "RowError",
    "apply_filters",
    "dataset_loaders",
    "detect_layout",
    "load_dataset",
]
