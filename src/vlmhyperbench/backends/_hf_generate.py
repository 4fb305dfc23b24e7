"""Batched, streamed generation for the ``hf`` backend, on one worker thread.

Requests arrive from the event loop; a worker thread groups those that can share a
`generate` call (same JSON schema, token budget and sampling settings) up to
``batch_size``, waiting at most ``batch_wait_s`` for company, pads them on the left
and runs `model.generate` with a streamer that timestamps every decoding step. Each
request's text deltas and final result go back to its own asyncio queue.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from ..core import ErrorInfo, Usage
from ..core.timing import request_timing
from ._base import GenerationRequest, GenerationResult
from ._hf_load import LoadedModel

__all__ = ["HFGenerator"]

logger = logging.getLogger(__name__)


@dataclass
class _Job:
    request: GenerationRequest
    loop: asyncio.AbstractEventLoop
    events: asyncio.Queue[str | GenerationResult]
    arrived: float = field(default_factory=time.perf_counter)
    started_at: float = field(default_factory=time.time)
    tokens: list[int] = field(default_factory=list)
    token_times: list[float] = field(default_factory=list)
    text: str = ""
    done: bool = False

    def emit(self, item: str | GenerationResult) -> None:
        self.loop.call_soon_threadsafe(self.events.put_nowait, item)

    @property
    def key(self) -> str:
        p = self.request.params
        return json.dumps([self.request.json_schema, p.max_tokens, p.temperature, p.top_p], sort_keys=True)


class _StepStreamer:
    """A transformers streamer: timestamps each step, streams text deltas per row."""

    def __init__(self, jobs: list[_Job], tokenizer: Any, eos_ids: set[int]) -> None:
        self.jobs, self.tokenizer, self.eos_ids = jobs, tokenizer, eos_ids
        self.prompt_seen = False

    def put(self, value: Any) -> None:
        if not self.prompt_seen:  # the first call carries the prompt
            self.prompt_seen = True
            return
        now = time.perf_counter()
        for job, token in zip(self.jobs, value.reshape(-1).tolist()):
            if job.done:
                continue
            if token in self.eos_ids:
                job.done = True
                continue
            job.tokens.append(int(token))
            job.token_times.append(now - job.arrived)
            text = self.tokenizer.decode(job.tokens, skip_special_tokens=True)
            if text.startswith(job.text) and len(text) > len(job.text):
                job.emit(text[len(job.text) :])
            job.text = text

    def end(self) -> None:
        """Called by generate when it finishes."""


class HFGenerator:
    """Owns the worker thread that runs `model.generate` for queued requests."""

    def __init__(
        self,
        loaded: LoadedModel,
        *,
        batch_size: int,
        batch_wait_s: float,
        max_image_pixels: int,
        generate_kwargs: dict[str, Any],
    ) -> None:
        self.loaded = loaded
        self.batch_size, self.batch_wait_s = batch_size, batch_wait_s
        self.max_image_pixels = max_image_pixels
        self.generate_kwargs = generate_kwargs
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._pending: list[_Job] = []
        self._grammar: Any = None
        self._thread = threading.Thread(target=self._run, name="vlmhb-hf-generate", daemon=True)
        self._thread.start()

    def submit(self, request: GenerationRequest) -> asyncio.Queue[str | GenerationResult]:
        """Queue a request; its deltas and final result arrive on the returned queue."""
        events: asyncio.Queue[str | GenerationResult] = asyncio.Queue()
        self._jobs.put(_Job(request, asyncio.get_running_loop(), events))
        return events

    def close(self) -> None:
        """Stop the worker after the requests already queued."""
        self._jobs.put(None)
        self._thread.join(timeout=60)

    def _next_batch(self) -> list[_Job] | None:
        first = self._pending.pop(0) if self._pending else self._jobs.get()
        if first is None:
            return None
        batch = [first]
        deadline = time.perf_counter() + self.batch_wait_s
        while len(batch) < self.batch_size:
            try:
                job = self._jobs.get(timeout=max(0.0, deadline - time.perf_counter()))
            except queue.Empty:
                break
            if job is None:
                self._jobs.put(None)
                break
            (batch if job.key == first.key else self._pending).append(job)
        return batch

    def _run(self) -> None:
        while (batch := self._next_batch()) is not None:
            try:
                self._generate(batch)
            except Exception as exc:  # one bad batch must not stop the worker
                logger.exception("generation failed")
                message = str(exc)[:500]
                events = []
                if "out of memory" in message.lower():
                    message = f"out of memory: {message}"
                    events.append({"kind": "oom", "time": time.time(), "message": message})
                for job in batch:
                    job.emit(
                        GenerationResult(
                            text=None,
                            error=ErrorInfo(kind="backend", message=message),
                            extra={"events": events} if events else {},
                        )
                    )

    def _images(self, job: _Job) -> list[Image.Image]:
        images = []
        for path in job.request.images:
            with Image.open(path) as img:
                if img.width * img.height > self.max_image_pixels:
                    raise ValueError(
                        f"{path.name}: {img.width}×{img.height} pixels is over the limit of "
                        f"{self.max_image_pixels} (max_image_pixels): refusing a possible decompression bomb"
                    )
                images.append(img.convert("RGB"))
        return images

    def _messages(self, job: _Job) -> list[dict[str, Any]]:
        r = job.request
        messages: list[dict[str, Any]] = []
        if r.system:
            messages.append({"role": "system", "content": [{"type": "text", "text": r.system}]})
        content = [{"type": "image"} for _ in r.images] + [{"type": "text", "text": r.user}]
        messages.append({"role": "user", "content": content})
        return messages

    def _generate(self, batch: list[_Job]) -> None:
        import torch

        ready: list[_Job] = []
        images: list[Image.Image] = []
        for job in batch:
            try:
                job_images = self._images(job)
            except (OSError, ValueError, Image.DecompressionBombError) as exc:
                job.emit(
                    GenerationResult(
                        text=None, error=ErrorInfo(kind="image", message=str(exc), retryable=False)
                    )
                )
                continue
            ready.append(job)
            images += job_images
        if not ready:
            return
        lm, processor = self.loaded, self.loaded.processor
        texts = [
            processor.apply_chat_template(self._messages(j), add_generation_prompt=True, tokenize=False)
            for j in ready
        ]
        inputs = processor(text=texts, images=images or None, padding=True, return_tensors="pt").to(lm.device)
        tokenizer = processor.tokenizer
        eos = lm.model.generation_config.eos_token_id
        eos_ids = (
            set(eos if isinstance(eos, list) else [eos]) if eos is not None else {tokenizer.eos_token_id}
        )
        streamer = _StepStreamer(ready, tokenizer, eos_ids)
        params = ready[0].request.params
        kwargs: dict[str, Any] = {
            **self.generate_kwargs,
            "max_new_tokens": params.max_tokens,
            "streamer": streamer,
            "pad_token_id": tokenizer.pad_token_id,
        }
        kwargs["do_sample"] = params.temperature > 0
        if params.temperature > 0:
            kwargs["temperature"] = params.temperature
            if params.top_p is not None:
                kwargs["top_p"] = params.top_p
        if ready[0].request.json_schema is not None:
            kwargs["logits_processor"] = [self._schema_processor(ready[0].request.json_schema, len(ready))]
        cuda = lm.device.startswith("cuda")
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        with torch.inference_mode():
            lm.model.generate(**inputs, **kwargs)
        peak = int(torch.cuda.max_memory_allocated()) if cuda else None
        prompt_tokens = inputs["attention_mask"].sum(dim=1).tolist()
        image_id = getattr(lm.model.config, "image_token_id", None)
        image_tokens = (inputs["input_ids"] == image_id).sum(dim=1).tolist() if image_id is not None else None
        for i, job in enumerate(ready):
            job.emit(
                self._result(
                    job, int(prompt_tokens[i]), image_tokens[i] if image_tokens else None, peak, len(ready)
                )
            )

    def _result(
        self, job: _Job, prompt_tokens: int, image_tokens: int | None, peak: int | None, batch: int
    ) -> GenerationResult:
        n = len(job.tokens)
        timing = request_timing(  # token times are relative to the job's arrival
            t_send=0.0,
            t_first_content=job.token_times[0] if job.token_times else None,
            t_end=time.perf_counter() - job.arrived,
            output_tokens=n,
        )
        text = job.text
        for stop in job.request.params.stop:
            if stop and stop in text:
                text = text[: text.index(stop)]
        usage = Usage(
            prompt_tokens=prompt_tokens, completion_tokens=n, total_tokens=prompt_tokens + n, source="server"
        )
        performance = {
            "peak_vram_bytes": peak,
            "image_tokens": image_tokens,
            "batch_size": batch,
            "ttft_s": timing.ttft_s,
            "latency_s": timing.e2e_s,
        }
        finish = "stop" if job.done else "length"
        return GenerationResult(
            text=text,
            usage=usage,
            timings=timing.timings(job.started_at),
            finish_reason=finish,
            extra={"performance": performance},
        )

    def _schema_processor(self, schema: dict[str, Any], batch: int) -> Any:
        import xgrammar as xgr
        from xgrammar.contrib.hf import LogitsProcessor

        if self._grammar is None:
            info = xgr.TokenizerInfo.from_huggingface(
                self.loaded.processor.tokenizer,
                vocab_size=self.loaded.model.config.get_text_config().vocab_size,
            )
            self._grammar = xgr.GrammarCompiler(info)
        # compact JSON: no free whitespace for the model to wander in
        compiled = self._grammar.compile_json_schema(json.dumps(schema), any_whitespace=False)
        return LogitsProcessor([compiled] * batch)
