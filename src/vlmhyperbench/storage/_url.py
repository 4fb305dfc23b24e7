"""`S3Url`: an ``s3://bucket/prefix`` location, as a validated string."""

from __future__ import annotations

import re
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema
from typing_extensions import Self

__all__ = ["S3Url", "is_s3_url"]

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
"""S3 bucket names: 3–63 lower-case letters, digits, dots and hyphens."""


def is_s3_url(value: object) -> bool:
    """True for a string that starts with ``s3://``."""
    return isinstance(value, str) and value.strip().lower().startswith("s3://")


class S3Url(str):
    """``s3://bucket[/key]`` without a trailing slash; a `str`, so it prints and serialises as the URL.

    Raises:
        ValueError: not an ``s3://`` URL, or the bucket name is not a valid S3 bucket name.
    """

    def __new__(cls, value: str) -> Self:
        text = str(value).strip()
        if not is_s3_url(text):
            raise ValueError(f"'{text}' is not an s3:// URL")
        rest = text[5:].strip("/")
        bucket = rest.partition("/")[0]
        if not _BUCKET.match(bucket):
            raise ValueError(
                f"'{bucket}' in '{text}' is not a valid bucket name (3-63 lower-case letters, digits, '.', '-')"
            )
        if any(part in ("", ".", "..") for part in rest.split("/")[1:]):
            raise ValueError(f"'{text}' has an empty, '.' or '..' path part")
        return super().__new__(cls, f"s3://{rest}")

    @property
    def bucket(self) -> str:
        """The bucket name."""
        return self[5:].partition("/")[0]

    @property
    def key(self) -> str:
        """The key prefix inside the bucket ('' for the bucket itself)."""
        return self[5:].partition("/")[2]

    @property
    def path(self) -> str:
        """``bucket/key``, as fsspec names it."""
        return self[5:]

    @property
    def name(self) -> str:
        """The last part of the URL (the bucket for a bare bucket)."""
        return self.rsplit("/", 1)[-1]

    def child(self, *parts: str) -> S3Url:
        """The URL of ``parts`` under this one."""
        return S3Url("/".join([str(self), *(p.strip("/") for p in parts)]))

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            cls,
            core_schema.str_schema(pattern=r"^\s*[sS]3://"),
            serialization=core_schema.to_string_ser_schema(),
        )
