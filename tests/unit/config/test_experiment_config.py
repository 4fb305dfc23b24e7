"""Experiment configs (YAML, JSON, CSV run matrix, model catalogue) and their errors."""

from __future__ import annotations

import logging
import re
import textwrap
from pathlib import Path

import pytest

from tests.factories import make_prototype_dataset
from vlmhyperbench.config import load_catalogue, load_catalogue_file, load_experiment
from vlmhyperbench.config.catalogue import CSV_COLUMNS, FRAMEWORKS, hub_id
from vlmhyperbench.config.run_matrix import RUN_MATRIX_COLUMNS
from vlmhyperbench.core import UserError
from vlmhyperbench.orchestrator import plan_experiment

DOCS = Path(__file__).resolve().parents[3] / "docs"


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
    assert "runs.csv:1: missing column(s) framework, model_name; found dataset, task, model" in message
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


def test_overall_aggregator_is_read_as_general_with_a_located_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ws = _matrix_workspace(tmp_path)
    path = ws / "runs.csv"
    path.write_text(MATRIX_HEADER + "demo_mini;VQA;OpenAI;qwen-test;;;['CER'];False;['overall'];;\n", "utf-8")
    with caplog.at_level(logging.WARNING):
        (run,) = load_experiment(path).config.runs
    assert run.aggregators == ["general"]
    assert f"{path}:2:metrics_aggregators: aggregator 'overall' is read as 'general'" in caplog.text


def test_extra_columns_of_the_matrix_and_catalogue_are_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ws = _matrix_workspace(tmp_path)
    base = ws / "vlm_base.csv"
    base.write_text(
        base.read_text("utf-8").replace("class_name\n", "class_name;notes\n").replace(";;;;\n", ";;;;;x\n")
    )
    path = ws / "runs.csv"
    path.write_text(
        MATRIX_HEADER.replace("\n", ";owner\n") + "demo_mini;VQA;OpenAI;qwen-test;;;['CER'];False;;;;me\n",
        "utf-8",
    )
    with caplog.at_level(logging.WARNING):
        loaded = load_experiment(path)
        catalogue = load_catalogue(loaded.config.catalogues)
    assert loaded.config.runs[0].metrics == ["cer"] and catalogue["qwen-test"].backend == "openai"
    assert f"{path}:1: ignoring column(s) 'owner'" in caplog.text
    assert f"{base}:1: ignoring column(s) 'notes'" in caplog.text


VLM_BASE = (
    "\ufeffframework;model_family;model_name;docker_image;git_python_package;python_package;module;class_name\n"
    "Hugging Face;Qwen2-VL;Qwen2-VL-2B-Instruct;ghcr.io/x/qwen2-vl:v0.1.0;"
    "git+https://github.com/VLMHyperBenchTeam/model_qwen2-vl.git@0.1.1;model_qwen2_vl;models;Qwen2VLModel\n"
    "Hugging Face;Qwen2-VL;Qwen2-VL-72B-Instruct;;;model_qwen2_vl;models;Qwen2VLModel\n"
    "Hugging_Face;Qwen2.5-VL;my-org/Qwen2.5-VL-3B-ft;;;model_qwen2_5_vl;models;Qwen2_5_VLModel\n"
    "vLLM;MiniCPM-V;MiniCPM-V-2_6;;;;;\n"
)


def test_vlm_base_rows_load_the_hub_id_the_prototype_loads(tmp_path: Path) -> None:
    path = tmp_path / "vlm_base.csv"
    path.write_text(VLM_BASE, "utf-8")
    entries = {e.name: e for e in load_catalogue_file(path)}
    assert entries["Qwen2-VL-72B-Instruct"].model_id == "Qwen/Qwen2-VL-72B-Instruct"
    assert entries["my-org/Qwen2.5-VL-3B-ft"].model_id == "my-org/Qwen2.5-VL-3B-ft"
    assert entries["MiniCPM-V-2_6"].model_id == "MiniCPM-V-2_6" and entries["MiniCPM-V-2_6"].backend == "vllm"
    # a model the shipped catalogue knows keeps its entry and takes the row's image
    known = entries["Qwen2-VL-2B-Instruct"]
    assert known.model_id == "Qwen/Qwen2-VL-2B-Instruct" and known.backend == "hf"
    assert known.docker_image == "ghcr.io/x/qwen2-vl:v0.1.0"
    assert known.requirements == load_catalogue()["Qwen2-VL-2B-Instruct"].requirements
    # the prototype's model class package is not installed: our backends do not use it
    assert known.metadata["git_python_package"].endswith("model_qwen2-vl.git@0.1.1")
    assert entries["Qwen2-VL-72B-Instruct"].requirements == []
    assert hub_id("Qwen2.5-VL", "Qwen2.5-VL-7B-Instruct") == "Qwen/Qwen2.5-VL-7B-Instruct"


def test_framework_names_are_read_loosely_and_the_hint_lists_them(tmp_path: Path) -> None:
    ws = _matrix_workspace(tmp_path)
    path = ws / "runs.csv"
    path.write_text(MATRIX_HEADER + "demo_mini;VQA;Pytorch;qwen-test;;;;False;;;\n", "utf-8")
    assert "use one of: " + ", ".join(FRAMEWORKS) in errors_of(path)
    for spelling in ("openai", "Open_AI", "OPENAI"):
        path.write_text(MATRIX_HEADER + f"demo_mini;VQA;{spelling};qwen-test;;;;False;;;\n", "utf-8")
        assert load_experiment(path).config.runs[0].model.backend == "openai"


def test_the_docs_show_the_prototype_tables_the_code_reads() -> None:
    configuration = (DOCS / "configuration.md").read_text("utf-8")
    assert ";".join(RUN_MATRIX_COLUMNS) in configuration
    assert ";".join(CSV_COLUMNS) in configuration
    documented = dict(re.findall(r"`([^`]+)` → `([a-z]+)`", configuration))
    assert {k: v for k, v in documented.items() if k in FRAMEWORKS} == FRAMEWORKS


def test_resources_merge_experiment_model_run_field_by_field(tmp_path: Path) -> None:
    make_prototype_dataset(tmp_path / "data")
    config = """
    name: exp
    resources: {cpus: 2, memory_gb: 8}
    models:
      - {name: big, backend: openai, options: {base_url: "http://127.0.0.1:9/v1", model: m},
         resources: {gpus: 2, gpu_memory_gb: 80}}
    runs:
      - {name: r1, task: vqa, dataset: data, model: big, resources: {gpu_memory_gb: 40}}
      - {name: r2, task: vqa, dataset: data, model: big}
      - {name: r3, task: vqa, dataset: data,
         model: {backend: openai, options: {base_url: "http://127.0.0.1:9/v1", model: m}}}
    """
    plan = plan_experiment(load_experiment(write(tmp_path / "e.yaml", config)))
    got = {r.spec.run_id: r.spec.resources for r in plan.runs}
    assert (got["r1"].gpus, got["r1"].gpu_memory_gb, got["r1"].cpus, got["r1"].memory_gb) == (2, 40, 2, 8)
    assert (got["r2"].gpus, got["r2"].gpu_memory_gb) == (2, 80)
    assert (got["r3"].gpus, got["r3"].gpu_memory_gb, got["r3"].cpus) == (0, None, 2)


def test_a_resources_typo_is_located(tmp_path: Path) -> None:
    make_prototype_dataset(tmp_path / "data")
    config = YAML_OK.replace("    task: vqa\n", "    task: vqa\n    resources: {gpu: 1}\n")
    text = errors_of(write(tmp_path / "e.yaml", config))
    assert "resources" in text and "gpu" in text
