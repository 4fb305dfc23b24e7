"""Shared fixtures: tiny datasets, the scripted OpenAI server, CI rules for skips."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.factories import make_jsonl_dataset, make_prototype_dataset
from tests.support.docker_env import docker_client, docker_cpu_image, local_registry  # noqa: F401  (fixtures)
from tests.support.openai_server import openai_server  # noqa: F401  (fixture)
from tests.support.s3_server import s3_env, s3_server  # noqa: F401  (fixtures)

ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_configure(config: pytest.Config) -> None:
    """One NLTK data folder with WordNet (from Debian's packages) for the whole session,
    named by NLTK_DATA before anything imports nltk: tests set VLMHB_CACHE_DIR to their own
    temporary folders, and NLTK refuses a corpus whose folder left its search path."""
    import tempfile

    from vlmhyperbench.metrics._wordnet import wordnet_from_debian

    if "NLTK_DATA" not in os.environ:
        made = wordnet_from_debian(Path(tempfile.mkdtemp(prefix="vlmhb-nltk-")))
        if made is not None:
            os.environ["NLTK_DATA"] = str(made)


@pytest.fixture
def tiny_dataset(tmp_path: Path) -> Path:
    """Three VQA samples with rendered pages, JSONL layout."""
    return make_jsonl_dataset(tmp_path / "tiny")


@pytest.fixture
def tiny_prototype_dataset(tmp_path: Path) -> Path:
    """The same three samples in the prototype's annotation.csv layout."""
    return make_prototype_dataset(tmp_path / "proto")


def _has_tesseract() -> bool:
    if shutil.which("tesseract") is None:
        return False
    import subprocess

    out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, check=False).stdout
    return "rus" in out.split() and "eng" in out.split()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tesseract tests where it is absent, with the fix; on CI they run and fail instead."""
    if ON_CI or _has_tesseract():
        return
    skip = pytest.mark.skip(
        reason="tesseract with rus+eng is not installed (apt-get install tesseract-ocr tesseract-ocr-rus)"
    )
    for item in items:
        if "tesseract" in item.keywords:
            item.add_marker(skip)
