"""`AnswerRecord`: one line of ``answers.jsonl``, and the values it is made of."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AnswerRecord", "ErrorInfo", "ErrorKind", "PromptRecord", "Timings", "Usage"]

ErrorKind = Literal[
    "http", "timeout", "connection", "invalid_response", "image", "backend", "config", "missing"
]
"""``missing``: no answer was made for the sample (``vlmhb evaluate --answers-dir``: no file)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ErrorInfo(_Frozen):
    """Why a request produced no answer."""

    kind: ErrorKind
    message: str
    status: int | None = None
    """HTTP status, when the server answered with an error."""
    attempts: int = 1
    """How many attempts were made before giving up."""
    retryable: bool = True
    """Whether a later run should request this sample again."""


class Usage(_Frozen):
    """Token counts, from the server's ``usage`` when it sends one."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    source: Literal["server", "estimate", "none"] = "none"


class Timings(_Frozen):
    """When the request ran and how long its parts took (seconds), as `core.timing` defines them."""

    started_at: float
    """Unix time just before the request was sent."""
    latency_s: float
    """From send to the last event of the stream (the end of the response when not streamed)."""
    ttft_s: float | None = None
    """From send to the first content token (streaming only)."""
    tpot_s: float | None = None
    """(latency − TTFT) / (output tokens − 1): mean time per output token after the first."""
    output_tokens_per_s: float | None = None
    """Output tokens / (latency − TTFT): decode speed."""


class PromptRecord(_Frozen):
    """The prompts actually sent, and the rule that chose them."""

    system: str | None = None
    user: str
    source: str
    """``override``, ``builtin:<name>``, ``collection:<file>``, ``question`` or ``task_default``."""


class AnswerRecord(_Frozen):
    """One model answer for one sample: a line of ``answers.jsonl``."""

    sample_id: str
    """`Sample.id` of the question answered."""
    answer: str | None
    """Raw model text; None when the request failed (see `error`)."""
    error: ErrorInfo | None = None
    prompt: PromptRecord | None = None
    usage: Usage = Field(default_factory=Usage)
    timings: Timings | None = None
    model: str = ""
    backend: str = ""
    finish_reason: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)
    env: str | None = None
    """Id of the environment that produced the answer (manifest ``environments``)."""
    """Backend-specific details (server telemetry, OCR engine version...)."""

    @property
    def ok(self) -> bool:
        """True when the sample has an answer."""
        return self.error is None and self.answer is not None
