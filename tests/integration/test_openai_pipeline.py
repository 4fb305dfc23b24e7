"""The whole pipeline against a real local chat-completions server with SSE streaming."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import anyio
import pytest

from tests.factories import make_kie_dataset, write_experiment
from tests.support.openai_server import ScriptedOpenAIServer
from vlmhyperbench.backends import GenerationRequest, GenerationResult
from vlmhyperbench.backends.openai import OpenAIBackend
from vlmhyperbench.core import RunDir
from vlmhyperbench.orchestrator import run_experiment

ANSWERS = {"s-001": "ИВАНОВ", "s-002": "Пётр", "s-003": "ИНН 7707083893"}


def run(cfg: Path, **kwargs):  # type: ignore[no-untyped-def]
    return run_experiment(cfg, **kwargs)


def test_end_to_end_streaming_run(
    tiny_dataset: Path, openai_server: ScriptedOpenAIServer, tmp_path: Path
) -> None:
    openai_server.answers = dict(ANSWERS)
    openai_server.first_token_delay = 0.05
    openai_server.token_delay = 0.01
    result = run(write_experiment(tmp_path / "e.yaml", tiny_dataset, base_url=openai_server.url))
    assert result.ok, result.runs
    run_dir = RunDir(result.runs[0].run_dir)
    records = run_dir.read_answers()
    assert sorted(r.sample_id for r in records) == ["s-001", "s-002", "s-003"]
    rec = {r.sample_id: r for r in records}["s-001"]
    assert rec.answer == "ИВАНОВ" and rec.prompt.user == "Какая фамилия?" and rec.prompt.source == "question"
    assert rec.usage.source == "server" and rec.usage.completion_tokens == 1
    assert rec.timings.ttft_s >= 0.05 and rec.timings.latency_s >= rec.timings.ttft_s
    body = openai_server.requests[0].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert openai_server.requests[0].image_count == 1
    by_id = (run_dir.metrics_dir / "metrics_by_id.csv").read_text().splitlines()
    assert by_id[0] == "sample_id,anls,exact_match,cer"
    summary = json.loads(run_dir.metrics_json.read_text())
    general = summary["aggregates"]["general"][0]["values"]
    assert general["exact_match"] == pytest.approx(
        2 / 3
    )  # "Пётр" equals "ПЁТР" after lower; "ИНН …" does not
    manifest = run_dir.read_manifest()
    assert manifest.status == "completed" and manifest.dataset_fingerprint.startswith("sha256:")
    assert manifest.stages["infer"].counts == {"total": 3, "ok": 3, "reused": 0, "new": 3, "failed": 0}
    assert "metric:anls" in manifest.registry and manifest.packages["vlmhyperbench"]


def test_429_500_and_timeouts_are_retried(
    tiny_dataset: Path, openai_server: ScriptedOpenAIServer, tmp_path: Path
) -> None:
    openai_server.answers = dict(ANSWERS)
    openai_server.fail_with(429, sample_ids={"s-001"}, times=1, retry_after=0.4)
    openai_server.fail_with(500, sample_ids={"s-002"}, times=2)
    openai_server.hang(sample_ids={"s-003"}, times=1)
    cfg = write_experiment(
        tmp_path / "e.yaml", tiny_dataset, base_url=openai_server.url, extra_options={"timeout_s": 1.0}
    )
    result = run(cfg)
    assert result.ok
    records = {r.sample_id: r for r in RunDir(result.runs[0].run_dir).read_answers()}
    assert all(r.ok for r in records.values())
    assert records["s-001"].extra["attempts"] == 2
    assert records["s-002"].extra["attempts"] == 3
    assert records["s-003"].extra["attempts"] == 2
    assert openai_server.all_sample_ids.count("s-002") == 3
    first, second = [r.received_at for r in openai_server.requests if r.sample_id == "s-001"]
    assert second - first >= 0.4, "Retry-After was not honoured (backoff base is 0.01 s)"


def test_dropped_stream_and_malformed_sse_are_retried(
    tiny_dataset: Path, openai_server: ScriptedOpenAIServer, tmp_path: Path
) -> None:
    openai_server.answers = {"s-001": "один два три", "s-002": "x", "s-003": "y"}
    openai_server.drop_stream(sample_ids={"s-001"}, times=1, after_tokens=1)
    openai_server.malformed_sse(sample_ids={"s-002"}, times=1)
    result = run(write_experiment(tmp_path / "e.yaml", tiny_dataset, base_url=openai_server.url))
    records = {r.sample_id: r for r in RunDir(result.runs[0].run_dir).read_answers()}
    assert records["s-001"].answer == "один два три" and records["s-001"].extra["attempts"] == 2
    assert records["s-002"].answer == "x" and records["s-002"].extra["attempts"] == 2


def test_resume_requests_only_failed_samples(
    tiny_dataset: Path, openai_server: ScriptedOpenAIServer, tmp_path: Path
) -> None:
    openai_server.answers = dict(ANSWERS)
    openai_server.fail_with(500, sample_ids={"s-002"})
    cfg = write_experiment(
        tmp_path / "e.yaml", tiny_dataset, base_url=openai_server.url, extra_options={"max_attempts": 2}
    )
    first = run(cfg)
    run_dir = RunDir(first.runs[0].run_dir)
    failed = run_dir.latest_answers()["s-002"]
    assert failed.answer is None and failed.error.kind == "http" and failed.error.status == 500
    assert failed.error.attempts == 2
    assert first.runs[0].counts["failed"] == 1
    openai_server.clear(requests=True)
    second = run(cfg)
    assert openai_server.requested_sample_ids == ["s-002"]
    assert second.runs[0].counts == {"total": 3, "ok": 3, "reused": 2, "new": 1, "failed": 0}
    assert all(r.ok for r in run_dir.latest_answers().values())


def test_unreachable_endpoint_fails_the_run_clearly(tiny_dataset: Path, tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run(write_experiment(tmp_path / "e.yaml", tiny_dataset, base_url=f"http://127.0.0.1:{port}/v1"))
    (outcome,) = result.runs
    assert outcome.status == "failed"
    assert f"cannot reach the OpenAI-compatible endpoint http://127.0.0.1:{port}/v1" in outcome.error
    manifest = RunDir(outcome.run_dir).read_manifest()
    assert manifest.status == "failed" and manifest.stages["infer"].status == "failed"


def test_changed_prompts_refuse_old_answers(
    tiny_dataset: Path, openai_server: ScriptedOpenAIServer, tmp_path: Path
) -> None:
    import yaml

    cfg = write_experiment(tmp_path / "e.yaml", tiny_dataset, base_url=openai_server.url)
    assert run(cfg).ok
    data = yaml.safe_load(cfg.read_text("utf-8"))
    data["runs"][0]["prompts"] = {"user": "Ответь: {{ question }}"}
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    result = run(cfg)
    assert not result.ok and 'prompts.user: null → "Ответь: {{ question }}"' in result.runs[0].error
    result = run(cfg, fresh=True)
    assert result.ok
    assert list(tmp_path.glob("runs/exp/r1.old-*")), "old answers are moved aside, not deleted"


def test_api_key_is_sent_but_never_written(
    tiny_dataset: Path, openai_server: ScriptedOpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-test-7f3a9c1e5b"
    monkeypatch.setenv("VLMHB_TEST_KEY", secret)
    cfg = write_experiment(
        tmp_path / "e.yaml",
        tiny_dataset,
        base_url=openai_server.url,
        extra_options={"api_key_env": "VLMHB_TEST_KEY"},
    )
    result = run(cfg)
    assert result.ok
    assert openai_server.requests[0].headers["authorization"] == f"Bearer {secret}"
    for path in result.root.rglob("*"):
        if path.is_file():
            assert secret not in path.read_text("utf-8", errors="replace"), path
    monkeypatch.delenv("VLMHB_TEST_KEY")
    result = run(cfg, fresh=True)
    assert "environment variable VLMHB_TEST_KEY is not set" in result.runs[0].error


def test_invalid_json_where_json_is_expected_is_counted_not_fatal(
    openai_server: ScriptedOpenAIServer, tmp_path: Path
) -> None:
    dataset = make_kie_dataset(tmp_path / "kie")
    openai_server.default_answer = '{"inn": "7707083893", "kpp": '
    cfg = write_experiment(
        tmp_path / "e.yaml", dataset, base_url=openai_server.url, task="kie", metrics=["anls", "cer"]
    )
    result = run(cfg)
    assert result.ok
    body = openai_server.requests[0].body
    assert body["response_format"]["type"] == "json_schema"
    run_dir = RunDir(result.runs[0].run_dir)
    (row,) = [json.loads(line) for line in (run_dir.metrics_dir / "samples.jsonl").read_text().splitlines()]
    assert row["invalid"].startswith("invalid JSON") and row["scores"]["anls"] == 0.0
    assert row["answer"] == '{"inn": "7707083893", "kpp": '  # the raw answer is kept
    openai_server.default_answer = '```json\n{"kpp": "770701001", "inn": "7707083893"}\n```'
    result = run(cfg, fresh=True)
    (row,) = [
        json.loads(line)
        for line in (RunDir(result.runs[0].run_dir).metrics_dir / "samples.jsonl").read_text().splitlines()
    ]
    assert row["invalid"] is None and row["scores"]["anls"] == 1.0


def test_a_hung_generation_is_recorded_not_waited_for(
    tiny_dataset: Path, openai_server: ScriptedOpenAIServer, tmp_path: Path
) -> None:
    import yaml

    openai_server.answers = dict(ANSWERS)
    openai_server.hang(sample_ids={"s-002"}, seconds=30)
    cfg = write_experiment(
        tmp_path / "e.yaml",
        tiny_dataset,
        base_url=openai_server.url,
        extra_options={"timeout_s": 60, "max_attempts": 1},
    )
    data = yaml.safe_load(cfg.read_text("utf-8"))
    data["runs"][0]["hang_after_s"] = 0.5
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    result = run(cfg)
    latest = RunDir(result.runs[0].run_dir).latest_answers()
    hung = latest["s-002"]
    assert hung.error.kind == "timeout" and "no token for 0.5 s" in hung.error.message
    assert hung.extra["events"][0]["kind"] == "hang"
    assert latest["s-001"].ok and latest["s-003"].ok


async def _raw_stream(pieces: list[bytes], request: GenerationRequest) -> GenerationResult:
    """The openai backend against a server that writes ``pieces`` as separate chunked reads."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(v)
            for k, _, v in (ln.partition(b":") for ln in head.split(b"\r\n"))
            if k.lower() == b"content-length"
        )
        await reader.readexactly(length)
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        for piece in pieces:
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            await writer.drain()
            await asyncio.sleep(0.01)  # each piece is its own read
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    backend = OpenAIBackend(
        base_url=f"http://127.0.0.1:{port}/v1", model="m", check_endpoint=False, max_attempts=1
    )
    await backend.start()
    try:
        return await backend.generate(request)
    finally:
        await backend.aclose()
        server.close()


