"""KaTeX 0.16.21, the build olmOCR-bench renders formulas with, fetched once from the npm registry.

olmocr 0.4.27 ships ``katex.min.js`` and ``katex.min.css`` of KaTeX 0.16.21 in its wheel
(``olmocr/bench/katex/``); they are byte for byte the ``dist/`` files of the npm package
``katex@0.16.21`` (the SHA-256 sums below). We do not ship them: on first use the package tarball
is downloaded from the npm registry, checked against the integrity the registry publishes for it
(pinned here), and its two files and licence (MIT) are kept in ``$VLMHB_CACHE_DIR/katex-0.16.21/``.

Offline, point ``VLMHB_KATEX_DIR`` at a folder holding those two files (``npm pack katex@0.16.21``
and untar it: ``package/dist``), or ``VLMHB_NPM_REGISTRY`` at an npm mirror. Either way the files
are checked against the pinned sums, so a different KaTeX version is refused, not used.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .._paths import cache_dir
from ..core.errors import UserError

__all__ = ["KATEX_VERSION", "KatexAssets", "katex_assets"]

KATEX_VERSION = "0.16.21"
"""The KaTeX release olmocr 0.4.27 ships (the header of its ``katex.min.js``)."""

KATEX_DIR_ENV = "VLMHB_KATEX_DIR"
REGISTRY_ENV = "VLMHB_NPM_REGISTRY"
DEFAULT_REGISTRY = "https://registry.npmjs.org"

TARBALL_SHA512 = "XvqR7FgOHtWupfMiigNzmh+MgUVmDGU2kXZm899ZkPfcuoPuFxyHmXsgATDpFZDAXCI8tvinaVcDo8PIIJSo4A=="
"""``dist.integrity`` of katex@0.16.21 in the npm registry (base64 SHA-512 of the tarball)."""

FILE_SHA256 = {
    "katex.min.js": "863811e2baa0849c77bc92d26d44f4d0a4843c2a8ab52c462017dea57316e4d8",
    "katex.min.css": "f787891b550d554c214aa8902f39ac46df2dbd48fdec500a2040a5dce1e8ab58",
}
"""SHA-256 of the two files used, equal in katex@0.16.21 (``dist/``) and in olmocr 0.4.27's wheel."""

_OFFLINE_HINT = (
    f"where the npm registry cannot be reached, run `npm pack katex@{KATEX_VERSION}` elsewhere, untar it "
    f"and set {KATEX_DIR_ENV} to its package/dist folder (or {REGISTRY_ENV} to an npm mirror)"
)


@dataclass(frozen=True)
class KatexAssets:
    """The text of KaTeX's script and style sheet, checked to be release 0.16.21."""

    js: str
    css: str
    folder: Path
    """Where they were read from."""


def katex_assets() -> KatexAssets:
    """KaTeX's files from ``$VLMHB_KATEX_DIR``, else the cache, else downloaded into the cache.

    Raises:
        UserError: the files are of another version, or cannot be downloaded (with the offline fix).
    """
    given = os.environ.get(KATEX_DIR_ENV)
    if given:
        return _read(Path(given), f"{KATEX_DIR_ENV}={given}")
    folder = cache_dir(f"katex-{KATEX_VERSION}")
    if not _complete(folder):
        _download(folder)
    return _read(folder, str(folder))


def _read(folder: Path, where: str) -> KatexAssets:
    texts: dict[str, str] = {}
    for name, digest in FILE_SHA256.items():
        path = folder / name
        if not path.is_file():
            raise UserError(
                f"{name} of KaTeX {KATEX_VERSION} is not in {folder}",
                hint=f"point {KATEX_DIR_ENV} at the dist folder of the npm package katex@{KATEX_VERSION}",
            )
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:
            raise UserError(
                f"{path} ({where}) is not {name} of KaTeX {KATEX_VERSION}, the build olmOCR-bench uses",
                hint=f"use the files of the npm package katex@{KATEX_VERSION} (dist/), unchanged",
            )
        texts[name] = data.decode("utf-8")
    return KatexAssets(js=texts["katex.min.js"], css=texts["katex.min.css"], folder=folder)


def _download(folder: Path) -> None:
    import httpx

    registry = (os.environ.get(REGISTRY_ENV) or DEFAULT_REGISTRY).rstrip("/")
    url = f"{registry}/katex/-/katex-{KATEX_VERSION}.tgz"
    try:
        response = httpx.get(url, follow_redirects=True, timeout=120)
        response.raise_for_status()
    except httpx.HTTPError as err:
        raise UserError(
            f"could not download KaTeX {KATEX_VERSION} (needed by the math test) from {url}: {err}",
            hint=_OFFLINE_HINT,
        ) from None
    tarball = response.content
    if base64.b64encode(hashlib.sha512(tarball).digest()).decode() != TARBALL_SHA512:
        raise UserError(
            f"the tarball at {url} is not katex@{KATEX_VERSION} as published (its SHA-512 differs)",
            hint=_OFFLINE_HINT,
        )
    members = {f"package/dist/{name}": name for name in FILE_SHA256} | {"package/LICENSE": "LICENSE"}
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
            for member in archive.getmembers():
                name = members.get(member.name)
                extracted = archive.extractfile(member) if name else None
                if name and extracted is not None:
                    (staging / name).write_bytes(extracted.read())
        if _complete(folder):  # another process was faster
            return
        shutil.rmtree(folder, ignore_errors=True)  # a partial copy
        os.replace(staging, folder)
    except OSError:
        if not _complete(folder):  # else made by a concurrent process meanwhile
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in FILE_SHA256)
