"""Built-in prompts chosen by name: ``prompts: {builtin: parse/olmocr}``.

A built-in prompt is a fixed user prompt (and optionally a system prompt) that a model
family's own card or repository defines, quoted exactly, with where it comes from.
Answers made with one record ``prompt.source = "builtin:<name>"`` and the text sent.

Page parsing (task ``parse``):

- ``parse/generic`` — the task's own default prompt (`PARSE_PROMPT`).
- ``parse/olmocr`` — olmOCR v0.4's ``build_no_anchoring_v4_yaml_prompt()``
  (allenai/olmocr: olmocr/prompts/prompts.py, PyPI olmocr 0.4.27; sent by
  olmocr/pipeline.py ``build_page_query``). The model answers with a YAML front matter
  (primary_language, is_rotation_valid, ...) above the page text; answers are kept raw,
  front matter included (olmOCR's pipeline keeps only the text after it).
- ``parse/dots_ocr`` — dots.ocr's ``prompt_ocr`` (rednote-hilab/dots.ocr@be77dff:
  dots_ocr/utils/prompts.py; README: "Parse text only, except Page-header and
  Page-footer"). Its ``prompt_layout_all_en`` answers with a JSON list of layout cells
  that dots.ocr's own parser turns into Markdown, so it is not a page-to-Markdown prompt
  and is not shipped.
- ``parse/deepseek_ocr`` — DeepSeek-OCR's document prompt (deepseek-ai/DeepSeek-OCR@e4ac34e:
  README "Prompts examples" ``document: <image>\\n<|grounding|>Convert the document to
  markdown.``, also DeepSeek-OCR-vllm/config.py ``PROMPT``) without the ``<image>\\n``
  placeholder, which a chat request replaces by the image part. With ``<|grounding|>``
  the answer carries ``<|ref|>…<|/ref|><|det|>[[…]]<|/det|>`` layout tags (kept raw).

Not shipped: MinerU 2.x's VLM (mineru-vl-utils 2.0.7, mineru_client.py) and
PaddleOCR-VL-0.9B (model card: "can recognize texts, formulas, tables, and chart
elements") define prompts for one layout block at a time (``\\nText Recognition:``,
``OCR:``, ``Table Recognition:``...) after their own layout stage, not one for a whole
page; their pipelines' Markdown is scored with ``vlmhb evaluate --answers-dir``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core import ConfigError, SourceLocation, did_you_mean
from ..tasks import PARSE_PROMPT

__all__ = ["BUILTIN_PROMPTS", "BuiltinPrompt", "builtin_prompt"]


@dataclass(frozen=True, slots=True)
class BuiltinPrompt:
    """A model family's prompt, quoted from where it is defined."""

    name: str
    user: str
    """User prompt template (Jinja2; these hold no template syntax)."""
    source: str
    """Where the text is quoted from (repository@commit: path, or package version)."""
    task: str
    system: str | None = None


_OLMOCR_V4 = (
    "Attached is one page of a document that you must process. "
    "Just return the plain text representation of this document as if you were reading it naturally. "
    "Convert equations to LateX and tables to HTML.\n"
    "If there are any figures or charts, label them with the following markdown syntax "
    "![Alt text describing the contents of the figure](page_startx_starty_width_height.png)\n"
    "Return your output as markdown, with a front matter section on top specifying values for the "
    "primary_language, is_rotation_valid, rotation_correction, is_table, and is_diagram parameters."
)

BUILTIN_PROMPTS: dict[str, BuiltinPrompt] = {
    p.name: p
    for p in (
        BuiltinPrompt("parse/generic", PARSE_PROMPT, "vlmhyperbench: the parse task's default", "parse"),
        BuiltinPrompt(
            "parse/olmocr",
            _OLMOCR_V4,
            "olmocr 0.4.27 (PyPI): olmocr/prompts/prompts.py build_no_anchoring_v4_yaml_prompt",
            "parse",
        ),
        BuiltinPrompt(
            "parse/dots_ocr",
            "Extract the text content from this image.",
            "rednote-hilab/dots.ocr@be77dff: dots_ocr/utils/prompts.py prompt_ocr",
            "parse",
        ),
        BuiltinPrompt(
            "parse/deepseek_ocr",
            "<|grounding|>Convert the document to markdown.",
            "deepseek-ai/DeepSeek-OCR@e4ac34e: README.md (Prompts examples: document), "
            "DeepSeek-OCR-master/DeepSeek-OCR-vllm/config.py PROMPT",
            "parse",
        ),
    )
}
"""Built-in prompts by name."""


def builtin_prompt(name: str, location: SourceLocation | None = None) -> BuiltinPrompt:
    """The built-in prompt called ``name``.

    Raises:
        ConfigError: no built-in prompt has that name (the message lists them).
    """
    found = BUILTIN_PROMPTS.get(name)
    if found is None:
        suggestion = did_you_mean(name, list(BUILTIN_PROMPTS))
        raise ConfigError(
            f"unknown built-in prompt '{name}'",
            location=location,
            hint=(f"did you mean '{suggestion}'? " if suggestion else "")
            + "built-in prompts: "
            + ", ".join(BUILTIN_PROMPTS),
        )
    return found
