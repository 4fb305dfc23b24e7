"""The prototype's own setup, laid out as its checkout lays it out, works unchanged.

A checkout of VLMHyperBenchTeam/VLMHyperBench (v0.1) holds its run matrices at the root,
``vlmhyperbench/system_dirs/cfg/VLMHyperBench_config.json`` naming every folder
(``data_dirs``, ``system_dirs``), ``vlmhyperbench/vlm_base.csv``, and the data under
``vlmhyperbench/data_dirs/``: ``Datasets/<task>/<name>/annotation.csv`` with its images,
``PromptCollections/<task>/<name>/<file>.csv``, ``ModelsAnswers/`` (``id;model_answer``)
and ``ModelsMetrics/`` (``<answers_stem>_<aggregator>.csv``).
"""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.factories import render_page
from vlmhyperbench.cli.main import app
from vlmhyperbench.config import load_experiment
from vlmhyperbench.orchestrator import plan_experiment, run_experiment

MATRIX_HEADER = (
    "dataset;task;framework;model_name;system_prompt;prompt_collection;metrics;"
    "only_evaluate_metrics;metrics_aggregators;filter_doc_class;filter_question_type"
)
ALL_AGGREGATORS = "['by_id', 'by_doc_question', 'by_doc_type', 'general']"
VLM_BASE = (
    "framework;model_family;model_name;docker_image;git_python_package;python_package;module;class_name\n"
    "Hugging Face;Qwen2-VL;Qwen2-VL-2B-Instruct;ghcr.io/vlmhyperbenchteam/qwen2-vl:ubuntu22.04-cu124-torch2.4.0_v0.1.0;"
    "git+https://github.com/VLMHyperBenchTeam/model_qwen2-vl.git@0.1.1;model_qwen2_vl;models;Qwen2VLModel\n"
    "Hugging Face;Qwen2.5-VL;Qwen2.5-VL-3B-Instruct;ghcr.io/vlmhyperbenchteam/qwen2.5-vl:ubuntu22.04-cu124-torch2.4.0_v0.1.0;"
    "git+https://github.com/VLMHyperBenchTeam/model_qwen2.5-vl.git@0.1.1;model_qwen2_5_vl;models;Qwen2_5_VLModel\n"
)
# data_index, image, question, answer, doc_class, question_type, bbox, page lines
ROWS = [
    ("1", "1.png", "Напиши Фамилия", "Карбаинов", "passport", "Фамилия", "[780, 110, 1060, 170]"),
    ("1", "1.png", "Напиши Имя", "Алексей", "passport", "Имя", "[800, 270, 1010, 330]"),
    (
        "2",
        "2.png",
        "Напиши Номер счет-фактуры",
        "44",
        "invoice",
        "Номер счет-фактуры",
        "[1200, 360, 1250, 400]",
    ),
    ("2", "2.png", "Напиши кто Продавец", "Татэнерго", "invoice", "Продавец", "[700, 470, 1150, 520]"),
]
PAGES = {
    "1.png": ["Фамилия: Карбаинов", "Имя: Алексей"],
    "2.png": ["Номер счет-фактуры: 44", "Продавец: Татэнерго"],
}
COLLECTION = "demo_mini/JuliaJu_Qwen2-VL-2B_demo_mini_cer0.csv"


