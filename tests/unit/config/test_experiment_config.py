"""Experiment configs (YAML, JSON, CSV run matrix, model catalogue) and their errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.factories import make_prototype_dataset
from vlmhyperbench.config import load_experiment
from vlmhyperbench.core import UserError
from vlmhyperbench.orchestrator import plan_experiment


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding=encoding)
    return path


def errors_of(path: Path) -> str:
    with pytest.raises(UserError) as info:
        plan_experiment(load_experiment(path))
    return str(info.value)


YAML_OK = """
name: exp
runs:
  - name: r1
    task: vqa
    dataset: {path: data}
    model: {backend: openai, options: {base_url: "http://127.0.0.1:9/v1", model: m}}
    metrics: [anls, {name: exact_match}]
    prompts: {mapping: {"passport Фамилия": "Напиши фамилию"}}
"""


def test_yaml_plans_a_run(tmp_path: Path) -> None:
    make_prototype_dataset(tmp_path / "data")
    plan = plan_experiment(load_experiment(write(tmp_path / "e.yaml", YAML_OK)))
    (run,) = plan.runs
    assert run.spec.run_id == "r1" and run.spec.dataset.n_samples == 3
    assert [m.name for m in run.metrics] == ["anls", "exact_match"]
    assert run.spec.prompts.mapping == {"passport Фамилия": "Напиши фамилию"}
    assert run.spec.dataset.fingerprint.startswith("sha256:")
    assert "metric:anls" in run.registry


def test_json_config_is_accepted(tmp_path: Path) -> None:
    import json

    import yaml

    make_prototype_dataset(tmp_path / "data")
    path = tmp_path / "e.json"
    path.write_text(json.dumps(yaml.safe_load(YAML_OK)), "utf-8")
    assert plan_experiment(load_experiment(path)).runs[0].spec.task == "vqa"


def test_yaml_errors_give_line_column_key_and_suggestion(tmp_path: Path) -> None:
    make_prototype_dataset(tmp_path / "data")
    text = YAML_OK.replace("[anls, {name: exact_match}]", "[anl]").replace(
        "task: vqa", "task: vqa\n    concurency: 8"
    )
    message = errors_of(write(tmp_path / "e.yaml", text))
    assert "e.yaml:5:5 (runs[0].concurency): unknown key" in message
    text = YAML_OK.replace("[anls, {name: exact_match}]", "[anl]")
    message = errors_of(write(tmp_path / "e.yaml", text))
    assert "e.yaml:7:15 (runs[0].metrics[0]): unknown metric 'anl'" in message
    assert "did you mean 'anls'?" in message


def test_wrong_type_is_explained(tmp_path: Path) -> None:
    text = YAML_OK.replace("    metrics:", "    concurrency: eight\n    metrics:")
    message = errors_of(write(tmp_path / "e.yaml", text))
    assert "(runs[0].concurrency)" in message and "'eight'" in message


def test_malformed_yaml_points_at_the_place(tmp_path: Path) -> None:
    message = errors_of(write(tmp_path / "e.yaml", "name: x\nruns: [\n  {task: vqa\n"))
    assert "e.yaml:" in message and "cannot parse" in message


def test_unknown_backend_option_and_model(tmp_path: Path) -> None:
    make_prototype_dataset(tmp_path / "data")
    message = errors_of(write(tmp_path / "e.yaml", YAML_OK.replace("model: m", "model: m, retries: 3")))
    assert "(runs[0].model.options.retries): unknown key" in message
    message = errors_of(
        write(
            tmp_path / "e.yaml",
            YAML_OK.replace(
                'model: {backend: openai, options: {base_url: "http://127.0.0.1:9/v1", model: m}}',
                "model: tesseract-rus-en",
            ),
        )
    )
    assert "unknown model 'tesseract-rus-en'" in message and "did you mean 'tesseract-rus-eng'" in message


MATRIX_HEADER = (
    "dataset;task;framework;model_name;system_prompt;prompt_collection;metrics;"
    "only_evaluate_metrics;metrics_aggregators;filter_doc_class;filter_question_type\n"
)


def _matrix_workspace(tmp_path: Path) -> Path:
    make_prototype_dataset(tmp_path / "Datasets" / "VQA" / "demo_mini")
    (tmp_path / "PromptCollections" / "VQA" / "demo_mini").mkdir(parents=True)
    (tmp_path / "PromptCollections" / "VQA" / "demo_mini" / "c.csv").write_text(
        "\ufeffprompt;doc_class_question_type;cer\nНапиши фамилию;passport Фамилия;0\n", "utf-8"
    )
    (tmp_path / "SystemPrompts").mkdir()
    (tmp_path / "SystemPrompts" / "sys.txt").write_text("Ты — система OCR.\nОтвечай кратко.\n", "utf-8")
    (tmp_path / "vlm_base.csv").write_text(
        "\ufeffframework;model_family;model_name;docker_image;git_python_package;python_package;module;class_name\n"
        "OpenAI;Qwen2-VL;qwen-test;img:1;;;;\n",
        "utf-8",
    )
    return tmp_path


def test_prototype_run_matrix_with_bom_and_catalogue(tmp_path: Path) -> None:
    ws = _matrix_workspace(tmp_path)
    row = (
        "demo_mini;VQA;OpenAI;qwen-test;sys.txt;demo_mini/c.csv;['CER', 'ANLS'];False;"
        "['by_id', 'by_doc_question', 'by_doc_type', 'general'];passport;\n"
    )
    path = ws / "runs.csv"
    path.write_text("\ufeff" + MATRIX_HEADER + row, "utf-8")
    loaded = load_experiment(path)
    run = loaded.config.runs[0]
    assert run.aggregators == ["by_id", "by_field", "by_doc_class", "general"]
    assert run.metrics == ["cer", "anls"] and run.dataset.filters.doc_class == ["passport"]
    assert loaded.config.catalogues == [ws / "vlm_base.csv"]
    message = errors_of(path)  # openai needs base_url: the catalogue CSV has none
    assert "runs.csv:2" in message and "base_url" in message


def test_run_matrix_errors_name_file_row_and_column(tmp_path: Path) -> None:
    ws = _matrix_workspace(tmp_path)
    path = ws / "runs.csv"
    path.write_text(MATRIX_HEADER + "demo_mini;VQA;OpenAI;qwen-test;;;['CER';False;['general'];;\n", "utf-8")
    assert "runs.csv:2:metrics: not a list literal" in errors_of(path)
    path.write_text(
        MATRIX_HEADER + "demo_mini;VQA;OpenAI;qwen-test;;;['CERR'];False;['general'];;\n", "utf-8"
    )
    message = errors_of(path)
    assert (
        "runs.csv:2:metrics" in message
        and "unknown metric 'cerr'" in message
        and "did you mean 'cer'" in message
    )
    path.write_text("dataset;task;model\nx;VQA;m\n", "utf-8")
    message = errors_of(path)
    assert "runs.csv:1: missing column(s) framework, model_name; unknown column(s) model" in message
    path.write_text(MATRIX_HEADER + "nowhere;VQA;OpenAI;qwen-test;;;;False;;;\n", "utf-8")
    assert "runs.csv:2:dataset: dataset 'nowhere' not found" in errors_of(path)
    path.write_text(MATRIX_HEADER + "demo_mini;VQA;Pytorch;qwen-test;;;;False;;;\n", "utf-8")
    assert "runs.csv:2:framework: unknown framework 'Pytorch'" in errors_of(path)


def test_run_matrix_in_cp1251_is_refused_with_a_fix(tmp_path: Path) -> None:
    ws = _matrix_workspace(tmp_path)
    path = ws / "runs.csv"
    path.write_bytes(
        (MATRIX_HEADER + "demo_mini;VQA;OpenAI;qwen-test;;;['CER'];False;;Паспорт;\n").encode("cp1251")
    )
    message = errors_of(path)
    assert "runs.csv:2: not UTF-8" in message and "iconv -f cp1251" in message


def test_every_problem_is_listed_not_only_the_first(tmp_path: Path) -> None:
    make_prototype_dataset(tmp_path / "data")
    text = YAML_OK.replace("task: vqa", "task: vqaa").replace("[anls, {name: exact_match}]", "[cerr]")
    message = errors_of(write(tmp_path / "e.yaml", text))
    assert "unknown task 'vqaa'" in message
