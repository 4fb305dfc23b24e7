"""Presets of the public document VQA benchmarks: DocVQA, InfographicVQA, ChartQA, TextVQA, OCRBench.

Prompts and decoding settings are those of lmms-eval's task files (each preset names
its file and the commit read); metrics are the official scorers' (see
docs/metrics.md) and the headline rules their reported numbers. Published scores are
quoted with the split they were measured on: the DocVQA and InfographicVQA test
numbers come from the RRC evaluation server (the test answers are not public), so
runs here, on ``val``, are close to but not the same measurement.
"""

from __future__ import annotations

from ..core import PublishedScore
from ._base import Benchmark, CountCorrect, Mean, MeanOfGroups, register_benchmark

__all__ = ["OCRBENCH_CATEGORIES"]

_LMMS_EVAL = "EvolvingLMMs-Lab/lmms-eval@75571cfe0fa36ca5ec2e6aa2bb268f9d38295af3"
_SHORT = "\nAnswer the question using a single word or phrase."
_QWEN2_VL_7B = "https://huggingface.co/Qwen/Qwen2-VL-7B-Instruct"
_QWEN2_VL_72B = "https://huggingface.co/Qwen/Qwen2-VL-72B-Instruct"
_QWEN_72B_TABLE = "Qwen2-VL-72B-Instruct model card, Image Benchmarks table"
_OCRBENCH_BOARD = "https://huggingface.co/spaces/echo840/ocrbench-leaderboard (OCRBench.csv)"
_HMER = "Handwritten Mathematical Expression Recognition"

OCRBENCH_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Text Recognition": (
        "Regular Text Recognition",
        "Irregular Text Recognition",
        "Artistic Text Recognition",
        "Handwriting Recognition",
        "Digit String Recognition",
        "Non-Semantic Text Recognition",
    ),
    "Scene Text-centric VQA": ("Scene Text-centric VQA",),
    "Doc-oriented VQA": ("Doc-oriented VQA",),
    "Key Information Extraction": ("Key Information Extraction",),
    _HMER: (_HMER,),
}
"""OCRBench v1's reported categories and the question types each sums
(Yuliang-Liu/MultimodalOCR: OCRBench/example.py, ``recognition_score`` and ``Final_score``)."""


def _rrc(
    name: str, title: str, subset: str, prompt_file: str, homepage: str, published: tuple[PublishedScore, ...]
) -> Benchmark:
    return Benchmark(
        name=name,
        title=title,
        task="vqa",
        formats=("docvqa", "hf_parquet", "vlmevalkit_tsv"),
        prompt="{{ question }}" + _SHORT,
        prompt_source=f"{_LMMS_EVAL}: {prompt_file} (default post_prompt); the same suffix as VLMEvalKit "
        "ImageVQADataset.build_prompt",
        metrics=("anls", "anls_vlmevalkit"),
        headline=Mean(metric="anls", name="ANLS"),
        splits=("train", "val", "test"),
        default_split="val",
        subsets=(subset,),
        default_subset=subset,
        licence="none found stated; the files are downloaded from the RRC portal after registering",
        homepage=homepage,
        published=published,
        generation={"max_tokens": 32, "temperature": 0.0},
        notes="The test split has no answers: it imports and runs, but its scores come from the RRC "
        "server (submit the answers there). anls is the RRC definition (threshold 0.5, exclusive); "
        "anls_vlmevalkit is the variant VLMEvalKit and lmms-eval report, shown beside it.",
    )


register_benchmark(
    _rrc(
        "docvqa",
        "DocVQA (single page)",
        "DocVQA",
        "lmms_eval/tasks/docvqa/_default_template_docvqa_yaml",
        "https://rrc.cvc.uab.es/?ch=17",
        (
            PublishedScore(model="Qwen2-VL-72B-Instruct", value=96.5, split="test", source=_QWEN2_VL_72B),
            PublishedScore(model="Qwen2-VL-7B-Instruct", value=94.5, split="test", source=_QWEN2_VL_7B),
            PublishedScore(
                model="InternVL2-8B", value=91.6, split="test", source=_QWEN2_VL_7B, note="as quoted there"
            ),
            PublishedScore(
                model="GPT-4o", value=92.8, split="test", source=_QWEN2_VL_72B, note=_QWEN_72B_TABLE
            ),
        ),
    )
)

register_benchmark(
    _rrc(
        "infovqa",
        "InfographicVQA",
        "InfographicVQA",
        "lmms_eval/tasks/infovqa/_default_template_infovqa_yaml",
        "https://rrc.cvc.uab.es/?ch=17",
        (
            PublishedScore(model="Qwen2-VL-72B-Instruct", value=84.5, split="test", source=_QWEN2_VL_72B),
            PublishedScore(model="Qwen2-VL-7B-Instruct", value=76.5, split="test", source=_QWEN2_VL_7B),
            PublishedScore(
                model="InternVL2-8B", value=74.8, split="test", source=_QWEN2_VL_7B, note="as quoted there"
            ),
        ),
    )
)

