"""Secrets are named in configs and read from the environment, never written anywhere."""

from __future__ import annotations

import os
import re
from typing import Any

from pydantic import SecretStr

from .errors import ConfigError

__all__ = ["MASK", "is_secret_key", "mask_secret_text", "mask_secrets", "secret_from_env"]

MASK = "***"
"""What a secret value is shown as."""

_SECRET_KEY = re.compile(
    r"(^|_)(api_?key|key|token|secret|password|passwd|authorization|credentials?)$", re.IGNORECASE
)
"""Keys whose values are secrets (``api_key``, ``hf_token``...); ``api_key_env`` names a variable
and is not one."""

_SECRET_LINE = re.compile(
    r"""^(?P<lead>\s*(?:-\s+)?["']?(?P<key>[\w-]+)["']?\s*[:=]\s*)"""
    r"""(?P<value>"[^"]*"|'[^']*'|[^\s#,{}\[\]"'][^#]*?)(?P<end>,?\s*(?:\#.*)?)$"""
)
"""A ``key: value`` (YAML), ``"key": "value"`` (JSON) or ``key=value`` line."""

_QUOTED_PAIR = re.compile(r"""(?P<lead>(?P<q>["']?)(?P<key>[\w-]+)(?P=q)\s*:\s*)(?P<value>"[^"]*"|'[^']*')""")
"""A ``"key": "value"`` pair anywhere in a line (a JSON object on one line, a YAML flow map)."""


def secret_from_env(name: str) -> SecretStr:
    """The value of environment variable ``name``, or a `ConfigError` saying how to set it."""
    value = os.environ.get(name)
    if not value:
        raise ConfigError(
            f"environment variable {name} is not set",
            hint=f"export {name}=<your key> (the key is never written to disk)",
        )
    return SecretStr(value)


def is_secret_key(key: str) -> bool:
    """Whether a value stored under ``key`` is a secret (``api_key``, ``token``, ``password``...)."""
    return _SECRET_KEY.search(key.replace("-", "_")) is not None


def mask_secrets(value: Any) -> Any:
    """``value`` with the values of secret-looking keys replaced by `MASK`, at any depth."""
    if isinstance(value, dict):
        return {
            k: MASK if is_secret_key(str(k)) and v not in (None, "") else mask_secrets(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_secrets(v) for v in value]
    return value


def mask_secret_text(text: str) -> str:
    """A config's text (YAML, JSON, ``key=value``) with secret-looking values replaced by `MASK`,
    line for line, so line numbers in messages still point at the right place."""
    out = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        match = _SECRET_LINE.match(body)
        if match and is_secret_key(match["key"]) and match["value"].strip() not in ("null", "~", '""', "''"):
            quote = match["value"][0] if match["value"][0] in "\"'" else ""
            body = f"{match['lead']}{quote}{MASK}{quote}{match['end']}"
        body = _QUOTED_PAIR.sub(_mask_pair, body)
        out.append(body + line[len(line.rstrip("\r\n")) :])
    return "".join(out)


def _mask_pair(match: re.Match[str]) -> str:
    if not is_secret_key(match["key"]):
        return match[0]
    quote = match["value"][0]
    return f"{match['lead']}{quote}{MASK}{quote}"
