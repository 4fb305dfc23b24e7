"""Presets ``omnidocbench`` and ``mdpbench``: whole pages parsed to Markdown, scored by
OmniDocBench's end-to-end evaluator (its ``quick_match``), and their headline rules.

OmniDocBench v1.5 (opendatalab/OmniDocBench@7bd6c2e, README "End-to-End Evaluation")
reports per model Text Edit, Formula CDM, Table TEDS and TEDS-S, Reading Order Edit
and Overall = ((1 - Text Edit) × 100 + Table TEDS + Formula CDM) / 3, each figure
averaged over pages (``tools/generate_result_tables.ipynb``: ``ALL_page_avg`` of the
edit distances, the ``page`` split of TEDS and CDM). MDPBench (Yuliang-Liu/MultimodalOCR@794c36d,
``MDPBench/tools/calculate_scores.py``) scores each page by the mean of its tasks present
(1 - text edit, formula CDM, table TEDS) and reports the mean over pages, over the
digital and photographed pages, and per language. Formula CDM renders LaTeX with a TeX
toolchain and is not computed here: without a ``omnidoc_formula_cdm`` metric in the run,
figures that need it have no value and the others are given (see each rule).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..aggregators import ScoredSample
from ..core import PublishedScore
from ..datasets.sources.omnidocbench import mdpbench_capture
from ..metrics import Metric
from ._base import Benchmark, register_benchmark

__all__ = ["MdpBenchOverall", "OmniDocBenchOverall"]

CDM = "omnidoc_formula_cdm"
"""The per-page formula CDM metric the Overall needs (none is built in)."""
_FIGURES = (
    ("Text Edit", "omnidoc_text_edit", 1.0),
    ("Formula Edit", "omnidoc_formula_edit", 1.0),
    ("Table TEDS", "omnidoc_table_teds", 100.0),
    ("Table TEDS-S", "omnidoc_table_teds_s", 100.0),
    ("Table Edit", "omnidoc_table_edit", 1.0),
    ("Reading Order Edit", "omnidoc_reading_order", 1.0),
)
_METRICS = tuple(metric for _, metric, _ in _FIGURES)
_AGGREGATORS = ("by_id", "by_doc_class", "general", "by_page_attribute")


def _page_values(rows: Sequence[ScoredSample], metric: str) -> dict[str, float]:
    """Each page's own value of ``metric`` (pages where it has none are left out)."""
    out: dict[str, float] = {}
    for row in rows:
        score = row.scores.get(metric)
        if score is not None and score.value is not None:
            out[row.sample.id] = float(score.value)
    return out


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class OmniDocBenchOverall:
    """OmniDocBench's leaderboard figures: each metric averaged over the pages that have
    its element (the official page-level average) and pooled over all elements (its
    ``edit_whole``; for TEDS the mean over all tables), TEDS × 100. The value is the
    Overall, computed only when the run has the formula CDM metric ``cdm``."""

    metric: str = "omnidoc_text_edit"
    name: str = "Overall"
    cdm: str = CDM

    def describe(self) -> str:
        return (
            "Overall = ((1 - Text Edit) × 100 + Table TEDS + Formula CDM) / 3 of the page-averaged figures "
            f"(needs metric '{self.cdm}'; none without it); parts: each figure averaged over pages and "
            "'(pooled)' over all elements; edit distances 0-1 (lower is better), TEDS × 100"
        )

    def compute(
        self, rows: Sequence[ScoredSample], metrics: Mapping[str, Metric]
    ) -> tuple[float | None, dict[str, float | None], str]:
        parts: dict[str, float | None] = {}
        for label, name, scale in (*_FIGURES, ("Formula CDM", self.cdm, 100.0)):
            if name not in metrics:
                continue
            page = _mean(list(_page_values(rows, name).values()))
            parts[label] = None if page is None else page * scale
            valid = [r.scores[name] for r in rows if name in r.scores and r.scores[name].value is not None]
            corpus = metrics[name].corpus(valid) if valid else None
            pooled = None if corpus is None else corpus.value
            parts[f"{label} (pooled)"] = None if pooled is None else pooled * scale
        text, teds, cdm = parts.get("Text Edit"), parts.get("Table TEDS"), parts.get("Formula CDM")
        overall = (
            None
            if None in (text, teds, cdm)
            else ((1 - (text or 0.0)) * 100 + (teds or 0.0) + (cdm or 0.0)) / 3
        )
        return overall, parts, ""


_LATIN = ("DE", "EN", "ES", "FR", "ID", "IT", "NL", "PT", "VI")
_NON_LATIN = ("AR", "HI", "JP", "KO", "RU", "TH", "ZH", "ZH-T")


