"""What a manifest records about the code and the machine."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["git_commit", "host_info", "package_versions"]

RECORDED_EXTRAS = ("hf", "serve")
"""Optional dependencies whose versions shape results (model code, serving) besides the core ones."""


def _recorded_names() -> list[str]:
    """This package and what it depends on, read from its own metadata (pyproject.toml):
    the core dependencies and those of `RECORDED_EXTRAS`."""
    from packaging.requirements import Requirement

    names = ["vlmhyperbench"]
    for text in metadata.requires("vlmhyperbench") or []:
        req = Requirement(text)
        marker = req.marker
        if marker is None or any(marker.evaluate({"extra": extra}) for extra in RECORDED_EXTRAS):
            names.append(req.name)
    return list(dict.fromkeys(names))


def package_versions() -> dict[str, str]:
    """Installed versions of the packages a run's numbers depend on (those not installed are left out)."""
    try:
        names = _recorded_names()
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        return {}
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def git_commit() -> str | None:
    """The commit of the source checkout this package runs from, if it is one."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    dirty = subprocess.run(
        ["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        timeout=5,
        check=False,
    ).stdout.strip()
    return out.stdout.strip() + ("-dirty" if dirty else "")


def host_info() -> dict[str, Any]:
    """Host name, OS, Python and CPU count."""
    return {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
    }