def _bom_csv(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\ufeff" + text, encoding="utf-8")
    return path


def make_prototype_checkout(root: Path, *, data: str = "vlmhyperbench/data_dirs") -> Path:
    """The prototype's checkout: its config JSON, vlm_base.csv, run matrices and data dirs.

    ``data`` is where ``data_dirs`` point (relative to the checkout), so a test can move them.
    """
    sys_dirs = "vlmhyperbench/system_dirs"
    config = {
        "user_config": "user_config_model_eval.csv",
        "vlm_base": "vlmhyperbench/vlm_base.csv",
        "data_dirs": {
            "datasets": f"{data}/Datasets",
            "model_answers": f"{data}/ModelsAnswers",
            "model_metrics": f"{data}/ModelsMetrics",
            "prompt_collections": f"{data}/PromptCollections",
            "system_prompts": f"{data}/SystemPrompts",
            "reports": f"{data}/Reports",
        },
        "system_dirs": {
            name: f"{sys_dirs}/{name}" for name in ("cfg", "bench_stages", "model_cache", "wheels")
        },
        "eval_docker_img": "ghcr.io/vlmhyperbenchteam/metric-evaluator:python3.10-slim_v0.1.0",
        "vlm_run_packages": f"{sys_dirs}/cfg/vlm_run_requirements.txt",
        "eval_run_packages": f"{sys_dirs}/cfg/eval_run_requirements.txt",
        "benchmark_run_cfg": f"{sys_dirs}/cfg/BenchmarkRunConfig.json",
        "vlmhyperbench_cfg": f"{sys_dirs}/cfg/VLMHyperBench_config.json",
    }
    cfg = root / sys_dirs / "cfg" / "VLMHyperBench_config.json"
    cfg.parent.mkdir(parents=True)
    cfg.write_text(json.dumps(config, indent=4), encoding="utf-8")
    for name in ("ModelsAnswers", "ModelsMetrics", "SystemPrompts", "Reports"):
        (root / data / name).mkdir(parents=True, exist_ok=True)
    dataset = root / data / "Datasets" / "VQA" / "demo_mini"
    lines = ["data_index;split;image_path;question;answer;doc_class;question_type;answer_bbox"]
    for index, image, question, answer, doc_class, qtype, bbox in ROWS:
        lines.append(f"{index};test_clean;images/{image};{question};{answer};{doc_class};{qtype};{bbox}")
    _bom_csv(dataset / "annotation.csv", "\n".join(lines) + "\n")
    for image, page in PAGES.items():
        render_page(dataset / "images" / image, page)
    _bom_csv(
        root / data / "PromptCollections" / "VQA" / COLLECTION,
        "prompt;doc_class_question_type;cer\n"
        + "".join(f"Напиши {r[5]}. Только значение.;{r[4]} {r[5]};0.0\n" for r in ROWS),
    )
    _bom_csv(root / "vlmhyperbench" / "vlm_base.csv", VLM_BASE)
    row = f"demo_mini;VQA;Hugging Face;Qwen2-VL-2B-Instruct;;{COLLECTION};['CER'];False;{ALL_AGGREGATORS};;"
    _bom_csv(root / "user_config_model_eval.csv", f"{MATRIX_HEADER}\n{row}\n")
    prompt_row = row[: -len(";;")] + ";passport;Фамилия"
    _bom_csv(root / "user_config_prompt_eval.csv", f"{MATRIX_HEADER}\n{prompt_row}\n")
    _bom_csv(root / "notebooks" / "user_config_2.csv", f"{MATRIX_HEADER}\n{row}\n")
    return root


def _read_prototype_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """As the prototype's scripts read it: pandas.read_csv(path, sep=';', encoding='utf-8-sig')."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=";")
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def test_run_matrix_in_a_checkout_is_resolved_through_data_dirs(tmp_path: Path) -> None:
    root = make_prototype_checkout(tmp_path / "VLMHyperBench")
    dataset = root / "vlmhyperbench" / "data_dirs" / "Datasets" / "VQA" / "demo_mini"
    for matrix in (root / "user_config_model_eval.csv", root / "notebooks" / "user_config_2.csv"):
        (run,) = plan_experiment(load_experiment(matrix)).runs
        assert run.spec.dataset.path == str(dataset.resolve())
        assert run.spec.dataset.n_samples == len(ROWS)
        assert run.spec.backend.name == "hf"
        assert run.spec.backend.options["model"] == "Qwen/Qwen2-VL-2B-Instruct"
        assert run.spec.prompts.mapping["passport Фамилия"] == "Напиши Фамилия. Только значение."
    (run,) = plan_experiment(load_experiment(root / "user_config_prompt_eval.csv")).runs
    assert run.spec.dataset.n_samples == 1


def test_the_config_json_and_the_checkout_folder_run_the_users_matrix(tmp_path: Path) -> None:
    root = make_prototype_checkout(tmp_path / "VLMHyperBench")
    config = root / "vlmhyperbench" / "system_dirs" / "cfg" / "VLMHyperBench_config.json"
    for entry in (config, root):
        loaded = load_experiment(entry)
        assert loaded.source == root / "user_config_model_eval.csv"
        (run,) = plan_experiment(loaded).runs
        assert run.spec.backend.options["model"] == "Qwen/Qwen2-VL-2B-Instruct"


def test_data_dirs_elsewhere_are_followed(tmp_path: Path) -> None:
    root = make_prototype_checkout(tmp_path / "VLMHyperBench", data="shared/data")
    (run,) = plan_experiment(load_experiment(root / "user_config_model_eval.csv")).runs
    assert run.spec.dataset.path == str((root / "shared/data/Datasets/VQA/demo_mini").resolve())


def test_a_config_json_elsewhere_finds_the_checkout_by_its_own_path(tmp_path: Path) -> None:
    root = make_prototype_checkout(tmp_path / "VLMHyperBench")
    default = root / "vlmhyperbench" / "system_dirs" / "cfg" / "VLMHyperBench_config.json"
    config = json.loads(default.read_text("utf-8"))
    del config["data_dirs"]["prompt_collections"]  # left out: beside Datasets/, as by default
    moved = root / "configs" / "mine.json"
    moved.parent.mkdir()
    moved.write_text(json.dumps({**config, "vlmhyperbench_cfg": "configs/mine.json"}), "utf-8")
    default.unlink()
    (run,) = plan_experiment(load_experiment(moved)).runs
    assert run.spec.dataset.path == str((root / "vlmhyperbench/data_dirs/Datasets/VQA/demo_mini").resolve())
    assert run.spec.prompts.mapping["passport Имя"] == "Напиши Имя. Только значение."


def test_rescoring_a_prototype_answers_csv_needs_no_images(tmp_path: Path) -> None:
    root = make_prototype_checkout(tmp_path / "VLMHyperBench")
    dataset = root / "vlmhyperbench" / "data_dirs" / "Datasets" / "VQA" / "demo_mini"
    for image in (dataset / "images").iterdir():
        image.unlink()
    answers = _bom_csv(
        root / "vlmhyperbench" / "data_dirs" / "ModelsAnswers" / "demo_mini_answers.csv",
        "id;model_answer\n0;Карбаинов\n1;Алекс\n2;44\n3;Татэнерго\n",
    )
    out = tmp_path / "scored"
    args = ["--dataset", str(dataset), "--answers", str(answers), "--metrics", "cer", "--out", str(out)]
    result = CliRunner().invoke(app, ["evaluate", *args])
    assert result.exit_code == 0, result.output
    assert "4 answers scored" in result.output
    assert json.loads((out / "metrics.json").read_text("utf-8"))["n_samples"] == 4
    strict = CliRunner().invoke(app, ["datasets", "validate", str(dataset)])
    assert strict.exit_code == 2 and "does not exist" in strict.output


def test_overall_aggregator_and_extra_columns_are_accepted_with_warnings(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = make_prototype_checkout(tmp_path / "VLMHyperBench")
    matrix = _bom_csv(
        root / "old.csv",
        f"{MATRIX_HEADER};notes\n"
        f"demo_mini;VQA;Hugging Face;Qwen2-VL-2B-Instruct;;;['CER'];False;['by_id', 'overall'];;;first try\n",
    )
    with caplog.at_level(logging.WARNING):
        (run,) = plan_experiment(load_experiment(matrix)).runs
    assert run.spec.aggregators == ["by_id", "general"]
    assert f"{matrix}:2:metrics_aggregators" in caplog.text and "'overall'" in caplog.text
    assert f"{matrix}:1: ignoring column(s) 'notes'" in caplog.text
    answers = _bom_csv(tmp_path / "a.csv", "id;model_answer;confidence\n0;Карбаинов;0.9\n")
    dataset = Path(run.spec.dataset.path)
    args = [
        "--dataset",
        str(dataset),
        "--answers",
        str(answers),
        "--metrics",
        "cer",
        "--out",
        str(tmp_path / "o"),
    ]
    with caplog.at_level(logging.WARNING):
        result = CliRunner().invoke(app, ["evaluate", *args, "--aggregators", "by_doc_type,overall"])
    assert result.exit_code == 0, result.output
    assert f"{answers}:1: ignoring column(s) 'confidence'" in caplog.text
    assert "--aggregators: aggregator 'overall' is read as 'general'" in caplog.text


def test_prototype_csv_files_from_vlmhb_evaluate(tmp_path: Path) -> None:
    root = make_prototype_checkout(tmp_path / "VLMHyperBench")
    dataset = root / "vlmhyperbench" / "data_dirs" / "Datasets" / "VQA" / "demo_mini"
    answers = _bom_csv(tmp_path / "ans.csv", "id;model_answer\n0;Карбаинов\n1;Алекс\n3;Татэнерго\n")
    out = tmp_path / "ModelsMetrics"
    args = [
        "--dataset",
        str(dataset),
        "--answers",
        str(answers),
        "--metrics",
        "cer,wer,bleu",
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(
        app,
        ["evaluate", *args, "--aggregators", "by_id,by_doc_question,by_doc_type,general", "--prototype-csv"],
    )
    assert result.exit_code == 0, result.output
    header, rows = _read_prototype_csv(out / "ans_by_id.csv")
    assert header == [
        "id", "model_answer", "data_index", "split", "image_path", "question", "answer",
        "doc_class", "question_type", "answer_bbox", "cer_error", "wer_error", "bleu_score",
    ]  # fmt: skip
    assert [r["id"] for r in rows] == ["0", "1", "3"]
    assert rows[1]["image_path"] == "images/1.png" and rows[1]["answer_bbox"] == "[800, 270, 1010, 330]"
    assert float(rows[1]["cer_error"]) == pytest.approx(2 / 7)  # Алекс vs Алексей
    header, rows = _read_prototype_csv(out / "ans_by_doc_question.csv")
    assert header == ["doc_class", "question_type", "cer_error", "wer_error", "bleu_error"]
    assert [(r["doc_class"], r["question_type"]) for r in rows] == [  # sorted, as pandas' groupby
        ("invoice", "Продавец"),
        ("passport", "Имя"),
        ("passport", "Фамилия"),
    ]
    header, rows = _read_prototype_csv(out / "ans_by_doc_type.csv")
    assert header == ["doc_class", "cer_error", "wer_error", "bleu_error"]
    assert [r["doc_class"] for r in rows] == ["invoice", "passport"]
    assert float(rows[1]["cer_error"]) == pytest.approx(2 / 16)  # pooled: 2 edits / 16 characters
    header, rows = _read_prototype_csv(out / "ans_general.csv")
    assert header == ["cer_error", "wer_error", "bleu_score"] and len(rows) == 1
    assert not (out / "ans.csv").exists()  # the answers are already the prototype's CSV
    assert (out / "metrics.json").exists()  # our own files are written as always


@pytest.mark.tesseract
def test_a_prototype_checkout_runs_and_writes_the_prototype_files(tmp_path: Path) -> None:
    root = make_prototype_checkout(tmp_path / "VLMHyperBench")
    row = f"demo_mini;VQA;Tesseract;tesseract-rus-eng;;;['CER'];False;{ALL_AGGREGATORS};;"
    _bom_csv(root / "user_config_model_eval.csv", f"{MATRIX_HEADER}\n{row}\n")
    result = run_experiment(root, output_dir=tmp_path / "runs")
    assert result.ok, result.runs
    (outcome,) = result.runs
    files = outcome.run_dir / "prototype"
    (answers,) = (files / "ModelsAnswers").iterdir()
    header, rows = _read_prototype_csv(answers)
    assert header == ["id", "model_answer"] and [r["id"] for r in rows] == ["0", "1", "2", "3"]
    metrics = sorted(p.name for p in (files / "ModelsMetrics").iterdir())
    stem = answers.stem
    assert metrics == sorted(
        f"{stem}_{a}.csv" for a in ("by_id", "by_doc_question", "by_doc_type", "general")
    )
    header, rows = _read_prototype_csv(files / "ModelsMetrics" / f"{stem}_general.csv")
    assert header == ["cer_error"] and 0.0 <= float(rows[0]["cer_error"]) < 1.0


@pytest.mark.tesseract
def test_the_prototype_csv_run_option_takes_effect(tiny_dataset: Path, tmp_path: Path) -> None:
    config = tmp_path / "e.yaml"
    config.write_text(
        f"name: exp\n"
        f"runs:\n"
        f"  - {{name: with, task: vqa, dataset: {tiny_dataset}, model: tesseract-rus-eng, prototype_csv: true,\n"
        f"     metrics: [cer, anls], aggregators: [by_id, general]}}\n"
        f"  - {{name: without, task: vqa, dataset: {tiny_dataset}, model: tesseract-rus-eng, metrics: [cer]}}\n",
        encoding="utf-8",
    )
    result = run_experiment(config, output_dir=tmp_path / "runs")
    assert result.ok, result.runs
    with_files, without = (r.run_dir for r in result.runs)
    assert not (without / "prototype").exists()
    metrics = with_files / "prototype" / "ModelsMetrics"
    stem = "tiny_tesseract_tesseract-rus-eng_VQA_answers"
    assert sorted(p.name for p in metrics.iterdir()) == [f"{stem}_by_id.csv", f"{stem}_general.csv"]
    assert (with_files / "prototype" / "ModelsAnswers" / f"{stem}.csv").is_file()
    header, rows = _read_prototype_csv(metrics / f"{stem}_by_id.csv")
    assert header == [
        "id", "model_answer", "data_index", "split", "image_path", "question", "answer",
        "doc_class", "question_type", "answer_bbox", "cer_error", "anls",
    ]  # fmt: skip
    assert rows[0]["id"] == "s-001" and rows[0]["image_path"] == "images/s-001.png"
    assert rows[0]["answer"] == "ИВАНОВ" and rows[0]["question"] == "Какая фамилия?"
