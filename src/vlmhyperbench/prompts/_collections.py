"""Prompt collections: files mapping ``"<doc_class> <question_type>"`` to a prompt.

Formats (registered by file suffix in `prompt_formats`):

- ``.csv`` — the prototype's ``prompt;doc_class_question_type;cer`` (``;``, UTF-8 with
  or without BOM; the ``cer`` column is informational and ignored).
- ``.yaml``/``.yml``/``.json`` — ``{prompts: {"<doc_class> <question_type>": template}}``,
  optionally with ``system: template``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import yaml

from ..core import ConfigError, Registry, SourceLocation, read_semicolon_csv, read_text_utf8

__all__ = ["PromptCollection", "load_prompt_collection", "prompt_formats"]

PromptCollection = tuple[dict[str, str], str | None]
"""(mapping key → user template, system template or None)."""

prompt_formats: Registry[Callable[[Path], PromptCollection]] = Registry("prompts")


@prompt_formats.register("csv", version="1", description="prototype CSV prompt;doc_class_question_type;cer")
def _load_csv(path: Path) -> PromptCollection:
    _, rows = read_semicolon_csv(
        path,
        required=("prompt", "doc_class_question_type"),
        expected=("prompt", "doc_class_question_type", "cer"),
        error=ConfigError,
    )
    mapping: dict[str, str] = {}
    for line, row in rows:
        key = " ".join(row["doc_class_question_type"].split())
        if key in mapping:
            raise ConfigError(
                f"duplicate key '{key}'",
                location=SourceLocation(path, line, "doc_class_question_type"),
                hint="each '<doc_class> <question_type>' may appear once",
            )
        mapping[key] = row["prompt"]
    return mapping, None


def _load_structured(path: Path) -> PromptCollection:
    text = read_text_utf8(path)
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot parse: {exc}", location=SourceLocation(path)) from None
    if not isinstance(data, dict) or not isinstance(data.get("prompts", {}), dict):
        raise ConfigError(
            "expected a mapping with a 'prompts' mapping",
            location=SourceLocation(path),
            hint='write `prompts: {"passport Фамилия": "..."}` and optionally `system: "..."`',
        )
    unknown = set(data) - {"prompts", "system", "description"}
    if unknown:
        raise ConfigError(
            f"unknown key(s) {', '.join(sorted(unknown))}",
            location=SourceLocation(path),
            hint="allowed keys: prompts, system, description",
        )
    prompts = {" ".join(str(k).split()): str(v) for k, v in (data.get("prompts") or {}).items()}
    system = data.get("system")
    return prompts, (str(system) if system is not None else None)


for _suffix in ("yaml", "yml", "json"):
    prompt_formats.register(_suffix, version="1", description="YAML/JSON {prompts: {...}, system: ...}")(
        _load_structured
    )


def load_prompt_collection(path: Path) -> PromptCollection:
    """Load a prompt collection file by its suffix."""
    if not path.is_file():
        raise ConfigError(
            f"prompt collection not found: {path}",
            hint="check the path; relative paths are resolved against the config file",
        )
    suffix = path.suffix.lstrip(".").lower()
    loader = prompt_formats.get(suffix, SourceLocation(path))
    return loader(path)
