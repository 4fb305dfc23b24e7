"""Tiny installable packages made at test time, with no network and no build backend.

`make_wheel` writes a pure-Python wheel by hand (METADATA, WHEEL, RECORD, optional
entry points). `make_project` writes a source folder whose build backend is a
self-contained file inside it (``backend-path``), so pip and uv can build it, editable
or not, without downloading setuptools or hatchling.
"""

from __future__ import annotations

import base64
import hashlib
import re
import textwrap
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["make_project", "make_wheel", "wheel_metadata"]


def _dist_name(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def wheel_metadata(
    name: str,
    version: str,
    entry_points: Mapping[str, Mapping[str, str]] | None = None,
    requires: Sequence[str] = (),
) -> dict[str, str]:
    """The ``.dist-info`` files (besides RECORD) of a pure-Python wheel: file name → text."""
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    files = {
        "METADATA": metadata,
        "WHEEL": "Wheel-Version: 1.0\nGenerator: vlmhb-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    if entry_points:
        files["entry_points.txt"] = "".join(
            f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()) + "\n"
            for group, eps in entry_points.items()
        )
    return files


def _write_wheel(path: Path, files: Mapping[str, str | bytes], dist_info: str) -> Path:
    record: list[str] = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for arcname, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            zf.writestr(arcname, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{arcname},sha256={digest},{len(data)}")
        record.append(f"{dist_info}/RECORD,,")
        zf.writestr(f"{dist_info}/RECORD", "\n".join(record) + "\n")
    return path


def make_wheel(
    directory: Path,
    name: str,
    version: str,
    module_source: str = "",
    *,
    module: str | None = None,
    entry_points: Mapping[str, Mapping[str, str]] | None = None,
    requires: Sequence[str] = (),
    extra_files: Mapping[str, str] | None = None,
) -> Path:
    """Write ``<name>-<version>-py3-none-any.whl`` into ``directory`` and return its path.

    Args:
        directory: Where the wheel goes (created if needed).
        name: Distribution name (``vlmhb-probe``).
        version: Its version.
        module_source: Text of the single module ``<module>.py``.
        module: The module name; ``name`` with ``-`` and ``.`` as ``_`` by default.
        entry_points: Group → entry name → ``module:attr`` (or a module), for entry_points.txt.
        requires: ``Requires-Dist`` lines.
        extra_files: More files inside the wheel, archive path → text.
    """
    directory.mkdir(parents=True, exist_ok=True)
    dist = _dist_name(name)
    dist_info = f"{dist}-{version}.dist-info"
    files: dict[str, str | bytes] = {f"{module or dist}.py": textwrap.dedent(module_source)}
    files.update(extra_files or {})
    for filename, text in wheel_metadata(name, version, entry_points, requires).items():
        files[f"{dist_info}/{filename}"] = text
    return _write_wheel(directory / f"{dist}-{version}-py3-none-any.whl", files, dist_info)


_BACKEND = '''
"""A PEP 517/660 build backend for one flat module; written by tests/support/wheels.py."""
import base64, hashlib, json, os, zipfile

_HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(_HERE, "_project.json"), encoding="utf-8") as _f:
    _P = json.load(_f)
_DIST = _P["dist"]
_INFO = _DIST + "-" + _P["version"] + ".dist-info"


def _wheel(wheel_directory, files):
    files = dict(files)
    for name, text in _P["dist_info"].items():
        files[_INFO + "/" + name] = text
    path = os.path.join(wheel_directory, _DIST + "-" + _P["version"] + "-py3-none-any.whl")
    record = []
    with zipfile.ZipFile(path, "w") as zf:
        for arcname, text in files.items():
            data = text.encode("utf-8")
            zf.writestr(arcname, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(arcname + ",sha256=" + digest + "," + str(len(data)))
        record.append(_INFO + "/RECORD,,")
        zf.writestr(_INFO + "/RECORD", "\\n".join(record) + "\\n")
    return os.path.basename(path)


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    module = _P["module"] + ".py"
    with open(os.path.join(_HERE, module), encoding="utf-8") as f:
        return _wheel(wheel_directory, {module: f.read()})


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory, {"__editable__." + _DIST + ".pth": _HERE + "\\n"})


def build_sdist(sdist_directory, config_settings=None):
    raise NotImplementedError("this test backend builds wheels only")
'''


def make_project(
    directory: Path,
    name: str,
    version: str,
    module_source: str = "",
    *,
    module: str | None = None,
    entry_points: Mapping[str, Mapping[str, str]] | None = None,
) -> Path:
    """Write an installable source folder for one module and return it.

    Its build backend lives in the folder, so installing it (``-e`` too) needs no network.
    An editable install puts the folder on ``sys.path`` through a ``.pth`` file, so edits
    to ``<module>.py`` show without reinstalling.
    """
    import json

    directory.mkdir(parents=True, exist_ok=True)
    dist = _dist_name(name)
    module = module or dist
    (directory / f"{module}.py").write_text(textwrap.dedent(module_source), "utf-8")
    (directory / "_vlmhb_test_backend.py").write_text(_BACKEND.lstrip(), "utf-8")
    project = {
        "dist": dist,
        "version": version,
        "module": module,
        "dist_info": wheel_metadata(name, version, entry_points),
    }
    (directory / "_project.json").write_text(json.dumps(project), "utf-8")
    (directory / "pyproject.toml").write_text(
        textwrap.dedent(f"""
            [build-system]
            requires = []
            build-backend = "_vlmhb_test_backend"
            backend-path = ["."]

            [project]
            name = "{name}"
            version = "{version}"
            """).lstrip(),
        "utf-8",
    )
    return directory
