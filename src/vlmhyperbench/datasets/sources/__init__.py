"""Public benchmarks in their official formats → the native layout (see `_base`)."""

from ._base import PageImage, ReadOptions, SourceReader, SourceRecord, source_formats
from ._import import IMPORT_REPORT, ImportReport, cached_import, import_source

__all__ = [
    "IMPORT_REPORT",
    "ImportReport",
    "PageImage",
    "ReadOptions",
    "SourceReader",
    "SourceRecord",
    "cached_import",
    "import_source",
    "source_formats",
]
