"""`vlmhb perf` as a user runs it, against a real local streaming server."""

from __future__ import annotations

import csv
import json
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from click.testing import Result
from typer.testing import CliRunner

from tests.factories import make_kie_dataset, write_experiment
from tests.support.openai_server import ScriptedOpenAIServer
from vlmhyperbench._paths import demo_dataset_path
from vlmhyperbench.cli.main import app
from vlmhyperbench.perf import PerfConfig
from vlmhyperbench.perf import run as perf_run


def perf(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vlmhyperbench", "perf", *args], capture_output=True, text=True, timeout=180
    )


def test_perf_on_a_dataset_writes_levels_reports_and_correct_goodput(
    openai_server: ScriptedOpenAIServer, tiny_dataset: Path, tmp_path: Path
) -> None:
    openai_server.first_token_delay = 0.02
    openai_server.token_delay = 0.005
    openai_server.answer_fn = lambda body, sid: "ИВАНОВ"  # right for one of the three questions
    out = tmp_path / "perf"
    done = perf(
        "--url",
        openai_server.url,
        "--model",
        "scripted-vlm",
        "--dataset",
        str(tiny_dataset),
        "--concurrency",
        "1,2",
        "--rate",
        "50",
        "--num-requests",
        "6",
        "--warmup",
        "1",
        "--max-tokens",
        "8",
        "--slo-ttft",
        "5",
        "--cache-bust",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads((out / "levels.json").read_text()) == ["c1", "c2", "r50"]
    for level in ("c1", "c2", "r50"):
        lines = (out / level / "requests.jsonl").read_text().splitlines()
        records = [json.loads(line) for line in lines]
        assert len(records) == 7 and sum(r["warmup"] for r in records) == 1
        assert all(
            {"ttft_s", "e2e_s", "itl_s", "output_tokens", "error", "scheduled_s", "sent_s"} <= r.keys()
            for r in records
        )
        summary = json.loads((out / level / "summary.json").read_text())
        assert summary["completed"] == 6 and summary["failed"] == 0
        assert summary["ttft_s"]["median"] >= 0.02
        assert 0 < summary["correct_goodput"] < summary["goodput"]
    requests = openai_server.requests
    nonces = {r.body["messages"][0]["content"][0]["text"] for r in requests}  # first: before the image
    images = {r.body["messages"][0]["content"][1]["image_url"]["url"] for r in requests}
    assert (
        len(nonces) == len(images) == len(requests)
    )  # cache busting: no two requests share a prefix or image
    with (out / "summary.csv").open() as fh:
        assert [row["level"] for row in csv.DictReader(fh)] == ["c1", "c2", "r50"]
    html = (out / "report.html").read_text("utf-8")
    assert "Latency CDF" in html and "TTFT = arrival of the first event carrying content" in html


def test_perf_counts_failures_and_explains_bad_input(
    openai_server: ScriptedOpenAIServer, tmp_path: Path
) -> None:
    openai_server.fail_with(500, times=3)
    out = tmp_path / "perf"
    done = perf(
        "--url",
        openai_server.url,
        "--model",
        "m",
        "--text-words",
        "5",
        "--concurrency",
        "2",
        "--num-requests",
        "8",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads((out / "c2" / "summary.json").read_text())
    assert summary["failed"] == 3 and summary["failures"] == {"http": 3} and summary["completed"] == 5
    done = perf("--url", openai_server.url, "--model", "m", "--text-words", "5", "--out", str(out))
    assert done.returncode == 2 and "no load level given" in done.stderr
    done = perf("--url", openai_server.url, "--model", "m", "--concurrency", "x", "--text-words", "3")
    assert (
        done.returncode == 2
        and "--concurrency: not a comma-separated list" in done.stderr
        and "Traceback" not in done.stderr
    )


# In-process through Typer's runner from here on: same command, no interpreter start-up per call.


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, ["perf", *args])


# key: (value in the config file, flag arguments, value from the file, value from the flag)
KEYS: dict[str, tuple[Any, list[str], Any, Any]] = {
    "url": ("http://file:1/v1", ["--url", "http://flag:2/v1"], "http://file:1/v1", "http://flag:2/v1"),
    "model": ("file-m", ["--model", "flag-m"], "file-m", "flag-m"),
    "api_key_env": ("FILE_KEY", ["--api-key-env", "FLAG_KEY"], "FILE_KEY", "FLAG_KEY"),
    "dataset": ("/file/ds", ["--dataset", "/flag/ds"], Path("/file/ds"), Path("/flag/ds")),
    "task": ("vqa", ["--task", "kie"], "vqa", "kie"),
    "limit": (3, ["--limit", "4"], 3, 4),
    "dpi": ([100], ["--dpi", "150,200"], [100], [150, 200]),
    "widths": ([800], ["--widths", "1240"], [800], [1240]),
    "text_words": (5, ["--text-words", "6"], 5, 6),
    "question": ("file q", ["--question", "flag q"], "file q", "flag q"),
    "pages_per_size": (2, ["--pages-per-size", "3"], 2, 3),
    "concurrency": ([2], ["--concurrency", "4,8"], [2], [4, 8]),
    "rate": ([1.5], ["--rate", "2.5"], [1.5], [2.5]),
    "burstiness": (0.5, ["--burstiness", "2"], 0.5, 2.0),
    "max_concurrency": (3, ["--max-concurrency", "5"], 3, 5),
    "num_requests": (7, ["--num-requests", "9"], 7, 9),
    "duration_s": (11, ["--duration-s", "12"], 11.0, 12.0),
    "warmup": (2, ["--warmup", "3"], 2, 3),
    "max_tokens": (16, ["--max-tokens", "32"], 16, 32),
    "output_range": ([4, 8], ["--output-range", "5,9"], (4, 8), (5, 9)),
    "ignore_eos": (True, ["--no-ignore-eos"], True, False),
    "timeout_s": (30, ["--timeout-s", "40"], 30.0, 40.0),
    "seed": (5, ["--seed", "6"], 5, 6),
    "cache_bust": (True, ["--no-cache-bust"], True, False),
    "slo": (
        {"ttft_s": 1, "e2e_s": 9},
        ["--slo-ttft", "2"],
        {"ttft_s": 1.0, "e2e_s": 9.0},
        {"ttft_s": 2.0, "e2e_s": 9.0},
    ),
    "correct_metric": ("cer", ["--correct-metric", "exact_match"], "cer", "exact_match"),
    "correct_threshold": (0.7, ["--correct-threshold", "0.8"], 0.7, 0.8),
    "out": ("file-out", ["--out", "flag-out"], Path("file-out"), Path("flag-out")),
    "attach": ("file-run", ["--attach", "flag-run"], Path("file-run"), Path("flag-run")),
}


@pytest.fixture
def seen_configs(monkeypatch: pytest.MonkeyPatch) -> list[PerfConfig]:
    """The `PerfConfig` each ``vlmhb perf`` call would run (nothing is sent)."""
    seen: list[PerfConfig] = []
    monkeypatch.setattr(perf_run, "run_perf", lambda cfg, progress=None: seen.append(cfg) or [])
    return seen


def test_every_config_key_is_a_flag_and_only_typed_flags_override_the_file(
    seen_configs: list[PerfConfig], tmp_path: Path
) -> None:
    assert set(KEYS) == set(PerfConfig.model_fields), "a PerfConfig key without a flag (or a stale one)"
    config = tmp_path / "perf.yaml"
    config.write_text(yaml.safe_dump({k: v[0] for k, v in KEYS.items()}), "utf-8")
    defaults = PerfConfig()
    assert invoke("--config", str(config)).exit_code == 0
    from_file = seen_configs[-1]
    flags = [arg for v in KEYS.values() for arg in v[1]]
    assert invoke("--config", str(config), *flags).exit_code == 0
    from_flags = seen_configs[-1]
    for key, (_, _, file_value, flag_value) in KEYS.items():
        assert file_value != getattr(defaults, key), f"{key}: pick a file value unlike the default"
        assert getattr(from_file, key) == file_value, f"{key}: the file's value was overridden"
        assert getattr(from_flags, key) == flag_value, f"{key}: the flag did not override the file"


def test_the_docs_table_lists_every_key_and_names_only_real_flags() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "perf.md").read_text("utf-8")
    assert [key for key in PerfConfig.model_fields if f"| `{key}` |" not in docs] == []
    command = typer.main.get_command(app).commands["perf"]  # type: ignore[attr-defined]
    flags = {name for param in command.params for name in [*param.opts, *param.secondary_opts]}
    assert sorted(set(re.findall(r"(--[a-z][a-z0-9-]+)", docs)) - flags) == []