def _language(page_id: str) -> str:
    """MDPBench's language of a page: its name's first ``_`` part, upper-cased (``zh-CHT`` is ZH-T)."""
    code = page_id.split("_", 1)[0].upper() if "_" in page_id else "UNKNOWN"
    return "ZH-T" if code == "ZH-CHT" else code


@dataclass(frozen=True)
class MdpBenchOverall:
    """MDPBench's ``calculate_scores.py``: a page's score is the mean of its tasks present —
    1 - its text edit (clipped to 0-1), its tables' mean TEDS, its formulas' mean CDM — and a
    group's score the mean over its pages × 100, rounded to 0.1: All, Digit., Photo., each
    language, and the Latin and Non-Latin averages of the rounded language scores.

    Without the CDM metric ``cdm`` in the run the parts leave formulas out and are named
    ``... (no CDM)``; the value is then given only when no page has a display formula (it
    is the official figure exactly then)."""

    metric: str = "omnidoc_text_edit"
    name: str = "Overall (All)"
    cdm: str = CDM
    text: str = "omnidoc_text_edit"
    table: str = "omnidoc_table_teds"
    formula: str = "omnidoc_formula_edit"
    """Tells which pages have display formulas when CDM is not computed."""

    def describe(self) -> str:
        return (
            "mean over pages of each page's mean of (1 - text edit), table TEDS and formula CDM where "
            "present, × 100, rounded to 0.1: All, digital and photographed pages, per language, Latin and "
            f"Non-Latin averages; without metric '{self.cdm}' formulas are left out ('(no CDM)' parts) and "
            "the value is none if a page has a display formula"
        )

    def compute(
        self, rows: Sequence[ScoredSample], metrics: Mapping[str, Metric]
    ) -> tuple[float | None, dict[str, float | None], str]:
        with_cdm = self.cdm in metrics
        text, table = _page_values(rows, self.text), _page_values(rows, self.table)
        formula = _page_values(rows, self.cdm if with_cdm else self.formula)
        pages: dict[str, float] = {}
        for row in rows:
            page = row.sample.id
            present = [min(max(1.0 - text[page], 0.0), 1.0)] if page in text else []
            present += [table[page]] if page in table else []
            present += [formula[page]] if with_cdm and page in formula else []
            if present:
                pages[page] = sum(present) / len(present)
        suffix = "" if with_cdm else " (no CDM)"
        parts: dict[str, float | None] = {}

        def group(label: str, members: Sequence[ScoredSample]) -> None:
            values = [pages[r.sample.id] for r in members if r.sample.id in pages]
            parts[label + suffix] = round(sum(values) / len(values) * 100, 1) if values else None

        group("All", rows)
        capture = {r.sample.id: _capture(r) for r in rows}
        group("Digit.", [r for r in rows if capture[r.sample.id] == "digital"])
        group("Photo.", [r for r in rows if capture[r.sample.id] == "photographed"])
        languages: dict[str, list[ScoredSample]] = {}
        for row in rows:
            languages.setdefault(_language(row.sample.id), []).append(row)
        for code in sorted(languages):
            group(code, languages[code])
        for label, codes in (("Latin Avg", _LATIN), ("Non-Latin Avg", _NON_LATIN)):
            present = [v for c in codes if (v := parts.get(c + suffix)) is not None]
            parts[label + suffix] = round(sum(present) / len(present), 1) if present else None
        exact = with_cdm or not formula
        return (parts["All" + suffix] if exact else None), parts, ""


def _capture(row: ScoredSample) -> str:
    attributes = row.sample.metadata.get("page_attribute")
    value = attributes.get("capture") if isinstance(attributes, dict) else None
    return str(value) if value else mdpbench_capture(row.sample.id)


