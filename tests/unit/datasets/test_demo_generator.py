"""Tests of the synthetic demo dataset generator (vlmhyperbench.datasets.demo)."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from vlmhyperbench.datasets.demo import DEMO_SEED, find_font, generate_demo
from vlmhyperbench.datasets.demo._generator import SPLITS, build_documents
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
from vlmhyperbench.datasets.demo._photo import PHOTO_LEVELS, PHOTO_STEPS, apply_photo, choose_photo
from vlmhyperbench.datasets.demo._render import render

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
    assert list(dict.fromkeys(s["split"] for s in samples)) == [
        "clean", "degraded", "photo-1", "photo-2", "photo-3"
    ]  # fmt: skip
    assert SPLITS == ("clean", "degraded", "photo-1", "photo-2", "photo-3")
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
            assert s["metadata"]["severity"] == 1
        elif s["split"].startswith("photo-"):
            k = int(s["split"].removeprefix("photo-"))
            assert s["metadata"]["doc_id"].endswith(f"-ph{k}") and s["metadata"]["severity"] == k
            assert s["images"][0].endswith(f"_photo-{k}.jpg")
            types = [step["type"] for step in s["metadata"]["degradation"]]
            assert types == [t for t in PHOTO_STEPS if t in types] and len(types) == len(PHOTO_STEPS) - 1
        else:
            assert s["metadata"]["degradation"] is None and s["metadata"]["severity"] == 0
    photo_docs = {s["metadata"]["doc_id"][: -len("-ph1")] for s in samples if s["split"] == "photo-1"}
    assert len(photo_docs) == len(DOC_CLASSES)  # photo_per_class=1: one document of each class
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


def test_photo_per_class_chooses_how_many_documents_are_photographed(tmp_path: Path) -> None:
    samples = _load(generate_demo(tmp_path, n_per_class=1, photo_per_class=0))
    assert {s["split"] for s in samples} == {"clean", "degraded"}
    assert not list((tmp_path / "images").glob("*_photo-*.jpg"))
    with pytest.raises(ValueError, match="photo_per_class <= n_per_class"):
        generate_demo(tmp_path, n_per_class=1, photo_per_class=2)


# --- photographed pages ------------------------------------------------------------------


@pytest.fixture(scope="module")
def page() -> Image.Image:
    """The clean page of the first passport."""
    return render(build_documents(DEMO_SEED, 1)[0])


def _photo(page: Image.Image, seed: str, severity: int) -> tuple[list[dict[str, Any]], bytes]:
    rng = random.Random(seed)
    steps = choose_photo(rng, severity)
    img, quality = apply_photo(page, steps, rng)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return steps, buf.getvalue()


@pytest.mark.parametrize("severity", sorted(PHOTO_LEVELS))
def test_photo_is_deterministic_per_severity(page: Image.Image, severity: int) -> None:
    steps, data = _photo(page, "seed-a", severity)
    assert _photo(page, "seed-a", severity) == (steps, data)
    other_steps, other_data = _photo(page, "seed-b", severity)
    assert other_steps != steps and other_data != data


def test_photo_records_every_parameter_within_its_level() -> None:
    keys = {
        "fold": {"orientation", "position", "depth", "width", "shift"},
        "perspective": {"far_edge", "keystone", "corner_jitter", "scale", "margin", "background"},
        "rotate": {"angle"},
        "shadow": {"angle", "offset", "depth", "softness"},
        "vignette": {"strength"},
        "low_light": {"gain", "gamma"},
        "motion_blur": {"length", "angle"},
        "defocus_blur": {"radius"},
        "noise": {"std", "distribution"},
        "jpeg": {"quality"},
    }
    assert set(keys) == set(PHOTO_STEPS)
    blurs = set()
    for severity, lv in PHOTO_LEVELS.items():
        for seed in range(30):
            steps = choose_photo(random.Random(seed), severity)
            by_type = {step["type"]: step for step in steps}
            for kind, step in by_type.items():
                assert set(step) - {"type"} == keys[kind]
            blurs |= {kind for kind in by_type if kind.endswith("_blur")}

            def within(value: float, bounds: tuple[float, float]) -> bool:
                return bounds[0] - 1e-9 <= value <= bounds[1] + 1e-9

            assert within(by_type["fold"]["depth"], lv.fold_depth)
            assert within(by_type["fold"]["shift"], lv.fold_shift)
            assert within(by_type["perspective"]["keystone"], lv.keystone)
            assert within(by_type["perspective"]["scale"], lv.scale)
            assert all(abs(v) <= lv.jitter for c in by_type["perspective"]["corner_jitter"] for v in c)
            assert within(abs(by_type["rotate"]["angle"]), lv.rotate)
            assert within(by_type["shadow"]["depth"], lv.shadow)
            assert within(by_type["vignette"]["strength"], lv.vignette)
            assert within(by_type["low_light"]["gain"], lv.gain)
            assert within(by_type["low_light"]["gamma"], lv.gamma)
            if "motion_blur" in by_type:
                assert within(by_type["motion_blur"]["length"], lv.motion)
            else:
                assert within(by_type["defocus_blur"]["radius"], lv.defocus)
            assert within(by_type["noise"]["std"], lv.noise)
            assert within(by_type["jpeg"]["quality"], lv.jpeg)
    assert blurs == {"motion_blur", "defocus_blur"}


def test_every_condition_gets_stronger_with_severity() -> None:
    """Each level's range lies wholly beyond the previous level's, in the harmful direction."""
    stronger = ["fold_depth", "fold_shift", "keystone", "rotate", "shadow", "vignette", "gamma",
                "motion", "defocus", "noise"]  # fmt: skip
    weaker = ["scale", "gain", "jpeg"]  # smaller is worse: farther, darker, more compressed
    levels = [PHOTO_LEVELS[k] for k in sorted(PHOTO_LEVELS)]
    for low, high in itertools.pairwise(levels):
        for name in stronger:
            assert getattr(low, name)[1] <= getattr(high, name)[0], name
        for name in weaker:
            assert getattr(low, name)[0] >= getattr(high, name)[1], name
        assert low.jitter < high.jitter


def test_photographed_pages_get_darker_and_flatter_with_severity(page: Image.Image) -> None:
    stats = []
    for severity in sorted(PHOTO_LEVELS):
        rng = random.Random(f"{DEMO_SEED}:passport-001:photo-{severity}")
        img, _ = apply_photo(page, choose_photo(rng, severity), rng)
        a = np.asarray(img, dtype=np.float64)
        stats.append((a.mean(), np.percentile(a, 95) - np.percentile(a, 5)))
    clean = np.asarray(page, dtype=np.float64)
    means = [clean.mean()] + [m for m, _ in stats]
    spans = [np.percentile(clean, 95) - np.percentile(clean, 5)] + [s for _, s in stats]
    assert means == sorted(means, reverse=True)  # exposure, shadow, vignette, gamma
    assert spans[1:] == sorted(spans[1:], reverse=True)  # paper-to-ink contrast falls


def test_every_recorded_parameter_takes_effect(page: Image.Image) -> None:
    small = page.resize((page.width // 2, page.height // 2))
    steps = choose_photo(random.Random("params"), 2)

    def shot(steps: list[dict[str, Any]]) -> tuple[str, int]:
        img, quality = apply_photo(small, steps, random.Random("pixels"))
        return hashlib.sha256(img.tobytes()).hexdigest(), quality

    base = shot(steps)
    others = {"orientation": {"horizontal": "vertical", "vertical": "horizontal"}}
    others["far_edge"] = {"top": "left", "bottom": "right", "left": "top", "right": "bottom"}
    checked = []
    for i, step in enumerate(steps):
        for key, value in step.items():
            if key in ("type", "distribution"):
                continue
            if key == "corner_jitter":
                changed: Any = [[value[0][0] + 0.02, value[0][1]], *value[1:]]
            elif key in others:
                changed = others[key][value]
            else:
                changed = value + 1 if isinstance(value, int) else value * 1.5
            edited = [*steps[:i], {**step, key: changed}, *steps[i + 1 :]]
            assert shot(edited) != base, f"{step['type']}.{key} has no effect"
            checked.append(f"{step['type']}.{key}")
    assert len(checked) >= 20


def test_unknown_photo_step_is_refused(page: Image.Image) -> None:
    with pytest.raises(ValueError, match="unknown photo step 'smudge'"):
        apply_photo(page, [{"type": "smudge"}], random.Random(0))
