"""A real S3-compatible HTTP server for the s3:// tests: moto's server mode in a subprocess.

One ``moto_server`` per test session on a free loopback port, with request signing and IAM
policies enforced (``INITIAL_NO_AUTH_ACTION_COUNT``: the first requests, which create the
users, are unsigned; every later one is checked). Two users: ``writer`` may do anything in
S3, ``nobody`` may do nothing (their requests are denied). Without the binary the tests
skip, except under CI, where they fail: CI must run them (the ``test`` extra has
``moto[server]``).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

__all__ = ["S3Server", "s3_env", "s3_server"]

_SETUP_REQUESTS = 5
"""The unsigned IAM requests `_users` makes before authentication is enforced."""


@dataclass
class S3Server:
    """The running server, the credentials of its two users and the environment to use it."""

    endpoint: str
    key: str
    secret: str
    denied_key: str
    denied_secret: str

    def env(self, *, denied: bool = False) -> dict[str, str]:
        """The variables a client reads: endpoint, region and one user's keys."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.denied_key if denied else self.key,
            "AWS_SECRET_ACCESS_KEY": self.denied_secret if denied else self.secret,
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def client(self) -> Any:
        """A boto3 S3 client of the ``writer`` user, to inspect the bucket directly."""
        import boto3

        env = self.env()
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name="us-east-1",
        )

    def make_bucket(self) -> str:
        """A new empty bucket; its name."""
        name = f"b-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name

    def objects(self, bucket: str, prefix: str = "") -> dict[str, bytes]:
        """Every object under ``prefix``, key → content."""
        client = self.client()
        out: dict[str, bytes] = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                out[item["Key"]] = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        return out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _unavailable(message: str) -> None:
    from tests.conftest import ON_CI  # here: conftest imports this module's fixtures

    if ON_CI:
        pytest.fail(f"{message}: on CI the S3 tests must run")
    pytest.skip(message)


def _wait_listening(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _unavailable(
                f"moto_server exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}"
            )
        with socket.socket() as sock:  # a TCP connect, not a request: requests are counted
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    _unavailable("moto_server did not listen within 30 s")


def _users(endpoint: str) -> tuple[dict[str, str], dict[str, str]]:
    import boto3

    iam = boto3.client(
        "iam",
        endpoint_url=endpoint,
        aws_access_key_id="setup",
        aws_secret_access_key="setup",
        region_name="us-east-1",
    )
    iam.create_user(UserName="writer")
    iam.create_user(UserName="nobody")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    iam.put_user_policy(UserName="writer", PolicyName="s3-all", PolicyDocument=json.dumps(policy))
    writer = iam.create_access_key(UserName="writer")["AccessKey"]
    nobody = iam.create_access_key(UserName="nobody")["AccessKey"]
    return writer, nobody


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """moto's S3 server on 127.0.0.1 with authentication on, for the whole session."""
    beside = Path(sys.executable).with_name("moto_server")  # this environment's moto, not another on PATH
    binary = str(beside) if beside.exists() else shutil.which("moto_server") or str(beside)
    if not Path(binary).exists():
        _unavailable("moto_server is not installed (pip install 'moto[server]', in the test extra)")
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(_SETUP_REQUESTS)}
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        env.pop(name, None)
    with log.open("wb") as out:
        proc = subprocess.Popen([binary, "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=out, env=env)
    try:
        _wait_listening(port, proc, log)
        endpoint = f"http://127.0.0.1:{port}"
        writer, nobody = _users(endpoint)
        yield S3Server(
            endpoint,
            writer["AccessKeyId"],
            writer["SecretAccessKey"],
            nobody["AccessKeyId"],
            nobody["SecretAccessKey"],
        )
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """This test's environment points at the server as ``writer`` with its own cache folder;
    returns the URL of a new empty bucket."""
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("VLMHB_CACHE_DIR", str(tmp_path / "cache"))
    return f"s3://{s3_server.make_bucket()}"
