"""The OCRBench v2 preset (``benchmark: ocrbench_v2``): 10,000 questions, 30 task types, EN and CN."""

from __future__ import annotations

from ..core import PublishedScore
from ._base import Benchmark, MeanOfCapabilities, register_benchmark

__all__ = ["OCRBENCH_V2_CAPABILITIES"]

OCRBENCH_V2_CAPABILITIES: dict[str, dict[str, tuple[str, ...]]] = {
    "EN": {
        "text recognition": ("text recognition en", "fine-grained text recognition en", "full-page OCR en"),
        "text detection": ("text grounding en", "VQA with position en"),
        "text spotting": ("text spotting en",),
        "relationship extraction": ("key information extraction en", "key information mapping en"),
        "element parsing": (
            "document parsing en",
            "chart parsing en",
            "table parsing en",
            "formula recognition en",
        ),
        "mathematical calculation": ("math QA en", "text counting en"),
        "visual text understanding": ("document classification en", "cognition VQA en", "diagram QA en"),
        "knowledge reasoning": (
            "reasoning VQA en",
            "science QA en",
            "APP agent en",
            "ASCII art classification en",
        ),
    },
    "CN": {
        "text recognition": ("full-page OCR cn",),
        "relationship extraction": ("key information extraction cn", "handwritten answer extraction cn"),
        "element parsing": ("document parsing cn", "table parsing cn", "formula recognition cn"),
        "visual text understanding": ("cognition VQA cn",),
        "knowledge reasoning": ("reasoning VQA cn", "text translation cn"),
    },
}
"""The capabilities ``get_score.py`` reports per language and the task types each pools
(Yuliang-Liu/MultimodalOCR: OCRBench_v2/eval_scripts/get_score.py), in its order."""

_QWEN25_VL = "https://arxiv.org/abs/2502.13923 (Qwen2.5-VL Technical Report, Table 5)"

register_benchmark(
    Benchmark(
        name="ocrbench_v2",
        title="OCRBench v2",
        task="vqa",
        formats=("ocrbench_v2", "hf_parquet"),
        prompt="{{ question }}",
        prompt_source="open-compass/VLMEvalKit: vlmeval/dataset/image_vqa.py (OCRBench_v2 uses "
        "ImageBaseDataset.build_prompt: the image, then the question as it is); the authors' sample "
        "predictions (OCRBench_v2/pred_folder) were made with VLMEvalKit. lmms-eval "
        "(lmms_eval/tasks/ocrbench_v2/utils.py) sends question.strip()",
        metrics=("ocrbench_v2",),
        headline=MeanOfCapabilities(
            metric="ocrbench_v2", name="EN score", languages=OCRBENCH_V2_CAPABILITIES, headline="EN"
        ),
        splits=("test",),
        default_split="test",
        licence="research only, not for commercial use (OCRBench_v2/README.md, Copyright Statement: the "
        "data are collected from public datasets and community contributions)",
        homepage="https://github.com/Yuliang-Liu/MultimodalOCR/tree/main/OCRBench_v2",
        description="Bilingual text-centric benchmark: recognition, grounding, spotting, extraction, "
        "parsing of tables, charts, formulas and documents, counting, reasoning (Fu et al. 2025, "
        "arXiv:2501.00321).",
        published=(
            PublishedScore(
                model="Qwen2.5-VL-72B-Instruct",
                value=61.5,
                split="EN",
                source=_QWEN25_VL,
                note="EN score; CN 63.7 (compare with the EN and CN parts)",
            ),
            PublishedScore(
                model="Qwen2.5-VL-7B-Instruct",
                value=56.3,
                split="EN",
                source=_QWEN25_VL,
                note="EN score; CN 57.2",
            ),
            PublishedScore(
                model="Gemini 1.5 Pro",
                value=51.9,
                split="EN",
                source=_QWEN25_VL,
                note="EN score; CN 43.1; as quoted there",
            ),
            PublishedScore(
                model="GPT-4o",
                value=46.5,
                split="EN",
                source=_QWEN25_VL,
                note="EN score; CN 32.2; as quoted there",
            ),
        ),
        notes="One file, OCRBench_v2.json, holds both languages: split is EN or CN by the type's suffix, "
        "and the parts give each language's score and its capabilities (CN is never the headline). "
        "Full-page OCR, fine-grained recognition, translation and short-answer handwriting need "
        "nltk, jieba and NLTK's WordNet (see docs/benchmarks.md); without them those questions are "
        "not scored and the capabilities holding them have no value. The reference implementations "
        "set no common answer length: lmms-eval uses 128 new tokens, which cuts full-page answers; "
        "the run's max_tokens applies.",
    )
)
