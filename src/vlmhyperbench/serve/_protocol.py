"""The OpenAI chat-completions subset the API Wrapper accepts, and what it answers.

Requests: unknown fields are ignored, as vLLM and SGLang ignore them, so clients that
send ``n``, ``logprobs``, ``user``... still work; the fields below are validated.
Responses follow OpenAI's ``chat.completion`` / ``chat.completion.chunk`` objects plus
one extra field, ``performance`` (the request's measurements).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..backends import GenerationResult
from ..core import GenerationParams
from ..core.json_schema import UnsupportedSchema, schema_model
from ..core.timing import request_timing

__all__ = [
    "BadRequest",
    "ChatCompletionRequest",
    "ImagePart",
    "Message",
    "Performance",
    "ResponseFormat",
    "StopFilter",
    "TextPart",
    "UsageInfo",
    "error_body",
]


class BadRequest(Exception):
    """The request is well-formed JSON but cannot be served; becomes an HTTP 400."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message, self.param = message, param


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class TextPart(_Lenient):
    """``{"type": "text", "text": ...}``."""

    type: Literal["text"]
    text: str


class ImageURL(_Lenient):
    """Where an image is: a ``data:image/...;base64,`` URL (remote URLs are refused)."""

    url: str


class ImagePart(_Lenient):
    """``{"type": "image_url", "image_url": {"url": ...}}``."""

    type: Literal["image_url"]
    image_url: ImageURL


ContentPart = Annotated[TextPart | ImagePart, Field(discriminator="type")]


class Message(_Lenient):
    """One chat message; assistant turns are accepted but not sent to the model."""

    role: Literal["system", "user", "assistant"]
    content: str | list[ContentPart] | None = None

    def parts(self) -> list[TextPart | ImagePart]:
        """The content as a list of parts (a plain string is one text part)."""
        if self.content is None:
            return []
        if isinstance(self.content, str):
            return [TextPart(type="text", text=self.content)]
        return list(self.content)

    def text(self) -> str:
        """The text parts joined with newlines."""
        return "\n".join(p.text for p in self.parts() if isinstance(p, TextPart))


class JsonSchemaFormat(_Lenient):
    """``response_format.json_schema``: the schema the answer must match."""

    name: str = "answer"
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None
    """Accepted for compatibility; decoding is always constrained when a schema is given."""


class ResponseFormat(_Lenient):
    """``text`` (free text), ``json_object`` (any JSON object) or ``json_schema``."""

    type: Literal["text", "json_object", "json_schema"] = "text"
    json_schema: JsonSchemaFormat | None = None


class StreamOptions(_Lenient):
    """``stream_options``: ``include_usage`` adds a last chunk with ``usage``."""

    include_usage: bool = False


class ChatCompletionRequest(_Lenient):
    """The body of ``POST /v1/chat/completions``."""

    model: str | None = None
    """Accepted whatever it says; responses name the served model."""
    messages: list[Message] = Field(min_length=1)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    """Newer spelling of ``max_tokens``; wins when both are given."""
    temperature: float | None = Field(default=None, ge=0.0)
    """None means greedy decoding (0), not OpenAI's 1.0: benchmarks want determinism."""
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    seed: int | None = None
    stop: str | list[str] | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    response_format: ResponseFormat | None = None

    @property
    def stop_list(self) -> list[str]:
        """``stop`` as a list of non-empty strings."""
        stops = [self.stop] if isinstance(self.stop, str) else (self.stop or [])
        return [s for s in stops if s]

    @property
    def include_usage(self) -> bool:
        """Whether a streamed response ends with a usage chunk."""
        return self.stream_options is not None and self.stream_options.include_usage

    def prompts(self) -> tuple[str | None, str, list[str]]:
        """System prompt, user prompt and image URLs for a single-turn `GenerationRequest`.

        System messages are joined; the user prompt is the text of the last user message;
        the images are those of every user message, in order.

        Raises:
            BadRequest: there is no user message, or an image is outside a user message.
        """
        for i, message in enumerate(self.messages):
            if message.role != "user" and any(isinstance(p, ImagePart) for p in message.parts()):
                raise BadRequest(f"messages[{i}]: images are accepted in user messages only", "messages")
        users = [m for m in self.messages if m.role == "user"]
        if not users:
            raise BadRequest("the request has no user message", "messages")
        system = "\n\n".join(m.text() for m in self.messages if m.role == "system") or None
        urls = [p.image_url.url for m in users for p in m.parts() if isinstance(p, ImagePart)]
        return system, users[-1].text(), urls

    def json_schema(self) -> dict[str, Any] | None:
        """The schema that constrains the answer, checked; None for free text.

        Raises:
            BadRequest: the schema is not a JSON Schema the project can enforce and check.
        """
        fmt = self.response_format
        if fmt is None or fmt.type == "text":
            return None
        if fmt.type == "json_object" or fmt.json_schema is None or fmt.json_schema.schema_ is None:
            return {"type": "object"}
        schema = fmt.json_schema.schema_
        try:
            schema_model(schema)
        except UnsupportedSchema as exc:
            raise BadRequest(
                f"response_format.json_schema.schema is not supported: {exc}", "response_format"
            ) from None
        except Exception as exc:  # noqa: BLE001  (malformed schemas fail in many ways: all are 400s)
            detail = " ".join(str(exc).split())[:400]
            raise BadRequest(
                f"response_format.json_schema.schema is not a valid JSON Schema: {type(exc).__name__}: {detail}",
                "response_format",
            ) from None
        return schema

    def params(self) -> GenerationParams:
        """Decoding settings; what the request leaves out keeps `GenerationParams`'s default."""
        given: dict[str, Any] = {
            "max_tokens": self.max_completion_tokens or self.max_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "seed": self.seed,
            "stop": self.stop_list or None,
        }
        return GenerationParams(**{k: v for k, v in given.items() if v is not None})


