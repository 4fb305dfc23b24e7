"""What a new user met when trying the product: bad paths and templates, reruns, moved-aside
runs, partial experiments. Each test failed before its fix."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.factories import make_jsonl_dataset, run_vlmhb, write_experiment
from tests.support.openai_server import ScriptedOpenAIServer


def _no_traceback(done: object) -> None:
    text = getattr(done, "stdout", "") + getattr(done, "stderr", "")
    assert "Traceback" not in text, text


def _edit(config: Path, **changes: object) -> None:
    raw = yaml.safe_load(config.read_text("utf-8"))
    raw["runs"][0].update(changes)
    config.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")


def test_output_paths_that_are_files_are_user_errors(
    tmp_path: Path, tiny_dataset: Path, openai_server: ScriptedOpenAIServer
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    config = write_experiment(tmp_path / "e.yaml", tiny_dataset, base_url=openai_server.url)
    done = run_vlmhb("run", str(config), "--output-dir", str(blocker))
    assert done.returncode == 2
    _no_traceback(done)
    assert "--output-dir / output_dir" in done.stderr and "is a file" in done.stderr

    answers = tmp_path / "answers.jsonl"
    answers.write_text(json.dumps({"sample_id": "s-001", "answer": "x"}) + "\n")
    done = run_vlmhb(
        "evaluate", "--dataset", str(tiny_dataset), "--answers", str(answers), "--metrics", "cer",
        "--out", str(blocker / "sub"),
    )  # fmt: skip
    assert done.returncode == 2
    _no_traceback(done)
    assert "--out:" in done.stderr and f"{blocker} is a file" in done.stderr


def test_a_prompt_with_an_undefined_variable_fails_validate_and_run(
    tmp_path: Path, tiny_dataset: Path, openai_server: ScriptedOpenAIServer
) -> None:
    config = write_experiment(tmp_path / "e.yaml", tiny_dataset, base_url=openai_server.url)
    _edit(config, prompts={"user": "Answer {{ questoin }}"})
    for command in ("validate", "run"):
        done = run_vlmhb(command, str(config))
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        _no_traceback(done)
        assert "e.yaml" in done.stderr and "runs[0].prompts" in done.stderr, done.stderr
        assert "'questoin' is undefined" in done.stderr
    assert openai_server.requested_sample_ids == []  # nothing was asked


def test_a_refused_changed_config_names_the_setting_that_changed(
    tmp_path: Path, tiny_dataset: Path, openai_server: ScriptedOpenAIServer
) -> None:
    config = write_experiment(tmp_path / "e.yaml", tiny_dataset, base_url=openai_server.url)
    assert run_vlmhb("run", str(config)).returncode == 0
    _edit(config, generation={"max_tokens": 64, "temperature": 0.7})
    done = run_vlmhb("run", str(config))
    assert done.returncode == 1
    assert "generation.temperature: 0.0 → 0.7" in done.stdout + done.stderr
    assert "generation.max_tokens: 1024 → 64" in done.stdout + done.stderr


def test_rerun_of_a_finished_experiment_counts_the_answers_it_has(
    tmp_path: Path, tiny_dataset: Path, openai_server: ScriptedOpenAIServer
) -> None:
    config = write_experiment(tmp_path / "e.yaml", tiny_dataset, base_url=openai_server.url)
    assert run_vlmhb("run", str(config)).returncode == 0
    openai_server.clear(requests=True)
    again = run_vlmhb("run", str(config))
    assert again.returncode == 0
    assert openai_server.requested_sample_ids == []
    manifest = json.loads((tmp_path / "runs" / "exp" / "r1" / "manifest.json").read_text())
    assert manifest["stages"]["infer"]["counts"] == {"total": 3, "ok": 3, "reused": 3, "new": 0, "failed": 0}
    row = next(line for line in again.stdout.splitlines() if "r1" in line and "completed" in line)
    assert row.split("│")[3].strip() == "3", again.stdout  # "answers ok" column


def test_report_leaves_out_runs_moved_aside_by_fresh(
    tmp_path: Path, tiny_dataset: Path, openai_server: ScriptedOpenAIServer
) -> None:
    config = write_experiment(tmp_path / "e.yaml", tiny_dataset, base_url=openai_server.url)
    assert run_vlmhb("run", str(config)).returncode == 0
    assert run_vlmhb("run", str(config), "--fresh").returncode == 0
    experiment = tmp_path / "runs" / "exp"
    assert len([p for p in experiment.iterdir() if p.name.startswith("r1.old-")]) == 1
    done = run_vlmhb("report", str(experiment))
    assert done.returncode == 0, done.stderr
    rows = (experiment / "comparison.csv").read_text("utf-8").splitlines()
    assert len(rows) == 2, rows  # the header and r1 only, no self-comparison
    assert "old-" not in (experiment / "comparison.md").read_text("utf-8")


def test_report_after_inference_only_says_why_there_is_no_comparison(
    tmp_path: Path, tiny_dataset: Path, openai_server: ScriptedOpenAIServer
) -> None:
    config = write_experiment(tmp_path / "e.yaml", tiny_dataset, base_url=openai_server.url)
    infer = run_vlmhb("infer", str(config))
    assert infer.returncode == 0
    assert "`vlmhb run` with the same config scores them" in infer.stdout
    done = run_vlmhb("report", str(tmp_path / "runs" / "exp"))
    assert done.returncode == 0, done.stderr
    assert "no metrics yet: r1" in done.stdout and "no comparison written" in done.stdout
    assert not (tmp_path / "runs" / "exp" / "comparison.csv").exists()


def test_evaluate_does_not_count_other_tasks_samples_as_missing(tmp_path: Path) -> None:
    rows = [
        ("v-1", "invoice", "Номер", "Какой номер?", "1", ["Номер: 1"]),
        ("v-2", "invoice", "Номер", "Какой номер?", "2", ["Номер: 2"]),
    ]
    dataset = make_jsonl_dataset(tmp_path / "mixed", rows)
    annotation = dataset / "annotation.jsonl"
    first = json.loads(annotation.read_text("utf-8").splitlines()[0])
    ocr = {**first, "id": "o-1", "task": "ocr", "question": "", "answers": ["Номер: 1"]}
    annotation.write_text(annotation.read_text("utf-8") + json.dumps(ocr, ensure_ascii=False) + "\n", "utf-8")
    answers = tmp_path / "answers.jsonl"
    answers.write_text(
        "".join(json.dumps({"sample_id": s, "answer": a}) + "\n" for s, a in (("v-1", "1"), ("v-2", "2")))
    )
    out = tmp_path / "out"
    done = run_vlmhb(
        "evaluate", "--dataset", str(dataset), "--answers", str(answers), "--metrics", "anls",
        "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "have no answer" not in done.stdout
    assert "1 samples of other tasks (ocr) were not scored" in done.stdout
    summary = json.loads((out / "metrics.json").read_text())
    assert summary["n_missing"] == 0 and summary["tasks"] == ["vqa"]
    both = run_vlmhb(
        "evaluate", "--dataset", str(dataset), "--answers", str(answers), "--metrics", "anls",
        "--out", str(out), "--task", "vqa", "--task", "ocr",
    )  # fmt: skip
    assert both.returncode == 0, both.stderr
    assert "1 dataset samples have no answer" in both.stdout


def test_an_executor_typo_on_the_command_line_is_blamed_on_the_flag(
    tmp_path: Path, tiny_dataset: Path, openai_server: ScriptedOpenAIServer
) -> None:
    config = write_experiment(tmp_path / "e.yaml", tiny_dataset, base_url=openai_server.url)
    done = run_vlmhb("run", str(config), "--executor", "dockr")
    assert done.returncode == 2
    _no_traceback(done)
    assert "error: --executor: unknown executor 'dockr'" in done.stderr
    assert "e.yaml" not in done.stderr and "did you mean 'docker'" in done.stderr
    assert done.stderr.count("unknown executor") == 1  # once, not once per run


def test_an_answer_record_with_bad_timings_is_an_error_not_silently_unmeasured(
    tmp_path: Path, tiny_dataset: Path
) -> None:
    answers = tmp_path / "answers.jsonl"
    good = {"sample_id": "s-001", "answer": "x", "timings": {"started_at": 0, "latency_s": 1.5}}
    bad = {"sample_id": "s-002", "answer": "y", "timings": {"started_at": 0, "latency_s": "slow"}}
    minimal = {"sample_id": "s-003", "answer": "z", "error": None}
    answers.write_text("".join(json.dumps(r) + "\n" for r in (good, bad, minimal)))
    args = [
        "evaluate",
        "--dataset",
        str(tiny_dataset),
        "--answers",
        str(answers),
        "--out",
        str(tmp_path / "o"),
    ]
    done = run_vlmhb(*args, "--metrics", "latency_s,anls")
    assert done.returncode == 2
    _no_traceback(done)
    assert "answers.jsonl:2" in done.stderr and "timings.latency_s" in done.stderr, done.stderr
    answers.write_text("".join(json.dumps(r) + "\n" for r in (good, minimal)))
    assert run_vlmhb(*args, "--metrics", "latency_s,anls").returncode == 0
