"""The package registry: named packages a stage can install at environment start.

Each package is one YAML file, ``<dir>/<name>.yaml``, naming exactly one source:

.. code-block:: yaml

    name: vlmhb-probe              # optional; the file stem when absent
    description: Test probe plugin
    source:
      pypi: {name: vlmhb-probe, version: "1.0.0"}
    # source: {git: {url: https://github.com/org/repo.git, ref: v0.1.1, subdirectory: pkg}}
    # source: {local: {path: ../model_qwen, editable: true}}

With ``RUN_MODE=dev``, a ``<name>.dev.yaml`` beside it replaces the top-level keys it
sets (typically ``source``, with an editable local checkout); a ``.dev.yaml`` with no
base file is a package that exists only in dev mode. In prod, ``.dev.yaml`` is ignored.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..config._yaml import Locator, load_yaml_with_locations
from ..core import ConfigError, InstallItem, Problem, SourceLocation, did_you_mean
from ..core.errors import problems_from_validation_error

__all__ = [
    "RUN_MODES",
    "GitSource",
    "LocalSource",
    "PackageDefinition",
    "PackageRegistry",
    "PackageSource",
    "PypiSource",
    "RunMode",
    "run_mode_from_env",
]

RunMode = Literal["prod", "dev"]
RUN_MODES: tuple[RunMode, ...] = ("prod", "dev")
_SPECIFIER_START = tuple("=<>!~")
_DEV_SUFFIX = ".dev.yaml"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PypiSource(_Model):
    """A distribution from the package index."""

    name: str
    version: str | None = None
    """An exact version (``1.0.0``), a specifier (``>=1,<2``), or any version when absent."""


class GitSource(_Model):
    """A distribution built from a git repository."""

    url: str
    """Repository URL (``https://...``, ``ssh://...``); a ``git+`` prefix is optional."""
    ref: str | None = None
    """Branch, tag or commit; the default branch when absent."""
    subdirectory: str | None = None
    """Folder of the repository that holds ``pyproject.toml``."""


class LocalSource(_Model):
    """A distribution built from a folder (or a wheel file) on this machine."""

    path: Path
    """Relative paths resolve against the folder of the YAML file that names them."""
    editable: bool = False
    """Install in development mode, so edits to the folder take effect without reinstalling."""


class PackageSource(_Model):
    """Where a package comes from: exactly one of ``pypi``, ``git`` and ``local``."""

    pypi: PypiSource | None = None
    git: GitSource | None = None
    local: LocalSource | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> PackageSource:
        given = [k for k in ("pypi", "git", "local") if getattr(self, k) is not None]
        if len(given) != 1:
            shown = " and ".join(given) if given else "none"
            raise ValueError(f"exactly one of pypi, git or local is required, got {shown}")
        return self


class PackageDefinition(_Model):
    """One package of the registry, as read from its YAML file (local paths made absolute)."""

    name: str
    """Registry name: the file stem."""
    description: str = ""
    source: PackageSource
    install_args: list[str] = Field(default_factory=list)
    """Extra installer arguments for this package (``--index-url ...``)."""


def run_mode_from_env(environ: Mapping[str, str] = os.environ) -> RunMode:
    """The run mode from the ``RUN_MODE`` variable: ``prod`` (default) or ``dev``."""
    value = environ.get("RUN_MODE", "").strip().lower() or "prod"
    if value == "prod":
        return "prod"
    if value == "dev":
        return "dev"
    raise ConfigError(
        f"RUN_MODE={environ.get('RUN_MODE')!r} is not a run mode",
        hint="set RUN_MODE to 'prod' (the default) or 'dev'",
    )


@dataclass(frozen=True, slots=True)
class _Doc:
    """One parsed YAML file: its data and where each key is."""

    path: Path
    data: dict[str, Any]
    locate: Locator


def _read(path: Path) -> _Doc:
    data, locate = load_yaml_with_locations(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"a package definition must be a mapping, got {type(data).__name__}",
            location=SourceLocation(path, 1, 1),
            hint="write `source: {pypi: {name: ...}}` and the other keys at the top level",
        )
    return _Doc(path, data, locate)


def _definition(name: str, base: _Doc | None, overlay: _Doc | None) -> PackageDefinition:
    """Validate one package from its base file and/or dev overlay; raise located errors."""
    docs = [d for d in (base, overlay) if d is not None]
    data: dict[str, Any] = {}
    origin: dict[str, _Doc] = {}
    for doc in docs:  # shallow merge: the overlay's top-level keys win
        data.update(doc.data)
        origin.update(dict.fromkeys(doc.data, doc))
    last = docs[-1]

    def locate(key_path: tuple[int | str, ...], at_key: bool = False) -> SourceLocation | None:
        doc = origin.get(str(key_path[0]), last) if key_path else last
        return doc.locate(key_path, at_key)

    if "name" in data and data["name"] != name:
        where = locate(("name",)) or SourceLocation(origin["name"].path)
        raise ConfigError(
            f"name {data['name']!r} differs from the file name {name!r}",
            location=where,
            hint=f"rename the file to {data['name']}.yaml or remove `name:`",
        )
    try:
        package = PackageDefinition.model_validate({**data, "name": name})
    except ValidationError as exc:
        raise ConfigError(
            problems=problems_from_validation_error(exc, SourceLocation(last.path), locate)
        ) from None
    local = package.source.local
    if local is None:
        return package
    folder = origin["source"].path.parent
    path = (folder / local.path.expanduser()).resolve()
    if not path.exists():
        raise ConfigError(
            f"local path '{local.path}' does not exist (resolved to {path})",
            location=locate(("source", "local", "path")),
            hint=f"relative paths are relative to {folder}, the folder of {origin['source'].path.name}",
        )
    new_local = local.model_copy(update={"path": path})
    return package.model_copy(update={"source": package.source.model_copy(update={"local": new_local})})


def _scan(folder: Path, run_mode: RunMode) -> dict[str, tuple[Path | None, Path | None]]:
    """Package name → (base file, dev overlay) in one folder."""
    found: dict[str, tuple[Path | None, Path | None]] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name.endswith(_DEV_SUFFIX):
            if run_mode == "dev":
                name = path.name[: -len(_DEV_SUFFIX)]
                found[name] = (found.get(name, (None, None))[0], path)
        else:
            found[path.stem] = (path, found.get(path.stem, (None, None))[1])
    return found


class PackageRegistry:
    """Package name → definition, read from one or more folders of YAML files.

    Args:
        packages: The definitions, by registry name.
        dirs: The folders they were read from, quoted when a name is unknown.
    """

    def __init__(self, packages: Mapping[str, PackageDefinition], dirs: Sequence[Path] = ()) -> None:
        self._packages = dict(packages)
        self.dirs = list(dirs)

    @classmethod
    def load(cls, dirs: Sequence[Path], run_mode: str = "prod") -> PackageRegistry:
        """Read every ``*.yaml`` of ``dirs``; a later folder overrides an earlier one's packages.

        Folders that do not exist hold no packages. Every broken file is reported at once.

        Raises:
            ConfigError: A file is unreadable or invalid, or ``run_mode`` is unknown.
        """
        mode = run_mode_from_env({"RUN_MODE": run_mode})
        packages: dict[str, PackageDefinition] = {}
        problems: list[Problem] = []
        for folder in dirs:
            if not folder.is_dir():
                continue
            for name, (base, overlay) in _scan(folder, mode).items():
                try:
                    docs = [_read(p) if p else None for p in (base, overlay)]
                    packages[name] = _definition(name, docs[0], docs[1])
                except ConfigError as exc:
                    problems += exc.problems
        if problems:
            raise ConfigError(problems=problems)
        return cls(packages, dirs)

    def get(self, name: str, location: SourceLocation | None = None) -> PackageDefinition:
        """The definition of ``name``, or a `ConfigError` saying where packages were looked for."""
        try:
            return self._packages[name]
        except KeyError:
            pass
        searched = ", ".join(str(d) for d in self.dirs) or "no folders"
        suggestion = did_you_mean(name, self.names())
        hint = f"did you mean '{suggestion}'? " if suggestion else ""
        hint += f"packages are <name>.yaml files in: {searched}"
        raise ConfigError(f"unknown package '{name}'", location=location, hint=hint)

    def install_item(self, name: str, location: SourceLocation | None = None) -> InstallItem:
        """What the installer gets for package ``name``."""
        source = self.get(name, location).source
        if source.pypi is not None:
            pypi = source.pypi
            version = (pypi.version or "").strip()
            if not version:
                requirement = pypi.name
            elif version.startswith(_SPECIFIER_START):
                requirement = f"{pypi.name}{version}"
            else:
                requirement = f"{pypi.name}=={version}"
            return InstallItem(requirement=requirement, source="pypi", package=name)
        if source.git is not None:
            git = source.git
            url = git.url if git.url.startswith("git+") else f"git+{git.url}"
            requirement = f"{name} @ {url}"
            requirement += f"@{git.ref}" if git.ref else ""
            requirement += f"#subdirectory={git.subdirectory}" if git.subdirectory else ""
            return InstallItem(requirement=requirement, source="git", package=name)
        assert source.local is not None  # PackageSource guarantees exactly one
        return InstallItem(
            requirement=str(source.local.path), editable=source.local.editable, source="local", package=name
        )

    def names(self) -> list[str]:
        """Every package name, sorted."""
        return sorted(self._packages)

    def __contains__(self, name: object) -> bool:
        return name in self._packages

    def __iter__(self) -> Iterator[PackageDefinition]:
        return iter(self._packages[n] for n in self.names())

    def __len__(self) -> int:
        return len(self._packages)