def test_old_flag_spellings_still_work(seen_configs: list[PerfConfig]) -> None:
    assert invoke("--url", "http://h/v1", "--duration", "3", "--timeout", "4").exit_code == 0
    assert (seen_configs[-1].duration_s, seen_configs[-1].timeout_s) == (3.0, 4.0)


def test_bad_url_rate_and_concurrency_name_their_flag(seen_configs: list[PerfConfig], tmp_path: Path) -> None:
    result = invoke("--url", "notaurl", "--model", "m", "--rate", "-2", "--concurrency", "0,4")
    assert result.exit_code == 2 and "Traceback" not in result.output and not seen_configs
    assert "error: --url: expected an http(s) URL" in result.output
    assert "error: --rate: input should be greater than 0" in result.output
    assert "error: --concurrency: input should be greater than 0" in result.output
    config = tmp_path / "perf.yaml"
    config.write_text("url: localhost:8000\nconcurrency: [1]\n", "utf-8")
    result = invoke("--config", str(config))
    assert result.exit_code == 2 and f"error: {config}:1:6 (url): expected an http(s) URL" in result.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_dead_endpoint_exits_1_naming_the_error_and_not_the_client(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}/v1"
    result = invoke("--url", url, "--model", "m", "--text-words", "3", "--concurrency", "2",
                    "--num-requests", "6", "--out", str(tmp_path / "perf"))  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "level c2: all 6 requests failed; the first: connection: ConnectionRefusedError" in result.output
    assert url in result.output and "bottleneck" not in result.output
    summary = json.loads((tmp_path / "perf" / "c2" / "summary.json").read_text())
    assert summary["first_error"].startswith("connection: ") and summary["client"]["bottleneck"] is False