class UsageInfo(BaseModel):
    """OpenAI's ``usage`` object."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class Performance(BaseModel):
    """What the wrapper measured for one request; seconds and bytes.

    The wrapper times `ModelBackend.generate_stream` itself: latency from the call to
    the final result, TTFT to the first non-empty text delta; TPOT and decode speed follow
    the project's one definition (`vlmhyperbench.core.timing`). GPU figures come from the
    backend (torch's peak allocation, reset per batch) and the watchdog (NVML).
    """

    latency_s: float
    """From the call to the backend to its final result."""
    ttft_s: float | None = None
    """To the first text delta; the backend's own figure when it delivered the answer in one piece."""
    tpot_s: float | None = None
    """(latency − TTFT) / (completion tokens − 1)."""
    output_tokens_per_s: float | None = None
    """(completion tokens − 1) / (latency − TTFT): decode speed."""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    image_tokens: int | None = None
    """Prompt tokens that stand for images (the model's image placeholder tokens)."""
    peak_vram_bytes: int | None = None
    """``torch.cuda.max_memory_allocated`` over the request's batch (in-process backends on a GPU)."""
    gpu_memory_used_bytes: int | None = None
    """NVML device memory in use, all GPUs together: the highest watchdog sample during the request."""
    queue_s: float | None = None
    """Time spent waiting before generation started, when the backend reports it."""
    rss_bytes: int | None = None
    """Resident memory of the serving process: the watchdog's latest sample when the request ended."""
    cpu_percent: float | None = None
    """CPU use of the serving process (100 = one core): the watchdog's latest sample."""
    events: list[dict[str, Any]] = Field(default_factory=list)
    """The watchdog's ``hang`` / ``oom`` events for this request."""

    @classmethod
    def measure(
        cls,
        result: GenerationResult,
        latency: float,
        ttft: float | None,
        deltas: int,
        *,
        gpu_memory_used_bytes: int | None = None,
        process: dict[str, Any] | None = None,
        events: list[dict[str, Any]] | None = None,
    ) -> Performance:
        """Combine the wrapper's timings with the backend's result.

        Args:
            result: The backend's final result (token counts, ``extra.performance``).
            latency: Seconds from the call to the backend to its result.
            ttft: Seconds to the first text delta; None when none came.
            deltas: How many text deltas came (the completion-token count when the backend has none).
            gpu_memory_used_bytes: NVML memory in use during the request.
            process: The watchdog's latest sample (``rss_bytes``, ``cpu_percent``).
            events: The request's watchdog events.
        """
        extra: dict[str, Any] = result.extra.get("performance") or {}
        n = result.usage.completion_tokens if result.usage.completion_tokens is not None else deltas
        if deltas <= 1 and result.timings is not None and result.timings.ttft_s is not None:
            ttft = result.timings.ttft_s  # the answer came in one piece: only the backend saw its first token
        timing = request_timing(t_send=0.0, t_first_content=ttft, t_end=latency, output_tokens=n)
        return cls(
            latency_s=latency,
            ttft_s=ttft,
            tpot_s=timing.tpot_s,
            output_tokens_per_s=timing.output_tokens_per_s,
            prompt_tokens=result.usage.prompt_tokens,
            completion_tokens=n,
            image_tokens=extra.get("image_tokens"),
            peak_vram_bytes=extra.get("peak_vram_bytes"),
            gpu_memory_used_bytes=gpu_memory_used_bytes,
            queue_s=extra.get("queue_s"),
            rss_bytes=(process or {}).get("rss_bytes"),
            cpu_percent=(process or {}).get("cpu_percent"),
            events=events or [],
        )


class StopFilter:
    """Applies ``stop`` to streamed text: cuts at the first stop string, holding back what could start one."""

    def __init__(self, stops: list[str]) -> None:
        self.stops, self.hold = stops, max((len(s) for s in stops), default=1) - 1
        self.text, self.sent, self.stopped = "", 0, False

    def feed(self, delta: str) -> str:
        """The part of ``delta`` that can be sent now."""
        if self.stopped:
            return ""
        self.text += delta
        cuts = [i for s in self.stops if (i := self.text.find(s, max(0, self.sent - self.hold))) >= 0]
        if cuts:
            self.stopped, self.text = True, self.text[: min(cuts)]
        end = len(self.text) if self.stopped else max(self.sent, len(self.text) - self.hold)
        out, self.sent = self.text[self.sent : end], end
        return out

    def finish(self, final: str | None) -> str:
        """Text still to send: the held-back tail, plus what the final text adds to the deltas."""
        out = ""
        if final is not None and len(final) > len(self.text) and final.startswith(self.text):
            out = self.feed(final[len(self.text) :])
        out += self.text[self.sent :]
        self.sent = len(self.text)
        return out


def error_body(
    message: str,
    *,
    kind: str = "invalid_request_error",
    code: int | None = None,
    param: str | None = None,
    events: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An OpenAI-style error object: ``{"error": {"message", "type", "param", "code"}}``."""
    error: dict[str, Any] = {"message": message, "type": kind, "param": param, "code": code}
    if events:
        error["events"] = events
    return {"error": error}
