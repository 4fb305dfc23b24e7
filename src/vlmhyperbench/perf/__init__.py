"""``vlmhb perf``: load testing of VLM serving on document pages."""

from ._records import ClientHealth, LevelSettings, LevelSummary, PerfRequestRecord, Stats

__all__ = ["ClientHealth", "LevelSettings", "LevelSummary", "PerfRequestRecord", "Stats"]
