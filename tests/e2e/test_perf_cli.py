"""`vlmhb perf` as a user runs it, against a real local streaming server."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

from tests.support.openai_server import ScriptedOpenAIServer


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
    done = perf("--url", openai_server.url, "--model", "m", "--concurrency", "1", "--out", str(out))
    assert done.returncode == 2 and "no workload given" in done.stderr
    done = perf("--url", openai_server.url, "--model", "m", "--concurrency", "x", "--text-words", "3")
    assert (
        done.returncode == 2
        and "not a comma-separated list" in done.stderr
        and "Traceback" not in done.stderr
    )