def test_the_backend_reads_any_well_formed_sse_and_times_it_by_the_one_definition() -> None:
    """CRLF, comments, data: without a space, an event and a UTF-8 letter split across reads."""
    pieces = [
        b": keep-alive\r\n\r\n",
        b'data:{"choices":[{"delta":{"role":"assistant","content":""}}]}\r\n\r\n',
        b'data: {"choices":[{"delta":{"content":"\xd0\x98\xd0',  # "И", then half of "Н"
        b'\x9d\xd0\x9d"}}]}\r\n\r\ndata: {"choices":[{"delta":{"content":" 77"}}]}\n\n',
        (  # two events in one read
            b'data: {"choices":[{"delta":{},"finish_reason":"stop"}]}\n\n'
            b'data: {"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}\n\n'
        ),
        b"data: [DONE]\n\n",
    ]
    result = anyio.run(_raw_stream, pieces, GenerationRequest(sample_id="s", images=(), user="?"))
    assert result.error is None and result.text == "ИНН 77" and result.finish_reason == "stop"
    assert result.usage.completion_tokens == 2 and result.usage.source == "server"
    t = result.timings
    assert t is not None and t.ttft_s is not None and 0.02 < t.ttft_s < t.latency_s
    assert t.tpot_s == pytest.approx(t.latency_s - t.ttft_s)  # (E2E − TTFT) / (2 − 1)
    assert t.output_tokens_per_s == pytest.approx(1 / (t.latency_s - t.ttft_s))


def test_an_error_event_mid_stream_fails_the_answer() -> None:
    pieces = [
        b'data: {"choices":[{"delta":{"content":"x"}}]}\n\n',
        b'data: {"error":{"message":"CUDA out of memory","type":"server_error","code":500}}\n\n',
        b"data: [DONE]\n\n",
    ]
    result = anyio.run(_raw_stream, pieces, GenerationRequest(sample_id="s", images=(), user="?"))
    assert result.text is None and result.error is not None
    assert (
        result.error.kind == "invalid_response"
        and "error in stream: CUDA out of memory" in result.error.message
    )
