"""The ``omnidocbench`` and ``mdpbench`` presets and their headline rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from vlmhyperbench.aggregators import ScoredSample
from vlmhyperbench.benchmarks import benchmarks
from vlmhyperbench.benchmarks.omnidocbench import MdpBenchOverall, OmniDocBenchOverall
from vlmhyperbench.core import Sample
from vlmhyperbench.metrics import Metric, Score, build_metric

SIX = (
    "omnidoc_text_edit",
    "omnidoc_formula_edit",
    "omnidoc_table_teds",
    "omnidoc_table_teds_s",
    "omnidoc_table_edit",
    "omnidoc_reading_order",
)


def page(page_id: str, **scores: tuple[float, float] | None) -> ScoredSample:
    """A scored page; each score is (num, den) with value num/den, or None (no such element)."""
    sample = Sample(id=page_id, images=(Path("/p.png"),), task="parse")
    return ScoredSample(
        sample=sample,
        scores={
            name: Score(None) if nd is None else Score(nd[0] / nd[1], num=nd[0], den=nd[1])
            for name, nd in scores.items()
        },
    )


def pooled(*names: str) -> dict[str, Metric]:
    """Pooled metrics under the given names (any pooled metric: corpus = Σnum / Σden)."""
    return {name: build_metric("cer") for name in names}


def test_omnidocbench_parts_are_page_averaged_and_pooled() -> None:
    rows = [
        page("a", omnidoc_text_edit=(1, 10), omnidoc_table_teds=(0.5, 1)),
        page("b", omnidoc_text_edit=(30, 40), omnidoc_table_teds=None),
        page("c", omnidoc_text_edit=None, omnidoc_table_teds=(1.8, 2)),
    ]
    value, parts, unit = OmniDocBenchOverall().compute(
        rows, pooled("omnidoc_text_edit", "omnidoc_table_teds")
    )
    assert parts["Text Edit"] == pytest.approx((0.1 + 0.75) / 2)  # pages without text are left out
    assert parts["Text Edit (pooled)"] == pytest.approx(31 / 50)
    assert parts["Table TEDS"] == pytest.approx((0.5 + 0.9) / 2 * 100)
    assert parts["Table TEDS (pooled)"] == pytest.approx(2.3 / 3 * 100)  # the mean over all tables
    assert value is None and "Formula CDM" not in parts and unit == ""  # no CDM, no Overall


def test_omnidocbench_overall_needs_formula_cdm() -> None:
    rows = [
        page("a", omnidoc_text_edit=(1, 10), omnidoc_table_teds=(0.8, 1), omnidoc_formula_cdm=(0.6, 1)),
        page("b", omnidoc_text_edit=(3, 10), omnidoc_table_teds=None, omnidoc_formula_cdm=(1.0, 1)),
    ]
    names = ("omnidoc_text_edit", "omnidoc_table_teds", "omnidoc_formula_cdm")
    value, parts, _ = OmniDocBenchOverall().compute(rows, pooled(*names))
    assert parts["Formula CDM"] == pytest.approx(80.0)
    assert value == pytest.approx(((1 - 0.2) * 100 + 80.0 + 80.0) / 3)


def mdp(
    page_id: str, text: float | None, table: float | None = None, formula: float | None = None
) -> ScoredSample:
    return page(
        page_id,
        omnidoc_text_edit=None if text is None else (text, 1.0),
        omnidoc_table_teds=None if table is None else (table, 1.0),
        omnidoc_formula_edit=None if formula is None else (formula, 1.0),
    )


def test_mdpbench_scores_pages_by_their_tasks_present_and_groups_them() -> None:
    rows = [
        mdp("ru_note_1", 0.1),  # 0.9
        mdp("ru_note_1_indoor_light_top", 0.3, table=0.5),  # (0.7 + 0.5) / 2 = 0.6
        mdp("de_book_2", 1.4),  # 1 - 1.4 clipped to 0
        mdp("zh-CHT_paper_3", None, table=0.77),
        mdp("en_paper_4", None),  # nothing scored: left out
    ]
    value, parts, _ = MdpBenchOverall().compute(rows, pooled(*SIX))
    assert parts["All (no CDM)"] == round((0.9 + 0.6 + 0.0 + 0.77) / 4 * 100, 1) == value
    assert parts["Digit. (no CDM)"] == round((0.9 + 0.0 + 0.77) / 3 * 100, 1)
    assert parts["Photo. (no CDM)"] == 60.0
    assert parts["RU (no CDM)"] == 75.0 and parts["DE (no CDM)"] == 0.0 and parts["ZH-T (no CDM)"] == 77.0
    assert parts["EN (no CDM)"] is None
    assert parts["Latin Avg (no CDM)"] == 0.0 and parts["Non-Latin Avg (no CDM)"] == 76.0


def test_mdpbench_value_needs_cdm_on_pages_with_formulas() -> None:
    rows = [mdp("ru_note_1", 0.1), mdp("en_paper_2", 0.2, formula=0.5)]
    value, parts, _ = MdpBenchOverall().compute(rows, pooled(*SIX))
    assert value is None and parts["All (no CDM)"] == 85.0
    cdm_rows = [
        page("ru_note_1", omnidoc_text_edit=(0.1, 1.0)),
        page("en_paper_2", omnidoc_text_edit=(0.2, 1.0), omnidoc_formula_cdm=(0.4, 1.0)),
    ]
    value, parts, _ = MdpBenchOverall().compute(cdm_rows, pooled(*SIX, "omnidoc_formula_cdm"))
    assert value == parts["All"] == round((0.9 + (0.8 + 0.4) / 2) / 2 * 100, 1) == 75.0


def test_mdpbench_latin_average_is_of_the_rounded_language_scores() -> None:
    # DE 10.04 -> 10.0, EN 10.04 -> 10.0, IT 10.14 -> 10.1: the official script averages the
    # rounded figures (10.0); the mean of the unrounded ones would round to 10.1
    rows = [mdp("de_a_1", 0.8996), mdp("en_a_1", 0.8996), mdp("it_a_1", 0.8986)]
    _, parts, _ = MdpBenchOverall().compute(rows, pooled(*SIX))
    assert (parts["DE (no CDM)"], parts["EN (no CDM)"], parts["IT (no CDM)"]) == (10.0, 10.0, 10.1)
    assert parts["Latin Avg (no CDM)"] == 10.0 and parts["Non-Latin Avg (no CDM)"] is None


@pytest.mark.parametrize("name", ["omnidocbench", "mdpbench"])
def test_presets(name: str) -> None:
    preset = benchmarks.get(name)
    assert preset.task == "parse" and preset.formats == ("omnidocbench",)
    assert preset.metrics == SIX and preset.headline.metric == "omnidoc_text_edit"
    assert "by_page_attribute" in preset.aggregators and preset.splits == ("test",)
    assert preset.published and all(p.source.startswith("https://github.com/") for p in preset.published)
    assert "{{" not in preset.prompt  # sent as written, not a template of the sample


def test_the_official_prompts() -> None:
    omni, mdp_preset = benchmarks.get("omnidocbench"), benchmarks.get("mdpbench")
    assert omni.prompt.startswith("You are an AI assistant specialized in converting PDF images to Markdown")
    assert r"Enclose block formulas with \\[ \\]" in omni.prompt  # the raw string of Qwen2VL_img2md.py
    assert mdp_preset.prompt.startswith("You are an advanced hybrid OCR engine")
    assert {p.model for p in omni.published} >= {"GPT-4o", "Qwen2.5-VL-72B", "olmOCR-7B"}
    assert next(p for p in mdp_preset.published if p.model == "Gemini-3-pro-preview").value == 86.4
