"""Prompt resolution: override → collection mapping → dataset question / task default."""

from __future__ import annotations

from pathlib import Path

import pytest

from vlmhyperbench.core import ConfigError, Sample
from vlmhyperbench.prompts import PromptManager, make_prompt_spec
from vlmhyperbench.tasks import tasks

SAMPLE = Sample(
    id="1",
    images=(Path("/x.png"),),
    question="Какая фамилия?",
    doc_class="passport",
    question_type="Фамилия",
    task="vqa",
    metadata={"lang": "ru"},
)


def resolve(sample: Sample = SAMPLE, task: str = "vqa", **spec: object):  # type: ignore[no-untyped-def]
    return PromptManager(make_prompt_spec(**spec), tasks.get(task)).resolve(sample)  # type: ignore[arg-type]


def test_order_override_then_mapping_then_question() -> None:
    mapping = {"passport Фамилия": "Напиши {{ question_type }}", "passport": "Документ: {{ doc_class }}"}
    assert resolve(user="Ответь: {{ question }}", mapping=mapping).user == "Ответь: Какая фамилия?"
    chosen = resolve(mapping=mapping)
    assert (chosen.user, chosen.source) == ("Напиши Фамилия", "collection:mapping:passport Фамилия")
    other = SAMPLE.model_copy(update={"question_type": "Имя"})
    assert resolve(other, mapping=mapping).user == "Документ: passport"
    assert resolve().user == "Какая фамилия?" and resolve().source == "question"


def test_system_prompt_and_metadata_templates() -> None:
    record = resolve(system="Язык: {{ metadata.lang }}")
    assert record.system == "Язык: ru"


def test_prototype_collection_csv_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        "\ufeffprompt;doc_class_question_type;cer\nНапиши фамилию;passport Фамилия;0.0\n", "utf-8"
    )
    record = resolve(collection=path)
    assert record.user == "Напиши фамилию" and record.source == "collection:c.csv:passport Фамилия"


def test_yaml_collection_with_system(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("system: Будь точен\nprompts:\n  passport Фамилия: Только фамилия\n", "utf-8")
    record = resolve(collection=path)
    assert (record.system, record.user) == ("Будь точен", "Только фамилия")


def test_kie_default_prompt_embeds_schema_without_escaping_cyrillic() -> None:
    sample = SAMPLE.model_copy(update={"task": "kie", "json_schema": {"properties": {"a": {"title": "ИНН"}}}})
    assert '"title": "ИНН"' in resolve(sample, task="kie").user


def test_template_errors_are_user_errors() -> None:
    with pytest.raises(ConfigError, match="not valid Jinja2"):
        make_prompt_spec(user="{{ question ")
    with pytest.raises(ConfigError, match="available variables"):
        resolve(user="{{ nonexistent }}")


def test_fingerprint_changes_with_prompts() -> None:
    assert make_prompt_spec(user="a").fingerprint != make_prompt_spec(user="b").fingerprint
    assert make_prompt_spec(user="a").fingerprint == make_prompt_spec(user="a").fingerprint


def test_duplicate_collection_key_is_located(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        "prompt;doc_class_question_type;cer\na;passport Фамилия;0\nb;passport  Фамилия;0\n", "utf-8"
    )
    with pytest.raises(ConfigError, match=r"c.csv:3:doc_class_question_type: duplicate key"):
        make_prompt_spec(collection=path)
