"""Tests of the synthetic demo dataset generator (vlmhyperbench.datasets.demo)."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from vlmhyperbench.datasets.demo import DEMO_SEED, find_font, generate_demo
from vlmhyperbench.datasets.demo._identifiers import (
    format_money_en,
    format_money_ru,
    inn10_check,
    inn12_check,
    make_inn10,
    make_inn12,
    make_snils,
    snils_check,
    snils_control,
)

DOC_CLASSES = {"passport", "invoice", "receipt", "snils", "inn", "invoice_en"}
KEYS = ["id", "images", "question", "answers", "doc_class", "question_type", "task", "split",
        "fields", "json_schema", "metadata"]  # fmt: skip


def _load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """One document per class, generated once for the whole module."""
    out = tmp_path_factory.mktemp("demo_a")
    calls: list[tuple[int, int]] = []
    annotation = generate_demo(out, n_per_class=1, progress=lambda d, t: calls.append((d, t)))
    assert annotation == out / "annotation.jsonl"
    assert calls and calls[-1][0] == calls[-1][1]
    return out, _load(annotation)


# --- identifiers -------------------------------------------------------------------------


def test_known_valid_identifiers() -> None:
    assert inn10_check("7707083893")  # Sberbank
    assert not inn10_check("7707083894")
    assert inn12_check("500100732259")
    assert not inn12_check("500100732258")
    assert snils_check("112-233-445 95")
    assert not snils_check("112-233-445 96")
    assert snils_control("112233445") == "95"


@pytest.mark.parametrize(
    ("digits", "control"),
    [
        ("100427626", "99"),  # weighted sum 99: the sum itself
        ("100356355", "00"),  # 100
        ("100079190", "00"),  # 101
        ("100166299", "01"),  # 102 -> 102 % 101
        ("100958199", "49"),  # 150 -> 49
        ("106897449", "00"),  # 201 -> 100 -> 00
        ("105978845", "00"),  # 202 -> 0
    ],
)
def test_snils_control_rules(digits: str, control: str) -> None:
    assert snils_control(digits) == control


def test_generated_identifiers_are_valid() -> None:
    rng = random.Random(7)
    for _ in range(200):
        assert inn10_check(make_inn10(rng))
        assert inn12_check(make_inn12(rng))
        snils = make_snils(rng)
        assert re.fullmatch(r"\d{3}-\d{3}-\d{3} \d{2}", snils) and snils_check(snils)


def test_money_formatting() -> None:
    assert format_money_ru(1234567) == "12 345,67"
    assert format_money_ru(5) == "0,05"
    assert format_money_en(123456789) == "1,234,567.89"


def test_find_font() -> None:
    assert find_font("DejaVuSans.ttf").name == "DejaVuSans.ttf"
    with pytest.raises(RuntimeError, match="apt-get install fonts-dejavu-core"):
        find_font("NoSuchFont-xyz.ttf")


# --- dataset -----------------------------------------------------------------------------


def test_determinism(small: tuple[Path, list[dict[str, Any]]], tmp_path: Path) -> None:
    out_a, _ = small
    generate_demo(tmp_path, n_per_class=1)
    assert (tmp_path / "annotation.jsonl").read_bytes() == (out_a / "annotation.jsonl").read_bytes()
    names_a = sorted(p.name for p in (out_a / "images").iterdir())
    assert names_a == sorted(p.name for p in (tmp_path / "images").iterdir())
    for name in names_a:
        assert (tmp_path / "images" / name).read_bytes() == (out_a / "images" / name).read_bytes()
    assert (tmp_path / "README.md").read_bytes() == (out_a / "README.md").read_bytes()


def test_structure(small: tuple[Path, list[dict[str, Any]]]) -> None:
    out, samples = small
    ids = [s["id"] for s in samples]
    assert len(ids) == len(set(ids))
    assert {s["doc_class"] for s in samples} == DOC_CLASSES
    assert {s["split"] for s in samples} == {"clean", "degraded"}
    for s in samples:
        assert list(s) == KEYS
        assert s["task"] in {"ocr", "vqa", "kie"}
        assert s["metadata"]["seed"] == DEMO_SEED
        assert s["metadata"]["fonts"] and all(f.endswith(".ttf") for f in s["metadata"]["fonts"])
        for image in s["images"]:
            assert (out / image).is_file()
        if s["split"] == "degraded":
            assert s["metadata"]["doc_id"].endswith("-deg")
            assert s["images"][0].endswith("_degraded.jpg")
            assert 1 <= len(s["metadata"]["degradation"]) <= 2
        else:
            assert s["metadata"]["degradation"] is None
    raw = (out / "annotation.jsonl").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and "Распознай".encode() in raw
    assert "CC0" in (out / "README.md").read_text(encoding="utf-8")


def test_answers_match_page_text(small: tuple[Path, list[dict[str, Any]]]) -> None:
    _, samples = small
    ocr = {s["metadata"]["doc_id"]: s for s in samples if s["task"] == "ocr"}
    per_doc: dict[str, list[dict[str, Any]]] = {}
    for s in samples:
        per_doc.setdefault(s["metadata"]["doc_id"], []).append(s)
    for doc_id, group in per_doc.items():
        text = ocr[doc_id]["answers"][0]
        vqa = [s for s in group if s["task"] == "vqa"]
        (kie,) = [s for s in group if s["task"] == "kie"]
        assert 4 <= len(vqa) <= 8
        for s in vqa:
            assert s["answers"][0] in text
            assert f"{s['question_type']}: {s['answers'][0]}" in text.split("\n")
            assert kie["fields"][s["metadata"]["field"]] == s["answers"][0]
        assert json.loads(kie["answers"][0]) == kie["fields"]
        schema = kie["json_schema"]
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        assert schema["required"] == list(kie["fields"])
        for key, value in kie["fields"].items():
            prop = schema["properties"][key]
            assert prop["type"] == "string" and isinstance(value, str)
            assert prop["title"] in {s["question_type"] for s in vqa}


def test_identifier_fields_have_valid_checksums(small: tuple[Path, list[dict[str, Any]]]) -> None:
    _, samples = small
    checked = 0
    for s in samples:
        if s["task"] != "kie":
            continue
        for key, value in s["fields"].items():
            if key in {"inn", "seller_inn", "buyer_inn"}:
                assert (inn12_check if len(value) == 12 else inn10_check)(value), value
                checked += 1
            elif key == "snils_number":
                assert snils_check(value), value
                checked += 1
    assert checked >= 5
