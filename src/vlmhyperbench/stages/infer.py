"""Inference stage: ask the backend about every sample not yet answered, append answers.

Each answer is appended to ``answers.jsonl`` and flushed as soon as it completes, so a
killed run loses nothing that finished. Running again resumes: samples with an answer
are skipped, failed ones are requested again. Every prompt is rendered before the first
request: a template that cannot be rendered for some sample is the user's mistake and
fails the run before the backend starts, instead of failing each sample.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import anyio

from ..backends import GenerationRequest, GenerationResult, ModelBackend
from ..core import AnswerRecord, ErrorInfo, JsonlAppender, RunDir, RunSpec, Sample
from ..prompts import PromptManager
from ..tasks import tasks
from ._base import StageContext, StageResult

__all__ = ["InferStage", "InferenceResult", "build_requests", "run_inference"]

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class InferenceResult:
    """Counts of one inference pass."""

    total: int
    skipped: int
    """Already answered before this pass."""
    ok: int
    """Answered in this pass."""
    failed: int
    """Failed in this pass (requested again next time)."""

    def counts(self) -> dict[str, int]:
        """For the manifest: ``ok`` counts every answered sample, reused or new."""
        return {
            "total": self.total,
            "ok": self.skipped + self.ok,
            "reused": self.skipped,
            "new": self.ok,
            "failed": self.failed,
        }


def build_requests(spec: RunSpec, samples: Sequence[Sample]) -> list[tuple[GenerationRequest, AnswerRecord]]:
    """The request of each sample, and the answer record it starts (prompts filled in).

    Raises:
        ConfigError: a prompt template cannot be rendered for some sample.
    """
    prompts = PromptManager(spec.prompts, tasks.get(spec.task))
    return [_request(sample, spec, prompts) for sample in samples]


def _request(sample: Sample, spec: RunSpec, prompts: PromptManager) -> tuple[GenerationRequest, AnswerRecord]:
    prompt = prompts.resolve(sample)
    req = GenerationRequest(
        sample_id=sample.id,
        images=sample.images,
        user=prompt.user,
        system=prompt.system,
        params=spec.generation,
        json_schema=sample.json_schema,
        task=sample.task,
        hints={"doc_class": sample.doc_class, "question_type": sample.question_type},
    )
    return req, AnswerRecord(sample_id=sample.id, answer=None, prompt=prompt)


async def _watched(
    backend: ModelBackend, request: GenerationRequest, hang_after_s: float
) -> GenerationResult:
    """The backend's answer, or a ``hang`` error when no token came for ``hang_after_s``.

    A hung generation is recorded in the answer (error + event) and the run moves on:
    never a silent hang.
    """
    stream = backend.generate_stream(request)
    waited_since = time.time()
    try:
        while True:
            with anyio.fail_after(hang_after_s):
                item = await stream.__anext__()
            if isinstance(item, GenerationResult):
                return item
            waited_since = time.time()
    except TimeoutError:
        event = {"kind": "hang", "time": time.time(), "since_last_token_s": time.time() - waited_since}
        logger.error("sample %s: no token for %.0f s, giving up on it", request.sample_id, hang_after_s)
        return GenerationResult(
            text=None,
            extra={"events": [event]},
            error=ErrorInfo(kind="timeout", message=f"generation hung: no token for {hang_after_s:g} s"),
        )
    except StopAsyncIteration:
        return GenerationResult(
            text=None, error=ErrorInfo(kind="backend", message="the backend ended without a result")
        )
    finally:
        with anyio.CancelScope(shield=True):
            await stream.aclose()  # type: ignore[attr-defined]


def unanswered(run_dir: RunDir, samples: Sequence[Sample]) -> list[Sample]:
    """The samples without a successful answer in the run folder."""
    done = {sid for sid, rec in run_dir.latest_answers().items() if rec.ok}
    return [s for s in samples if s.id not in done]


async def run_inference(
    run_dir: RunDir,
    spec: RunSpec,
    todo: Sequence[tuple[GenerationRequest, AnswerRecord]],
    total: int,
    backend: ModelBackend,
    progress: Progress | None = None,
    env_id: str | None = None,
) -> InferenceResult:
    """Send ``todo`` (`build_requests` of the unanswered samples) and append each answer;
    the backend must be started.

    Args:
        total: The run's samples, answered before or not (for progress and counts).
        env_id: The environment's id in the manifest, stamped on every answer.
    """
    limiter = anyio.CapacityLimiter(spec.concurrency)
    counts = {"ok": 0, "failed": 0}
    finished = total - len(todo)
    if progress:
        progress(finished, total)

    async def one(request: GenerationRequest, template: AnswerRecord, appender: JsonlAppender) -> None:
        nonlocal finished
        async with limiter:
            result = await _watched(backend, request, spec.hang_after_s)
            record = template.model_copy(
                update={
                    "answer": result.text if result.error is None else None,
                    "error": result.error,
                    "usage": result.usage,
                    "timings": result.timings,
                    "finish_reason": result.finish_reason,
                    "model": backend.model_label(),
                    "backend": backend.name,
                    "extra": result.extra,
                    "env": env_id,
                }
            )
            appender.append(AnswerRecord.model_validate(record.model_dump()))
            counts["ok" if record.ok else "failed"] += 1
            finished += 1
            if progress:
                progress(finished, total)

    with run_dir.answers_appender() as appender:
        async with anyio.create_task_group() as tg:
            for request, template in todo:
                tg.start_soon(one, request, template, appender)
    return InferenceResult(total, total - len(todo), counts["ok"], counts["failed"])


class InferStage:
    """Start the backend, answer what is not answered yet, close the backend."""

    name: ClassVar[str] = "infer"
    needs_samples: ClassVar[bool] = True
    needs_pages: ClassVar[bool] = True
    needs_backend: ClassVar[bool] = True
    needs_metrics: ClassVar[bool] = False

    def check(self, run_dir: RunDir, stages: Sequence[str]) -> None:
        """Inference can always run."""

    async def run(self, ctx: StageContext) -> StageResult:
        """Answer the run's samples; the backend is started here and always closed."""
        backend = ctx.backend
        assert backend is not None, "the backend is built where inference runs"
        # every prompt is rendered before the backend starts: a bad template fails the run here
        todo = build_requests(ctx.spec, unanswered(ctx.run_dir, ctx.samples))
        if "log_file" in type(backend).model_fields and getattr(backend, "log_file", None) is None:
            backend.log_file = ctx.run_dir.log_file("engine")  # type: ignore[attr-defined]
        await backend.start()
        try:
            described = {"backend:describe": str(backend.describe())}
            result = await run_inference(
                ctx.run_dir, ctx.spec, todo, len(ctx.samples), backend, ctx.progress, env_id=ctx.env_id
            )
        finally:
            await backend.aclose()
        return StageResult(result.counts(), described)
