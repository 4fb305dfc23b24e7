"""Dependency injection at environment start: install what a stage needs, then check it.

This runs inside the environment, in the stage process, before the stage imports its
plugins. uv installs when it is there (next to the interpreter, on ``PATH`` or as the
``uv`` Python package), pip otherwise. A read-only environment (a shared venv, an
Apptainer image) gets the packages in a separate ``--target`` folder instead.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..core import EnvironmentFailure, InstallItem, InstallReport, MissingDependency

__all__ = [
    "InstallError",
    "environment_writable",
    "find_installer",
    "find_uv",
    "inject",
    "installed_packages",
    "unsatisfied",
]

_LOG_TAIL_LINES = 15


class InstallError(EnvironmentFailure):
    """The installer failed at environment start; `report` says how it was run."""

    def __init__(self, message: str, *, hint: str | None = None, report: InstallReport | None = None) -> None:
        self.report = report
        super().__init__(message, hint=hint)


def find_uv(python: str) -> str | None:
    """The uv executable beside ``python`` or this interpreter, on PATH, or from the uv package."""
    for folder in dict.fromkeys([Path(python).parent, Path(sys.executable).parent]):
        found = shutil.which("uv", path=str(folder))
        if found:
            return found
    found = shutil.which("uv")
    if found:
        return found
    try:
        from uv import find_uv_bin  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    try:
        return str(find_uv_bin())
    except FileNotFoundError:
        return None


def _has_pip(python: str) -> bool:
    if python == sys.executable:
        return importlib.util.find_spec("pip") is not None
    probe = subprocess.run([python, "-c", "import pip"], capture_output=True, check=False)
    return probe.returncode == 0


def find_installer(preferred: str = "uv", python: str | None = None) -> tuple[str, list[str]]:
    """The installer to use and its command up to the requirements.

    Args:
        preferred: ``uv`` (falls back to pip when uv is not found) or ``pip``.
        python: The interpreter whose environment to install into; this one by default.

    Returns:
        ``("uv", [uv, "pip", "install", "--python", python])`` or
        ``("pip", [python, "-m", "pip", "install", "--disable-pip-version-check"])``.

    Raises:
        MissingDependency: Neither uv nor pip is available for ``python``.
    """
    python = python or sys.executable
    if python != sys.executable and shutil.which(python) is None:
        raise MissingDependency(
            f"the interpreter {python} does not exist or is not executable",
            hint="check the executor's `python:` setting",
        )
    if preferred not in ("uv", "pip"):
        raise MissingDependency(f"unknown installer {preferred!r}", hint="use 'uv' or 'pip'")
    if preferred == "uv":
        uv = find_uv(python)
        if uv:
            return "uv", [uv, "pip", "install", "--python", python]
    if _has_pip(python):
        return "pip", [python, "-m", "pip", "install", "--disable-pip-version-check"]
    raise MissingDependency(
        f"cannot install packages into {python}: "
        + ("neither uv nor pip is available" if preferred == "uv" else "pip is not installed there"),
        hint="install uv in the environment or image (`pip install uv`), or pip (`python -m ensurepip`)",
    )


def _purelib(python: str) -> Path:
    if python == sys.executable:
        return Path(sysconfig.get_paths()["purelib"])
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout
    return Path(out.strip())


def environment_writable(python: str | None = None) -> bool:
    """Whether packages can be installed into ``python``'s site-packages (this one's by default)."""
    folder = _purelib(python or sys.executable)
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    return os.access(folder, os.W_OK)


def _failure(
    items: Sequence[InstallItem], report: InstallReport, log_file: Path, wheels: Path | None
) -> InstallError:
    lines = log_file.read_text("utf-8", errors="replace").splitlines()[1:]
    tail = (
        "\n".join(("    " + line).rstrip() for line in lines[-_LOG_TAIL_LINES:]) or "    (the log is empty)"
    )
    wanted = ", ".join(item.requirement for item in items)
    where = f"the wheels folder {wheels}" if wheels else "the wheels folder (executor `wheels:`)"
    return InstallError(
        f"could not install {wanted} with {report.installer} (exit code {report.returncode}); "
        f"last lines of the log:\n{tail}",
        hint=f"the whole log is {report.log}; check that each requirement's name and version exist, "
        f"that the package index is reachable (install_args: --index-url ...), or that {where} holds them",
        report=report,
    )


def inject(
    items: Sequence[InstallItem],
    *,
    log_file: Path,
    log_name: str,
    installer: str = "uv",
    wheels: Path | None = None,
    install_args: Sequence[str] = (),
    path_map: Mapping[str, str] | None = None,
    target: Path | None = None,
    python: str | None = None,
    writable: bool | None = None,
) -> InstallReport | None:
    """Install ``items`` into ``python``'s environment (or a target folder when it is read-only).

    When the packages go into a target folder and ``python`` is this interpreter, the folder
    is put first on ``sys.path``; other processes need it on ``PYTHONPATH``.

    Args:
        items: What to install; nothing happens when empty.
        log_file: Where the installer's output goes; its first line is the command.
        log_name: ``log_file`` as the user sees it (relative to the run folder), for the report.
        installer: The preferred installer, ``uv`` or ``pip``.
        wheels: A folder of wheels searched first (``--find-links``), when it exists.
        install_args: Extra installer arguments (``--no-index``, ``--index-url URL``).
        path_map: Host path → path in this environment, for local items.
        target: The folder used when the environment is read-only; a temporary one by default.
        python: The interpreter to install for; this one by default.
        writable: Whether the environment accepts packages; detected when None.

    Returns:
        What ran, or None when there was nothing to install.

    Raises:
        InstallError: The installer failed; its ``report`` holds the command and exit code.
        MissingDependency: No installer is available.
    """
    if not items:
        return None
    python = python or sys.executable
    name, command = find_installer(installer, python)
    if writable is None:
        writable = environment_writable(python)
    target_dir = None if writable else (target or Path(tempfile.gettempdir()) / "vlmhb-site")
    if target_dir is not None:
        command += ["--target", str(target_dir)]
    if wheels is not None and wheels.is_dir():
        command += ["--find-links", str(wheels)]
    command += list(install_args)
    mapping = dict(path_map) if path_map else None
    for item in items:
        command += item.args(mapping)

    log_file.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    with log_file.open("w", encoding="utf-8") as log:
        log.write(shlex.join(command) + "\n")
        log.flush()
        returncode = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False).returncode
    report = InstallReport(
        installer=name,
        command=command,
        returncode=returncode,
        duration_s=round(time.monotonic() - start, 3),
        log=log_name,
        target=str(target_dir) if target_dir else None,
    )
    if returncode != 0:
        raise _failure(items, report, log_file, wheels)
    if target_dir is not None and python == sys.executable and str(target_dir) not in sys.path:
        sys.path.insert(0, str(target_dir))
        importlib.invalidate_caches()
    return report


def installed_packages(path: Sequence[str] | None = None) -> dict[str, str]:
    """Every distribution importable here (or on ``path``) → its version.

    Names are normalised as in PEP 503 (``Typing_Extensions`` → ``typing-extensions``).
    A name found twice keeps the first one on the path, the one imports see.
    """
    found: dict[str, str] = {}
    dists = (
        importlib.metadata.distributions(path=list(path))
        if path is not None
        else (importlib.metadata.distributions())
    )
    for dist in dists:
        raw = dist.metadata["Name"] if dist.metadata else None
        if raw:
            found.setdefault(canonicalize_name(raw), dist.version)
    return found


def _check(requirement: Requirement, text: str, installed: Mapping[str, str]) -> str | None:
    if requirement.marker is not None and not requirement.marker.evaluate():
        return None
    version = installed.get(canonicalize_name(requirement.name))
    if version is None:
        return f"{text} (not installed)"
    if requirement.url or not requirement.specifier:
        return None
    try:
        ok = requirement.specifier.contains(Version(version), prereleases=True)
    except InvalidVersion:
        return f"{text} ({version} installed, not a comparable version)"
    return None if ok else f"{text} ({version} installed)"


def unsatisfied(items: Sequence[InstallItem], installed: Mapping[str, str] | None = None) -> list[str]:
    """The requirements among ``items`` that this environment does not satisfy.

    Index requirements are checked by name and version. Git, local and URL items are
    checked only for the presence of their distribution when their text names it
    (``name @ url``); a bare path or URL is skipped.

    Args:
        items: What the stage needs.
        installed: Name → version to check against; `installed_packages()` by default.

    Returns:
        One line per problem: ``"vlmhb-probe==2.0.0 (1.0.0 installed)"``, ``"foo>=1 (not installed)"``.
    """
    have = installed_packages() if installed is None else installed
    problems: list[str] = []
    for item in items:
        index_item = item.source in ("pypi", "requirement") and not _looks_like_location(item.requirement)
        try:
            requirement = Requirement(item.requirement)
        except InvalidRequirement as exc:
            if index_item:
                problems.append(f"{item.requirement} (not a valid requirement: {exc})")
            continue
        if not index_item and not requirement.url:
            continue
        problem = _check(requirement, item.requirement, have)
        if problem:
            problems.append(problem)
    return problems


def _looks_like_location(text: str) -> bool:
    """A bare path or URL, which names no distribution."""
    return "://" in text or text.startswith(("git+", ".", "/", "~")) or os.sep in text
