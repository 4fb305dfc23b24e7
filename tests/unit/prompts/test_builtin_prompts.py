"""Built-in prompts by name (``prompts: {builtin: parse/olmocr}``) and the ``parse`` task."""

from __future__ import annotations

from pathlib import Path

import pytest

from vlmhyperbench.core import ConfigError, Sample
from vlmhyperbench.prompts import BUILTIN_PROMPTS, PromptManager, make_prompt_spec
from vlmhyperbench.tasks import PARSE_PROMPT, tasks

PAGE = Sample(id="p1", images=(Path("/page.png"),), task="parse")


def test_a_builtin_prompt_is_sent_and_recorded_by_name() -> None:
    record = PromptManager(make_prompt_spec(builtin="parse/olmocr"), tasks.get("parse")).resolve(PAGE)
    assert record.source == "builtin:parse/olmocr"
    assert record.user.startswith("Attached is one page of a document that you must process.")
    assert "tables to HTML" in record.user and record.system is None


def test_user_and_system_given_beside_a_builtin_win() -> None:
    spec = make_prompt_spec(builtin="parse/dots_ocr", user="Mine", system="Sys")
    record = PromptManager(spec, tasks.get("parse")).resolve(PAGE)
    assert (record.user, record.system, record.source) == ("Mine", "Sys", "override")


def test_builtin_prompts_change_the_fingerprint_so_answers_are_not_mixed() -> None:
    plain = make_prompt_spec()
    olmocr = make_prompt_spec(builtin="parse/olmocr")
    same_text = make_prompt_spec(user=BUILTIN_PROMPTS["parse/olmocr"].user)
    assert len({plain.fingerprint, olmocr.fingerprint, same_text.fingerprint}) == 3
    assert plain.fingerprint == make_prompt_spec().fingerprint


def test_an_unknown_builtin_prompt_is_refused_with_a_suggestion() -> None:
    with pytest.raises(ConfigError) as caught:
        make_prompt_spec(builtin="parse/olmOCR2")
    problem = caught.value.problems[0]
    assert "unknown built-in prompt 'parse/olmOCR2'" in problem.message
    assert "did you mean 'parse/olmocr'?" in str(problem.hint) and "parse/deepseek_ocr" in str(problem.hint)


def test_the_family_prompts_are_quoted_exactly() -> None:
    assert BUILTIN_PROMPTS["parse/dots_ocr"].user == "Extract the text content from this image."
    assert BUILTIN_PROMPTS["parse/deepseek_ocr"].user == "<|grounding|>Convert the document to markdown."
    assert BUILTIN_PROMPTS["parse/generic"].user == PARSE_PROMPT
    assert all(p.task == "parse" and p.source for p in BUILTIN_PROMPTS.values())


def test_the_parse_task_asks_for_markdown_and_keeps_the_answer_raw() -> None:
    parse = tasks.get("parse")
    record = PromptManager(make_prompt_spec(), parse).resolve(PAGE)
    assert (record.user, record.source) == (PARSE_PROMPT, "task_default")
    assert parse.default_metrics == ("ned", "cer")
    fenced = "```markdown\n# Title\n\n<table><tr><td>1</td></tr></table>\n```"
    assert parse.parse(fenced, PAGE).text == fenced
