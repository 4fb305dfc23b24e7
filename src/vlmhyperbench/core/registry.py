"""One registry class for every kind of plugin, filled by decorators and entry points.

Built-in plugins register themselves when their module is imported; third-party
packages declare a Python entry point in the group ``vlmhyperbench.<kind>`` naming a
module whose import runs their decorators. Entry points are loaded on first lookup.
"""

from __future__ import annotations

import difflib
import importlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from .errors import ConfigError, SourceLocation

__all__ = ["Registry", "RegistryEntry", "did_you_mean"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RegistryEntry(Generic[T]):
    """A registered plugin: its name, the object, and where it came from."""

    name: str
    obj: T
    origin: str
    """``module:qualname`` of the object, recorded in run manifests."""
    version: str | None = None
    description: str = ""


def did_you_mean(name: str, choices: list[str]) -> str | None:
    """The closest registered name, if any is close enough."""
    lowered = {c.lower(): c for c in choices}
    if name.lower() in lowered:
        return lowered[name.lower()]
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else None


class Registry(Generic[T]):
    """Name → plugin, for one kind (``metrics``, ``backends``, ...).

    Args:
        kind: Plural kind name; the entry point group is ``vlmhyperbench.<kind>``.
        builtins: Modules of this package whose import registers the built-ins.
        list_command: The CLI command that lists this kind, quoted in errors.
    """

    def __init__(self, kind: str, builtins: tuple[str, ...] = (), list_command: str = "") -> None:
        self.kind = kind
        self.group = f"vlmhyperbench.{kind}"
        self._builtins = builtins
        self._list_command = list_command
        self._entries: dict[str, RegistryEntry[T]] = {}
        self._loaded = False

    def register(self, name: str, *, version: str | None = None, description: str = "") -> Callable[[T], T]:
        """Decorator registering an object under ``name``; a duplicate name is an error."""

        def decorator(obj: T) -> T:
            qualname = getattr(obj, "__qualname__", None) or f"{type(obj).__qualname__}({name!r})"
            origin = f"{getattr(obj, '__module__', '?')}:{qualname}"
            existing = self._entries.get(name)
            if existing is not None and existing.origin != origin:
                raise ConfigError(
                    f"{self.kind[:-1]} '{name}' is registered twice: by {existing.origin} and by {origin}",
                    hint="rename one of them; names are global across installed plugins",
                )
            doc = description or (obj.__doc__ or "").strip().split("\n")[0]
            self._entries[name] = RegistryEntry(name, obj, origin, version, doc)
            return obj

        return decorator

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        for module in self._builtins:
            importlib.import_module(module)
        for ep in entry_points(group=self.group):
            try:
                ep.load()
            except Exception as exc:  # noqa: BLE001 (a broken plugin must not hide the others)
                logger.warning("could not load %s plugin %r (%s): %s", self.kind, ep.name, ep.value, exc)

    def entry(self, name: str, location: SourceLocation | None = None) -> RegistryEntry[T]:
        """The entry for ``name``, or a `ConfigError` with a "did you mean" hint."""
        self._load()
        try:
            return self._entries[name]
        except KeyError:
            pass
        suggestion = did_you_mean(name, list(self._entries))
        listing = (
            f"`{self._list_command}` shows every one"
            if self._list_command
            else ("known: " + ", ".join(sorted(self._entries)))
        )
        hint = f"did you mean '{suggestion}'? {listing}" if suggestion else listing
        raise ConfigError(f"unknown {self.kind[:-1]} '{name}'", location=location, hint=hint)

    def get(self, name: str, location: SourceLocation | None = None) -> T:
        """The registered object for ``name``."""
        return self.entry(name, location).obj

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._entries

    def __iter__(self) -> Iterator[RegistryEntry[T]]:
        self._load()
        return iter(sorted(self._entries.values(), key=lambda e: e.name))

    def names(self) -> list[str]:
        """Every registered name, sorted."""
        return [e.name for e in self]
