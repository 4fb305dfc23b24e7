"""The Tesseract baseline on rendered pages: page text, field lookup, clear install errors."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest
from rapidfuzz.distance import Levenshtein

from tests.factories import render_page
from vlmhyperbench.backends import GenerationRequest, backends
from vlmhyperbench.core import MissingDependency

LINES = ["Фамилия: ИВАНОВ", "Имя: ПЕТР", "ИНН: 7707083893"]


async def _ask(page: Path, **request: object):  # type: ignore[no-untyped-def]
    backend = backends.get("tesseract")()
    await backend.start()
    try:
        return await backend.generate(GenerationRequest(sample_id="x", images=(page,), user="", **request))
    finally:
        await backend.aclose()


@pytest.mark.tesseract
def test_ocr_reads_a_rendered_russian_page(tmp_path: Path) -> None:
    page = render_page(tmp_path / "p.png", LINES, size=(700, 160))
    result = anyio.run(lambda: _ask(page, task="ocr"))
    assert result.error is None
    assert Levenshtein.normalized_distance("\n".join(LINES), result.text) < 0.1
    assert result.timings.latency_s > 0 and result.extra["engine"].startswith("tesseract")


@pytest.mark.tesseract
def test_vqa_and_kie_by_label_lookup(tmp_path: Path) -> None:
    page = render_page(tmp_path / "q.png", LINES, size=(700, 160))
    answer = anyio.run(lambda: _ask(page, task="vqa", hints={"question_type": "Фамилия"}))
    assert answer.text == "ИВАНОВ"
    schema = {
        "type": "object",
        "properties": {"inn": {"type": "string", "title": "ИНН"}, "name": {"type": "string", "title": "Имя"}},
    }
    kie = anyio.run(lambda: _ask(page, task="kie", json_schema=schema))
    assert json.loads(kie.text) == {"inn": "7707083893", "name": "ПЕТР"}


def test_missing_binary_says_how_to_install(tmp_path: Path) -> None:
    backend = backends.get("tesseract")(binary="tesseract-not-installed-here")
    with pytest.raises(MissingDependency) as info:
        anyio.run(backend.start)
    assert "apt-get install tesseract-ocr" in str(info.value)


@pytest.mark.tesseract
def test_missing_language_data_says_which_package(tmp_path: Path) -> None:
    backend = backends.get("tesseract")(lang="rus+xyz")
    with pytest.raises(MissingDependency) as info:
        anyio.run(backend.start)
    assert "no language data for xyz" in str(info.value) and "tesseract-ocr-xyz" in str(info.value)
