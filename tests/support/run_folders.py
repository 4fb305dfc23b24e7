"""Synthetic run folders written with the project's own writers (RunDir, JsonlAppender,
the evaluate stage), for dashboard tests and benchmarks: the format cannot drift."""

from __future__ import annotations

import random
import time
from pathlib import Path

from vlmhyperbench.core import (
    AnswerRecord,
    DatasetSpec,
    ErrorInfo,
    Manifest,
    PluginRef,
    PromptRecord,
    PromptSpec,
    RunDir,
    RunSpec,
    Sample,
    StageInfo,
    StatisticsSpec,
    Timings,
    Usage,
)
from vlmhyperbench.metrics import build_metric
from vlmhyperbench.stages.evaluate import evaluate_run

DOC_CLASSES = ("passport", "invoice", "snils", "receipt")
QUESTION_TYPES = ("Фамилия", "Имя", "ИНН", "Дата")
WORDS = ("ИВАНОВ", "ПЁТР", "7707083893", "01.02.2003", "СИДОРОВА", "АННА", "ООО Ромашка")


def make_samples(n: int, dataset_dir: Path) -> list[Sample]:
    """``n`` samples over a few doc classes and fields (images are never opened)."""
    return [
        Sample(
            id=f"s-{i:05d}",
            images=(dataset_dir / "images" / f"{i}.png",),
            question=f"Вопрос {i}?",
            answers=(WORDS[i % len(WORDS)],),
            doc_class=DOC_CLASSES[i % len(DOC_CLASSES)],
            question_type=QUESTION_TYPES[(i // 3) % len(QUESTION_TYPES)],
            split="clean" if i % 2 else "degraded",
        )
        for i in range(n)
    ]


def answer_record(sample: Sample, rng: random.Random, *, fail: bool, started: float) -> AnswerRecord:
    """A plausible answer (right ~70% of the time) or a timed-out request."""
    if fail:
        return AnswerRecord(
            sample_id=sample.id,
            answer=None,
            error=ErrorInfo(kind="timeout", message="no token for 5 s", attempts=3),
            model="synthetic",
            backend="openai",
        )
    ref = sample.answers[0]
    text = ref if rng.random() < 0.7 else ref.replace("О", "O")[:-1] + "x"
    latency = 0.2 + rng.random()
    return AnswerRecord(
        sample_id=sample.id,
        answer=text,
        prompt=PromptRecord(user=sample.question, source="question"),
        usage=Usage(prompt_tokens=900, completion_tokens=8, total_tokens=908, source="server"),
        timings=Timings(
            started_at=started, latency_s=latency, ttft_s=latency / 4, output_tokens_per_s=40 + rng.random()
        ),
        model="synthetic",
        backend="openai",
        finish_reason="stop",
        extra={"attempts": 1},
    )


def make_run_folder(
    experiment_dir: Path,
    run_id: str,
    *,
    n: int = 12,
    model: str = "model-a",
    task: str = "vqa",
    status: str = "completed",
    evaluate: bool = True,
    fail_every: int = 5,
    seed: int = 0,
    resamples: int = 50,
    metrics: tuple[str, ...] = ("anls", "exact_match", "cer"),
) -> RunDir:
    """A run folder as `vlmhb run` leaves it: run_spec.json, manifest.json, answers.jsonl,
    and (with ``evaluate``) metrics/ written by the real evaluate stage."""
    rng = random.Random(seed)
    run_dir = RunDir(experiment_dir / run_id)
    run_dir.root.mkdir(parents=True, exist_ok=True)
    dataset_dir = experiment_dir.parent / "_dataset"
    samples = make_samples(n, dataset_dir)
    metric_objs = [build_metric(m) for m in metrics]
    spec = RunSpec(
        experiment=experiment_dir.name,
        run_id=run_id,
        task=task,
        dataset=DatasetSpec(
            path=str(dataset_dir), layout="jsonl", fingerprint="sha256:synthetic", n_samples=n
        ),
        backend=PluginRef(name="openai", options={"base_url": "http://127.0.0.1:9/v1", "model": model}),
        model=model,
        prompts=PromptSpec(),
        metrics=[PluginRef(name=m) for m in metrics],
        aggregators=["by_id", "by_field", "by_doc_class", "general", "by_split"],
        statistics=StatisticsSpec(resamples=resamples),
    )
    run_dir.write_spec(spec)
    t0 = time.time() - 60
    with run_dir.answers_appender() as out:
        for i, sample in enumerate(samples):
            out.append(
                answer_record(sample, rng, fail=bool(fail_every) and i % fail_every == 3, started=t0 + i)
            )
    stage_status = "completed" if status in ("completed", "running") else status
    stages = {"infer": StageInfo(status=stage_status, started_at=t0, finished_at=t0 + n, duration_s=float(n))}  # type: ignore[arg-type]
    if evaluate:
        evaluate_run(run_dir, spec, samples, metric_objs)
        stages["evaluate"] = StageInfo(status="completed", started_at=t0 + n, finished_at=t0 + n + 1)
    manifest = Manifest(experiment=spec.experiment, run_id=run_id, status=status, spec=spec, stages=stages)  # type: ignore[arg-type]
    run_dir.write_manifest(manifest)
    return run_dir
