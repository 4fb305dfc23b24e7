"""The `vlmhb` command as a user runs it: kill and resume, evaluate, errors without tracebacks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.factories import make_jsonl_dataset, make_prototype_dataset, run_vlmhb, write_experiment
from tests.support.openai_server import ScriptedOpenAIServer
from vlmhyperbench.core import RunDir

MANY = [(f"m-{i:03d}", "invoice", "Номер", f"Какой номер {i}?", f"{i}", [f"Номер: {i}"]) for i in range(8)]


def vlmhb(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run_vlmhb(*args, cwd=cwd)


def test_killed_run_resumes_without_losing_or_repeating_answers(
    openai_server: ScriptedOpenAIServer, tmp_path: Path
) -> None:
    dataset = make_jsonl_dataset(tmp_path / "many", MANY)
    openai_server.answer_fn = lambda body, sid: sid.split("-")[1].lstrip("0") or "0"
    openai_server.first_token_delay = 0.25
    cfg = write_experiment(tmp_path / "e.yaml", dataset, base_url=openai_server.url, concurrency=1)
    answers = tmp_path / "runs" / "exp" / "r1" / "answers.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "vlmhyperbench", "run", str(cfg)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if answers.exists() and len(answers.read_text().splitlines()) >= 3:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_first = {r.sample_id for r in RunDir(answers.parent).read_answers() if r.ok}
    assert 3 <= len(done_first) < len(MANY)
    openai_server.clear(requests=True)
    openai_server.first_token_delay = 0.0
    second = vlmhb("run", str(cfg))
    assert second.returncode == 0, second.stderr
    requested_again = set(openai_server.requested_sample_ids)
    assert not requested_again & done_first, "a completed answer was requested twice"
    final = RunDir(answers.parent).latest_answers()
    assert sorted(final) == [s[0] for s in MANY] and all(r.ok for r in final.values())
    assert len(RunDir(answers.parent).read_answers()) == len(MANY)


def test_evaluate_contract_with_prototype_answers_csv(tmp_path: Path) -> None:
    dataset = make_prototype_dataset(tmp_path / "proto")
    answers = tmp_path / "answers.csv"
    answers.write_text("\ufeffid;model_answer\n0;ИВАНОВ\n1;Петр\n2;\n", "utf-8")
    out = tmp_path / "out"
    done = vlmhb(
        "evaluate",
        "--dataset",
        str(dataset),
        "--answers",
        str(answers),
        "--metrics",
        "cer,wer,anls,exact_match",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    lines = (out / "metrics_by_id.csv").read_text("utf-8").splitlines()
    assert lines[0] == "sample_id,cer,wer,anls,exact_match"
    assert lines[1] == "0,0.0,0.0,1.0,1.0"
    assert lines[2] == "1,0.75,1.0,0.75,0.0"
    assert lines[3] == "2,1.0,1.0,0.0,0.0"
    for name in ("metrics_by_field.csv", "metrics_by_doc_class.csv", "metrics_general.csv", "metrics.json"):
        assert (out / name).exists(), name
    summary = json.loads((out / "metrics.json").read_text())
    assert [m["name"] + "@" + m["version"] for m in summary["metrics"]] == [
        "cer@1.0.0",
        "wer@1.0.0",
        "anls@1.0.0",
        "exact_match@1.0.0",
    ]
    general = (out / "metrics_general.csv").read_text().splitlines()
    assert general[0].startswith("n,cer,wer,anls,exact_match,cer_pooled,wer_pooled,cer_ci_low,cer_ci_high,")


def test_evaluate_jsonl_answers_and_unknown_ids(tiny_dataset: Path, tmp_path: Path) -> None:
    answers = tmp_path / "a.jsonl"
    answers.write_text(
        '{"sample_id": "s-001", "answer": "ИВАНОВ"}\n{"sample_id": "zzz", "answer": "x"}\n', "utf-8"
    )
    done = vlmhb(
        "evaluate",
        "--dataset",
        str(tiny_dataset),
        "--answers",
        str(answers),
        "--metrics",
        "anls",
        "--out",
        str(tmp_path / "o"),
    )
    assert done.returncode == 2
    assert "a.jsonl:2: sample id 'zzz' is not in the dataset" in done.stderr
    assert "Traceback" not in done.stderr


def test_user_errors_exit_2_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\nruns:\n  - task: vqa\n    dataset: nowhere\n    model: tesseract-rus-eng\n"
        "    metrics: [anl]\n",
        "utf-8",
    )
    done = vlmhb("validate", str(bad))
    assert done.returncode == 2
    assert "bad.yaml:6:15 (runs[0].metrics[0]): unknown metric 'anl'" in done.stderr
    assert "did you mean 'anls'" in done.stderr and "Traceback" not in done.stderr
    done = vlmhb("run", str(tmp_path / "missing.yaml"))
    assert done.returncode == 2 and "config file not found" in done.stderr


def test_registry_listings() -> None:
    out = vlmhb("metrics", "list").stdout
    assert all(name in out for name in ("cer", "wer", "anls", "exact_match", "by_field", "general"))
    out = vlmhb("models", "list").stdout
    assert "openai" in out and "tesseract" in out and "tesseract-rus-eng" in out


def test_evaluate_accepts_metric_options_and_rejects_bad_ones(tiny_dataset: Path, tmp_path: Path) -> None:
    answers = tmp_path / "a.jsonl"
    answers.write_text('{"sample_id": "s-002", "answer": "Петр"}\n', "utf-8")
    out = tmp_path / "o"
    done = vlmhb(
        "evaluate",
        "-d",
        str(tiny_dataset),
        "-a",
        str(answers),
        "--out",
        str(out),
        "--metrics",
        "anls[threshold=0.2],exact_match",
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "metrics.json").read_text())
    assert summary["metrics"][0]["options"] == {"threshold": 0.2}
    assert summary["aggregates"]["general"][0]["values"]["anls"] == 0.0  # NL 0.25 ≥ 0.2
    done = vlmhb(
        "evaluate",
        "-d",
        str(tiny_dataset),
        "-a",
        str(answers),
        "--out",
        str(out),
        "--metrics",
        "anls[treshold=0.2]",
    )
    assert done.returncode == 2 and "treshold" in done.stderr and "unknown key" in done.stderr
    done = vlmhb(
        "evaluate",
        "-d",
        str(tiny_dataset),
        "-a",
        str(answers),
        "--out",
        str(out),
        "--metrics",
        "anls",
        "--confidence",
        "1.5",
    )
    assert done.returncode == 2 and "confidence" in done.stderr and "Traceback" not in done.stderr


def test_stages_run_from_the_run_folder_alone(
    openai_server: ScriptedOpenAIServer, tiny_dataset: Path, tmp_path: Path
) -> None:
    import shutil

    openai_server.answers = {"s-001": "ИВАНОВ", "s-002": "ПЁТР", "s-003": "7707083893"}
    cfg = write_experiment(tmp_path / "e.yaml", tiny_dataset, base_url=openai_server.url)
    assert vlmhb("run", str(cfg)).returncode == 0
    run_dir = tmp_path / "runs" / "exp" / "r1"
    before = (run_dir / "metrics" / "metrics_by_id.csv").read_text()
    shutil.rmtree(run_dir / "metrics")
    shutil.rmtree(run_dir / "report")
    (run_dir / "answers.jsonl").unlink()
    openai_server.clear(requests=True)
    openai_server.answers = {"s-001": "ИВАНОВ", "s-002": "ПЁТР", "s-003": "7707083893"}
    moved = tmp_path / "mounted"
    shutil.copytree(tiny_dataset, moved)  # a container sees the dataset elsewhere
    for name in ("infer", "evaluate", "report"):
        done = vlmhb("stage", name, "--run-dir", str(run_dir), "--dataset", str(moved))
        assert done.returncode == 0, done.stderr[-1500:]
    assert sorted(openai_server.requested_sample_ids) == ["s-001", "s-002", "s-003"]
    assert (run_dir / "metrics" / "metrics_by_id.csv").read_text() == before
    assert (run_dir / "report" / "report.html").exists()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert {"infer", "evaluate", "report"} <= set(manifest["stages"])
    (moved / "images" / "s-001.png").write_bytes((moved / "images" / "s-003.png").read_bytes())
    done = vlmhb("stage", "evaluate", "--run-dir", str(run_dir), "--dataset", str(moved))
    assert done.returncode == 1 and "is not the one this run was planned with" in done.stdout
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["stages"]["evaluate"]["status"] == "failed"
    assert "is not the one this run was planned with" in manifest["stages"]["evaluate"]["error"]


def _command_paths() -> list[list[str]]:
    """Every command of ``vlmhb``, as the arguments that reach it."""
    import typer.main

    from vlmhyperbench.cli.main import app

    paths: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        paths.append(path)
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return paths


def test_help_names_value_types_not_python_types_and_shows_no_rst_or_lost_brackets() -> None:
    import re

    from typer.testing import CliRunner

    from vlmhyperbench.cli.main import app

    runner = CliRunner()
    pages = {}
    for path in _command_paths():
        done = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "120"})
        assert done.exit_code == 0, (path, done.output)
        page = done.output
        assert not re.search(r"<(bool|str|int|float|path|list\[)[^>]*>", page, re.IGNORECASE), (path, page)
        assert "``" not in page, (path, page)
        pages[" ".join(path)] = page
    assert len(pages) > 20
    run_fresh = next(line for line in pages["run"].splitlines() if "--fresh" in line)
    assert re.search(r"--fresh\s+Start the runs again", run_fresh)  # a flag shows no type
    assert re.search(r"--output-dir\s+-o\s+PATH\s", pages["run"])
    assert re.search(r"--jobs\s+-j\s+INTEGER", pages["run"])
    assert "cer,anls[threshold=0.4],exact_match" in pages["evaluate"]  # not eaten as markup
    assert "(VLMHB_INSTALL=1)" in pages["stage"]


def test_dash_m_means_model_everywhere_never_metrics(tiny_dataset: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from vlmhyperbench.cli.main import app

    runner = CliRunner()
    assert "-m" in runner.invoke(app, ["serve", "--help"], env={"COLUMNS": "120"}).output
    assert " -m " not in runner.invoke(app, ["evaluate", "--help"], env={"COLUMNS": "120"}).output
    answers = tmp_path / "a.jsonl"
    answers.write_text('{"sample_id": "s-002", "answer": "Петр"}\n', "utf-8")
    args = ["evaluate", "-d", str(tiny_dataset), "-a", str(answers), "--out", str(tmp_path / "o")]
    done = runner.invoke(app, [*args, "-m", "anls"])
    assert done.exit_code == 2 and "No such option: -m" in done.output
    assert runner.invoke(app, [*args, "--metrics", "anls"]).exit_code == 0


def _rows(table: str) -> list[str]:
    """The first cell of each line of a Rich table."""
    return [line.split("│")[1].strip() for line in table.splitlines() if line.startswith("│")]


def test_registry_tables_keep_names_whole_at_80_columns() -> None:
    from vlmhyperbench.config import load_catalogue
    from vlmhyperbench.metrics import metrics

    out = run_vlmhb("metrics", "list", env={"COLUMNS": "80"}).stdout
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "…" not in out
    assert {entry.name for entry in metrics} <= set(_rows(out))
    assert "structural_fidelity" in _rows(out) and "output_tokens_per_s" in _rows(out)
    out = run_vlmhb("models", "list", env={"COLUMNS": "80"}).stdout
    assert "…" not in out and max(len(line) for line in out.splitlines()) <= 80
    assert set(load_catalogue([])) <= set(_rows(out))


def test_run_summary_keeps_run_names_whole_at_80_columns(
    openai_server: ScriptedOpenAIServer, tiny_dataset: Path, tmp_path: Path
) -> None:
    import yaml

    openai_server.answers = {"s-001": "ИВАНОВ", "s-002": "ПЁТР", "s-003": "7707083893"}
    cfg = write_experiment(tmp_path / "e.yaml", tiny_dataset, base_url=openai_server.url)
    config = yaml.safe_load(cfg.read_text("utf-8"))
    long_name = "vqa-scripted-vlm-on-the-tiny-dataset-r1"
    config["runs"][0]["name"] = long_name
    cfg.write_text(yaml.safe_dump(config), "utf-8")
    done = run_vlmhb("run", str(cfg), env={"COLUMNS": "80"})
    assert done.returncode == 0, done.stderr[-1500:]
    assert long_name in _rows(done.stdout) and "…" not in done.stdout
    folder = "".join(line.split("│")[5].strip() for line in done.stdout.splitlines() if line.startswith("│"))
    assert folder.endswith(f"exp/{long_name}")  # folded over lines, never cut
    assert f"comparison: {tmp_path / 'runs' / 'exp' / 'comparison.html'}\n" in done.stdout
