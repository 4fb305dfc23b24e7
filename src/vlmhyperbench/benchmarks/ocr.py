"""Presets of public OCR benchmarks: CC-OCR's tracks.

CC-OCR (Yang et al. 2024, "CC-OCR: A Comprehensive and Challenging OCR Benchmark for
Evaluating Large Multimodal Models in Literacy", arXiv:2412.02210) has four tracks,
each scored on its own and reported as the unweighted mean over its subsets (one
dataset each: ``Russian``, ``IC15``, ``CORD``...). A run holds one task, so each track is
a preset: ``cc_ocr_multi_lan_ocr`` and ``cc_ocr_multi_scene_ocr`` (``token_f1``, the
macro F1 of each subset) and ``cc_ocr_kie`` (``field_f1_donut`` with CC-OCR's scorer,
pooled per subset) and ``cc_ocr_doc_parsing`` (``cc_ocr_parsing``: 1 - NED or TEDS by
subset kind, the mean of each subset). The prompt is each row's ``question``: the prompts of CC-OCR's
data_structure_en.md, which VLMEvalKit's ``CCOCRDataset`` sends as they are.
"""

from __future__ import annotations

from ..core import PublishedScore
from ._base import Benchmark, MeanOverGroups, register_benchmark

__all__ = ["CC_OCR_LEADERBOARD"]

_REPO = "AlibabaResearch/AdvancedLiterateMachinery@fb6187ebe5374d5682ac0bc05f31e3639ab6fb15"
_HOME = "https://github.com/AlibabaResearch/AdvancedLiterateMachinery/tree/main/Benchmarks/CC-OCR"
_BOARD = "README, Benchmark Leaderboard (November 2024)"
_VERSIONS = {
    "Gemini-1.5-pro": "API version Gemini-1.5-Pro-002",
    "Qwen-VL-72B": "listed as Qwen-VL-72B; the README gives the API version Qwen-VL-Max-2024-08-09",
    "GPT-4o": "API version GPT-4o-2024-08-06",
    "Claude3.5-sonnet": "API version Claude-3.5-Sonnet-20241022",
    "InternVL2-76B": "",
}
CC_OCR_LEADERBOARD: dict[str, dict[str, float]] = {
    "multi_scene_ocr": {
        "Gemini-1.5-pro": 83.25,
        "Qwen-VL-72B": 77.95,
        "GPT-4o": 76.40,
        "Claude3.5-sonnet": 72.87,
        "InternVL2-76B": 76.92,
    },
    "multi_lan_ocr": {
        "Gemini-1.5-pro": 78.97,
        "Qwen-VL-72B": 71.14,
        "GPT-4o": 73.44,
        "Claude3.5-sonnet": 65.68,
        "InternVL2-76B": 46.57,
    },
    "doc_parsing": {
        "Gemini-1.5-pro": 62.37,
        "Qwen-VL-72B": 53.78,
        "GPT-4o": 53.30,
        "Claude3.5-sonnet": 47.79,
        "InternVL2-76B": 35.33,
    },
    "kie": {
        "Gemini-1.5-pro": 67.28,
        "Qwen-VL-72B": 71.76,
        "GPT-4o": 63.45,
        "Claude3.5-sonnet": 64.58,
        "InternVL2-76B": 61.60,
    },
}
"""The CC-OCR README's leaderboard (test, November 2024), per track."""

_LANGUAGES = (
    "Arabic",
    "French",
    "German",
    "Italian",
    "Japanese",
    "Korean",
    "Portuguese",
    "Russian",
    "Spanish",
    "Vietnamese",
)
_SCENES = (
    "document_text/CORD_100",
    "document_text/FUNSD_50",
    "document_text/IAM_50",
    "document_text/zh_doc_100",
    "document_text/zh_handwriting_50",
    "scene_text/Hieragent_100",
    "scene_text/IC15_500",
    "scene_text/InverseText_500",
    "scene_text/TotalText_300",
    "scene_text/zh_scene_450",
    "ugc_text/ugc_laion_400",
    "ugc_text/zh_dense_50",
    "ugc_text/zh_vertical_100",
)
_DOC_PARSING = (
    "doc/doc_photo_chn_75",
    "doc/doc_photo_eng_75",
    "doc/doc_scan_chn_75",
    "doc/doc_scan_eng_75",
    "table/table_photo_chn_75",
    "table/table_photo_eng_75",
    "table/table_scan_chn_75",
    "table/table_scan_eng_75",
    "molecular/molecular_handwriting_100",
    "formula/formula_handwriting_100",
)
_KIE = (
    "constrained_category/sroie2019_word_347",
    "constrained_category/CORD_100",
    "constrained_category/EPHOIE_SCUT_311",
    "constrained_category/POIE_250",
    "open_category/COLD_SIBR_400",
    "open_category/COLD_CELL_600",
)


