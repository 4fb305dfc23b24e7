"""The API Wrapper (`vlmhb serve`) and the watchdog.

Two kinds of server: the real command in a subprocess, serving the tiny random Qwen2-VL
checkpoint, driven with the official ``openai`` client; and `create_app` over scripted
fake backends (in process, Starlette's TestClient) for the protocol, error and hang paths.
"""

from __future__ import annotations

import base64
import io
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, ClassVar

import anyio
import httpx
import openai
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pydantic import Field, PrivateAttr
from typer.testing import CliRunner

from tests.support.openai_server import ScriptedOpenAIServer
from tests.support.tiny_vlm import tiny_vlm_checkpoint  # noqa: F401  (fixture)
from vlmhyperbench.backends import GenerationRequest, GenerationResult, ModelBackend
from vlmhyperbench.backends.openai import OpenAIBackend
from vlmhyperbench.cli.main import app
from vlmhyperbench.cli.serve import ServeBackend, build_backend
from vlmhyperbench.core import ConfigError, ErrorInfo, Usage
from vlmhyperbench.core.json_schema import schema_errors
from vlmhyperbench.monitor import Watchdog
from vlmhyperbench.serve import create_app

PERFORMANCE_FIELDS = {
    "latency_s",
    "ttft_s",
    "tpot_s",
    "output_tokens_per_s",
    "prompt_tokens",
    "completion_tokens",
    "image_tokens",
    "peak_vram_bytes",
    "gpu_memory_used_bytes",
    "queue_s",
    "rss_bytes",
    "cpu_percent",
    "events",
}
KIE_SCHEMA = {
    "type": "object",
    "properties": {"doc": {"type": "string", "enum": ["passport", "invoice"]}, "ok": {"type": "boolean"}},
    "required": ["doc", "ok"],
    "additionalProperties": False,
}


def png_data_url(size: tuple[int, int] = (224, 224)) -> str:
    buf = io.BytesIO()
    Image.new("RGB", size, "white").save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def truncated_png_url() -> str:
    data = base64.b64decode(png_data_url((64, 64)).split(",", 1)[1])
    return "data:image/png;base64," + base64.b64encode(data[: len(data) // 2]).decode()


def png_claiming(width: int, height: int) -> bytes:
    """A 1×1 PNG whose header claims ``width`` × ``height``: a decompression bomb's calling card."""
    buf = io.BytesIO()
    Image.new("1", (1, 1)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    data[16:24] = struct.pack(">II", width, height)  # IHDR data starts after signature, length, type
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def user(*parts: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"role": "user", "content": list(parts)}]


def image(url: str) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url}}


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


# --------------------------------------------------------------------------- the real server


