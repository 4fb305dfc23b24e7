#!/usr/bin/env python3
"""The one definition of the images' source hash (label ``org.vlmhyperbench.source-hash``).

An image is stale when this hash of the checkout differs from its label. The hash
covers what goes into the CPU image: ``pyproject.toml``, every file under ``src/``
(bytecode and caches excluded) and ``docker/Dockerfile.cpu``. It depends on the
relative paths and the bytes only, not on timestamps or the checkout's location.

Usage: ``python3 scripts/source_hash.py [REPO_ROOT]`` prints the hash (64 hex digits).
Standard library only, so the build script can run it with any ``python3``.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from pathlib import Path

HASHED_FILES = ("pyproject.toml", "docker/Dockerfile.cpu")
HASHED_DIRS = ("src",)
_SKIP_DIRS = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
_SKIP_SUFFIXES = {".pyc", ".pyo"}


def _files(root: Path) -> Iterator[Path]:
    for name in HASHED_FILES:
        path = root / name
        if path.is_file():
            yield path
    for name in HASHED_DIRS:
        for path in (root / name).rglob("*"):
            rel_parts = path.relative_to(root).parts
            if any(part in _SKIP_DIRS or part.endswith(".egg-info") for part in rel_parts):
                continue
            if path.is_file() and path.suffix not in _SKIP_SUFFIXES:
                yield path


def source_hash(root: Path | str) -> str:
    """SHA-256 over ``relative/path NUL sha256(content) LF`` lines, sorted by path."""
    root = Path(root).resolve()
    lines = sorted(
        f"{path.relative_to(root).as_posix()}\0{hashlib.sha256(path.read_bytes()).hexdigest()}\n"
        for path in _files(root)
    )
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent
    if not (root / "pyproject.toml").is_file():
        print(f"source_hash: {root} has no pyproject.toml", file=sys.stderr)
        return 2
    print(source_hash(root))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