_OMNI = "opendatalab/OmniDocBench@7bd6c2ebdb7676e6fd251b0e695e15e09cf3ab5d"
_OMNI_HOME = "https://github.com/opendatalab/OmniDocBench"
_OMNI_PROMPT = (
    "You are an AI assistant specialized in converting PDF images to Markdown format. Please follow "
    "these instructions for the conversion:\n\n        1. Text Processing:\n        - Accurately recognize "
    "all text content in the PDF image without guessing or inferring.\n        - Convert the recognized "
    "text into Markdown format.\n        - Maintain the original document structure, including headings, "
    "paragraphs, lists, etc.\n\n        2. Mathematical Formula Processing:\n        - Convert all "
    "mathematical formulas to LaTeX format.\n        - Enclose inline formulas with \\( \\). For example: "
    "This is an inline formula \\( E = mc^2 \\)\n        - Enclose block formulas with \\\\[ \\\\]. For "
    "example: \\[ \\frac{-b \\pm \\sqrt{b^2 - 4ac}}{2a} \\]\n\n        3. Table Processing:\n        - "
    "Convert tables to HTML format.\n        - Wrap the entire table with <table> and </table>.\n\n"
    "        4. Figure Handling:\n        - Ignore figures content in the PDF image. Do not attempt to "
    "describe or convert images.\n\n        5. Output Format:\n        - Ensure the output Markdown "
    "document has a clear structure with appropriate line breaks between elements.\n        - For "
    "complex layouts, try to maintain the original document's structure and format as closely as "
    "possible.\n\n        Please strictly follow these guidelines to ensure accuracy and consistency in "
    "the conversion. Your task is to accurately convert the content of the PDF image into Markdown "
    "format without adding any extra explanations or comments."
)
# OmniDocBench v1.5 leaderboard (README, "Comprehensive evaluation of document parsing on
# OmniDocBench (v1.5)"): Overall, Text Edit, Formula CDM, Table TEDS, TEDS-S, Reading Order Edit.
_OMNI_BOARD = (
    ("PaddleOCR-VL", 92.86, 0.035, 91.22, 90.89, 94.76, 0.043),
    ("MinerU2.5", 90.67, 0.047, 88.46, 88.22, 92.38, 0.044),
    ("Qwen3-VL-235B-A22B-Instruct", 89.15, 0.069, 88.14, 86.21, 90.55, 0.068),
    ("dots.ocr", 88.41, 0.048, 83.22, 86.78, 90.62, 0.053),
    ("Gemini-2.5 Pro", 88.03, 0.075, 85.82, 85.71, 90.29, 0.097),
    ("Qwen2.5-VL-72B", 87.02, 0.094, 88.27, 82.15, 86.22, 0.102),
    ("Deepseek-OCR", 87.01, 0.073, 83.37, 84.97, 88.80, 0.086),
    ("PP-StructureV3", 86.73, 0.073, 85.79, 81.68, 89.48, 0.073),
    ("olmOCR-7B", 81.79, 0.096, 86.04, 68.92, 74.77, 0.121),
    ("InternVL3-78B", 80.33, 0.131, 83.42, 70.64, 77.74, 0.113),
    ("GPT-4o", 75.02, 0.217, 79.70, 67.07, 76.09, 0.148),
    ("Marker-1.8.2", 71.30, 0.206, 76.66, 57.88, 71.17, 0.250),
)

register_benchmark(
    Benchmark(
        name="omnidocbench",
        title="OmniDocBench v1.5 (end-to-end page parsing)",
        task="parse",
        formats=("omnidocbench",),
        prompt=_OMNI_PROMPT,
        prompt_source=f"{_OMNI}: tools/model_infer/Qwen2VL_img2md.py (the same text in gemini25_img2md.py "
        "and, as a non-raw string, gpt_4o_inf.py), the prompt of its general-VLM runs, without the "
        "white space after its last sentence (the prompt templates drop it)",
        metrics=_METRICS,
        headline=OmniDocBenchOverall(),
        splits=("test",),
        default_split="test",
        licence="evaluation code Apache-2.0 (LICENSE); data: 'The dataset is for research purposes only "
        "and not for commercial use' (README, Copyright Statement)",
        homepage=_OMNI_HOME,
        description="1,355 PDF pages (9 document types, 4 layouts, English and Chinese) with "
        "block-level annotations: text, formulas (LaTeX), tables (HTML), reading order, page and block "
        "attributes (Ouyang et al. 2025, CVPR, arXiv:2412.07626).",
        aggregators=_AGGREGATORS,
        published=tuple(
            PublishedScore(
                model=model,
                value=overall,
                split="test",
                source=f"{_OMNI_HOME}/blob/7bd6c2ebdb7676e6fd251b0e695e15e09cf3ab5d/README.md",
                note=f"Overall (v1.5, with Formula CDM {cdm:.2f}); Text Edit {text:.3f}, Table TEDS "
                f"{teds:.2f}, TEDS-S {teds_s:.2f}, Reading Order Edit {order:.3f}",
            )
            for model, overall, text, cdm, teds, teds_s, order in _OMNI_BOARD
        ),
        notes="Scored by the omnidoc_* metrics, equal to the official end2end evaluator with quick_match "
        "(its default config). The Overall needs Formula CDM, which is not computed (it renders LaTeX with "
        "a TeX toolchain): the headline value is then empty and the parts are compared with the published "
        "Text Edit, TEDS, TEDS-S and Reading Order Edit in each published score's note. The reference "
        "scripts generate up to 32,000 new tokens greedily; the run's generation settings apply. "
        "by_page_attribute gives each page attribute's page-averaged figure (as the evaluator's 'page' "
        "results). Predictions made elsewhere, one <image stem>.md per page, are scored with "
        "`vlmhb evaluate --answers-dir`.",
    )
)

