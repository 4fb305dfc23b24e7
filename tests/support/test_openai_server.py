"""Tests of the scripted OpenAI-compatible test server itself."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openai
import pytest

from . import openai_server as server_module
from .openai_server import ScriptedOpenAIServer, tokenize

openai_server = server_module.openai_server  # the fixture under test, re-exported like conftest

REPO_ROOT = Path(__file__).resolve().parents[2]
PNG_URL = "data:image/png;base64," + base64.b64encode(b"\x89PNG fake").decode()
MESSAGES = [
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "read this page"},
            {"type": "image_url", "image_url": {"url": PNG_URL}},
        ],
    }
]


def _client(server: ScriptedOpenAIServer, **kwargs: object) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url, api_key="test", **kwargs)  # type: ignore[arg-type]


def _post(server: ScriptedOpenAIServer, body: dict, sample_id: str | None = None, **kw: object):
    headers = {"X-VLMHB-Sample-Id": sample_id} if sample_id else {}
    return httpx.post(f"{server.url}/chat/completions", json=body, headers=headers, **kw)


def test_tokenize_roundtrip() -> None:
    assert tokenize("Hello  big world\n") == ["Hello  ", "big ", "world\n"]
    assert "".join(tokenize(" a b ")) == " a b "
    assert tokenize("") == []


def test_openai_client_non_streaming(openai_server: ScriptedOpenAIServer) -> None:
    openai_server.answers["s1"] = "Total: 42 RUB"
    resp = _client(openai_server).chat.completions.create(
        model="scripted-vlm", messages=MESSAGES, extra_headers={"X-VLMHB-Sample-Id": "s1"}
    )
    assert resp.object == "chat.completion"
    assert resp.choices[0].message.content == "Total: 42 RUB"
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage is not None
    assert (resp.usage.prompt_tokens, resp.usage.completion_tokens) == (3 + 256, 3)
    assert resp.usage.total_tokens == 262
    (req,) = openai_server.requests
    assert (req.sample_id, req.status, req.image_count, req.stream) == ("s1", 200, 1, False)
    assert req.headers["x-vlmhb-sample-id"] == "s1" and req.body["model"] == "scripted-vlm"


def test_openai_client_streaming_with_usage(openai_server: ScriptedOpenAIServer) -> None:
    openai_server.default_answer = "one two three"
    stream = _client(openai_server).chat.completions.create(
        model="scripted-vlm", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "one two three"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 3
    assert len(chunks) == 1 + 3 + 1 + 1
    assert openai_server.requests[0].stream


def test_raw_sse_framing_and_done(openai_server: ScriptedOpenAIServer) -> None:
    body = {"model": "m", "messages": MESSAGES, "stream": True}
    with httpx.stream("POST", f"{openai_server.url}/chat/completions", json=body) as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        events = [line for line in resp.iter_lines() if line]
    assert events[-1] == "data: [DONE]"
    assert all(json.loads(e[6:])["choices"] for e in events[:-1])  # no usage chunk


def test_fail_with_429_then_success(openai_server: ScriptedOpenAIServer) -> None:
    openai_server.fail_with(429, times=1, retry_after=0.1)
    first = _post(openai_server, {"model": "m", "messages": MESSAGES}, "s1")
    assert first.status_code == 429 and first.headers["retry-after"] == "0.1"
    assert first.json()["error"]["code"] == 429
    assert first.json()["error"]["type"] == "rate_limit_error"
    openai_server.clear(requests=True)
    openai_server.fail_with(429, times=1, retry_after=0.1)
    started = time.monotonic()
    resp = _client(openai_server, max_retries=2).chat.completions.create(
        model="m", messages=MESSAGES, extra_headers={"X-VLMHB-Sample-Id": "s2"}
    )
    assert resp.choices[0].message.content == "ok"
    assert time.monotonic() - started >= 0.1
    assert [r.status for r in openai_server.requests] == [429, 200]
    assert openai_server.all_sample_ids == ["s2", "s2"]
    assert openai_server.requested_sample_ids == ["s2"]


def test_fail_with_per_sample_times_and_custom_body(openai_server: ScriptedOpenAIServer) -> None:
    openai_server.fail_with(500, sample_ids={"a", "b"}, times=1, body={"detail": "boom"})
    body = {"model": "m", "messages": MESSAGES}
    codes = [_post(openai_server, body, sid).status_code for sid in ["a", "c", "b", "a", "b"]]
    assert codes == [500, 200, 500, 200, 200]
    assert _post(openai_server, body, "zz").status_code == 200
    openai_server.fail_with(503)
    resp = _post(openai_server, body, "a")
    assert resp.status_code == 503 and "retry-after" not in resp.headers
    with pytest.raises(openai.InternalServerError):
        _client(openai_server, max_retries=0).chat.completions.create(model="m", messages=MESSAGES)


def test_hang_client_timeout_and_prompt_stop() -> None:
    server = ScriptedOpenAIServer().start()
    try:
        server.hang(sample_ids={"slow"})
        with pytest.raises(httpx.ReadTimeout):
            _post(server, {"model": "m", "messages": MESSAGES}, "slow", timeout=0.3)
        with pytest.raises(openai.APITimeoutError):
            _client(server, max_retries=0, timeout=0.3).chat.completions.create(
                model="m", messages=MESSAGES, extra_headers={"X-VLMHB-Sample-Id": "slow"}
            )
        fast = _post(server, {"model": "m", "messages": MESSAGES}, "fast", timeout=2)
        assert fast.status_code == 200  # hanging requests do not block others
    finally:
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 2.0
    assert server.all_sample_ids == ["slow", "slow", "fast"]
    assert server.requested_sample_ids == ["fast"]


def test_drop_stream_is_incomplete(openai_server: ScriptedOpenAIServer) -> None:
    openai_server.default_answer = "alpha beta gamma delta"
    openai_server.drop_stream(times=1, after_tokens=2)
    body = {"model": "m", "messages": MESSAGES, "stream": True}
    lines: list[str] = []
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream("POST", f"{openai_server.url}/chat/completions", json=body) as resp,
    ):
        assert resp.status_code == 200
        lines.extend(line for line in resp.iter_lines() if line)
    assert len(lines) == 3 and "data: [DONE]" not in lines  # role + 2 content chunks
    with httpx.stream("POST", f"{openai_server.url}/chat/completions", json=body) as resp:
        assert [line for line in resp.iter_lines() if line][-1] == "data: [DONE]"  # times=1 used
    openai_server.drop_stream(after_tokens=0)
    with pytest.raises(openai.APIConnectionError):
        list(
            _client(openai_server, max_retries=0).chat.completions.create(
                model="m", messages=MESSAGES, stream=True
            )
        )
    assert openai_server.requested_sample_ids == [None, None, None]  # 200 headers were sent


def test_malformed_sse(openai_server: ScriptedOpenAIServer) -> None:
    openai_server.malformed_sse(times=2)
    body = {"model": "m", "messages": MESSAGES, "stream": True}
    with httpx.stream("POST", f"{openai_server.url}/chat/completions", json=body) as resp:
        lines = [line for line in resp.iter_lines() if line]
    assert lines[1] == "data: {not json" and lines[-1] == "data: [DONE]"
    plain = _post(openai_server, {"model": "m", "messages": MESSAGES})
    with pytest.raises(ValueError):
        plain.json()
    assert _post(openai_server, {"model": "m", "messages": MESSAGES}).json()["object"]


def test_per_sample_answers_and_answer_fn(openai_server: ScriptedOpenAIServer) -> None:
    openai_server.answers = {"a": "answer A", "b": "answer B"}
    body = {"model": "m", "messages": MESSAGES}
    got = {
        sid: _post(openai_server, body, sid).json()["choices"][0]["message"]["content"]
        for sid in ["a", "b", "c"]
    }
    assert got == {"a": "answer A", "b": "answer B", "c": "ok"}
    openai_server.answer_fn = lambda body, sid: f"{sid}:{body['model']}"
    assert _post(openai_server, body, "a").json()["choices"][0]["message"]["content"] == "a:m"
    assert openai_server.requested_sample_ids == ["a", "b", "c", "a"]


def test_validation_errors(openai_server: ScriptedOpenAIServer) -> None:
    bad_image = [
        {
            "role": "user",
            "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,@@not-b64@@"}}],
        }
    ]
    for body in [
        {"messages": MESSAGES},
        {"model": "m"},
        {"model": "m", "messages": "hi"},
        {"model": "m", "messages": bad_image},
    ]:
        resp = _post(openai_server, body)
        assert resp.status_code == 400, body
        assert resp.json()["error"]["type"] == "invalid_request_error"
    resp = httpx.post(f"{openai_server.url}/chat/completions", content=b"{oops")
    assert resp.status_code == 400
    assert [r.status for r in openai_server.requests] == [400] * 5
    assert openai_server.requests[3].image_count == 1
    assert openai_server.requested_sample_ids == []


def test_models_health_and_delays(openai_server: ScriptedOpenAIServer) -> None:
    assert httpx.get(openai_server.url.removesuffix("/v1") + "/health").json() == {"status": "ok"}
    models = _client(openai_server).models.list()
    assert [m.id for m in models.data] == ["scripted-vlm"]
    openai_server.first_token_delay, openai_server.token_delay = 0.2, 0.05
    openai_server.default_answer = "a b c"
    body = {"model": "m", "messages": MESSAGES, "stream": True}
    started = time.monotonic()
    stamps: list[float] = []
    with httpx.stream("POST", f"{openai_server.url}/chat/completions", json=body) as resp:
        for line in resp.iter_lines():
            if line.startswith("data: {") and '"content": "' in line and '"role"' not in line:
                stamps.append(time.monotonic() - started)
    # Lower bounds only: a loaded client may read several chunks at once.
    assert len(stamps) == 3 and stamps[0] >= 0.2 and stamps[2] >= 0.2 + 2 * 0.05
    started = time.monotonic()
    _post(openai_server, {"model": "m", "messages": MESSAGES})
    assert time.monotonic() - started >= 0.2 + 3 * 0.05
    assert openai_server.wait_for_requests(2, timeout=0.1)[0].received_at >= 0


def test_separate_process_with_port_file(tmp_path: Path) -> None:
    port_file = tmp_path / "port"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.openai_server",
            "--port",
            "0",
            "--port-file",
            str(port_file),
            "--answer",
            "from process",
            "--token-delay",
            "0",
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20  # generous: imports are slow on a loaded machine
        while not port_file.exists():
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "port file never appeared"
            time.sleep(0.02)
        url = f"http://127.0.0.1:{int(port_file.read_text())}/v1"
        resp = openai.OpenAI(base_url=url, api_key="x").chat.completions.create(
            model="scripted-vlm", messages=MESSAGES
        )
        assert resp.choices[0].message.content == "from process"
    finally:
        proc.terminate()
        assert proc.wait(timeout=5) == 0  # SIGTERM handled: clean exit