class Served:
    def __init__(self, url: str, process: subprocess.Popen[bytes], log: Path, events: Path) -> None:
        self.url, self.process, self.log, self.events = url, process, log, events

    @property
    def client(self) -> openai.OpenAI:
        return openai.OpenAI(base_url=f"{self.url}/v1", api_key="unused", max_retries=0, timeout=60)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(tiny_vlm_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``vlmhb serve`` on the tiny checkpoint, in a subprocess, for the whole module."""
    folder = tmp_path_factory.mktemp("serve")
    port, log, events = _free_port(), folder / "server.log", folder / "events.jsonl"
    command = [
        sys.executable,
        "-m",
        "vlmhyperbench",
        "serve",
        "--model",
        str(tiny_vlm_checkpoint),
        "--port",
        str(port),
        "--served-model-name",
        "tiny-qwen2-vl",
        "--events",
        str(events),
        "--options",
        '{"dtype": "float32"}',
        "--log-level",
        "warning",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "HF_HUB_OFFLINE": "1"}
        )
    server = Served(f"http://127.0.0.1:{port}", process, log, events)
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            pytest.fail(f"vlmhb serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"vlmhb serve did not become healthy:\n{log.read_text()}")
        time.sleep(0.2)
    yield server
    process.send_signal(signal.SIGINT)
    try:
        assert process.wait(timeout=30) == 0, log.read_text()
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(f"vlmhb serve did not stop on Ctrl-C:\n{log.read_text()}")


def test_non_streaming_answer_carries_usage_and_performance(served: Served) -> None:
    response = served.client.chat.completions.create(
        model="tiny-qwen2-vl",
        messages=[
            {"role": "system", "content": "Answer briefly."},
            *user(image(png_data_url()), text("Какой ИНН?")),
        ],
        max_tokens=8,
    )
    assert response.model == "tiny-qwen2-vl" and response.object == "chat.completion"
    assert isinstance(response.choices[0].message.content, str) and response.choices[0].message.content
    assert response.choices[0].finish_reason in ("stop", "length")
    assert (
        response.usage is not None
        and response.usage.prompt_tokens > 16
        and response.usage.completion_tokens > 0
    )
    performance = (response.model_extra or {})["performance"]
    assert set(performance) == PERFORMANCE_FIELDS
    assert 0 < performance["ttft_s"] <= performance["latency_s"]
    assert performance["image_tokens"] == 16  # a 224×224 page is 16 vision tokens for the tiny model
    assert performance["prompt_tokens"] == response.usage.prompt_tokens and performance["events"] == []


def test_streaming_deltas_then_performance_then_usage(served: Served) -> None:
    stream = served.client.chat.completions.create(
        model="tiny-qwen2-vl",
        messages=user(text("What is the total?")),
        max_tokens=8,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    deltas = [c.choices[0].delta.content or "" for c in chunks if c.choices]
    assert "".join(deltas), "no text was streamed"
    final = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(final) == 1 and set((final[0].model_extra or {})["performance"]) == PERFORMANCE_FIELDS
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert (
        chunks[-1].usage.completion_tokens == (final[0].model_extra or {})["performance"]["completion_tokens"]
    )


def test_json_schema_response_format_yields_matching_json(served: Served) -> None:
    response = served.client.chat.completions.create(
        model="tiny-qwen2-vl",
        messages=user(text("Какой тип документа?")),
        max_tokens=120,
        response_format={"type": "json_schema", "json_schema": {"name": "kie", "schema": KIE_SCHEMA}},
    )
    content = response.choices[0].message.content or ""
    assert response.choices[0].finish_reason == "stop", f"constrained decoding did not finish: {content!r}"
    assert schema_errors(json.loads(content), KIE_SCHEMA) == []


def test_models_health_and_metrics_endpoints(served: Served) -> None:
    assert [m.id for m in served.client.models.list()] == ["tiny-qwen2-vl"]
    health = httpx.get(f"{served.url}/health").json()
    assert health["status"] == "ok" and health["model"] == "tiny-qwen2-vl" and health["heartbeat_age_s"] < 5
    served.client.chat.completions.create(model="m", messages=user(text("Hi")), max_tokens=2)
    metrics = httpx.get(f"{served.url}/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    assert not served.events.exists(), "no watchdog event expected from healthy requests"
    for name in (
        'vlmhb_requests_total{status="200"}',
        "vlmhb_requests_in_flight 0.0",
        "vlmhb_request_latency_seconds_bucket",
        "vlmhb_time_to_first_token_seconds_count",
        "vlmhb_time_per_output_token_seconds_sum",
        "vlmhb_prompt_tokens_total",
        "vlmhb_completion_tokens_total",
        "vlmhb_process_rss_bytes",
        'vlmhb_watchdog_events_total{kind="hang"} 0.0',
        "vlmhb_watchdog_heartbeat_age_seconds",
    ):
        assert name in metrics.text, name


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ([image("data:image/png;base64,AAAA"), text("?")], "not an image Pillow can read"),
        ([image("data:image/png;base64,@@not base64@@"), text("?")], "base64 data is invalid"),
        ([image(truncated_png_url()), text("?")], "corrupt or truncated"),
        (
            [image("data:image/png;base64," + base64.b64encode(png_claiming(20000, 20000)).decode())],
            "decompression bomb",
        ),
        (
            [image("data:image/png;base64," + base64.b64encode(png_claiming(10000, 10000)).decode())],
            "over the limit of 50,000,000 pixels",
        ),
        ([image("https://example.com/page.png"), text("?")], "remote image URLs are not fetched"),
        ([text("?"), image("file:///etc/passwd")], "expected a data URL"),
    ],
    ids=["garbage", "bad-base64", "truncated", "bomb-20000px", "bomb-10000px", "remote-url", "file-url"],
)
def test_bad_images_are_400_with_a_reason(
    served: Served, content: list[dict[str, Any]], expected: str
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        served.client.chat.completions.create(model="m", messages=user(*content), max_tokens=2)
    assert caught.value.status_code == 400
    assert expected in caught.value.message and "image 1" in caught.value.message


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "object", "properties": {"a": {"type": "strnig"}}}, "unknown type 'strnig'"),
        (
            {"if": {"properties": {"a": {"const": 1}}}, "then": {"required": ["b"]}},
            "unsupported keyword(s) if",
        ),
        (
            {"type": "object", "properties": {"a": {"type": "string", "pattern": "(("}}},
            "not a valid JSON Schema",
        ),
        ([{"type": "object"}], "valid dictionary"),
    ],
)
def test_invalid_schemas_are_400_naming_the_problem(served: Served, schema: Any, expected: str) -> None:
    body = {
        "model": "m",
        "messages": user(text("?")),
        "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}},
    }
    response = httpx.post(f"{served.url}/v1/chat/completions", json=body, timeout=30)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert expected in error["message"] and error["type"] == "invalid_request_error"


# --------------------------------------------------------------------------- fake backends


class ScriptedBackend(ModelBackend):
    """Yields ``deltas`` then a result; can stall, raise, or fail like a real backend."""

    name: ClassVar[str] = "scripted"
    deltas: list[str] = Field(default_factory=lambda: ["Hello", ", ", "world"])
    stall_after: int | None = None
    """Stop yielding (sleep for an hour) after this many deltas."""
    raise_message: str | None = None
    error: ErrorInfo | None = None
    _seen: list[GenerationRequest] = PrivateAttr(default_factory=list)
    _image_sizes: list[tuple[int, int]] = PrivateAttr(default_factory=list)

    async def generate_stream(self, request: GenerationRequest) -> AsyncIterator[str | GenerationResult]:
        self._seen.append(request)
        for path in request.images:  # the files exist while the request runs
            with Image.open(path) as img:
                self._image_sizes.append(img.size)
        for i, delta in enumerate(self.deltas):
            if self.stall_after is not None and i >= self.stall_after:
                await anyio.sleep(3600)
            yield delta
        if self.raise_message:
            raise RuntimeError(self.raise_message)
        text = None if self.error else "".join(self.deltas)
        usage = Usage(prompt_tokens=7, completion_tokens=len(self.deltas), source="server")
        yield GenerationResult(
            text=text,
            usage=usage,
            finish_reason="stop",
            error=self.error,
            extra={"performance": {"image_tokens": 4, "peak_vram_bytes": 123}},
        )


def sse_events(response: httpx.Response) -> list[Any]:
    lines = [line[len("data: ") :] for line in response.text.splitlines() if line.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    return [json.loads(line) for line in lines[:-1]]


def test_request_maps_to_one_generation_request_and_images_are_temporary() -> None:
    backend = ScriptedBackend()
    body = {
        "model": "anything",
        "n": 1,
        "user": "ignored",
        "logprobs": False,
        "max_tokens": 5,
        "max_completion_tokens": 9,
        "temperature": 0.5,
        "top_p": 0.9,
        "seed": 3,
        "stop": "END",
        "response_format": {"type": "json_object"},
        "messages": [
            {"role": "system", "content": [text("Be brief.")]},
            {"role": "user", "content": [image(png_data_url((10, 10))), text("first")]},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": [text("second"), image(png_data_url((20, 20))), text("page two")]},
        ],
    }
    with TestClient(create_app(backend, model_name="fake")) as client:
        response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["choices"][0]["message"] == {"role": "assistant", "content": "Hello, world"}
    assert data["usage"] == {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}
    assert data["performance"]["image_tokens"] == 4 and data["performance"]["peak_vram_bytes"] == 123
    (seen,) = backend._seen
    assert (seen.system, seen.user) == ("Be brief.", "second\npage two")
    assert backend._image_sizes == [(10, 10), (20, 20)] and not any(p.exists() for p in seen.images)
    p = seen.params
    assert (p.max_tokens, p.temperature, p.top_p, p.seed, p.stop) == (9, 0.5, 0.9, 3, ["END"])
    assert seen.json_schema == {"type": "object"}


def test_a_non_ascii_sample_id_reaches_the_wrapper_intact(
    tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    """Sample ids travel percent-encoded: HTTP headers carry ASCII only (Cyrillic ids, paths)."""
    sample_id = "паспорт/стр 1.pdf"
    page = tmp_path / "p.png"
    Image.new("RGB", (8, 8), "white").save(page)
    openai_server.answers = {sample_id: "ok"}

    async def ask() -> GenerationResult:
        client = OpenAIBackend(base_url=openai_server.url, model="m", timeout_s=5)
        await client.start()
        try:
            return await client.generate(GenerationRequest(sample_id=sample_id, images=[page], user="q"))
        finally:
            await client.aclose()

    result = anyio.run(ask)
    assert result.error is None and result.text == "ok"
    header = openai_server.requests[0].headers["x-vlmhb-sample-id"]
    assert header.isascii() and openai_server.requests[0].sample_id == sample_id
    backend = ScriptedBackend()
    body = {"model": "m", "messages": [{"role": "user", "content": [text("q")]}]}
    with TestClient(create_app(backend, model_name="fake")) as wrapper:
        response = wrapper.post("/v1/chat/completions", json=body, headers={"X-VLMHB-Sample-Id": header})
    assert response.status_code == 200, response.text
    assert backend._seen[0].sample_id == sample_id


def test_stop_strings_are_applied_to_streamed_and_whole_answers() -> None:
    backend = ScriptedBackend(deltas=["ab", "c|", "|de"])
    with TestClient(create_app(backend, model_name="fake")) as client:
        body = {"messages": user(text("?")), "stop": ["||"]}
        whole = client.post("/v1/chat/completions", json=body).json()
        streamed = client.post("/v1/chat/completions", json={**body, "stream": True})
    assert whole["choices"][0]["message"]["content"] == "abc"
    events = sse_events(streamed)
    assert events[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert "".join(e["choices"][0]["delta"].get("content", "") for e in events if e["choices"]) == "abc"
    assert events[-1]["choices"][0]["finish_reason"] == "stop" and "performance" in events[-1]


def test_backend_errors_are_500_or_an_sse_error_event_and_oom_is_an_event(tmp_path: Path) -> None:
    watchdog = Watchdog(interval_s=0.05, events_path=tmp_path / "events.jsonl")
    raising = ScriptedBackend(raise_message="kaput")
    with TestClient(create_app(raising, model_name="fake", watchdog=watchdog)) as client:
        response = client.post("/v1/chat/completions", json={"messages": user(text("?"))})
        assert response.status_code == 500 and "RuntimeError: kaput" in response.json()["error"]["message"]
        streamed = client.post("/v1/chat/completions", json={"messages": user(text("?")), "stream": True})
        assert streamed.status_code == 200 and "kaput" in sse_events(streamed)[-1]["error"]["message"]
        raising.deltas = []  # nothing streamed before the failure: a plain HTTP error, even for a stream
        streamed = client.post("/v1/chat/completions", json={"messages": user(text("?")), "stream": True})
        assert streamed.status_code == 500 and "kaput" in streamed.json()["error"]["message"]
    oom = ScriptedBackend(
        error=ErrorInfo(kind="backend", message="CUDA out of memory: tried to allocate 2 GiB")
    )
    with TestClient(create_app(oom, model_name="fake", watchdog=watchdog)) as client:
        response = client.post("/v1/chat/completions", json={"messages": user(text("?"))})
        assert response.status_code == 500
        assert [e["kind"] for e in response.json()["error"]["events"]] == ["oom"]
        assert 'vlmhb_watchdog_events_total{kind="oom"} 1.0' in client.get("/metrics").text
        assert 'vlmhb_requests_total{status="500"} 1.0' in client.get("/metrics").text
    assert [json.loads(line)["kind"] for line in (tmp_path / "events.jsonl").read_text().splitlines()] == [
        "oom"
    ]


def test_each_answer_carries_the_serving_processs_memory_and_cpu(tmp_path: Path) -> None:
    watchdog = Watchdog(interval_s=0.05)
    with TestClient(create_app(ScriptedBackend(), model_name="fake", watchdog=watchdog)) as client:
        time.sleep(0.2)  # the watchdog's first samples
        body = client.post("/v1/chat/completions", json={"messages": user(text("?"))}).json()
        streamed = client.post("/v1/chat/completions", json={"messages": user(text("?")), "stream": True})
    for performance in (body["performance"], sse_events(streamed)[-1]["performance"]):
        assert performance["rss_bytes"] > 10_000_000 and performance["cpu_percent"] >= 0
    with TestClient(create_app(ScriptedBackend(), model_name="fake", watchdog=None)) as client:
        performance = client.post("/v1/chat/completions", json={"messages": user(text("?"))}).json()[
            "performance"
        ]
    assert performance["rss_bytes"] is None and performance["cpu_percent"] is None


@pytest.mark.parametrize(
    ("stream", "stall_after", "status"),
    [(False, 1, 504), (True, 1, 200), (True, 0, 504)],
    ids=["whole", "stream-after-a-token", "stream-before-any-token"],
)
def test_a_stalled_generation_is_reported_once_and_the_request_ends(
    tmp_path: Path, stream: bool, stall_after: int, status: int
) -> None:
    watchdog = Watchdog(interval_s=0.1, hang_after_s=0.5, events_path=tmp_path / "events.jsonl")
    backend = ScriptedBackend(stall_after=stall_after)
    app = create_app(backend, model_name="fake", watchdog=watchdog, request_timeout_s=1.5)
    with TestClient(app) as client:
        started = time.time()
        response = client.post("/v1/chat/completions", json={"messages": user(text("?")), "stream": stream})
        elapsed = time.time() - started
        metrics = client.get("/metrics").text
    assert 1.4 < elapsed < 5, "the request neither hung nor ended early"
    assert response.status_code == status
    # Once a token went out the status is sent: the error comes as an SSE event instead.
    error = sse_events(response)[-1]["error"] if status == 200 else response.json()["error"]
    assert error["code"] == 504 and "request_timeout_s=1.5" in error["message"]
    (hang,) = watchdog.events
    assert hang["kind"] == "hang" and error["events"] == [hang] and hang["tokens"] == stall_after
    assert 0.5 <= hang["seconds_since_token"] < 1.0 and hang["time"] - started < 1.2
    assert 'vlmhb_watchdog_events_total{kind="hang"} 1.0' in metrics
    assert 'vlmhb_requests_total{status="504"} 1.0' in metrics
    assert json.loads((tmp_path / "events.jsonl").read_text())["request_id"] == hang["request_id"]


def test_watchdog_samples_memory_and_beats() -> None:
    watchdog = Watchdog(interval_s=0.05, hang_after_s=0.2)
    watchdog.start()
    try:
        with watchdog.track("busy") as tracker:
            for _ in range(8):  # tokens keep coming: no hang
                time.sleep(0.05)
                tracker.token()
        time.sleep(0.15)
        sample = watchdog.snapshot()
        assert sample["rss_bytes"] > 10_000_000 and isinstance(sample["cpu_percent"], float)
        assert isinstance(sample.get("gpus", []), list)  # present only where NVML works
        assert watchdog.heartbeat_age_s is not None and watchdog.heartbeat_age_s < 0.5
        assert watchdog.events == []
    finally:
        watchdog.stop()


def test_validation_errors_are_openai_style_400s() -> None:
    with TestClient(create_app(ScriptedBackend(), model_name="fake")) as client:
        no_user = client.post("/v1/chat/completions", json={"messages": [{"role": "system", "content": "x"}]})
        bad_role = client.post("/v1/chat/completions", json={"messages": [{"role": "tool", "content": "x"}]})
        not_json = client.post(
            "/v1/chat/completions", content=b"{", headers={"content-type": "application/json"}
        )
        assert client.get("/health").json() == {"status": "ok", "model": "fake", "heartbeat_age_s": None}
    assert (
        no_user.status_code == 400 and no_user.json()["error"]["message"] == "the request has no user message"
    )
    assert bad_role.status_code == 400 and "messages.0.role" in bad_role.json()["error"]["message"]
    assert not_json.status_code == 400


def test_proxy_mode_forwards_and_measures(openai_server: ScriptedOpenAIServer) -> None:
    openai_server.default_answer = "Москва is the answer"
    openai_server.first_token_delay = 0.2
    backend, name = build_backend("upstream-model", ServeBackend.proxy, openai_server.url, {}, 30.0)
    assert isinstance(backend, OpenAIBackend) and backend.max_attempts == 1 and name == "upstream-model"
    with TestClient(create_app(backend, model_name=name)) as client:
        assert client.portal is not None
        client.portal.call(backend.start)
        response = client.post(
            "/v1/chat/completions", json={"messages": user(image(png_data_url()), text("?"))}
        )
        client.portal.call(backend.aclose)
    data = response.json()
    assert data["choices"][0]["message"]["content"] == "Москва is the answer"
    assert data["usage"]["completion_tokens"] == 4 and data["performance"]["ttft_s"] >= 0.2
    assert (
        openai_server.requests[0].image_count == 1
        and openai_server.requests[0].body["model"] == "upstream-model"
    )


def test_serve_options_are_checked_before_anything_starts() -> None:
    backend, name = build_backend("qwen2-vl-2b-vllm", ServeBackend.proxy, None, {}, 60.0)
    assert isinstance(backend, OpenAIBackend) and name == "qwen2-vl-2b-vllm"
    assert (backend.base_url, backend.model) == ("http://localhost:8000/v1", "Qwen/Qwen2-VL-2B-Instruct")
    cases = [
        (("some/model", ServeBackend.hf, None, {"trust_remote_code": True}), "catalogue entry"),
        (("tesseract-eng", ServeBackend.hf, None, {}), "uses backend 'tesseract'"),
        (("some/model", ServeBackend.proxy, None, {}), "needs --upstream"),
        (("some/model", ServeBackend.hf, None, {"dtype": "fp8"}), "--options.dtype"),
    ]
    for args, expected in cases:
        with pytest.raises(ConfigError, match=None) as caught:
            build_backend(*args, 60.0)
        assert expected in str(caught.value), (args, str(caught.value))


def test_a_missing_checkpoint_is_a_clear_error_with_status_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["serve", "--model", str(tmp_path / "missing"), "--port", "1"])
    assert result.exit_code == 2 and "error: checkpoint directory not found" in result.output


@pytest.mark.parametrize("module", ["uvicorn", "fastapi", "prometheus_client"])
def test_without_the_serve_extra_serve_names_it_before_loading_anything(
    module: str, openai_server: ScriptedOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    args = ["serve", "--model", "m", "--backend", "proxy", "--upstream", openai_server.url, "--port", "1"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and not isinstance(result.exception, ImportError), result.output
    dist = module.replace("_", "-")
    assert f"vlmhb serve needs {dist}, which is not installed" in result.output
    assert "pip install 'vlmhyperbench[serve]'" in result.output


def test_a_run_through_the_wrapper_keeps_its_telemetry(
    served: Served, tiny_dataset: Path, tmp_path: Path
) -> None:
    """The inference stage (openai backend) against `vlmhb serve`: the wrapper's figures land in answers.jsonl."""
    from tests.factories import write_experiment
    from vlmhyperbench.core import RunDir
    from vlmhyperbench.orchestrator import run_experiment

    cfg = write_experiment(
        tmp_path / "e.yaml",
        tiny_dataset,
        base_url=f"{served.url}/v1",
        extra_options={"model": "tiny-qwen2-vl", "timeout_s": 60},
    )
    import yaml

    data = yaml.safe_load(cfg.read_text("utf-8"))
    data["runs"][0]["generation"] = {"max_tokens": 8}
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    result = run_experiment(cfg)
    assert result.ok, result.runs
    record = RunDir(result.runs[0].run_dir).read_answers()[0]
    performance = record.extra["performance"]
    assert (
        performance["image_tokens"] > 0 and performance["completion_tokens"] == record.usage.completion_tokens
    )
    assert performance["ttft_s"] is not None and record.timings.ttft_s >= performance["ttft_s"] * 0.5
