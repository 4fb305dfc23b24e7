"""What crosses from an executor into a stage process: variables and stdout lines.

Executors (the parent side) and the stage (`vlmhyperbench.envs.stage_env`, the child
side) both import these names from here, so neither imports the other.

- ``VLMHB_ENVIRONMENT`` (JSON): what the executor knows of the environment (kind,
  image and its id, venv); the stage adds what it sees (packages, Python) and records
  it in the manifest.
- ``VLMHB_PATH_MAP`` (JSON): host path → path inside the environment, for local
  packages installed at start.
- ``VLMHB_INSTALL=1``: install the run's packages, then re-execute (``VLMHB_WHEELS``:
  a folder of wheels to install from; ``VLMHB_INSTALL_REPORT``: set by the stage for
  its re-executed self).
- ``VLMHB_PARENT_PID`` / ``VLMHB_HEARTBEAT_S``: how the stage knows that the process
  that started it is gone (`vlmhyperbench.envs.lifeline`).
- ``VLMHB_GPUS`` (comma-separated UUIDs): the GPUs the GPU scheduler assigned to the
  stage; the stage records them in the manifest (``stages.<stage>.gpus``).
- stdout lines starting with `EVENT_PREFIX` are progress events; every other line goes
  to ``logs/<stage>.console.log``.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from ..core.events import Event

__all__ = [
    "BASE_VARIABLES",
    "ENV_FACTS",
    "ENV_GPUS",
    "ENV_HEARTBEAT",
    "ENV_INSTALL",
    "ENV_INSTALL_REPORT",
    "ENV_PARENT_PID",
    "ENV_PATH_MAP",
    "ENV_WHEELS",
    "EVENT_PREFIX",
    "decode_event",
    "encode_event",
]

BASE_VARIABLES = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ", "TERM")
"""What a clean environment keeps from the host so that programs work at all."""

ENV_FACTS = "VLMHB_ENVIRONMENT"
ENV_PATH_MAP = "VLMHB_PATH_MAP"
ENV_INSTALL = "VLMHB_INSTALL"
ENV_INSTALL_REPORT = "VLMHB_INSTALL_REPORT"
ENV_WHEELS = "VLMHB_WHEELS"
ENV_PARENT_PID = "VLMHB_PARENT_PID"
ENV_HEARTBEAT = "VLMHB_HEARTBEAT_S"
ENV_GPUS = "VLMHB_GPUS"
EVENT_PREFIX = "@@vlmhb-event "


def encode_event(event: Event) -> str:
    """One stdout line carrying ``event``."""
    return EVENT_PREFIX + json.dumps(asdict(event), ensure_ascii=False)


def decode_event(line: str) -> Event | None:
    """The event on a stdout line, or None for an ordinary log line."""
    if not line.startswith(EVENT_PREFIX):
        return None
    try:
        return Event(**json.loads(line[len(EVENT_PREFIX) :]))
    except (ValueError, TypeError):
        return None
