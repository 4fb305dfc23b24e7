"""YAML/JSON documents with the line and column of every key, for located errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ..core import ConfigError, SourceLocation, read_text_utf8

__all__ = ["Locator", "load_yaml_with_locations"]

KeyPath = tuple[int | str, ...]
Locator = Callable[..., SourceLocation | None]
"""``locate(key_path, at_key=False)``: where a value (or, with ``at_key``, its key) is."""


def _walk(
    node: yaml.Node,
    path: KeyPath,
    marks: dict[KeyPath, tuple[int, int]],
    key_marks: dict[KeyPath, tuple[int, int]],
) -> None:
    marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, key_node.value)
            _walk(value_node, child, marks, key_marks)
            key_marks[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            # a scalar's error points at the value; a section's at its key
            if not isinstance(value_node, yaml.ScalarNode):
                marks[child] = key_marks[child]
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), marks, key_marks)


def _key_text(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_yaml_with_locations(path: Path) -> tuple[Any, Locator]:
    """Parse a YAML or JSON file; return the data and a key-path → location function."""
    text = read_text_utf8(path)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = SourceLocation(path, mark.line + 1, mark.column + 1) if mark else SourceLocation(path)
        raise ConfigError(
            f"cannot parse: {exc.problem}",
            location=where,
            hint="check indentation and quoting around this place",
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"cannot parse: {exc}", location=SourceLocation(path)) from None
    marks: dict[KeyPath, tuple[int, int]] = {}
    key_marks: dict[KeyPath, tuple[int, int]] = {}
    if node is not None:
        _walk(node, (), marks, key_marks)

    def locate(key_path: KeyPath, at_key: bool = False) -> SourceLocation:
        probe = tuple(key_path)
        key = _key_text(key_path) or None
        if at_key and probe in key_marks:
            return SourceLocation(path, *key_marks[probe], key)
        while probe and probe not in marks:
            probe = probe[:-1]
        found = marks.get(probe)
        return SourceLocation(path, *found, key) if found else SourceLocation(path, key=key)

    return data, locate
