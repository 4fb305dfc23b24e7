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

from vlmhyperbench.datasets.demo import DEMO_SEED, find_font, generate_demo, generate_omnidocbench
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
PARSE_KINDS = {"payment_invoice", "business_letter"}  # the parsing pages' doc_class (data_source)
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
    assert {s["doc_class"] for s in samples} == DOC_CLASSES | PARSE_KINDS
    assert list(dict.fromkeys(s["split"] for s in samples)) == [
        "clean", "degraded", "photo-1", "photo-2", "photo-3"
    ]  # fmt: skip
    assert SPLITS == ("clean", "degraded", "photo-1", "photo-2", "photo-3")
    for s in samples:
        assert list(s) == KEYS
        assert s["task"] in {"ocr", "vqa", "kie", "parse"}
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
    # photo_per_class=1: one document of each class, and one parsing page of each kind
    assert len(photo_docs) == len(DOC_CLASSES | PARSE_KINDS)
    raw = (out / "annotation.jsonl").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and "Распознай".encode() in raw
    assert "CC0" in (out / "README.md").read_text(encoding="utf-8")


def test_answers_match_page_text(small: tuple[Path, list[dict[str, Any]]]) -> None:
    _, samples = small
    samples = [s for s in samples if s["task"] != "parse"]  # parsing pages: tests below
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


# --- parsing pages (task parse, OmniDocBench ground truth) ---------------------------------

# The block categories of OmniDocBench.json (opendatalab/OmniDocBench@7bd6c2e, README).
OMNIDOC_CATEGORIES = {
    "title", "text_block", "figure", "figure_caption", "figure_footnote", "table", "table_caption",
    "table_footnote", "equation_isolated", "equation_caption", "header", "footer", "page_number",
    "page_footnote", "abandon", "code_txt", "code_txt_caption", "reference",
}  # fmt: skip
TEXT_CATEGORIES = OMNIDOC_CATEGORIES - {"figure", "table", "equation_isolated", "abandon"}


def _parse_samples(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in samples if s["task"] == "parse"]


