"""The API Wrapper: an OpenAI-compatible chat-completions server over any `ModelBackend`.

Each request becomes one `GenerationRequest`, answered through
`ModelBackend.generate_stream`. The wrapper times that call itself (latency, time to
the first text delta), adds the backend's token counts and GPU figures and the
watchdog's NVML sample, and returns them as ``performance`` next to the answer: in the
``chat.completion`` body, or in the final chunk of an SSE stream. Every request ends:
a backend error becomes an HTTP error (or an SSE ``error`` event), a generation that
stops producing tokens is reported by the watchdog after ``hang_after_s`` and cut off
after ``request_timeout_s``.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.background import BackgroundTask

from ..backends import GenerationRequest, GenerationResult, ModelBackend
from ..backends.openai import SAMPLE_ID_HEADER, sample_id_from_header
from ..core import ErrorInfo, ErrorKind
from ..monitor import RequestTracker, Watchdog
from ._images import DEFAULT_MAX_IMAGE_PIXELS, ImageRejected, RequestImages, decode_images
from ._metrics import ServeMetrics
from ._protocol import BadRequest, ChatCompletionRequest, Performance, StopFilter, UsageInfo, error_body

__all__ = ["create_app"]

logger = logging.getLogger(__name__)

_ERROR_TYPES = {400: "invalid_request_error", 504: "timeout"}


@dataclass
class Outcome:
    """How one generation ended: the answer with its measurements, or an error."""

    text: str
    performance: Performance
    usage: UsageInfo
    finish_reason: str = "stop"
    status: int = 200
    error: str | None = None


@dataclass
class _Service:
    backend: ModelBackend
    model_name: str
    watchdog: Watchdog | None
    request_timeout_s: float
    max_image_pixels: int
    metrics: ServeMetrics
    created: int = field(default_factory=lambda: int(time.time()))

    async def generate(
        self, rid: str, request: GenerationRequest, tracker: RequestTracker | None
    ) -> AsyncGenerator[str | Outcome, None]:
        """Text deltas (stop strings applied), then the `Outcome`; never raises, never hangs."""
        stream = self.backend.generate_stream(request)
        stops, t0 = StopFilter(request.params.stop), time.perf_counter()
        ttft: float | None = None
        deltas = 0
        result: GenerationResult | None = None
        try:
            while result is None:
                try:
                    with anyio.fail_after(max(0.001, t0 + self.request_timeout_s - time.perf_counter())):
                        item = await stream.__anext__()
                except StopAsyncIteration:
                    result = _failed("backend", "the backend ended without a result")
                    break
                except TimeoutError:
                    result = _failed(
                        "timeout",
                        f"no complete answer within request_timeout_s="
                        f"{self.request_timeout_s:g} s (see the watchdog's hang events)",
                    )
                    break
                except Exception as exc:  # a backend bug must end the request, not the server
                    logger.exception("backend raised while answering %s", rid)
                    result = _failed("backend", f"{type(exc).__name__}: {exc}")
                    break
                if isinstance(item, GenerationResult):
                    result = item
                elif item:
                    ttft = time.perf_counter() - t0 if ttft is None else ttft
                    deltas += 1
                    if tracker is not None:
                        tracker.token()
                    if out := stops.feed(item):
                        yield out
            latency = time.perf_counter() - t0
            if result.error is None and (tail := stops.finish(result.text)):
                yield tail
            yield self._outcome(rid, result, stops, latency, ttft, deltas, tracker)
        finally:
            aclose: Callable[[], Any] | None = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()

    def _outcome(
        self,
        rid: str,
        result: GenerationResult,
        stops: StopFilter,
        latency: float,
        ttft: float | None,
        deltas: int,
        tracker: RequestTracker | None,
    ) -> Outcome:
        gpu = tracker.peak_gpu_memory_used_bytes if tracker else None
        sample = self.watchdog.snapshot() if self.watchdog is not None else {}
        if gpu is None and (gpus := sample.get("gpus")):
            gpu = sum(g.get("memory_used_bytes", 0) for g in gpus)
        if result.error is not None and "out of memory" in result.error.message.lower() and self.watchdog:
            self.watchdog.record_oom(rid, result.error.message)
        events = self.watchdog.events_for(rid) if self.watchdog else []
        perf = Performance.measure(
            result, latency, ttft, deltas, gpu_memory_used_bytes=gpu, process=sample, events=events
        )
        n = perf.completion_tokens or 0
        prompt = result.usage.prompt_tokens or 0
        usage = UsageInfo(prompt_tokens=prompt, completion_tokens=n, total_tokens=prompt + n)
        if result.error is not None:
            e = result.error
            status = {"image": 400, "timeout": 504}.get(
                e.kind, e.status if e.kind == "http" and e.status else 500
            )
            return Outcome("", perf, usage, "error", status, e.message)
        finish = "stop" if stops.stopped else (result.finish_reason or "stop")
        return Outcome(stops.text, perf, usage, finish)

    async def prepare(
        self, body: ChatCompletionRequest, rid: str, sample_id: str | None
    ) -> tuple[GenerationRequest, RequestImages]:
        """The backend request and its decoded images; raises `BadRequest`."""
        system, user, urls = body.prompts()
        schema, params = body.json_schema(), body.params()
        try:
            images = await anyio.to_thread.run_sync(
                lambda: decode_images(urls, max_image_pixels=self.max_image_pixels)
            )
        except ImageRejected as exc:
            raise BadRequest(str(exc), "messages") from None
        request = GenerationRequest(
            sample_id=sample_id or rid,
            images=tuple(images.paths),
            user=user,
            system=system,
            params=params,
            json_schema=schema,
        )
        return request, images


def _failed(kind: ErrorKind, message: str) -> GenerationResult:
    return GenerationResult(text=None, error=ErrorInfo(kind=kind, message=message))


def _error(
    status: int, message: str, param: str | None = None, events: list[dict[str, Any]] | None = None
) -> JSONResponse:
    kind = _ERROR_TYPES.get(status, "invalid_request_error" if status < 500 else "server_error")
    return JSONResponse(
        error_body(message, kind=kind, code=status, param=param, events=events), status_code=status
    )


async def _chain(first: str | Outcome, rest: AsyncIterator[str | Outcome]) -> AsyncIterator[str | Outcome]:
    yield first
    async for item in rest:
        yield item


def _sse(data: Any) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def create_app(
    backend: ModelBackend,
    *,
    model_name: str,
    watchdog: Watchdog | None = None,
    request_timeout_s: float = 600.0,
    max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS,
    close_backend: bool = False,
) -> FastAPI:
    """The FastAPI app serving ``backend``, which must be started already.

    Args:
        backend: A started backend (the app does not start it).
        model_name: The name ``/v1/models`` lists and responses carry.
        watchdog: Samples resources and reports hangs; started and stopped with the app.
        request_timeout_s: A request still unanswered after this long ends with HTTP 504.
        max_image_pixels: Larger images are refused with HTTP 400 (decompression bombs).
        close_backend: Call ``backend.aclose()`` when the app shuts down (graceful server exit).
    """
    svc = _Service(backend, model_name, watchdog, request_timeout_s, max_image_pixels, ServeMetrics(watchdog))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if watchdog is not None:
            watchdog.start()
        try:
            yield
        finally:
            if watchdog is not None:
                watchdog.stop()
            if close_backend:
                await backend.aclose()

    app = FastAPI(title="VLMHyperBench API Wrapper", lifespan=lifespan)
    app.state.service = svc

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors()]
        svc.metrics.finished(400, None)
        return _error(400, "; ".join(problems) or "invalid request")

    @app.get("/health")
    def health() -> dict[str, Any]:
        age = watchdog.heartbeat_age_s if watchdog is not None else None
        return {"status": "ok", "model": model_name, "heartbeat_age_s": age}

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        card = {"id": model_name, "object": "model", "created": svc.created, "owned_by": "vlmhyperbench"}
        return {"object": "list", "data": [card]}

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(svc.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    @app.post("/v1/chat/completions")
    async def chat_completions(body: ChatCompletionRequest, request: Request) -> Response:
        rid = f"chatcmpl-{uuid.uuid4().hex}"
        try:
            sample_id = sample_id_from_header(request.headers.get(SAMPLE_ID_HEADER))
            gen_request, images = await svc.prepare(body, rid, sample_id)
        except BadRequest as exc:
            svc.metrics.finished(400, None)
            return _error(400, exc.message, exc.param)
        svc.metrics.in_flight.inc()
        tracker = watchdog.track(rid) if watchdog is not None else None
        done = False

        def cleanup() -> None:  # idempotent: the response may call it twice, or not iterate at all
            nonlocal done
            if not done:
                done = True
                images.close()
                svc.metrics.in_flight.dec()
                if tracker is not None:
                    tracker.finish()

        def record(outcome: Outcome) -> None:
            svc.metrics.finished(outcome.status, outcome.performance if outcome.error is None else None)

        head = {"id": rid, "created": int(time.time()), "model": model_name}
        events = svc.generate(rid, gen_request, tracker)
        streaming = False
        try:
            # Nothing is sent before the first delta, so an early failure keeps its HTTP status.
            first = await events.__anext__()
            if body.stream and not (isinstance(first, Outcome) and first.error is not None):
                streaming = True  # the response now owns the generation and the cleanup
                return StreamingResponse(
                    _stream(first, events, head, body.include_usage, record, cleanup),
                    media_type="text/event-stream",
                    background=BackgroundTask(cleanup),
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
                )
            outcome = await _collect(events, first)
        finally:
            if not streaming:
                await events.aclose()
                cleanup()
        record(outcome)
        if outcome.error is not None:
            return _error(outcome.status, outcome.error, events=outcome.performance.events)
        message = {"role": "assistant", "content": outcome.text}
        choice = {"index": 0, "message": message, "finish_reason": outcome.finish_reason, "logprobs": None}
        return JSONResponse(
            {
                **head,
                "object": "chat.completion",
                "choices": [choice],
                "usage": outcome.usage.model_dump(),
                "performance": outcome.performance.model_dump(),
            }
        )

    return app


async def _collect(events: AsyncIterator[str | Outcome], first: str | Outcome) -> Outcome:
    outcome = first if isinstance(first, Outcome) else None
    async for item in events:
        if isinstance(item, Outcome):
            outcome = item
    assert outcome is not None, "generate() always ends with an Outcome"
    return outcome


async def _stream(
    first: str | Outcome,
    events: AsyncIterator[str | Outcome],
    head: dict[str, Any],
    include_usage: bool,
    record: Callable[[Outcome], None],
    cleanup: Callable[[], None],
) -> AsyncIterator[str]:
    """SSE: a role chunk, one chunk per delta, a final chunk with ``performance``, usage, [DONE]."""

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return _sse({**head, "object": "chat.completion.chunk", "choices": [choice], **extra})

    try:
        yield chunk({"role": "assistant", "content": ""})
        async for item in _chain(first, events):
            if not isinstance(item, Outcome):
                yield chunk({"content": item})
                continue
            record(item)
            if item.error is not None:
                body = error_body(
                    item.error,
                    kind=_ERROR_TYPES.get(item.status, "server_error"),
                    code=item.status,
                    events=item.performance.events,
                )
                yield _sse(body)
            else:
                yield chunk({}, item.finish_reason, performance=item.performance.model_dump())
                if include_usage:
                    yield _sse(
                        {
                            **head,
                            "object": "chat.completion.chunk",
                            "choices": [],
                            "usage": item.usage.model_dump(),
                        }
                    )
        yield "data: [DONE]\n\n"
    finally:
        cleanup()
