"""Secrets are named in configs and read from the environment, never written anywhere."""

from __future__ import annotations

import os

from pydantic import SecretStr

from .errors import ConfigError

__all__ = ["secret_from_env"]


def secret_from_env(name: str) -> SecretStr:
    """The value of environment variable ``name``, or a `ConfigError` saying how to set it."""
    value = os.environ.get(name)
    if not value:
        raise ConfigError(
            f"environment variable {name} is not set",
            hint=f"export {name}=<your key> (the key is never written to disk)",
        )
    return SecretStr(value)