def test_parse_pages_are_added_after_the_other_samples_which_stay_the_same(
    small: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    out, samples = small
    kinds = [s["task"] for s in samples]
    first = kinds.index("parse")
    assert set(kinds[first:]) == {"parse"}
    generate_demo(tmp_path, n_per_class=1, parse_per_kind=0)  # the dataset before parsing pages
    before = (tmp_path / "annotation.jsonl").read_bytes().splitlines()
    assert (out / "annotation.jsonl").read_bytes().splitlines()[:first] == before
    assert not list((tmp_path / "images").glob("payment_invoice-*"))
    parse = _parse_samples(samples)
    clean = [s for s in parse if s["split"] == "clean"]
    assert [s["id"] for s in clean] == [f"{k}-{i:03d}" for k in PARSE_KINDS_ORDER for i in range(1, 5)]
    assert [s["split"] for s in parse] == ["clean"] * 8 + [f"photo-{k}" for k in (1, 2, 3) for _ in range(2)]


PARSE_KINDS_ORDER = ("payment_invoice", "business_letter")


def test_parse_ground_truth_is_an_omnidocbench_page(small: tuple[Path, list[dict[str, Any]]]) -> None:
    out, samples = small
    parse = _parse_samples(samples)
    assert parse
    for s in parse:
        page = s["metadata"]["omnidocbench"]
        assert list(page) == ["layout_dets", "page_info", "extra"] and page["extra"] == {"relation": []}
        info = page["page_info"]
        image = Image.open(out / s["images"][0])
        assert s["id"] == Path(s["images"][0]).stem and info["image_path"] == Path(s["images"][0]).name
        assert (info["width"], info["height"]) == image.size and info["page_no"] == 0
        attrs = info["page_attribute"]
        assert s["metadata"]["page_attribute"] == attrs and s["doc_class"] == attrs["data_source"]
        assert attrs["language"] == "Russian" and attrs["capture"] == (
            "digital" if s["split"] == "clean" else "photographed"
        )
        assert (
            attrs["layout"]
            == {"payment_invoice": "single_column", "business_letter": "double_column"}[s["doc_class"]]
        )
        assert {
            k: type(attrs[k]) for k in ("watermark", "fuzzy_scan", "colorful_backgroud")
        } == dict.fromkeys(("watermark", "fuzzy_scan", "colorful_backgroud"), bool)
        dets = page["layout_dets"]
        assert {e["category_type"] for e in dets} <= OMNIDOC_CATEGORIES
        assert {"title", "text_block", "header", "footer", "page_number"} <= {
            e["category_type"] for e in dets
        }
        assert sorted(e["anno_id"] for e in dets) == list(range(len(dets)))
        orders = [e["order"] for e in dets if e["order"] is not None]
        assert sorted(orders) == list(range(1, len(orders) + 1))  # unique, no gaps
        for e in dets:
            assert e["ignore"] is False
            assert len(e["poly"]) == 8 and all(isinstance(v, int) for v in e["poly"])
            x0, y0, x1, _, _, y1, _, _ = e["poly"]
            assert x0 < x1 and y0 < y1 and e["poly"][2:4] == [x1, y0] and e["poly"][6:] == [x0, y1]
            furniture = e["category_type"] in {"header", "footer", "page_number", "abandon"}
            assert (e["order"] is None) == furniture
            if e["category_type"] in TEXT_CATEGORIES:
                assert e["text"].strip() and e["text"] == " ".join(sp["text"] for sp in e["line_with_spans"])
            elif e["category_type"] == "table":
                assert e["html"].startswith("<table>") and e["latex"].startswith("\\begin{tabular}")
            elif e["category_type"] == "equation_isolated":
                assert e["latex"].startswith("$$\n") and e["latex"].endswith("\n$$")


def test_parse_boxes_lie_inside_the_clean_page_and_cover_ink(
    small: tuple[Path, list[dict[str, Any]]],
) -> None:
    out, samples = small
    for s in _parse_samples(samples):
        if s["split"] != "clean":
            continue
        image = Image.open(out / s["images"][0]).convert("L")
        for e in s["metadata"]["omnidocbench"]["layout_dets"]:
            x0, y0, x1, _, _, y1, _, _ = e["poly"]
            assert 0 <= x0 < x1 <= image.width and 0 <= y0 < y1 <= image.height, (s["id"], e)
            ink = np.asarray(image.crop((x0, y0, x1, y1)))
            assert (ink < 128).mean() > 0.01, (s["id"], e["category_type"], e["poly"])  # something drawn


def test_photographed_parse_pages_keep_the_clean_ground_truth(
    small: tuple[Path, list[dict[str, Any]]],
) -> None:
    _, samples = small
    by_id = {s["id"]: s for s in _parse_samples(samples)}
    photos = [s for s in by_id.values() if s["split"] != "clean"]
    assert {s["doc_class"] for s in photos} == PARSE_KINDS and len(photos) == 6
    for s in photos:
        clean_id, _, split = s["id"].rpartition("_")
        clean = by_id[clean_id]
        assert split == s["split"] and s["metadata"]["doc_id"] == f"{clean_id}-ph{s['metadata']['severity']}"
        assert (
            s["metadata"]["omnidocbench"]["layout_dets"] == clean["metadata"]["omnidocbench"]["layout_dets"]
        )
        assert s["answers"] == clean["answers"] and s["metadata"]["degradation"]


def _html_grid(html: str) -> list[list[str]]:
    """The table's cells on its grid (spanned positions repeat the cell's text)."""
    import lxml.html

    grid: dict[tuple[int, int], str] = {}
    for r, tr in enumerate(lxml.html.fromstring(html).iter("tr")):
        c = 0
        for cell in tr:
            while (r, c) in grid:
                c += 1
            for i in range(int(cell.get("rowspan", 1))):
                for j in range(int(cell.get("colspan", 1))):
                    assert (r + i, c + j) not in grid
                    grid[(r + i, c + j)] = cell.text_content()
            c += int(cell.get("colspan", 1))
    rows = max(r for r, _ in grid) + 1
    cols = max(c for _, c in grid) + 1
    assert len(grid) == rows * cols, "ragged table"
    return [[grid[(r, c)] for c in range(cols)] for r in range(rows)]


def test_invoice_tables_parse_with_merged_header_and_total_cells(
    small: tuple[Path, list[dict[str, Any]]],
) -> None:
    _, samples = small
    invoices = [s for s in _parse_samples(samples) if s["doc_class"] == "payment_invoice"]
    for s in invoices:
        (table,) = [e for e in s["metadata"]["omnidocbench"]["layout_dets"] if e["category_type"] == "table"]
        assert table["attribute"]["with_span"] is True
        assert (
            'rowspan="2"' in table["html"]
            and 'colspan="2"' in table["html"]
            and 'colspan="5"' in table["html"]
        )
        grid = _html_grid(table["html"])
        assert grid[0][:4] == ["№", "Товары (работы, услуги)", "Количество", "Количество"]
        assert grid[1][:4] == ["№", "Товары (работы, услуги)", "кол.", "ед."]
        assert [row[0] for row in grid[-3:]] == ["Итого без НДС", "НДС 20%", "Всего к оплате"]
        net, vat, total = (int(row[-1].replace(" ", "").replace(",", "")) for row in grid[-3:])
        items = [int(row[-1].replace(" ", "").replace(",", "")) for row in grid[2:-3]]
        assert sum(items) == net and vat * 5 == net and total == net + vat
        assert "\\multirow{2}{*}" in table["latex"] and "\\multicolumn{2}" in table["latex"]
        (formula,) = [
            e
            for e in s["metadata"]["omnidocbench"]["layout_dets"]
            if e["category_type"] == "equation_isolated"
        ]
        assert (
            "\\frac{20}{100}" in formula["latex"]
            and grid[-2][-1].replace(",", "{,}").replace(" ", "\\,") in formula["latex"]
        )


def test_two_column_letter_is_read_left_column_then_right_column(
    small: tuple[Path, list[dict[str, Any]]],
) -> None:
    _, samples = small
    letters = [
        s for s in _parse_samples(samples) if s["doc_class"] == "business_letter" and s["split"] == "clean"
    ]
    assert letters
    for s in letters:
        dets = sorted(
            (e for e in s["metadata"]["omnidocbench"]["layout_dets"] if e["order"] is not None),
            key=lambda e: e["order"],
        )
        title = next(i for i, e in enumerate(dets) if e["category_type"] == "title")
        body = dets[title + 1 : -1]  # between the subject and the signature
        width = s["metadata"]["omnidocbench"]["page_info"]["width"]
        sides = ["left" if e["poly"][2] <= width / 2 else "right" for e in body]
        assert sides == sorted(sides) and "left" in sides and "right" in sides, (
            sides
        )  # all left, then all right
        for side in ("left", "right"):
            tops = [e["poly"][1] for e, where in zip(body, sides, strict=True) if where == side]
            assert tops == sorted(tops)  # top to bottom within a column
        assert dets[-1]["text"].startswith("С уважением")


def test_parse_answer_is_the_reference_markdown_in_reading_order(
    small: tuple[Path, list[dict[str, Any]]],
) -> None:
    _, samples = small
    for s in _parse_samples(samples):
        (answer,) = s["answers"]
        dets = s["metadata"]["omnidocbench"]["layout_dets"]
        content = [e.get("text") or e.get("html") or e.get("latex") for e in sorted(
            (e for e in dets if e["order"] is not None), key=lambda e: e["order"])]  # fmt: skip
        positions = [answer.index(c.strip("$\n")) for c in content]
        assert positions == sorted(positions)
        for e in dets:
            if e["category_type"] in {"header", "footer", "page_number"}:
                assert e["text"] not in answer.split("\n\n")  # page furniture is not read


def test_generate_omnidocbench_writes_the_demo_parsing_pages(
    small: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    out, samples = small
    path = generate_omnidocbench(tmp_path / "odb", n_per_kind=4, photo_per_kind=1)
    assert path == tmp_path / "odb" / "OmniDocBench.json"
    pages = json.loads(path.read_text("utf-8"))
    parse = _parse_samples(samples)
    assert pages == [s["metadata"]["omnidocbench"] for s in sorted(parse, key=lambda s: _copy_order(s["id"]))]
    for page in pages:
        name = page["page_info"]["image_path"]
        assert (tmp_path / "odb" / "images" / name).read_bytes() == (out / "images" / name).read_bytes()
    with pytest.raises(ValueError, match="photo_per_kind <= n_per_kind"):
        generate_omnidocbench(tmp_path / "bad", n_per_kind=1, photo_per_kind=2)
    assert (
        len(json.loads(generate_omnidocbench(tmp_path / "two", n_per_kind=1, photo_per_kind=0).read_text()))
        == 2
    )


def _copy_order(sample_id: str) -> tuple[int, str]:
    """The OmniDocBench file's order: by kind and page, each page followed by its photographs."""
    page = sample_id.split("_photo-")[0]
    return (PARSE_KINDS_ORDER.index(page.rsplit("-", 1)[0]), sample_id)


def test_make_demo_omnidocbench_option_writes_a_folder_the_omnidocbench_source_imports(
    small: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from vlmhyperbench.cli.main import app

    made = CliRunner().invoke(app, ["datasets", "make-demo", str(tmp_path / "odb"), "--omnidocbench"])
    assert made.exit_code == 0, made.output
    assert not (tmp_path / "odb" / "annotation.jsonl").exists()  # the parsing pages alone
    args = [
        "datasets",
        "import",
        str(tmp_path / "odb"),
        "--format",
        "omnidocbench",
        "--out",
        str(tmp_path / "n"),
    ]
    imported = CliRunner().invoke(app, args)
    assert imported.exit_code == 0, imported.output
    rows = _load(tmp_path / "n" / "annotation.jsonl")
    ours = {s["id"]: s for s in _parse_samples(small[1])}
    assert sorted(r["id"] for r in rows) == sorted(ours)
    for row in rows:
        assert row["task"] == "parse" and row["answers"] == ours[row["id"]]["answers"]
        assert row["metadata"]["omnidocbench"] == ours[row["id"]]["metadata"]["omnidocbench"]
        assert row["doc_class"] == ours[row["id"]]["doc_class"]


def test_shipped_parse_answers_are_the_reference_markdown_of_their_pages() -> None:
    """Guards the shipped copy against a change of `reference_markdown` (regenerate it then)."""
    from vlmhyperbench._paths import demo_dataset_path
    from vlmhyperbench.metrics.omnidocbench import reference_markdown

    parse = _parse_samples(_load(demo_dataset_path() / "annotation.jsonl"))
    assert len(parse) == 14
    for s in parse:
        assert s["answers"] == [reference_markdown(s["metadata"]["omnidocbench"])], s["id"]
