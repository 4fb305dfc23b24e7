"""``vlmhb perf`` results under RUNS_DIR, read straight from their folders (never written).

A perf folder is one that holds ``levels.json``, which `vlmhb perf` writes last, beside
``summary.csv`` and the reports: ``vlmhb perf --out RUNS_DIR/<name>`` (or
``RUNS_DIR/<experiment>/<name>``) and ``vlmhb perf --attach RUNS_DIR/<experiment>/<run>``
(``<run>/perf``). Each level's ``<level>/summary.json`` is validated as the perf package's
own `vlmhyperbench.perf.LevelSummary`; one that cannot be read becomes an error row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import UserError, read_json_model

if TYPE_CHECKING:
    from ..perf import LevelSummary

__all__ = [
    "MAX_DEPTH",
    "PerfFolder",
    "PerfLevel",
    "attached_perf",
    "find_perf_folders",
    "read_perf_folder",
    "throughput_figure",
]

MAX_DEPTH = 3
"""How deep below RUNS_DIR a perf folder is looked for (``<experiment>/<run>/perf``)."""


@dataclass
class PerfLevel:
    """One level of a perf folder: its summary, or why it could not be read."""

    name: str
    label: str
    summary: LevelSummary | None = None
    error: str | None = None


@dataclass
class PerfFolder:
    """A `vlmhb perf` output folder and its levels, in the order it ran them."""

    path: Path
    name: str
    """The folder relative to RUNS_DIR."""
    levels: list[PerfLevel] = field(default_factory=list)
    error: str | None = None
    """Why ``levels.json`` could not be read (the levels are then its summary folders)."""

    @property
    def first(self) -> LevelSummary | None:
        """The first level that could be read (its settings name the endpoint and workload)."""
        return next((lv.summary for lv in self.levels if lv.summary is not None), None)


def find_perf_folders(runs_dir: Path) -> list[Path]:
    """The folders holding ``levels.json`` at most `MAX_DEPTH` levels below ``runs_dir``."""
    found: set[Path] = set()
    for depth in range(1, MAX_DEPTH + 1):
        found.update(p.parent for p in runs_dir.glob("*/" * depth + "levels.json") if p.is_file())
    return sorted(found)


def attached_perf(run_dir: Path, runs_dir: Path) -> str | None:
    """The name on the perf page of the results ``vlmhb perf --attach`` left in ``run_dir``."""
    folder = run_dir / "perf"
    if not (folder / "levels.json").is_file():
        return None
    try:
        return str(folder.relative_to(runs_dir))
    except ValueError:  # a run outside RUNS_DIR: not on the perf page
        return None


def _level_names(folder: Path) -> tuple[list[str], str | None]:
    on_disk = sorted(p.parent.name for p in folder.glob("*/summary.json"))
    try:
        listed = json.loads((folder / "levels.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return on_disk, f"{folder / 'levels.json'}: {exc}"
    if not isinstance(listed, list) or not all(isinstance(x, str) for x in listed):
        return on_disk, f"{folder / 'levels.json'}: not a list of level names"
    return [*listed, *(n for n in on_disk if n not in listed)], None


def read_perf_folder(folder: Path, runs_dir: Path) -> PerfFolder:
    """Every level of ``folder``; a missing or invalid ``summary.json`` is an error level."""
    from ..perf import LevelSummary  # perf builds on reports: imported only when used
    from ..perf.report import level_label

    names, error = _level_names(folder)
    out = PerfFolder(path=folder, name=str(folder.relative_to(runs_dir)), error=error)
    for name in names:
        try:
            summary = read_json_model(folder / name / "summary.json", LevelSummary)
        except (UserError, OSError) as exc:
            out.levels.append(PerfLevel(name=name, label=name, error=str(exc)))
            continue
        out.levels.append(PerfLevel(name=name, label=level_label(summary.settings), summary=summary))
    return out


def throughput_figure(folder: PerfFolder, index: int) -> dict[str, Any] | None:
    """Request throughput against end-to-end latency (p50 and p95), one point per level."""
    levels = [lv for lv in folder.levels if lv.summary is not None]
    if not levels:
        return None
    x = [lv.summary.request_throughput for lv in levels if lv.summary]
    labels = [lv.label for lv in levels]
    traces = [
        {
            "type": "scatter",
            "mode": "lines+markers+text",
            "name": f"E2E latency {stat}",
            "x": x,
            "y": [getattr(lv.summary.e2e_s, key) for lv in levels if lv.summary],
            "text": labels,
            "textposition": "top center",
            "cliponaxis": False,
            "hovertemplate": "%{text}<br>%{x:.3f} req/s<br>latency " + stat + " %{y:.3f} s<extra></extra>",
        }
        for stat, key in (("p50", "median"), ("p95", "p95"))
    ]
    layout = {
        "title": {"text": "Throughput against latency, one point per level"},
        "xaxis": {"title": {"text": "request throughput, req/s (↑ better)"}, "rangemode": "tozero"},
        "yaxis": {"title": {"text": "end-to-end latency, s (↓ better)"}, "rangemode": "tozero"},
        "margin": {"t": 50, "r": 20},
        "height": 360,
    }
    return {"id": f"perf-chart-{index}", "data": traces, "layout": layout}
