"""Inference stage: ask the backend about every sample not yet answered, append answers.

Each answer is appended to ``answers.jsonl`` and flushed as soon as it completes, so a
killed run loses nothing that finished. Running again resumes: samples with an answer
are skipped, failed ones are requested again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import anyio

from ..backends import GenerationRequest, GenerationResult, ModelBackend
from ..core import AnswerRecord, ConfigError, ErrorInfo, RunDir, RunSpec, Sample
from ..prompts import PromptManager
from ..tasks import tasks

__all__ = ["InferenceResult", "run_inference"]

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class InferenceResult:
    """Counts of one inference pass."""

    total: int
    skipped: int
    """Already answered before this pass."""
    ok: int
    failed: int


def _request(
    sample: Sample, spec: RunSpec, prompts: PromptManager
) -> tuple[GenerationRequest, AnswerRecord | None]:
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


async def run_inference(
    run_dir: RunDir,
    spec: RunSpec,
    samples: Sequence[Sample],
    backend: ModelBackend,
    progress: Progress | None = None,
    env_id: str | None = None,
) -> InferenceResult:
    """Answer every sample without a successful answer; the backend must be started.

    ``env_id`` (the environment's id in the manifest) is stamped on every answer.
    """
    done = {sid for sid, rec in run_dir.latest_answers().items() if rec.ok}
    todo = [s for s in samples if s.id not in done]
    prompts = PromptManager(spec.prompts, tasks.get(spec.task))
    limiter = anyio.CapacityLimiter(spec.concurrency)
    counts = {"ok": 0, "failed": 0}
    finished = len(samples) - len(todo)
    if progress:
        progress(finished, len(samples))

    async def one(sample: Sample, appender) -> None:  # type: ignore[no-untyped-def]
        nonlocal finished
        async with limiter:
            try:
                request, template = _request(sample, spec, prompts)
            except ConfigError as exc:
                record = AnswerRecord(
                    sample_id=sample.id,
                    answer=None,
                    backend=backend.name,
                    error=ErrorInfo(kind="config", message=exc.render(), retryable=False),
                    env=env_id,
                )
            else:
                result = await _watched(backend, request, spec.hang_after_s)
                assert template is not None
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
                progress(finished, len(samples))

    with run_dir.answers_appender() as appender:
        async with anyio.create_task_group() as tg:
            for sample in todo:
                tg.start_soon(one, sample, appender)
    return InferenceResult(len(samples), len(samples) - len(todo), counts["ok"], counts["failed"])
