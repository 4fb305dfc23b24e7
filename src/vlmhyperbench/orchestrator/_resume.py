"""Whether a run folder's answers may be reused by a run planned now.

Answers are reused only when everything that shapes them is unchanged: the task, the
dataset (fingerprint and filters), the backend and its options, the prompts and the
generation settings. Otherwise the folder is refused, naming what changed, or moved
aside with ``--fresh`` (never deleted).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from ..core import ConfigError, RunDir, RunSpec

__all__ = ["RESUME_KEYS", "changed_settings", "prepare_run_dir"]

logger = logging.getLogger(__name__)

RESUME_KEYS = ("task", "dataset", "backend", "prompts", "generation")
"""The parts of a `RunSpec` that shape the answers."""

_SHOWN = 60
"""Longest value shown in a difference (prompts can be long)."""


_ABSENT = object()
"""A key that one side has and the other has not."""


def _resume_view(spec: RunSpec) -> dict[str, Any]:
    data = spec.model_dump(mode="json", include=set(RESUME_KEYS))
    data["dataset"].pop("n_samples", None)  # follows from the filters and the fingerprint
    if data["dataset"].get("url"):  # fetched from s3://: the cached copy's path differs per machine
        data["dataset"].pop("path", None)
    return data


def _show(value: Any) -> str:
    text = "(absent)" if value is _ABSENT else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _diff(old: Any, new: Any, path: str, out: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted({*old, *new}, key=str):
            _diff(old.get(key, _ABSENT), new.get(key, _ABSENT), f"{path}.{key}" if path else str(key), out)
    elif old != new:
        out.append(f"{path}: {_show(old)} → {_show(new)}")


def changed_settings(old: RunSpec, new: RunSpec) -> list[str]:
    """Each setting that differs, as ``key.path: old → new`` (empty when answers are reusable)."""
    out: list[str] = []
    _diff(_resume_view(old), _resume_view(new), "", out)
    return out


def prepare_run_dir(run_dir: RunDir, spec: RunSpec, fresh: bool) -> None:
    """Refuse a run folder made with other settings; with ``fresh``, move it aside first."""
    if not run_dir.root.exists():
        return
    if fresh:
        aside = run_dir.move_aside()
        logger.warning("moved the old run %s aside to %s", spec.run_id, aside)
        return
    if not run_dir.run_spec.exists():
        return
    changes = changed_settings(run_dir.read_spec(), spec)
    if changes:
        shown = changes[:8] + ([f"… and {len(changes) - 8} more"] if len(changes) > 8 else [])
        raise ConfigError(
            f"run '{spec.run_id}' in {run_dir.root} was made with other settings: " + "; ".join(shown),
            hint="its answers cannot be reused; rerun with --fresh to move them aside and start again, "
            "or give the run another name",
        )
