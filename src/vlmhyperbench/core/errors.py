"""Errors a user can act on: what went wrong, where, and how to fix it.

A mistake in user input (a config, a dataset, an answers file) raises a `UserError`.
The CLI prints it without a traceback and exits with status 2. Anything else is a bug
and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError
    from pydantic_core import ErrorDetails

__all__ = [
    "ConfigError",
    "DatasetError",
    "EnvironmentFailure",
    "MissingDependency",
    "Problem",
    "SourceLocation",
    "UserError",
    "problems_from_validation_error",
]


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """Where a problem is: a file, and within it a line, a column and/or a key path."""

    file: str | Path | None = None
    line: int | None = None
    """1-based line number (CSV: the physical line, header is line 1)."""
    column: int | str | None = None
    """1-based column for YAML/JSON, or the CSV column name."""
    key: str | None = None
    """Dotted key path, e.g. ``runs[1].backend.concurrency``."""

    def __str__(self) -> str:
        parts: list[str] = []
        if self.file is not None:
            parts.append(str(self.file))
        if self.line is not None:
            parts.append(str(self.line))
        if self.column is not None:
            parts.append(str(self.column))
        text = ":".join(parts)
        if self.key:
            text = f"{text} ({self.key})" if text else self.key
        return text

    def with_key(self, key: str) -> SourceLocation:
        """The same place, one key deeper."""
        joined = (
            f"{self.key}.{key}"
            if self.key and not key.startswith("[")
            else (f"{self.key}{key}" if self.key else key)
        )
        return SourceLocation(self.file, self.line, self.column, joined)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input."""

    location: SourceLocation | None
    message: str
    hint: str | None = None

    def render(self) -> str:
        """``file:line:col (key): message`` plus an indented hint line."""
        head = f"{self.location}: {self.message}" if self.location else self.message
        return f"{head}\n  hint: {self.hint}" if self.hint else head


@dataclass
class UserError(Exception):
    """A mistake in user input: one or more `Problem`s, each with a place and a fix."""

    problems: list[Problem] = field(default_factory=list)

    def __init__(
        self,
        message: str | None = None,
        *,
        location: SourceLocation | None = None,
        hint: str | None = None,
        problems: Sequence[Problem] | None = None,
    ) -> None:
        self.problems = list(problems or [])
        if message is not None:
            self.problems.insert(0, Problem(location, message, hint))
        super().__init__(self.render())

    def render(self) -> str:
        """Every problem, one per paragraph, ready to print after ``error:``."""
        return "\n".join(p.render() for p in self.problems)

    def __str__(self) -> str:
        return self.render()


class ConfigError(UserError):
    """An experiment config, run matrix, model catalogue or prompt collection is wrong."""


class DatasetError(UserError):
    """A dataset (annotations or images) or an answers file is wrong."""


class MissingDependency(UserError):
    """An optional package or binary needed by a plugin is not installed."""


class EnvironmentFailure(UserError):
    """A run's environment could not be made or used: image, venv, install, container, exit."""


def _key_path(loc: Iterable[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def problems_from_validation_error(
    err: ValidationError,
    base: SourceLocation | None = None,
    locate: object | None = None,
) -> list[Problem]:
    """Turn every error of a pydantic `ValidationError` into a located `Problem`.

    Args:
        err: The validation error.
        base: Location of the validated object (file, line, key prefix).
        locate: Optional callable ``(key_path: tuple, at_key: bool) -> SourceLocation | None``
            mapping a pydantic ``loc`` to a precise place, e.g. a YAML node's line and
            column (``at_key``: the key itself, for unknown keys).
    """
    problems: list[Problem] = []
    for item in err.errors(include_url=False):
        loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        where: SourceLocation | None = None
        if callable(locate):
            where = locate(loc, item["type"] == "extra_forbidden")
        if where is None:
            where = base or SourceLocation()
            if loc:
                where = where.with_key(_key_path(loc))
        message, hint = _explain(item)
        problems.append(Problem(where, message, hint))
    return problems


def _explain(item: ErrorDetails) -> tuple[str, str | None]:
    kind = item.get("type", "")
    got = item.get("input")
    msg = str(item.get("msg", "invalid value"))
    if kind == "extra_forbidden":
        return "unknown key", "remove it or check its spelling against the documentation"
    if kind == "missing":
        return "required key is missing", "add it"
    shown = repr(got)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    msg = msg.removeprefix("Value error, ")
    return f"{msg[0].lower() + msg[1:] if msg else msg}, got {shown}", None
