"""``openai``: any OpenAI-compatible chat-completions endpoint, streamed and timed.

Works with vLLM, SGLang, LMDeploy, Ollama, OpenAI and DashScope's compatible mode.
Images go as base64 data URLs. With streaming (the default) the time to the first
content token and the per-token pace are measured on the client, with the project's one
SSE reader (`vlmhyperbench.core.sse`) and timing definitions (`vlmhyperbench.core.timing`);
token counts come from the server's ``usage`` (``stream_options.include_usage``). 429, 5xx, timeouts and
dropped connections are retried with exponential backoff, honouring ``Retry-After``.
The API key is read from the environment variable named by ``api_key_env`` and is
never written anywhere.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, unquote

import anyio
import httpx
from pydantic import Field, PrivateAttr, SecretStr

from ..core import ErrorInfo, Usage, UserError
from ..core.secrets import secret_from_env
from ..core.sse import DONE, MalformedEvent, SSEParser, parse_chunk
from ..core.timing import request_timing
from ._base import GenerationRequest, GenerationResult, ModelBackend, register_backend
from ._images import image_data_url

__all__ = ["SAMPLE_ID_HEADER", "OpenAIBackend", "sample_id_from_header", "sample_id_header"]

SAMPLE_ID_HEADER = "X-VLMHB-Sample-Id"
"""Names the sample a request is for (``vlmhb serve`` tags its telemetry with it)."""


def sample_id_header(sample_id: str) -> str:
    """The header value: the id percent-encoded (UTF-8), since HTTP headers carry ASCII only
    and sample ids may be Cyrillic or paths."""
    return quote(sample_id, safe="")


def sample_id_from_header(value: str | None) -> str | None:
    """The sample id a `sample_id_header` value encodes."""
    return None if value is None else unquote(value)


logger = logging.getLogger(__name__)

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


class _Attempt(Exception):
    """A failed attempt; ``retry_after`` is the server's wish, in seconds."""

    def __init__(self, error: ErrorInfo, retry_after: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


@register_backend("openai", version="1.0.0")
class OpenAIBackend(ModelBackend):
    """An OpenAI-compatible ``/v1/chat/completions`` endpoint."""

    base_url: str = Field(description="e.g. http://localhost:8000/v1")
    model: str = Field(description="model name the server expects")
    api_key_env: str | None = Field(default=None, description="name of the env var holding the key")
    stream: bool = True
    timeout_s: float = Field(default=120.0, gt=0, description="whole-request timeout")
    connect_timeout_s: float = Field(default=10.0, gt=0)
    max_attempts: int = Field(default=4, ge=1)
    backoff_base_s: float = Field(default=1.0, ge=0)
    backoff_max_s: float = Field(default=60.0, ge=0)
    structured_output: bool = Field(
        default=True, description="send response_format json_schema when a sample has a schema"
    )
    extra_body: dict[str, Any] = Field(default_factory=dict, description="merged into every request body")
    check_endpoint: bool = Field(
        default=True, description="GET /models at start to fail fast when unreachable"
    )

    _client: httpx.AsyncClient | None = PrivateAttr(default=None)
    _api_key: SecretStr | None = PrivateAttr(default=None)

    def model_label(self) -> str:
        return self.model

    async def start(self) -> None:
        if self.api_key_env:
            self._api_key = secret_from_env(self.api_key_env)
        headers = {"Authorization": f"Bearer {self._api_key.get_secret_value()}"} if self._api_key else {}
        timeout = httpx.Timeout(self.timeout_s, connect=self.connect_timeout_s)
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=64)
        self._client = httpx.AsyncClient(
            base_url=self.base_url.rstrip("/"), headers=headers, timeout=timeout, limits=limits
        )
        if self.check_endpoint:
            await self._check_reachable()

    async def _check_reachable(self) -> None:
        assert self._client is not None
        try:
            await self._client.get("/models", timeout=self.connect_timeout_s)
        except httpx.HTTPError as exc:
            await self.aclose()
            raise UserError(
                f"cannot reach the OpenAI-compatible endpoint {self.base_url}: {_describe(exc)}",
                hint="check that the server is running and base_url (with /v1) is right; "
                "set check_endpoint: false to skip this check",
            ) from None

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def describe(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "model": self.model, "stream": self.stream}

    def build_body(self, request: GenerationRequest) -> dict[str, Any]:
        """The chat-completions request body for ``request``."""
        content: list[dict[str, Any]] = [
            {"type": "image_url", "image_url": {"url": image_data_url(p)}} for p in request.images
        ]
        content.append({"type": "text", "text": request.user})
        messages: list[dict[str, Any]] = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        messages.append({"role": "user", "content": content})
        p = request.params
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": p.max_tokens,
            "temperature": p.temperature,
        }
        if p.top_p is not None:
            body["top_p"] = p.top_p
        if p.seed is not None:
            body["seed"] = p.seed
        if p.stop:
            body["stop"] = p.stop
        if self.stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        if request.json_schema is not None and self.structured_output:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": request.json_schema},
            }
        body.update(self.extra_body)
        return body

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        assert self._client is not None, "start() was not called"
        try:
            body = self.build_body(request)
        except OSError as exc:
            return GenerationResult(
                text=None, error=ErrorInfo(kind="image", message=str(exc), retryable=False)
            )
        headers = {SAMPLE_ID_HEADER: sample_id_header(request.sample_id)}
        last: _Attempt | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                with anyio.fail_after(self.timeout_s):
                    result = await (self._stream(body, headers) if self.stream else self._once(body, headers))
                result.extra["attempts"] = attempt
                return result
            except TimeoutError:
                last = _Attempt(
                    ErrorInfo(kind="timeout", message=f"no complete answer within {self.timeout_s:g} s")
                )
            except _Attempt as failed:
                last = failed
            logger.debug("sample %s attempt %d failed: %s", request.sample_id, attempt, last.error.message)
            if not last.error.retryable or attempt == self.max_attempts:
                break
            await anyio.sleep(self._backoff(attempt, last.retry_after))
        assert last is not None
        return GenerationResult(text=None, error=last.error.model_copy(update={"attempts": attempt}))

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return float(min(max(retry_after, 0.0), self.backoff_max_s))
        delay: float = self.backoff_base_s * 2 ** (attempt - 1)
        return min(delay * (0.5 + random.random() / 2), self.backoff_max_s)

    async def _once(self, body: dict[str, Any], headers: dict[str, str]) -> GenerationResult:
        assert self._client is not None
        started, t0 = time.time(), time.perf_counter()
        try:
            response = await self._client.post("/chat/completions", json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise _transport_error(exc) from None
        t_end = time.perf_counter()
        _raise_for_status(response)
        try:
            data = response.json()
            choice = data["choices"][0]
            text = choice["message"].get("content") or ""
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise _Attempt(
                ErrorInfo(kind="invalid_response", message=f"unexpected response body: {exc}")
            ) from None
        usage = _usage(data.get("usage"))
        return GenerationResult(
            text=text,
            usage=usage,
            finish_reason=choice.get("finish_reason"),
            timings=request_timing(
                t_send=t0, t_first_content=None, t_end=t_end, output_tokens=usage.completion_tokens
            ).timings(started),
            extra={"performance": data["performance"]} if isinstance(data.get("performance"), dict) else {},
        )

    async def _stream(self, body: dict[str, Any], headers: dict[str, str]) -> GenerationResult:
        assert self._client is not None
        read = _StreamRead()
        started, t0 = time.time(), time.perf_counter()
        try:
            async with self._client.stream(
                "POST", "/chat/completions", json=body, headers=headers
            ) as response:
                if response.status_code >= 400:
                    await response.aread()
                    _raise_for_status(response)
                parser = SSEParser()
                async for data in response.aiter_bytes():
                    now = time.perf_counter()
                    for payload in parser.feed(data):
                        read.event(payload, now)
                    if read.done:
                        break
        except httpx.HTTPError as exc:
            raise _transport_error(exc) from None
        t_end = read.t_last if read.t_last is not None else time.perf_counter()
        if not read.done and read.finish is None:
            raise _Attempt(
                ErrorInfo(kind="connection", message="stream ended before completion ([DONE] missing)")
            )
        usage = read.usage or Usage(completion_tokens=len(read.token_times), source="estimate")
        n_out = usage.completion_tokens
        timing = request_timing(
            t_send=t0,
            t_first_content=read.token_times[0] if read.token_times else None,
            t_end=t_end,
            output_tokens=n_out if n_out is not None else len(read.token_times),
        )
        return GenerationResult(
            text="".join(read.parts),
            usage=usage,
            finish_reason=read.finish,
            timings=timing.timings(started),
            extra={"performance": read.performance} if read.performance else {},
        )


@dataclass
class _StreamRead:
    """What a streamed answer has delivered so far; event times are ``perf_counter`` arrivals."""

    parts: list[str] = field(default_factory=list)
    token_times: list[float] = field(default_factory=list)
    usage: Usage | None = None
    performance: dict[str, Any] | None = None
    finish: str | None = None
    done: bool = False
    t_last: float | None = None

    def event(self, payload: bytes, now: float) -> None:
        if self.done:
            return
        self.t_last = now
        if payload == DONE:
            self.done = True
            return
        try:
            chunk = parse_chunk(payload)
        except MalformedEvent as exc:
            raise _Attempt(
                ErrorInfo(kind="invalid_response", message=f"malformed SSE event: {exc}")
            ) from None
        if chunk.error is not None:  # vLLM and vlmhb serve report a failure mid-stream so
            raise _Attempt(ErrorInfo(kind="invalid_response", message=f"error in stream: {chunk.error}"))
        if chunk.usage:
            self.usage = _usage(chunk.usage)
        if chunk.performance is not None:
            self.performance = chunk.performance
        if chunk.content:
            self.parts.append(chunk.content)
            self.token_times.append(now)
        self.finish = chunk.finish_reason or self.finish


def _usage(data: Any) -> Usage:
    if not isinstance(data, dict):
        return Usage()
    return Usage(
        prompt_tokens=data.get("prompt_tokens"),
        completion_tokens=data.get("completion_tokens"),
        total_tokens=data.get("total_tokens"),
        source="server",
    )


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def _raise_for_status(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        detail = response.json().get("error", {})
        message = detail.get("message") if isinstance(detail, dict) else str(detail)
    except (ValueError, AttributeError):
        message = response.text[:200]
    status = response.status_code
    raise _Attempt(
        ErrorInfo(
            kind="http",
            status=status,
            retryable=status in RETRY_STATUS,
            message=f"HTTP {status} from {response.request.url}: {message or response.reason_phrase}",
        ),
        retry_after=_retry_after(response),
    )


def _describe(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return f"connection failed ({exc or 'refused'})"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    return f"{type(exc).__name__}: {exc}"


def _transport_error(exc: httpx.HTTPError) -> _Attempt:
    if isinstance(exc, httpx.TimeoutException):
        return _Attempt(ErrorInfo(kind="timeout", message=_describe(exc)))
    return _Attempt(ErrorInfo(kind="connection", message=_describe(exc)))
