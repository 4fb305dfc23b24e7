"""Scriptable local OpenAI chat-completions server (real HTTP + SSE) for tests.

A test double for the ``openai`` backend: uvicorn serves a Starlette app in a
background thread on ``127.0.0.1`` and every behaviour (answers, latency,
errors, hangs, broken streams) is scripted from the test thread.

Tokenisation: an answer is split into whitespace-separated words that keep
their trailing whitespace (``"a b"`` -> ``["a ", "b"]``); one SSE chunk per
token, and ``completion_tokens`` is the number of such tokens.

``drop_stream`` is a hard abort: the stream generator raises a private
exception, uvicorn closes the transport, and the chunked body is never
terminated (httpx raises ``RemoteProtocolError``). ``drop_stream`` only
applies to streaming requests; ``malformed_sse`` sends ``data: {not json``
right after the role chunk of a stream and an invalid JSON body otherwise.
Without streaming the response waits ``first_token_delay + n * token_delay``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import json
import logging
import os
import re
import signal
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

if TYPE_CHECKING:
    from typing_extensions import Self

SAMPLE_ID_HEADER = "x-vlmhb-sample-id"
IMAGE_PROMPT_TOKENS = 256
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}
SampleIds = set[str] | None
_DATA_URL = re.compile(r"^data:[\w/+.-]+;base64,(.*)$", re.DOTALL)


class _StreamDropped(Exception):
    """Raised inside a stream to make uvicorn abort the connection."""


class _QuietDrop(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        excs = [exc, *getattr(exc, "exceptions", ())]  # also look inside an ExceptionGroup
        return not any(isinstance(e, _StreamDropped) for e in excs)


logging.getLogger("uvicorn.error").addFilter(_QuietDrop())


def tokenize(text: str) -> list[str]:
    """Split ``text`` into words keeping trailing whitespace; ``"".join`` restores it."""
    return re.findall(r"\S+\s*|\s+", text)


def _image_parts(body: Any) -> Iterator[Any]:
    messages = body.get("messages") if isinstance(body, dict) else None
    for msg in messages if isinstance(messages, list) else []:
        content = msg.get("content") if isinstance(msg, dict) else None
        for part in content if isinstance(content, list) else []:
            if isinstance(part, dict) and part.get("type") == "image_url":
                yield part.get("image_url")


@dataclass
class RecordedRequest:
    """One ``POST /v1/chat/completions`` as the server saw it.

    Attributes:
        sample_id: The ``X-VLMHB-Sample-Id`` header, percent-decoded, or None.
        body: Parsed JSON body (``{}`` if it was not valid JSON).
        headers: Request headers, lowercase keys.
        received_at: ``time.monotonic()`` at arrival.
        status: HTTP status returned; 0 while still pending.
    """

    sample_id: str | None
    body: dict[str, Any]
    headers: dict[str, str]
    received_at: float
    status: int = 0

    @property
    def image_count(self) -> int:
        """Number of ``image_url`` content parts in the messages."""
        return sum(1 for _ in _image_parts(self.body))

    @property
    def stream(self) -> bool:
        """Whether the request asked for SSE streaming."""
        return bool(self.body.get("stream"))


@dataclass
class _Script:
    kind: str
    sample_ids: set[str] | None
    times: int | None
    params: dict[str, Any]
    used: dict[str | None, int] = field(default_factory=dict)

    def take(self, sample_id: str | None) -> bool:
        if self.sample_ids is not None and sample_id not in self.sample_ids:
            return False
        if self.times is None:
            return True
        key = sample_id if self.sample_ids is not None else None
        if self.used.get(key, 0) >= self.times:
            return False
        self.used[key] = self.used.get(key, 0) + 1
        return True


class ScriptedOpenAIServer:
    """OpenAI-compatible chat-completions server driven by test scripts.

    Attributes:
        model: Served model name (listed by ``GET /v1/models``).
        answers: Sample id -> answer text.
        default_answer: Answer when no ``answer_fn``/``answers`` entry applies.
        answer_fn: ``(body, sample_id) -> str``; takes precedence when set.
        first_token_delay: Seconds before the first content token.
        token_delay: Seconds before each following token.
    """

    def __init__(self, *, model: str = "scripted-vlm", host: str = "127.0.0.1", port: int = 0) -> None:
        self.model, self.host, self._port_wanted = model, host, port
        self.port: int | None = None
        self._lock = threading.Condition()
        self._requests: list[RecordedRequest] = []
        self._stopping = threading.Event()
        self._released = threading.Event()
        self._uvicorn: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.clear()
        self.app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/models", self._models, methods=["GET"]),
                Route("/health", self._health, methods=["GET"]),
            ]
        )

    # ----------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        """Base URL for the openai client, e.g. ``http://127.0.0.1:PORT/v1``."""
        return f"http://{self.host}:{self.port}/v1"

    def start(self, timeout: float = 10.0) -> Self:
        """Bind, start uvicorn in a thread and wait until it accepts connections."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._port_wanted))
        self.port = sock.getsockname()[1]
        self._stopping.clear()
        config = uvicorn.Config(
            self.app,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._uvicorn = server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"openai-server-{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("scripted OpenAI server failed to start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the server; hanging requests are released (answered with 503)."""
        self._stopping.set()
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive() and self._uvicorn is not None:
                self._uvicorn.force_exit = True
                self._thread.join(timeout)
        self._uvicorn = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ scripts
    def clear(self, requests: bool = False) -> None:
        """Reset answers, delays and failure scripts; also recorded requests if asked."""
        with self._lock:
            self._scripts: list[_Script] = []
            self._released.clear()
            if requests:
                self._requests.clear()
        self.answers: dict[str, str] = {}
        self.default_answer = "ok"
        self.answer_fn: Callable[[dict[str, Any], str | None], str] | None = None
        self.first_token_delay = 0.0
        self.token_delay = 0.0

    def release_hangs(self) -> None:
        """End the wait of every hanging request now (answered as usual), and of later ones until `clear`."""
        self._released.set()

    def _add(self, kind: str, sample_ids: SampleIds, times: int | None, **params: Any) -> None:
        ids = set(sample_ids) if sample_ids is not None else None
        with self._lock:
            self._scripts.append(_Script(kind, ids, times, params))

    def fail_with(
        self,
        status: int,
        *,
        sample_ids: SampleIds = None,
        times: int | None = None,
        retry_after: float | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        """Answer matching requests with an HTTP error and an OpenAI-style error JSON.

        Args:
            status: HTTP status code (>= 400).
            sample_ids: Only these sample ids (all requests if None).
            times: Fail only the first N matches (per sample id if ``sample_ids``).
            retry_after: Value for a ``Retry-After`` header, in seconds.
            body: JSON body replacing the default error object.
        """
        self._add("fail", sample_ids, times, status=status, retry_after=retry_after, body=body)

    def hang(self, *, sample_ids: SampleIds = None, times: int | None = None, seconds: float = 3600) -> None:
        """Sleep ``seconds`` before responding (interrupted by ``stop()``)."""
        self._add("hang", sample_ids, times, seconds=seconds)

    def drop_stream(
        self, *, sample_ids: SampleIds = None, times: int | None = None, after_tokens: int = 1
    ) -> None:
        """Abort the connection of a stream after ``after_tokens`` content chunks."""
        self._add("drop", sample_ids, times, after_tokens=after_tokens)

    def malformed_sse(self, *, sample_ids: SampleIds = None, times: int | None = None) -> None:
        """Send a ``data: {not json`` event (or an invalid JSON body without streaming)."""
        self._add("malformed", sample_ids, times)

    def _take(self, kind: str, sample_id: str | None) -> dict[str, Any] | None:
        with self._lock:
            for script in self._scripts:
                if script.kind == kind and script.take(sample_id):
                    return script.params
        return None

    # ---------------------------------------------------------------- inspection
    @property
    def requests(self) -> list[RecordedRequest]:
        """Snapshot of all recorded chat-completion requests, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def requested_sample_ids(self) -> list[str | None]:
        """Sample ids of requests answered with 200, in arrival order."""
        return [r.sample_id for r in self.requests if r.status == 200]

    @property
    def all_sample_ids(self) -> list[str | None]:
        """Sample ids of every request, failed ones included."""
        return [r.sample_id for r in self.requests]

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        """Block until at least ``count`` requests arrived; raise TimeoutError otherwise."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._requests) >= count, timeout):
                raise TimeoutError(f"{len(self._requests)} of {count} requests arrived")
            return list(self._requests)

    # ------------------------------------------------------------------ handlers
    def _waiting(self) -> bool:
        return not (self._stopping.is_set() or self._released.is_set())

    async def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        # a bounded wait that also ends on stop and on release_hangs
        while self._waiting() and (left := end - time.monotonic()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(min(left, 0.05))

    async def _health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def _models(self, request: Request) -> Response:
        model = {"id": self.model, "object": "model", "created": 0, "owned_by": "vlmhyperbench"}
        return JSONResponse({"object": "list", "data": [model]})

    @staticmethod
    def _error(
        status: int, message: str, headers: dict[str, str] | None = None, body: dict[str, Any] | None = None
    ) -> Response:
        etype = _ERROR_TYPES.get(status, "server_error" if status >= 500 else "api_error")
        payload = (
            body
            if body is not None
            else {"error": {"message": message, "type": etype, "param": None, "code": status}}
        )
        return JSONResponse(payload, status_code=status, headers=headers)

    @staticmethod
    def _validate(body: Any) -> str | None:
        if not isinstance(body, dict):
            return "request body must be a JSON object"
        if "model" not in body:
            return "'model' is required"
        messages = body.get("messages")
        if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
            return "'messages' must be a list of message objects"
        if not all(isinstance(m.get("content"), (str, list, type(None))) for m in messages):
            return "message 'content' must be a string or a list of parts"
        for image in _image_parts(body):
            url = image.get("url") if isinstance(image, dict) else image
            if not isinstance(url, str):
                return "image_url.url must be a string"
            if url.startswith("data:"):
                match = _DATA_URL.match(url)
                try:
                    base64.b64decode(match.group(1) if match else "!", validate=True)
                except (binascii.Error, ValueError):
                    return "image_url data URL is not valid base64"
        return None

    @staticmethod
    def prompt_tokens(body: dict[str, Any]) -> int:
        """Deterministic prompt size: whitespace words of text + 256 per image part."""
        words = 0
        for msg in body.get("messages", []):
            content = msg.get("content")
            if isinstance(content, str):
                content = [{"type": "text", "text": content}]
            for part in content or []:
                if isinstance(part, dict) and part.get("type") == "text":
                    words += len(str(part.get("text", "")).split())
        return words + IMAGE_PROMPT_TOKENS * sum(1 for _ in _image_parts(body))

    def _answer(self, body: dict[str, Any], sample_id: str | None) -> str:
        if self.answer_fn is not None:
            return self.answer_fn(body, sample_id)
        if sample_id is not None and sample_id in self.answers:
            return self.answers[sample_id]
        return self.default_answer

    async def _chat(self, request: Request) -> Response:
        header = request.headers.get(SAMPLE_ID_HEADER)
        sample_id = None if header is None else unquote(header)  # ids travel percent-encoded
        try:
            body: Any = json.loads(await request.body())
        except ValueError:
            body = None
        record = RecordedRequest(
            sample_id, body if isinstance(body, dict) else {}, dict(request.headers), time.monotonic()
        )
        with self._lock:
            self._requests.append(record)
            self._lock.notify_all()
        response = await self._respond(body, sample_id)
        record.status = response.status_code
        return response

    async def _respond(self, body: Any, sample_id: str | None) -> Response:
        hang = self._take("hang", sample_id)
        if hang is not None:
            await self._sleep(hang["seconds"])
            if self._stopping.is_set():
                return self._error(503, "server is shutting down")
        fail = self._take("fail", sample_id)
        if fail is not None:
            status, retry = fail["status"], fail["retry_after"]
            headers = None if retry is None else {"Retry-After": f"{retry:g}"}
            return self._error(status, f"scripted failure {status}", headers, fail["body"])
        problem = self._validate(body)
        if problem is not None:
            return self._error(400, problem)
        try:
            tokens = tokenize(self._answer(body, sample_id))
        except Exception as exc:  # noqa: BLE001 - a broken answer_fn becomes a recorded 500
            return self._error(500, f"answer_fn failed: {exc!r}")
        ident, created, model = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time()), body["model"]
        usage = {"prompt_tokens": self.prompt_tokens(body), "completion_tokens": len(tokens)}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        if not body.get("stream"):
            await self._sleep(self.first_token_delay + len(tokens) * self.token_delay)
            if self._take("malformed", sample_id) is not None:
                return Response(b"{not json", media_type="application/json")
            return JSONResponse(
                {
                    "id": ident,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "logprobs": None,
                            "message": {"role": "assistant", "content": "".join(tokens)},
                        }
                    ],
                    "usage": usage,
                }
            )
        drop, malformed = self._take("drop", sample_id), self._take("malformed", sample_id)
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and bool(options.get("include_usage"))

        head = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model}

        def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            return f"data: {json.dumps({**head, 'choices': [choice]})}\n\n"

        async def events() -> AsyncIterator[str]:
            yield chunk({"role": "assistant", "content": ""})
            if malformed is not None:
                yield "data: {not json\n\n"
            for i, token in enumerate(tokens):
                if drop is not None and i >= drop["after_tokens"]:
                    raise _StreamDropped
                await self._sleep(self.first_token_delay if i == 0 else self.token_delay)
                yield chunk({"content": token})
            if drop is not None:
                raise _StreamDropped
            yield chunk({}, "stop")
            if include_usage:
                yield f"data: {json.dumps({**head, 'choices': [], 'usage': usage})}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(
            events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )


@pytest.fixture
def openai_server() -> Iterator[ScriptedOpenAIServer]:
    """A started :class:`ScriptedOpenAIServer`, stopped after the test."""
    with ScriptedOpenAIServer() as server:
        yield server


def main(argv: list[str] | None = None) -> int:
    """Run the server as a process until SIGTERM/SIGINT (see ``--help``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", help="write the bound port here once accepting")
    parser.add_argument("--first-token-delay", type=float, default=0.0)
    parser.add_argument("--token-delay", type=float, default=0.0)
    parser.add_argument("--answer", default="ok")
    parser.add_argument("--model", default="scripted-vlm")
    args = parser.parse_args(argv)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    server = ScriptedOpenAIServer(model=args.model, host=args.host, port=args.port)
    server.first_token_delay, server.token_delay = args.first_token_delay, args.token_delay
    server.default_answer = args.answer
    server.start()
    if args.port_file:
        tmp = f"{args.port_file}.tmp{os.getpid()}"
        with open(tmp, "w") as fh:
            fh.write(str(server.port))
        os.replace(tmp, args.port_file)
    print(f"serving {server.url}", flush=True)
    while not done.wait(0.2):
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