_MDP = "Yuliang-Liu/MultimodalOCR@794c36d6423cf1d5764081128bcaeb46b240def6"
_MDP_HOME = "https://github.com/Yuliang-Liu/MultimodalOCR/tree/main/MDPBench"
_MDP_PROMPT = (
    "You are an advanced hybrid OCR engine capable of processing multilingual text mixed with "
    "mathematical notation. Your goal is to transcribe the content with high fidelity. Strict Rules:\n\n"
    "1. Multilingual Precision: Transcribe text exactly as it appears in the original language. Do not "
    "translate, summarize, or correct original spelling errors.\n\n2. Math Formatting: Identify all "
    "mathematical expressions and convert them into LaTeX.\n\n3. Inline Math: Use single dollar signs "
    "($x$) for inline math (formulas within a sentence).\n\n4. Display Math: Use double dollar signs "
    "($$x$$) for display math (standalone formulas on their own lines).\n\n5. Layout & Structure: Use "
    "Markdown to preserve the visual structure (headers, paragraphs, lists).\n\n6. Table Formatting: Use "
    "HTML tags (e.g., <table>, <tr>, <th>, <td>) to generate any tables found in the text.\n\n7. Output "
    "Only: Output the transcribed text directly without any conversational filler."
)
# MDPBench README "Main Results" (public set): All, Digit., Photo., RU, Private All.
_MDP_BOARD = (
    ("Gemini-3-pro-preview", 86.4, 90.4, 85.1, 84.9, 89.8),
    ("kimi-K2.5", 77.5, 85.0, 75.0, 61.8, 81.2),
    ("Claude-Sonnet-4.6", 73.1, 85.0, 69.3, 70.8, 77.6),
    ("ChatGPT-5.2-2025-12-11", 68.6, 85.6, 63.0, 60.7, 74.0),
    ("Qwen3-VL-Instruct-8b", 68.3, 78.4, 65.0, 57.9, 70.8),
    ("InternVL-3.5-8B", 42.7, 59.7, 37.0, 26.1, 45.3),
    ("dots.mocr", 80.5, 90.5, 77.2, 71.2, 82.8),
    ("PaddleOCR-VL-1.5", 78.3, 87.4, 75.2, 76.0, 80.7),
    ("dots.ocr", 76.5, 88.8, 72.3, 66.8, 79.7),
    ("olmOCR2", 70.4, 79.9, 67.2, 65.8, 76.1),
    ("DeepSeek-OCR", 51.8, 80.7, 42.2, 36.2, 54.5),
    ("PP-StructureV3", 45.4, 56.2, 41.7, 7.5, 49.6),
)

register_benchmark(
    Benchmark(
        name="mdpbench",
        title="MDPBench (multilingual digital and photographed page parsing, public set)",
        task="parse",
        formats=("omnidocbench",),
        prompt=_MDP_PROMPT,
        prompt_source=f"{_MDP}: MDPBench/scripts/batch_process_gemini-3-pro-preview.py and "
        "batch_process_qwen3-vl-instruct.py (DEFAULT_PROMPT, without the newlines around it, which the "
        "prompt templates drop)",
        metrics=_METRICS,
        headline=MdpBenchOverall(),
        splits=("test",),
        default_split="test",
        licence="Apache-2.0 (HF Delores-Lin/MDPBench dataset card); the repository is MIT (LICENSE.txt)",
        homepage=_MDP_HOME,
        description="Pages in 17 languages (Russian included), each digital and photographed under "
        "varied conditions, annotated in OmniDocBench's format and scored by its evaluator (Li et al. 2026, "
        "arXiv:2603.28130). The public set is downloadable; the private set is scored by the authors.",
        aggregators=_AGGREGATORS,
        published=tuple(
            PublishedScore(
                model=model,
                value=overall,
                split="test",
                source=f"{_MDP_HOME.replace('tree/main', 'blob/794c36d6423cf1d5764081128bcaeb46b240def6')}/README.md",
                note=f"Overall All, public set, with Formula CDM; Digit. {digital}, Photo. {photo}, RU {ru}; "
                f"private set {private}",
            )
            for model, overall, digital, photo, ru, private in _MDP_BOARD
        ),
        notes="MDPBench_public.json and MDPBench_img_public/ (tools/download_dataset.py fetches them from "
        "HF Delores-Lin/MDPBench) are read by the omnidocbench format; a page is photographed when its "
        "image name has more than three '_'-separated parts, as MDPBench's evaluator decides, and its "
        "language is the name's first part. The score needs Formula CDM on pages with display formulas; "
        "without it the parts leave formulas out ('(no CDM)') and the value is empty when any page has one. "
        "The open-model script generates up to 2,048 new tokens; the run's generation settings apply.",
    )
)
