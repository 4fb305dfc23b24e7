"""Virtual environments for the ``venv`` executor, built with uv and cached.

The requirements of a stage — vlmhyperbench itself plus what the run installs at start —
are resolved with ``uv pip compile`` into a pinned list; the environment is keyed by the
hash of that list and the interpreter, built once with ``uv venv`` + ``uv pip sync``
and reused by every later run that resolves to the same set. Two runs whose models need
two versions of one package get two environments, side by side.

vlmhyperbench itself comes from where this copy was installed: a source checkout is
built into a wheel (``RUN_MODE=prod``, cached by a hash of the sources) or installed
editable (``RUN_MODE=dev``); an installed release comes from PyPI at the same version.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

from .._paths import cache_dir
from ..core import EnvironmentFailure, ExecutorSpec
from ._base import StageRequest
from .cache import COMPLETE_MARKER, touch
from .inject import find_uv

__all__ = ["BuiltVenv", "ensure_venv", "self_requirement", "source_hash"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuiltVenv:
    """A ready virtual environment."""

    root: Path
    python: Path
    env_hash: str


def _source_root() -> Path | None:
    """The source checkout this package runs from, if it is one."""
    try:
        raw = metadata.distribution("vlmhyperbench").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        raw = None
    if raw:
        url = json.loads(raw).get("url", "")
        if url.startswith("file://"):
            root = Path(unquote(urlparse(url).path))
            if (root / "pyproject.toml").exists():
                return root
    here = Path(__file__).resolve().parents[3]
    return here if (here / "pyproject.toml").exists() and (here / "src" / "vlmhyperbench").is_dir() else None


def source_hash(root: Path) -> str:
    """Hash of ``pyproject.toml`` and every file under ``src/`` (names and contents)."""
    digest = hashlib.sha256()
    files = [root / "pyproject.toml", *sorted(p for p in (root / "src").rglob("*") if p.is_file())]
    for path in files:
        if "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _run(argv: list[str], log: Path, what: str, **kwargs: object) -> str:
    """Run a uv command, appending its output to ``log``; a failure names the log's tail."""
    with log.open("a", encoding="utf-8") as out:
        out.write(f"$ {shlex.join(argv)}\n")
        done = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
        out.write(done.stderr)
        out.write(done.stdout if what != "resolve" else "")
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise EnvironmentFailure(
            f"could not {what} the run's environment (uv exit {done.returncode}):\n{tail}",
            hint=f"see {log}; check the requirements, the index and the wheels folder",
        )
    return str(done.stdout)


def _uv() -> str:
    uv = find_uv(sys.executable)
    if uv is None:
        raise EnvironmentFailure(
            "the venv executor needs uv, which is not installed here",
            hint="pip install uv (it is a dependency of vlmhyperbench)",
        )
    return uv


def self_requirement(run_mode: str, log: Path) -> list[str]:
    """How vlmhyperbench itself is installed into a new environment (a requirement line)."""
    root = _source_root()
    if root is None:
        return [f"vlmhyperbench=={metadata.version('vlmhyperbench')}"]
    if run_mode == "dev":
        return ["-e", str(root)]
    out = cache_dir() / "self" / source_hash(root)[:16]
    wheels = sorted(out.glob("vlmhyperbench-*.whl")) if out.exists() else []
    if wheels:
        touch(out)  # last use, for `vlmhb executors prune`
    else:
        with _locked(out.with_suffix(".lock")):
            wheels = sorted(out.glob("vlmhyperbench-*.whl")) if out.exists() else []
            if not wheels:
                _run(
                    [_uv(), "build", "--wheel", "--out-dir", str(out), str(root)],
                    log,
                    "build vlmhyperbench for",
                )
                wheels = sorted(out.glob("vlmhyperbench-*.whl"))
    return [str(wheels[-1])]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock across processes (parallel runs build one environment once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _requirement_lines(request: StageRequest, log: Path) -> list[str]:
    """A requirements file: one requirement per line (``-e path`` for editable), no shell quoting."""
    spec = request.spec.environment
    lines = [" ".join(self_requirement(spec.run_mode, log))]
    lines += [" ".join(item.args()) for item in spec.items(request.stage)]
    return lines


def ensure_venv(request: StageRequest, executor: ExecutorSpec) -> BuiltVenv:
    """The cached environment for this stage's requirements, built when missing.

    Raises:
        EnvironmentFailure: a requirement cannot be resolved or installed.
    """
    log = request.run_dir.logs_dir / f"venv-{request.stage}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    uv = _uv()
    python = executor.python or sys.executable
    index_args = [*executor.install_args]
    if executor.wheels is not None:
        index_args += ["--find-links", str(executor.wheels)]
    requirements = "\n".join(_requirement_lines(request, log)) + "\n"
    pinned = _run(
        [uv, "pip", "compile", "-", "--python", python, "--quiet", "--no-header", *index_args],
        log,
        "resolve",
        input=requirements,
    )
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version)"], capture_output=True, text=True, check=False
    ).stdout.strip()
    env_hash = hashlib.sha256(f"{version}\n{pinned}".encode()).hexdigest()
    root = cache_dir() / "venvs" / env_hash[:16]
    venv_python = root / "bin" / "python"
    with _locked(root.with_suffix(".lock")):
        marker = root / COMPLETE_MARKER
        if marker.exists():
            logger.info("reusing environment %s", root)
            touch(marker)  # last use, for `vlmhb executors prune`
        else:
            shutil.rmtree(root, ignore_errors=True)
            _run([uv, "venv", "--python", python, str(root)], log, "create")
            (root / "requirements.in").write_text(requirements, encoding="utf-8")
            (root / "requirements.lock").write_text(pinned, encoding="utf-8")
            _run(
                [
                    uv,
                    "pip",
                    "sync",
                    "--python",
                    str(venv_python),
                    str(root / "requirements.lock"),
                    *index_args,
                ],
                log,
                "install",
            )
            marker.write_text(env_hash, encoding="utf-8")
    return BuiltVenv(root, venv_python, env_hash)
