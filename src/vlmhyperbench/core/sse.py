"""The one reader of OpenAI-style Server-Sent Event streams: bytes in, chat chunks out.

`SSEParser` is incremental and works on bytes, so a caller can stamp each event with the
arrival time of the read that completed it (the perf client reads raw sockets; the
``openai`` backend feeds it httpx's ``aiter_bytes()``). `parse_chunk` turns an event's
``data`` into a `ChatChunk`: what every reader of ``chat.completion.chunk`` needs.

Protocol details handled (WHATWG HTML, section 9.2 "Server-sent events"): CRLF or LF line
ends, an event split across reads or several packed into one, ``:`` comment lines (keep-alive
pings), ``data:`` with or without the space, multi-line ``data`` joined by newlines, and the
``[DONE]`` sentinel (`DONE`). An ``{"error": ...}`` object mid-stream (vLLM, ``vlmhb serve``)
is a chunk with `ChatChunk.error` set, for the caller to turn into its own failure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["DONE", "ChatChunk", "MalformedEvent", "SSEParser", "parse_chunk"]

DONE = b"[DONE]"
"""The ``data`` of the event that ends an OpenAI stream."""


class MalformedEvent(ValueError):
    """An event's ``data`` is not a JSON object."""


class SSEParser:
    """Incremental Server-Sent Events parser: feed bytes, get the ``data`` of complete events."""

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, data: bytes) -> list[bytes]:
        """Append ``data`` and return the payloads of the events it completed (maybe none)."""
        buf = self._buf + data
        if b"\r" in buf:
            # CRLF line ends; a lone trailing \r waits for its \n in the next read.
            buf = buf.replace(b"\r\n", b"\n")
        *events, self._buf = buf.split(b"\n\n")
        out = []
        for event in events:
            # The space after "data:" is optional; lines starting with ":" are comments.
            lines = [ln[5:].removeprefix(b" ") for ln in event.split(b"\n") if ln.startswith(b"data:")]
            if lines:
                out.append(b"\n".join(lines))
        return out


@dataclass(frozen=True, slots=True)
class ChatChunk:
    """What one ``chat.completion.chunk`` (or error event) carries."""

    content: str = ""
    """``delta.content`` of every choice, joined."""
    reasoning: str = ""
    """``delta.reasoning_content`` (thinking models): tokens, but not part of the answer."""
    token_ids: int = 0
    """Tokens named by the choices' ``token_ids`` (vLLM ``return_token_ids``); 0 when absent."""
    has_choices: bool = False
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    """The ``usage`` object: the last chunk with ``include_usage``, or every chunk with
    ``continuous_usage_stats``."""
    performance: dict[str, Any] | None = None
    """``vlmhb serve``'s per-request measurements, in its final chunk."""
    error: str | None = None
    """The message of an ``{"error": ...}`` event; the stream failed."""
    error_code: int | None = None
    """The error's numeric ``code`` (an HTTP status), when it has one."""

    @property
    def completion_tokens(self) -> int | None:
        """``usage.completion_tokens`` when this chunk carries it."""
        value = (self.usage or {}).get("completion_tokens")
        return value if isinstance(value, int) else None


def parse_chunk(payload: bytes | str) -> ChatChunk:
    """The `ChatChunk` in one event's ``data`` (not `DONE`).

    Raises:
        MalformedEvent: ``payload`` is not a JSON object.
    """
    try:
        obj = json.loads(payload)
    except ValueError:
        raise MalformedEvent(f"unparsable SSE event: {payload[:200]!r}") from None
    if not isinstance(obj, dict):
        raise MalformedEvent(f"SSE event is not an object: {payload[:200]!r}")
    if err := obj.get("error"):
        message = err.get("message", err) if isinstance(err, dict) else err
        code = err.get("code") if isinstance(err, dict) else None
        return ChatChunk(error=str(message), error_code=code if isinstance(code, int) else None)
    content, reasoning, token_ids, finish = [], [], 0, None
    choices = obj.get("choices") or ()
    for choice in choices:
        delta = choice.get("delta") or {}
        content.append(delta.get("content") or "")
        reasoning.append(delta.get("reasoning_content") or "")
        if isinstance(ids := choice.get("token_ids"), list):
            token_ids += len(ids)
        finish = choice.get("finish_reason") or finish
    usage, performance = obj.get("usage"), obj.get("performance")
    return ChatChunk(
        content="".join(content),
        reasoning="".join(reasoning),
        token_ids=token_ids,
        has_choices=bool(choices),
        finish_reason=finish,
        usage=usage if isinstance(usage, dict) else None,
        performance=performance if isinstance(performance, dict) else None,
    )