def test_without_a_workload_flag_the_demo_dataset_ocr_pages_are_sent(
    openai_server: ScriptedOpenAIServer, tmp_path: Path
) -> None:
    result = invoke("--url", openai_server.url, "--model", "m", "--concurrency", "1", "--num-requests", "2",
                    "--out", str(tmp_path / "perf"))  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "perf" / "c1" / "summary.json").read_text())
    assert summary["settings"]["workload"] == "demo dataset (ocr)" and summary["completed"] == 2
    demo = [
        json.loads(line)
        for line in (demo_dataset_path() / "annotation.jsonl").read_text("utf-8").splitlines()
    ]
    ocr_questions = {row["question"] for row in demo if row["task"] == "ocr"}
    for request in openai_server.requests:
        (user,) = request.body["messages"]
        assert user["content"][-1]["text"] in ocr_questions and request.image_count == 1


def test_without_prometheus_client_perf_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, openai_server: ScriptedOpenAIServer, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    monkeypatch.setitem(sys.modules, "prometheus_client.parser", None)
    result = invoke("--url", openai_server.url, "--model", "m", "--text-words", "3", "--concurrency", "1",
                    "--num-requests", "1", "--out", str(tmp_path / "perf"))  # fmt: skip
    assert result.exit_code == 2 and not isinstance(result.exception, ImportError), result.output
    assert (
        "needs prometheus-client" in result.output and "pip install 'vlmhyperbench[serve]'" in result.output
    )
    assert not openai_server.requests, "nothing is sent before the dependency is checked"


def test_attached_perf_sends_the_bodies_the_run_sent(
    openai_server: ScriptedOpenAIServer, tmp_path: Path
) -> None:
    """KIE with a system prompt and a user template: same prompts, schema, settings and image bytes."""
    from vlmhyperbench.orchestrator import run_experiment

    cfg = write_experiment(tmp_path / "e.yaml", make_kie_dataset(tmp_path / "kie"), base_url=openai_server.url,
                           task="kie", metrics=["anls"])  # fmt: skip
    data = yaml.safe_load(cfg.read_text("utf-8"))
    data["runs"][0]["prompts"] = {"system": "Ты извлекаешь поля.", "user": "Документ. {{ question }}"}
    data["runs"][0]["generation"] = {"max_tokens": 77, "temperature": 0.3}
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    result = run_experiment(cfg)
    assert result.ok, result.runs
    (sent_by_run,) = [r.body for r in openai_server.requests]
    openai_server.clear(requests=True)
    run_dir = Path(result.runs[0].run_dir)
    done = invoke("--attach", str(run_dir), "--concurrency", "1")  # url and model: the run's own
    assert done.exit_code == 0, done.output
    (sent_by_perf,) = [r.body for r in openai_server.requests]
    assert sent_by_run["response_format"]["type"] == "json_schema"
    assert sent_by_run["messages"][0] == {"role": "system", "content": "Ты извлекаешь поля."}
    assert sent_by_perf == sent_by_run
    assert (run_dir / "perf" / "c1" / "summary.json").is_file()
