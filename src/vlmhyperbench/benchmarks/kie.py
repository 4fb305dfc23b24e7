"""Presets of the key-information-extraction benchmarks: SROIE, CORD and FUNSD.

The model sees one page and answers a JSON object; ``field_f1_donut`` turns it into
(field path, text) pairs and the headline is the micro F1 over every pair of the split
(`Pooled`), × 100. The prompts follow CC-OCR's KIE prompt (the reference VLM
evaluation of SROIE and CORD): an instruction and an empty JSON template of the fields.
No published score is quoted: the numbers we could verify were measured with other
prompts or ground truths (CC-OCR scores its own copies of the test sets); see
docs/benchmarks.md.
"""

from __future__ import annotations

import json
from typing import Any

from ..datasets.sources.kie import FUNSD_LABELS, SROIE_FIELDS
from ._base import Benchmark, Pooled, register_benchmark

__all__ = ["CC_OCR_KIE_PROMPT", "CORD_TEMPLATE"]

_CC_OCR = "AlibabaResearch/AdvancedLiterateMachinery@fb6187ebe5374d5682ac0bc05f31e3639ab6fb15"
_CC_OCR_DOC = f"{_CC_OCR}: Benchmarks/CC-OCR/assets/doc/data_structure_en.md (Prompt Settings, kie)"
CC_OCR_KIE_PROMPT = (
    "Suppose you are an information extraction expert. Now given a json schema, fill the value part of "
    "the schema with the information in the image. Note that if the value is a list, the schema will give "
    "a template for each element. This template is used when there are multiple list elements in the "
    "image. Finally, only legal json is required as the output. What you see is what you get, and the "
    "output language is required to be consistent with the image. No explanation is required. Please "
    "output the results as required.The input json schema content is as follows:\n"
)
"""CC-OCR's KIE "basic prompt" as its documentation gives it (the template follows it)."""
_SROIE_EXTRA = (
    "If the value of output json is pure English characters, use uppercase; The date field is designed to "
    "display only the date, without including the specific time."
)
CORD_TEMPLATE: dict[str, Any] = {
    "menu": [
        {
            "nm": "",
            "num": "",
            "unitprice": "",
            "cnt": "",
            "discountprice": "",
            "price": "",
            "itemsubtotal": "",
            "vatyn": "",
            "etc": "",
            "sub": [{"nm": "", "unitprice": "", "cnt": "", "price": ""}],
        }
    ],
    "void_menu": [{"nm": "", "price": ""}],
    "sub_total": {
        "subtotal_price": "",
        "discount_price": "",
        "service_price": "",
        "othersvc_price": "",
        "tax_price": "",
        "etc": "",
    },
    "total": {
        "total_price": "",
        "total_etc": "",
        "cashprice": "",
        "changeprice": "",
        "creditcardprice": "",
        "emoneyprice": "",
        "menutype_cnt": "",
        "menuqty_cnt": "",
    },
}
"""The keys of CORD v2's ``gt_parse`` (the classes of clovaai/cord's README) as a CC-OCR
template; empty strings, which Donut's scorer drops, so an echoed template costs nothing."""
_FUNSD_ROLES = (
    "List every text entity of the form by its role: header (a title of the form or of a section), "
    "question (a field label or key) and answer (the value written for a question); copy each text "
    "exactly as printed."
)
_GENERATION = {"max_tokens": 2000, "temperature": 0.0}


def _template(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


register_benchmark(
    Benchmark(
        name="sroie",
        title="SROIE (ICDAR 2019 task 3: receipts)",
        task="kie",
        formats=("sroie",),
        prompt=CC_OCR_KIE_PROMPT + _template(dict.fromkeys(SROIE_FIELDS, "")) + "\n" + _SROIE_EXTRA,
        prompt_source=f"{_CC_OCR_DOC}: the basic prompt with the SROIE schema, and the sentence added for "
        "SROIE after it (the exact text of CC-OCR's qa.jsonl ships with its data, not in the repository)",
        metrics=({"name": "field_f1_donut", "scorer": "donut"}, "structural_fidelity"),
        headline=Pooled(metric="field_f1_donut", name="field F1"),
        splits=("train", "test"),
        default_split="test",
        licence="no licence in the release; the ICDAR 2019 RRC portal's terms (registration, research use)",
        homepage="https://rrc.cvc.uab.es/?ch=13",
        generation=_GENERATION,
        notes="ICDAR 2019 task 3 scores a field as right when its text equals the key file's, with micro "
        "precision, recall and F1 over all fields of the split: field_f1_donut with Donut's scorer is "
        "that rule on four string fields (texts stripped; an empty field is no field). CC-OCR's "
        "evaluator normalises spacing and full-width forms first: metrics: [{name: field_f1_donut, "
        "scorer: cc_ocr}] gives its number. The answer must be a JSON object with string values "
        "(json_schema); anything else scores as an empty answer.",
    )
)

register_benchmark(
    Benchmark(
        name="cord",
        title="CORD v2 (receipt parsing)",
        task="kie",
        formats=("cord",),
        prompt=CC_OCR_KIE_PROMPT + _template(CORD_TEMPLATE),
        prompt_source=f"{_CC_OCR_DOC}: the basic prompt; the template of CORD's gt_parse keys is ours "
        "(CC-OCR's own CORD prompt ships with its data). Donut's prompt is the task token <s_cord-v2> "
        "of its fine-tuned model, which a chat model cannot use",
        metrics=({"name": "field_f1_donut", "scorer": "donut"}, "structural_fidelity"),
        headline=Pooled(metric="field_f1_donut", name="field F1"),
        splits=("train", "validation", "test"),
        default_split="test",
        licence="CC BY 4.0 (clovaai/cord)",
        homepage="https://github.com/clovaai/cord",
        generation=_GENERATION,
        notes="The headline is Donut's JSONParseEvaluator.cal_f1 over the split (clovaai/donut test.py "
        "'f1_accuracy'); Donut's tree-edit accuracy (nTED) is not computed. The original release's "
        "<split>/json files are read when they have gt_parse (v1, v2); v0's have none.",
    )
)

register_benchmark(
    Benchmark(
        name="funsd",
        title="FUNSD (forms: entities by role)",
        task="kie",
        formats=("funsd",),
        prompt=CC_OCR_KIE_PROMPT + _template({label: [""] for label in FUNSD_LABELS}) + "\n" + _FUNSD_ROLES,
        prompt_source=f"ours, on the pattern of {_CC_OCR_DOC}: no reference implementation prompts a "
        "chat model for FUNSD entities",
        metrics=({"name": "field_f1_donut", "scorer": "donut"}, "structural_fidelity"),
        headline=Pooled(metric="field_f1_donut", name="entity F1 (generative)"),
        splits=("train", "test"),
        default_split="test",
        licence="non-commercial, research and educational use (FUNSD website)",
        homepage="https://guillaumejaume.github.io/FUNSD/",
        generation=_GENERATION,
        notes="Not the FUNSD entity-labelling F1 of layout models (seqeval over word tags given the "
        "words and boxes): here the model reads the page and writes each entity's text under its "
        "label, and an entity counts when its label and whole text match a ground-truth entity "
        "(multiset match, texts stripped). 'other' entities are not asked for, as seqeval treats them "
        "as outside; an 'other' list in the answer counts as false positives.",
    )
)
