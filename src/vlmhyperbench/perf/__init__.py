"""``vlmhb perf``: load testing of VLM serving on document pages.

Library use::

    from vlmhyperbench.perf import LevelSettings, run_level
    records, summary = await run_level(url, model, bodies, LevelSettings(mode="closed", concurrency=8))

or `run_perf(PerfConfig(...))` for workloads, sweeps, files and reports.
"""

from ._config import PerfConfig
from ._records import ClientHealth, LevelSettings, LevelSummary, PerfRequestRecord, Stats
from .run import run_perf
from .runner import PerfRequest, level_name, run_level, run_sweep, summarize

__all__ = [
    "ClientHealth",
    "LevelSettings",
    "LevelSummary",
    "PerfConfig",
    "PerfRequest",
    "PerfRequestRecord",
    "Stats",
    "level_name",
    "run_level",
    "run_perf",
    "run_sweep",
    "summarize",
]
