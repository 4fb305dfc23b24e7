"""Pytest helpers for tests that need a Docker engine and the project's CPU image.

``docker_client_or_reason()`` connects lazily (the ``docker`` SDK is the ``[docker]``
extra). The session fixtures ``docker_client``, ``docker_cpu_image`` and ``local_registry`` skip where
Docker is unusable, and fail instead under ``CI=true`` (there a skip counts as a
failure). ``docker_cpu_image`` returns the tag of an up-to-date CPU image, building it
with ``scripts/build_images.sh`` when it is missing or stale: staleness is the label
``org.vlmhyperbench.source-hash`` against ``scripts/source_hash.py`` (the one definition
of the hash, shared with the build script). An ``fcntl`` lock makes parallel
pytest-xdist workers build once.

As a script: ``python3 tests/support/docker_env.py --source-hash`` prints the hash;
``--ensure`` builds the test image if needed and prints its tag.
"""

from __future__ import annotations

import fcntl
import functools
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, cast

import pytest

if TYPE_CHECKING:
    import docker

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO_ROOT / "scripts" / "build_images.sh"
SOURCE_HASH_SCRIPT = REPO_ROOT / "scripts" / "source_hash.py"
TEST_IMAGE = "vlmhyperbench:test"
SOURCE_HASH_LABEL = "org.vlmhyperbench.source-hash"
BUILD_TIMEOUT_S = 3600
# build_images.sh exits 3 when a prerequisite (engine, debootstrap, root, pip) is missing.
_EXIT_MISSING_PREREQUISITE = 3
ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@functools.cache
def _source_hash_fn() -> Callable[[Path], str]:
    spec = importlib.util.spec_from_file_location("_vlmhb_source_hash", SOURCE_HASH_SCRIPT)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {SOURCE_HASH_SCRIPT}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return cast("Callable[[Path], str]", module.source_hash)


def source_hash(root: Path = REPO_ROOT) -> str:
    """The checkout's source hash, as ``scripts/source_hash.py`` computes it."""
    return _source_hash_fn()(root)


def docker_client_or_reason() -> tuple[docker.DockerClient | None, str]:
    """A connected client and ``""``, or ``None`` and why Docker cannot be used."""
    try:
        import docker.errors  # binds ``docker`` as well
    except ImportError:
        return None, (
            "the docker Python SDK is not installed "
            "(python -m pip install 'docker>=7.1', or the project's [docker] extra)"
        )
    try:
        client = docker.from_env(timeout=60)
        client.ping()
    except (docker.errors.DockerException, OSError) as exc:  # OSError: requests' errors too
        return None, f"the Docker engine is not reachable ({type(exc).__name__}: {exc})"
    return client, ""


def skip_or_fail(reason: str) -> NoReturn:
    """``pytest.skip`` normally; ``pytest.fail`` under CI, where a skip is a failure."""
    if ON_CI:
        pytest.fail(f"{reason} [CI=true: Docker tests must run here]", pytrace=False)
    pytest.skip(reason)


def image_source_hash(client: docker.DockerClient, tag: str) -> str | None:
    """The image's source-hash label, or ``None`` when the image or the label is missing."""
    import docker.errors

    try:
        image = client.images.get(tag)
    except docker.errors.ImageNotFound:
        return None
    return (image.labels or {}).get(SOURCE_HASH_LABEL)


def _lock_path(tag: str) -> Path:
    return Path(tempfile.gettempdir()) / f"vlmhb-docker-image-{re.sub(r'[^A-Za-z0-9_.-]', '_', tag)}.lock"


def ensure_cpu_image(client: docker.DockerClient, tag: str = TEST_IMAGE) -> str:
    """Build ``tag`` with the build script unless it is current; return the tag."""
    if image_source_hash(client, tag) == source_hash():
        return tag
    with _lock_path(tag).open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be building it right now
        if image_source_hash(client, tag) == source_hash():
            return tag
        try:
            proc = subprocess.run(
                ["bash", str(BUILD_SCRIPT), "--tag", tag],
                cwd=REPO_ROOT,
                capture_output=True,
                text=True,
                timeout=BUILD_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"{BUILD_SCRIPT.name} --tag {tag} ran over {BUILD_TIMEOUT_S} s", pytrace=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
        message = f"{BUILD_SCRIPT.name} --tag {tag} exited {proc.returncode}:\n{tail}"
        if proc.returncode == _EXIT_MISSING_PREREQUISITE:
            skip_or_fail(message)
        pytest.fail(message, pytrace=False)
    return tag


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    """A connected Docker SDK client (skips, or fails under CI, without Docker)."""
    client, reason = docker_client_or_reason()
    if client is None:
        skip_or_fail(reason)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def docker_cpu_image(docker_client: docker.DockerClient) -> str:
    """Tag of an up-to-date CPU image (``vlmhyperbench:test``), built on first use.

    A first build takes minutes (about 1-2 with the base image present); tests using
    it need a generous ``pytest.mark.timeout``. CI builds it before the tests run.
    """
    return ensure_cpu_image(docker_client, TEST_IMAGE)


REGISTRY_BINARY = "docker-registry"  # Debian's package of the CNCF distribution registry


@pytest.fixture(scope="session")
def local_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real image registry on loopback (``host:port``), for pulls and image digests.

    Debian's ``docker-registry`` serves from a temporary folder; the engine trusts
    registries on 127.0.0.0/8 without TLS. Skips (fails under CI) without the binary.
    """
    from vlmhyperbench.backends._engine_process import free_port  # not at import: the script runs without it

    binary = shutil.which(REGISTRY_BINARY)
    if binary is None:
        skip_or_fail(f"{REGISTRY_BINARY} is not installed (apt-get install docker-registry)")
    root = tmp_path_factory.mktemp("registry")
    address = f"127.0.0.1:{free_port()}"
    config = root / "config.yml"
    config.write_text(
        "version: 0.1\nlog: {level: warn}\n"
        f"storage: {{filesystem: {{rootdirectory: {root / 'data'}}}, delete: {{enabled: true}}}}\n"
        f"http: {{addr: {address}}}\n",
        encoding="utf-8",
    )
    log = (root / "registry.log").open("wb")
    process = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://{address}/v2/", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail(
                        f"{REGISTRY_BINARY} did not answer on {address}:\n"
                        + (root / "registry.log").read_text(errors="replace")[-2000:],
                        pytrace=False,
                    )
                time.sleep(0.2)
        yield address
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def main(argv: list[str]) -> int:
    if argv == ["--source-hash"]:
        print(source_hash())
        return 0
    if argv == ["--ensure"]:
        client, reason = docker_client_or_reason()
        if client is None:
            print(reason, file=sys.stderr)
            return _EXIT_MISSING_PREREQUISITE
        print(ensure_cpu_image(client))
        return 0
    print("usage: docker_env.py --source-hash | --ensure", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