register_benchmark(
    Benchmark(
        name="chartqa",
        title="ChartQA",
        task="vqa",
        formats=("chartqa", "hf_parquet", "vlmevalkit_tsv"),
        prompt="{{ question }}\nAnswer the question with a single word.",
        prompt_source=f"{_LMMS_EVAL}: lmms_eval/tasks/chartqa/chartqa.yaml (default post_prompt)",
        metrics=("relaxed_accuracy",),
        headline=MeanOfGroups(
            metric="relaxed_accuracy",
            name="relaxed accuracy",
            groups=("human", "augmented"),
            aliases={
                "human": ("test_human", "val_human", "human_test", "human_val"),
                "augmented": ("test_augmented", "val_augmented", "augmented_test", "augmented_val"),
            },
            also_by=("question_type",),
        ),
        splits=("train", "val", "test"),
        default_split="test",
        licence="GPL-3.0 (as stated on the authors' dataset card, huggingface.co/datasets/ahmed-masry/ChartQA)",
        homepage="https://github.com/vis-nlp/ChartQA",
        published=(
            PublishedScore(model="Qwen2-VL-72B-Instruct", value=88.3, split="test", source=_QWEN2_VL_72B),
            PublishedScore(model="Qwen2-VL-7B-Instruct", value=83.0, split="test", source=_QWEN2_VL_7B),
            PublishedScore(
                model="GPT-4o", value=85.7, split="test", source=_QWEN2_VL_72B, note=_QWEN_72B_TABLE
            ),
        ),
        generation={"max_tokens": 16, "temperature": 0.0},
        notes="Sample.split is the part (human: written by people, augmented: generated); the source "
        "split is metadata.source_split. The test parts have 1,250 questions each, so the mean of "
        "the two equals the mean over all questions that papers report.",
    )
)

register_benchmark(
    Benchmark(
        name="textvqa",
        title="TextVQA",
        task="vqa",
        formats=("textvqa", "hf_parquet", "vlmevalkit_tsv"),
        prompt="{{ question | capitalize }}" + _SHORT,
        prompt_source=f"{_LMMS_EVAL}: lmms_eval/tasks/textvqa/_default_template_textvqa_yaml (default "
        "post_prompt) and textvqa_doc_to_text in lmms_eval/tasks/textvqa/utils.py (question.capitalize())",
        metrics=("vqa_accuracy",),
        headline=Mean(metric="vqa_accuracy", name="VQA accuracy"),
        splits=("train", "val", "test"),
        default_split="val",
        licence="CC BY 4.0 (annotations; the images come from OpenImages)",
        homepage="https://textvqa.org",
        published=(
            PublishedScore(model="Qwen2-VL-72B-Instruct", value=85.5, split="val", source=_QWEN2_VL_72B),
            PublishedScore(model="Qwen2-VL-7B-Instruct", value=84.3, split="val", source=_QWEN2_VL_7B),
            PublishedScore(
                model="InternVL2-8B", value=77.4, split="val", source=_QWEN2_VL_7B, note="as quoted there"
            ),
        ),
        generation={"temperature": 0.0},
        notes="No OCR tokens are given in the prompt (lmms-eval's default, ocr: false). The test split "
        "has no answers (EvalAI server).",
    )
)

register_benchmark(
    Benchmark(
        name="ocrbench",
        title="OCRBench (v1)",
        task="vqa",
        formats=("ocrbench", "hf_parquet", "vlmevalkit_tsv"),
        prompt="{{ question }}",
        prompt_source=f"{_LMMS_EVAL}: lmms_eval/tasks/ocrbench/ocrbench.yaml (empty pre/post prompt) and "
        "ocrbench_doc_to_text (question.strip())",
        metrics=({"name": "substring_match", "formula_types": [_HMER]},),
        headline=CountCorrect(
            metric="substring_match", name="OCRBench score", categories=OCRBENCH_CATEGORIES
        ),
        splits=("test",),
        default_split="test",
        licence="MIT (the Yuliang-Liu/MultimodalOCR repository); the images keep their source datasets' terms",
        homepage="https://github.com/Yuliang-Liu/MultimodalOCR",
        published=(
            PublishedScore(model="Qwen2-VL-72B-Instruct", value=877, split="test", source=_QWEN2_VL_72B),
            PublishedScore(model="Qwen2-VL-7B-Instruct", value=845, split="test", source=_QWEN2_VL_7B),
            PublishedScore(
                model="MiniCPM-V 2.6",
                value=852,
                split="test",
                source=_OCRBENCH_BOARD,
                note="Text Recognition 261, Scene Text-centric VQA 186, Doc-oriented VQA 176, KIE 181, HMER 48",
            ),
            PublishedScore(
                model="GPT-4V",
                value=645,
                split="test",
                source=_OCRBENCH_BOARD,
                note="Text Recognition 167, Scene Text-centric VQA 163, Doc-oriented VQA 146, KIE 160, HMER 9",
            ),
        ),
        generation={"max_tokens": 128, "temperature": 0.0},
        notes="1,000 questions; the score counts the correct ones. Questions of the HMER category "
        "(all from HME100k) are compared case-sensitively with spaces removed (the metric's "
        "formula_types option), the others lower-cased.",
    )
)
