"""The S3 filesystem (s3fs) from the environment's credentials, and its errors as `UserError`s.

Endpoint and credentials come only from what botocore reads itself: ``AWS_ENDPOINT_URL``,
``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/``AWS_SESSION_TOKEN``, ``AWS_PROFILE`` with
``~/.aws/config`` and ``~/.aws/credentials``, instance roles. Nothing here reads or keeps them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..core import MissingDependency, SourceLocation, UserError
from ._url import S3Url

if TYPE_CHECKING:
    from s3fs import S3FileSystem  # type: ignore[import-untyped]

__all__ = ["check_location", "filesystem", "s3_errors"]

_INSTALL = "pip install 'vlmhyperbench[s3]'"
_CREDENTIALS = (
    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE with ~/.aws/credentials), and "
    "AWS_ENDPOINT_URL for a server other than AWS (MinIO, Ceph...)"
)


def filesystem() -> S3FileSystem:
    """A fresh s3fs filesystem configured by the environment alone (no instance or listing cache).

    Raises:
        MissingDependency: s3fs is not installed.
    """
    try:
        import s3fs
    except ImportError:
        raise MissingDependency(
            "s3:// locations need the s3fs package", hint=f"install the s3 extra: {_INSTALL}"
        ) from None
    return s3fs.S3FileSystem(
        skip_instance_cache=True,
        use_listings_cache=False,
        config_kwargs={
            "connect_timeout": 5,
            "read_timeout": 60,
            "retries": {"max_attempts": 3},
            # S3-compatible servers (MinIO, Ceph, moto) do not all verify the newer streamed checksums
            "request_checksum_calculation": "when_required",
            "response_checksum_validation": "when_required",
        },
    )


def _endpoint() -> str:
    import os

    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or "AWS S3"


@contextmanager
def s3_errors(url: str, where: SourceLocation | None) -> Iterator[None]:
    """Turn what S3 answers about ``url`` into a `UserError` naming it, the key or flag, and a fix."""
    try:
        yield
    except UserError:
        raise
    except PermissionError as exc:
        raise UserError(
            f"access to {url} is denied: {exc}",
            location=where,
            hint=f"give these credentials read and write access to the bucket, or use others: {_CREDENTIALS}",
        ) from None
    except FileNotFoundError as exc:
        if "bucket" not in str(exc).lower():
            raise
        raise UserError(
            f"the bucket of {url} does not exist on {_endpoint()}",
            location=where,
            hint="create it first (aws s3 mb s3://BUCKET, mc mb ALIAS/BUCKET) or fix the URL",
        ) from None
    except Exception as exc:
        name = type(exc).__name__
        if name == "NoCredentialsError":
            raise UserError(f"no S3 credentials to reach {url}", location=where, hint=_CREDENTIALS) from None
        if name in (
            "EndpointConnectionError",
            "ConnectTimeoutError",
            "ClientConnectorError",
            "ConnectionError",
        ):
            raise UserError(
                f"the S3 endpoint {_endpoint()} does not answer (for {url}): {exc}",
                location=where,
                hint="check AWS_ENDPOINT_URL (scheme, host and port) and that the server is up",
            ) from None
        raise


def check_location(url: S3Url, where: SourceLocation | None, *, write: bool) -> None:
    """Check before anything starts that ``url``'s bucket exists and these credentials may use it.

    Args:
        url: The location.
        where: The config key or flag that named it.
        write: Also write (and delete) a small probe object, for an output location.

    Raises:
        UserError: the bucket does not exist, access is denied, the endpoint does not answer.
        MissingDependency: s3fs is not installed.
    """
    fs = filesystem()
    with s3_errors(url, where):
        fs.call_s3("list_objects_v2", Bucket=url.bucket, Prefix=url.key, MaxKeys=1)
        if write:
            probe = url.child(f".vlmhb-probe-{uuid.uuid4().hex[:12]}").path
            fs.pipe_file(probe, b"")
            fs.rm_file(probe)