def _published(track: str) -> tuple[PublishedScore, ...]:
    return tuple(
        PublishedScore(
            model=model,
            value=value,
            split="test",
            source=_HOME,
            note="; ".join(filter(None, [_BOARD, _VERSIONS[model]])),
        )
        for model, value in CC_OCR_LEADERBOARD[track].items()
    )


def _cc_ocr(
    track: str,
    title: str,
    task: str,
    metric: dict[str, object],
    headline: MeanOverGroups,
    subsets: tuple[str, ...],
    notes: str,
) -> Benchmark:
    return Benchmark(
        name=f"cc_ocr_{track}",
        title=title,
        task=task,
        formats=("cc_ocr",),
        prompt="{{ question }}",
        prompt_source=f"{_REPO}: Benchmarks/CC-OCR/assets/doc/data_structure_en.md (Prompt Settings), the "
        "TSVs' question column, sent as it is by VLMEvalKit CCOCRDataset (ImageBaseDataset.build_prompt)",
        metrics=(metric,),
        headline=headline,
        splits=("test",),
        default_split="test",
        subsets=(track, *(f"{track}/{s}" for s in subsets)),
        default_subset=track,
        licence="MIT (HF wulipc/CC-OCR; the repository's LICENSE); images from the public sets it draws on",
        homepage=_HOME,
        description="",
        published=_published(track),
        generation={"max_tokens": 2000},
        notes=notes,
    )


_OCR_NOTES = (
    "Scored by CC-OCR's OCR evaluator (evaluation/evaluator/ocr_evaluator.py): per image the F1 of "
    "the bags of lower-cased tokens, words or, for Arabic, Japanese, Korean and zh* subsets, "
    "characters{alnum}; each subset's value is the mean over its images (macro F1) and the track's "
    "the mean over its subsets. Sample.split is the subset's dataset name. max_tokens is the cap of "
    "CC-OCR's example.py."
)

register_benchmark(
    _cc_ocr(
        "multi_lan_ocr",
        "CC-OCR multilingual text reading (10 languages, incl. Russian)",
        "ocr",
        {"name": "token_f1", "tokens": "auto", "alphanum_only": "auto"},
        MeanOverGroups(metric="token_f1", name="macro F1"),
        tuple(f"{lang}/{lang}_150" for lang in _LANGUAGES),
        _OCR_NOTES.format(alnum=""),
    )
)
register_benchmark(
    _cc_ocr(
        "multi_scene_ocr",
        "CC-OCR multi-scene text reading",
        "ocr",
        {"name": "token_f1", "tokens": "auto", "alphanum_only": "auto"},
        MeanOverGroups(metric="token_f1", name="macro F1"),
        _SCENES,
        _OCR_NOTES.format(alnum=", keeping only [A-Za-z0-9] in word tokens"),
    )
)
register_benchmark(
    _cc_ocr(
        "kie",
        "CC-OCR key information extraction",
        "kie",
        {"name": "field_f1_donut", "scorer": "cc_ocr"},
        MeanOverGroups(metric="field_f1_donut", name="field F1", pooled=True),
        _KIE,
        "Scored by CC-OCR's KIE evaluator (evaluation/evaluator/kie_evaluator.py): each subset's "
        "field F1 pooled over its images (f1_score), the track's the mean over its subsets, as the "
        "README's leaderboard. An answer that is not a JSON object (a ```json fence allowed) has no "
        "fields. VLMEvalKit's combined CCOCR dataset reports the tree-edit accuracy (acc) for KIE "
        "instead, which is not computed here.",
    )
)
register_benchmark(
    _cc_ocr(
        "doc_parsing",
        "CC-OCR document parsing (documents, tables, formulas, molecules)",
        "ocr",
        {"name": "cc_ocr_parsing"},
        MeanOverGroups(metric="cc_ocr_parsing", name="score"),
        _DOC_PARSING,
        "Scored by CC-OCR's doc-parsing evaluator as VLMEvalKit copies it "
        "(vlmeval/dataset/utils/ccocr_evaluator/doc_parsing_evaluator.py, ParsingEvaluator), by "
        "the subset's l2-category (Sample.doc_class): 1 - normalised edit distance for doc (LaTeX "
        "preamble and code fences removed), formula and molecular (SMILES), TEDS for table (HTML); "
        "spaces and newlines are removed first, as there. Each subset's value is the mean over its "
        "images, the track's the mean over its subsets. The CC-OCR repository's own evaluator "
        "(AdvancedLiterateMachinery, Benchmarks/CC-OCR/evaluation/evaluator/) differs for doc (it "
        "takes the inside of a ```latex fence) and table (it keeps only the <table> elements, "
        "keeps spaces inside tags such as colspan attributes, and converts full-width characters "
        "to half-width); that variant is not computed here, so the README's numbers may not be "
        "exactly comparable.",
    )
)
