"""A streaming chat-completions server with known timings, on raw asyncio, for perf fidelity tests.

It runs on the test's own event loop (no uvicorn, no thread), so the ``perf_counter`` it logs
just before writing each SSE event is the truth the client's measurements are compared with.

Per request: a role-only chunk at once, then ``first_token_delay``, then one content chunk per
``tokens_per_chunk`` tokens every ``token_delay``, a finish chunk with ``performance``, the
usage chunk and ``[DONE]``; each event is one HTTP chunk flushed with ``drain()``. With
``tokens_per_chunk > 1`` (or ``stream_options.continuous_usage_stats`` in the body) every
content chunk carries cumulative ``usage``. Misbehaviour is chosen by ``mode`` or, per request,
by an ``x_mode`` key in the body: ``429``, ``500``, ``hang`` (never answers), ``drop`` (closes
mid-stream), ``malformed`` (an unparsable event), ``no_output`` (no content).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from time import perf_counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing_extensions import Self


@dataclass
class TimingConfig:
    """How the server answers."""

    first_token_delay: float = 0.05
    token_delay: float = 0.01
    tokens: int = 20
    tokens_per_chunk: int = 1
    mode: str = "ok"
    cached_tokens: int = 0


@dataclass
class RequestLog:
    """Server-side truth for one request (``perf_counter`` seconds)."""

    received: float
    mode: str
    event_times: list[float] = field(default_factory=list)
    content_times: list[float] = field(default_factory=list)
    content_tokens: list[int] = field(default_factory=list)

    @property
    def ttft(self) -> float:
        """First content event written − request fully read."""
        return self.content_times[0] - self.received

    @property
    def itl(self) -> list[float]:
        """Gaps between content events, a k-token chunk giving k gaps of gap/k."""
        out: list[float] = []
        for j in range(1, len(self.content_times)):
            k = self.content_tokens[j]
            out += [(self.content_times[j] - self.content_times[j - 1]) / k] * k
        return out


class TimingServer:
    """Start with ``await server.start()``; ``logs`` maps the ``X-Request-Id`` header to its truth."""

    def __init__(self, config: TimingConfig | None = None) -> None:
        self.config = config or TimingConfig()
        self.logs: dict[str, RequestLog] = {}
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while await reader.readline():
                headers = {}
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode().partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = json.loads(await reader.readexactly(int(headers.get("content-length", "0"))))
                log = RequestLog(perf_counter(), body.get("x_mode", self.config.mode))
                self.logs[headers.get("x-request-id", str(len(self.logs)))] = log
                if not await self._respond(reader, writer, body, log):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # a client that went away, or stop(): asyncio would log a cancelled handler
        finally:
            writer.close()
            self._tasks.discard(task)

    async def _respond(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        body: dict[str, Any],
        log: RequestLog,
    ) -> bool:
        cfg, mode = self.config, log.mode
        if mode in ("429", "500"):
            data = json.dumps({"error": {"message": f"scripted {mode}", "code": int(mode)}}).encode()
            writer.write(f"HTTP/1.1 {mode} Error\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data)
            await writer.drain()
            return True
        if mode == "hang":
            await reader.read()  # until the client gives up and closes
            return False
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        k = cfg.tokens_per_chunk
        per_chunk_usage = k > 1 or bool((body.get("stream_options") or {}).get("continuous_usage_stats"))

        async def send(payload: str, tokens: int = 0) -> None:
            data = f"data: {payload}\n\n".encode()
            t = perf_counter()
            log.event_times.append(t)
            if tokens:
                log.content_times.append(t)
                log.content_tokens.append(tokens)
            writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            await writer.drain()

        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
            choice = {"index": 0, "delta": delta, "finish_reason": finish}
            return json.dumps({"object": "chat.completion.chunk", "choices": [choice], **extra})

        await send(chunk({"role": "assistant", "content": ""}))
        if mode == "malformed":
            await send("{not json")
        sent = 0
        if mode != "no_output":
            await asyncio.sleep(cfg.first_token_delay)
            while sent < cfg.tokens:
                if sent:
                    await asyncio.sleep(cfg.token_delay)
                n = min(k, cfg.tokens - sent)
                sent += n
                extra: dict[str, Any] = {"usage": {"prompt_tokens": 10, "completion_tokens": sent}}
                await send(chunk({"content": "tok " * n}, **(extra if per_chunk_usage else {})), tokens=n)
                if mode == "drop" and sent * 2 >= cfg.tokens:
                    writer.transport.abort()
                    return False
        await send(chunk({}, "stop", performance={"queue_s": 0.0, "decode_s": cfg.token_delay * sent}))
        usage: dict[str, Any] = {"prompt_tokens": 10, "completion_tokens": sent, "total_tokens": 10 + sent}
        usage["prompt_tokens_details"] = {"cached_tokens": cfg.cached_tokens}
        await send(json.dumps({"object": "chat.completion.chunk", "choices": [], "usage": usage}))
        await send("[DONE]")
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True
