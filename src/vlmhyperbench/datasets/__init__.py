"""Datasets: loaders for the prototype CSV and JSONL layouts, filters, fingerprints."""

from ._base import Dataset, DatasetLoader, apply_filters, dataset_loaders, detect_layout, load_dataset

__all__ = ["Dataset", "DatasetLoader", "apply_filters", "dataset_loaders", "detect_layout", "load_dataset"]
