"""A lean streaming HTTP/1.1 client for ``POST /v1/chat/completions``, timed with ``perf_counter``.

Why not aiohttp/httpx: their connection caps (aiohttp's 100), read buffers and per-chunk work
show up as TTFT error under load (perf-tools.md section 4.2). Here each in-flight request owns
one keep-alive connection from an uncapped pool, so the pool grows to the concurrency.

Timing: ``t_send`` is taken just before ``writer.write``; an SSE event's arrival is the moment
the read that completed it returned. Events split across reads or packed into one read are
handled by the project's one bytes-level reader (`vlmhyperbench.core.sse`); the figures are
computed by `vlmhyperbench.core.timing`, as for every other measurement. Failures are recorded
in the :class:`Exchange`, never raised.
"""

from __future__ import annotations

import asyncio
import importlib
import ssl
from collections.abc import AsyncIterator, Coroutine, Mapping
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any, TypeVar
from urllib.parse import urlsplit

from ..core.sse import DONE, MalformedEvent, SSEParser, parse_chunk
from ._records import ErrorKind

__all__ = ["ChatClient", "Exchange", "new_event_loop", "run"]

T = TypeVar("T")
_READ_SIZE = 1 << 16
_ERROR_BODY_LIMIT = 1 << 16


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A uvloop event loop when uvloop is installed, else the default asyncio loop."""
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion on :func:`new_event_loop` (uvloop when available)."""
    loop = new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


