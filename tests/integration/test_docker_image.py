"""The CPU image honours the conventions the Docker executor relies on.

Each check runs a throwaway container without network, as the host's uid (as the
executor does) or as an arbitrary one.
"""

from __future__ import annotations

import os
import subprocess
from typing import TYPE_CHECKING

import pytest

from tests.support import docker_env

if TYPE_CHECKING:
    import docker

# The first use may build the image (minutes), inside the first test's setup.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

HOST_USER = f"{os.getuid()}:{os.getgid()}"


def _run(
    client: docker.DockerClient,
    image: str,
    command: list[str],
    *,
    entrypoint: list[str] | None = None,
    user: str = HOST_USER,
) -> str:
    """Output of a container run; ``docker.errors.ContainerError`` on a non-zero exit."""
    out = client.containers.run(
        image,
        command,
        entrypoint=entrypoint,
        user=user,
        network_mode="none",
        remove=True,
        stdout=True,
        stderr=True,
    )
    return out.decode() if isinstance(out, bytes) else str(out)


def test_cli_runs_as_the_host_user(docker_client: docker.DockerClient, docker_cpu_image: str) -> None:
    out = _run(docker_client, docker_cpu_image, ["--help"])
    assert "stage" in out
    assert "evaluate" in out


def test_tesseract_has_russian_and_english(
    docker_client: docker.DockerClient,
    docker_cpu_image: str,
) -> None:
    out = _run(docker_client, docker_cpu_image, ["--list-langs"], entrypoint=["tesseract"])
    assert {"rus", "eng"} <= set(out.split())


def test_venv_is_writable_by_any_uid(docker_client: docker.DockerClient, docker_cpu_image: str) -> None:
    script = r"""
set -eu
test "$(id -u):$(id -g)" = 1234:1234
test "$(command -v python3)" = /opt/vlmhb/bin/python3
test "$HOME" = /tmp && touch "$HOME/.probe"
site="$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
touch "$site/x" /opt/vlmhb/bin/x && mkdir "$site/newpkg"
uv pip uninstall --offline json-repair
python3 -m pip uninstall -y -q tabulate
! python3 -c 'import json_repair' 2>/dev/null
! python3 -c 'import tabulate' 2>/dev/null
python3 -c 'import vlmhyperbench'
echo writable-ok
"""
    out = _run(docker_client, docker_cpu_image, ["-c", script], entrypoint=["sh"], user="1234:1234")
    assert "writable-ok" in out


def test_source_hash_label_matches_the_checkout(
    docker_client: docker.DockerClient,
    docker_cpu_image: str,
) -> None:
    labels = docker_client.images.get(docker_cpu_image).labels
    assert labels.get(docker_env.SOURCE_HASH_LABEL) == docker_env.source_hash()
    assert labels.get("org.opencontainers.image.version")


def test_start_dockerd_leaves_a_running_engine_alone(docker_client: docker.DockerClient) -> None:
    """``scripts/start_dockerd.sh`` (what ``.ci/run`` calls) starts nothing when an engine answers."""
    proc = subprocess.run(
        ["bash", str(docker_env.REPO_ROOT / "scripts" / "start_dockerd.sh")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    driver = docker_client.info()["Driver"]
    assert f"an engine is running already (storage driver: {driver})" in proc.stdout
