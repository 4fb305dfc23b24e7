"""The Tesseract baseline on rendered pages: page text, field lookup, clear install errors."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest
from rapidfuzz.distance import Levenshtein

from tests.factories import render_page
from vlmhyperbench.backends import GenerationRequest, backends
from vlmhyperbench.backends.tesseract import tsv_paragraphs
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


@pytest.mark.tesseract
def test_parse_gives_paragraphs_separated_by_blank_lines(tmp_path: Path) -> None:
    lines = ["Счет на оплату выставлен", "поставщиком вовремя.", "", "", "Оплата поступила в срок."]
    page = render_page(tmp_path / "p.png", lines, size=(520, 230))
    result = anyio.run(lambda: _ask(page, task="parse"))
    assert result.error is None
    assert result.text == "Счет на оплату выставлен поставщиком вовремя.\n\nОплата поступила в срок."
    ocr = anyio.run(lambda: _ask(page, task="ocr"))  # the ocr answer is still the page's lines
    assert ocr.text == "Счет на оплату выставлен\nпоставщиком вовремя.\nОплата поступила в срок."

    async def forced() -> str | None:  # mode: paragraphs whatever the task
        backend = backends.get("tesseract")(mode="paragraphs")
        await backend.start()
        request = GenerationRequest(sample_id="x", images=(page,), user="", task="ocr")
        return (await backend.generate(request)).text

    assert anyio.run(forced) == result.text


def test_tsv_paragraphs_groups_words_by_block_and_paragraph() -> None:
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    rows = [
        (2, 1, 1, 0, 0, 0, ""),  # a block row: no word
        (5, 1, 1, 1, 1, 1, "Первая"),
        (5, 1, 1, 1, 1, 2, "строка,"),
        (5, 1, 1, 1, 2, 1, "вторая."),  # next line of the same paragraph
        (5, 1, 1, 2, 1, 1, "Абзац"),  # a second paragraph in the block
        (5, 1, 1, 2, 1, 2, " "),  # an empty word is skipped
        (5, 1, 2, 1, 1, 1, "Блок"),
        (5, 2, 1, 1, 1, 1, "Page2"),  # the same numbers on another page are another paragraph
    ]
    tsv = "\n".join(
        [
            header,
            *(
                "\t".join(map(str, (lv, pg, bl, par, ln, wd, 0, 0, 1, 1, 90))) + f"\t{t}"
                for lv, pg, bl, par, ln, wd, t in rows
            ),
        ]
    )
    assert tsv_paragraphs(tsv) == "Первая строка, вторая.\n\nАбзац\n\nБлок\n\nPage2"
    assert tsv_paragraphs(header + "\n") == ""


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