class _Failure(Exception):
    def __init__(self, kind: ErrorKind, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.status = status


class _Stale(Exception):
    """A reused keep-alive connection was closed by the server before answering."""


@dataclass(slots=True)
class Exchange:
    """Raw timings (``perf_counter`` seconds) and payload of one streamed request."""

    t_send: float | None = None
    t_end: float | None = None
    t_first_event: float | None = None
    """Arrival of the first event that is not ``[DONE]`` (often a role-only chunk)."""
    t_last_event: float | None = None
    """Arrival of the last event, ``[DONE]`` included: the end of the stream for E2E."""
    content_times: list[float] = field(default_factory=list)
    content_tokens: list[int] = field(default_factory=list)
    """Tokens carried by each content event (1 unless usage or ``token_ids`` say more)."""
    text: list[str] = field(default_factory=list)
    status: int | None = None
    usage: dict[str, Any] | None = None
    server: dict[str, Any] = field(default_factory=dict)
    done: bool = False
    error: str | None = None
    error_kind: ErrorKind | None = None
    completion_tokens_seen: int = 0


def _handle_event(ex: Exchange, payload: bytes, t: float) -> None:
    ex.t_last_event = t
    if payload == DONE:
        ex.done = True
        return
    try:
        chunk = parse_chunk(payload)
    except MalformedEvent as exc:
        raise _Failure("malformed", str(exc)) from None
    if ex.t_first_event is None:
        ex.t_first_event = t
    if chunk.error is not None:
        raise _Failure("http", chunk.error, chunk.error_code)
    content = chunk.content + chunk.reasoning  # reasoning tokens are output tokens too
    tokens = chunk.completion_tokens
    if chunk.usage is not None:
        ex.usage = chunk.usage
    if content:
        k = chunk.token_ids
        if tokens is not None and chunk.has_choices:
            k = max(k, tokens - ex.completion_tokens_seen)  # continuous_usage_stats
        ex.content_times.append(t)
        ex.content_tokens.append(max(k, 1))
        ex.text.append(content)
    if tokens is not None:
        ex.completion_tokens_seen = tokens
    if chunk.performance is not None:
        ex.server = chunk.performance


@dataclass(slots=True)
class _Conn:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    reused: bool = False


class ChatClient:
    """Streams chat completions over pooled raw HTTP/1.1 connections.

    Args:
        url: Server base URL (``http://host:port``, ``.../v1``) or the full endpoint URL.
        timeout_s: Per-request limit, connection included; ``None`` waits forever.
        headers: Extra request headers (e.g. ``Authorization``).
    """

    def __init__(
        self, url: str, timeout_s: float | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"expected an http(s) URL, got {url!r}")
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self._ssl = ssl.create_default_context() if parts.scheme == "https" else None
        path = parts.path.rstrip("/")
        if not path.endswith("/chat/completions"):
            path += "/chat/completions" if path.endswith("/v1") else "/v1/chat/completions"
        self.path = path
        self.timeout_s = timeout_s
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self._head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nAccept: text/event-stream\r\n{extra}"
        )
        self._idle: list[_Conn] = []

    async def aclose(self) -> None:
        """Close the idle pooled connections."""
        while self._idle:
            self._idle.pop().writer.close()

    async def send(self, body: bytes, request_id: int) -> Exchange:
        """Send one JSON ``body`` (already carrying ``stream: true``) and time its stream."""
        ex = Exchange()
        try:
            await asyncio.wait_for(self._send(body, request_id, ex), self.timeout_s)
        except asyncio.TimeoutError:
            ex.error_kind, ex.error = "timeout", f"no complete response within {self.timeout_s} s"
        except _Failure as f:
            ex.error_kind, ex.error = f.kind, str(f)
            ex.status = f.status if f.status is not None else ex.status
        except asyncio.IncompleteReadError:
            ex.error_kind, ex.error = "dropped", "connection closed before [DONE]"
        except (OSError, _Stale) as e:
            ex.error_kind, ex.error = "connection", f"{type(e).__name__}: {e}"
        if ex.t_end is None:
            ex.t_end = perf_counter()
        if ex.error_kind is None and not ex.content_times:
            ex.error_kind, ex.error = "no_output", "the response carried no content"
        return ex

    async def _send(self, body: bytes, request_id: int, ex: Exchange) -> None:
        request = (f"{self._head}X-Request-Id: {request_id}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        request += body
        for attempt in (0, 1):
            if self._idle:
                conn = self._idle.pop()
            else:
                reader, writer = await asyncio.open_connection(
                    self.host, self.port, ssl=self._ssl, limit=_READ_SIZE
                )
                conn = _Conn(reader, writer)
            try:
                keep = await self._exchange(conn, request, ex)
            except _Stale:
                conn.writer.close()
                if attempt == 0:
                    continue
                raise
            except BaseException:
                conn.writer.close()
                raise
            if keep:
                conn.reused = True
                self._idle.append(conn)
            else:
                conn.writer.close()
            return

    async def _exchange(self, conn: _Conn, request: bytes, ex: Exchange) -> bool:
        reader = conn.reader
        ex.t_send = perf_counter()
        conn.writer.write(request)
        status_line = await reader.readline()
        if not status_line:
            if conn.reused:
                raise _Stale("keep-alive connection closed by the server")
            raise _Failure("connection", "connection closed before a status line")
        try:
            ex.status = int(status_line.split(maxsplit=2)[1])
        except (IndexError, ValueError):
            raise _Failure("malformed", f"bad status line {status_line[:100]!r}") from None
        headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip().lower()
        keep = headers.get("connection") != "close" and (
            "content-length" in headers or headers.get("transfer-encoding") == "chunked"
        )
        if ex.status >= 400:
            data = b"".join([c async for c, _ in _body(reader, headers)])
            ex.t_end = perf_counter()
            raise _Failure("http", f"HTTP {ex.status}: {data[:_ERROR_BODY_LIMIT].decode(errors='replace')}")
        parser = SSEParser()
        async for chunk, t in _body(reader, headers):
            if ex.done:
                continue  # drain the chunked terminator so the connection can be reused
            for payload in parser.feed(chunk):
                _handle_event(ex, payload, t)
                if ex.done:
                    ex.t_end = t
                    break
        if not ex.done:
            raise _Failure("dropped", "stream ended before [DONE]")
        return keep


async def _body(reader: asyncio.StreamReader, headers: dict[str, str]) -> AsyncIterator[tuple[bytes, float]]:
    """Yield ``(bytes, arrival time)`` of a chunked, Content-Length or close-delimited body."""
    if headers.get("transfer-encoding") == "chunked":
        while True:
            size_line = await reader.readline()
            if not size_line:
                raise asyncio.IncompleteReadError(b"", None)
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                return
            data = await reader.readexactly(size + 2)
            yield data[:-2], perf_counter()
    elif "content-length" in headers:
        left = int(headers["content-length"])
        while left > 0:
            data = await reader.read(min(left, _READ_SIZE))
            if not data:
                raise asyncio.IncompleteReadError(b"", left)
            left -= len(data)
            yield data, perf_counter()
    else:
        while data := await reader.read(_READ_SIZE):
            yield data, perf_counter()
