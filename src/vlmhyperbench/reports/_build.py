"""`build_run_report`: read a run directory into a `RunReport`."""

from __future__ import annotations

import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ..core import (
    AnswerRecord,
    Manifest,
    MetricInfo,
    RunDir,
    RunSpec,
    SampleScoreRecord,
    StatisticsSpec,
    UserError,
    read_json_model,
    read_jsonl_models,
)
from ..core.secrets import mask_secrets
from ._model import (
    BackendSummary,
    Counts,
    DatasetSummary,
    ErrorExample,
    ErrorSummary,
    InvalidExample,
    InvalidSummary,
    PromptsSummary,
    RunReport,
    SentPrompt,
    StageTiming,
    WorstSample,
)
from ._stats import summarise_performance

__all__ = ["build_run_report"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

_TEXT_LIMIT = 2000
_N_SENT_PROMPTS = 20


def _clip(text: str | None, limit: int = _TEXT_LIMIT) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[:limit] + f"… [{len(text) - limit} more characters]"


def _read(what: str, path: Path, read: Callable[[], T], missing: list[str], why: str) -> T | None:
    """``read()``, or None with a note in ``missing`` when the file is absent or bad."""
    if not path.exists():
        missing.append(f"{what} is missing: {why}")
        return None
    try:
        return read()
    except UserError as exc:
        logger.warning("cannot read %s: %s", path, exc)
        missing.append(f"{what} could not be read: {_clip(str(exc), 300)}")
        return None


def _prompts(spec: RunSpec, answers: list[AnswerRecord]) -> PromptsSummary:
    sent = Counter((r.prompt.system, r.prompt.user, r.prompt.source) for r in answers if r.prompt)
    return PromptsSummary(
        system=spec.prompts.system,
        user=spec.prompts.user,
        mapping_source=spec.prompts.mapping_source,
        mapping_size=len(spec.prompts.mapping),
        n_distinct=len(sent),
        sent=[
            SentPrompt(system=_clip(s), user=_clip(u) or "", source=src, count=n)
            for (s, u, src), n in sent.most_common(_N_SENT_PROMPTS)
        ],
    )


def _errors(answers: list[AnswerRecord] | None, rows: list[SampleScoreRecord], n: int) -> ErrorSummary:
    failed: list[tuple[str, str, str]]
    if answers is not None:
        failed = [(r.sample_id, r.error.kind, r.error.message) for r in answers if r.error]
    else:  # no answers file: the evaluate stage's copy of the error is all there is
        failed = [(r.sample_id, "unknown", r.error) for r in rows if r.error is not None]
    return ErrorSummary(
        count=len(failed),
        by_kind=dict(Counter(kind for _, kind, _ in failed)),
        examples=[ErrorExample(sample_id=s, kind=k, message=_clip(m, 500) or "") for s, k, m in failed[:n]],
    )


def _worst(rows: list[SampleScoreRecord], metric: MetricInfo, n: int) -> list[WorstSample]:
    """The ``n`` lowest-ranked answered samples; failed requests are under Errors."""
    scored = [
        (r, r.scores[metric.name]) for r in rows if r.error is None and r.scores.get(metric.name) is not None
    ]
    sign = 1.0 if metric.higher_is_better else -1.0
    scored.sort(key=lambda item: (sign * float(item[1] or 0.0), item[0].sample_id))
    return [
        WorstSample(
            sample_id=r.sample_id,
            doc_class=r.doc_class,
            question_type=r.question_type,
            metric=metric.name,
            score=float(score or 0.0),
            answer=_clip(r.answer),
            references=[_clip(ref) or "" for ref in r.references],
            image=r.images[0] if r.images else None,
            invalid=r.invalid,
        )
        for r, score in scored[:n]
    ]


def _environment_line(manifest: Manifest, stage: str, env_id: str | None) -> str | None:
    env = manifest.environments.get(env_id or "")
    if env is None:
        return None
    where = env.image or env.venv or ""
    if env.image_id:
        where += f" ({env.image_id[:19]})"
    wanted = ["vlmhyperbench"]
    for item in manifest.spec.environment.items(stage):
        with contextlib.suppress(InvalidRequirement):  # a bare path or URL names no package
            wanted.append(canonicalize_name(Requirement(item.requirement).name))
        if item.package:
            wanted.append(canonicalize_name(item.package))
    versions = {name: env.packages[name] for name in dict.fromkeys(wanted) if name in env.packages}
    packages = ", ".join(f"{k} {v}" for k, v in versions.items())
    return " · ".join(p for p in (f"{env.executor} [{env.id}]", where, f"Python {env.python}", packages) if p)


def _stages(manifest: Manifest | None) -> dict[str, StageTiming]:
    if manifest is None:
        return {}
    return {
        name: StageTiming(
            status=info.status,
            started_at=info.started_at,
            finished_at=info.finished_at,
            duration_s=info.duration_s,
            counts=dict(info.counts),
            error=_clip(info.error, 1000),
            environment=_environment_line(manifest, name, info.environment),
        )
        for name, info in manifest.stages.items()
    }


def _perf_levels(run_dir: RunDir, missing: list[str]) -> list[dict[str, Any]]:
    """Level summaries attached with ``vlmhb perf --attach``, each validated as a `LevelSummary`.

    A malformed ``perf/<level>/summary.json`` is left out and named in ``missing``, with
    the key at fault.
    """
    from ..perf import LevelSummary  # perf builds on reports: imported only when used

    levels = []
    for path in sorted((run_dir.root / "perf").glob("*/summary.json")):
        try:
            levels.append(read_json_model(path, LevelSummary).model_dump(mode="json"))
        except (UserError, OSError) as exc:
            logger.warning("leaving out %s: %s", path, exc)
            missing.append(f"a perf summary could not be read: {_clip(str(exc), 1000)}")
    return levels


def build_run_report(
    run_dir: RunDir, *, n_worst: int = 10, n_examples: int = 10, manifest: Manifest | None = None
) -> RunReport:
    """Collect a run directory's spec, manifest, answers and metrics into a `RunReport`.

    Only ``run_spec.json`` (or a manifest holding the spec) is required; any other
    missing or unreadable file leaves its sections empty and is listed in ``missing``.

    Args:
        run_dir: The run directory.
        n_worst: How many worst samples to keep.
        n_examples: How many error and invalid-answer examples to keep.
        manifest: The run's record to describe instead of ``manifest.json`` (the report
            stage passes the run as it stands once the report is written).

    Raises:
        DatasetError: neither ``run_spec.json`` nor ``manifest.json`` can be read.
    """
    missing: list[str] = []
    if manifest is None:
        manifest = _read(
            "manifest.json",
            run_dir.manifest,
            run_dir.read_manifest,
            missing,
            "the run was not planned by the orchestrator",
        )
    # the manifest repeats the spec: enough when run_spec.json was lost
    lost_spec = manifest is not None and not run_dir.run_spec.exists()
    spec = manifest.spec if manifest is not None and lost_spec else run_dir.read_spec()
    answers_map = _read(
        "answers.jsonl",
        run_dir.answers,
        run_dir.latest_answers,
        missing,
        "inference did not run or wrote nothing",
    )
    answers = list(answers_map.values()) if answers_map is not None else None
    summary = _read(
        "metrics/metrics.json",
        run_dir.metrics_json,
        run_dir.read_metrics,
        missing,
        "metrics were not computed (the evaluate stage did not finish)",
    )
    samples_path = run_dir.samples
    rows = (
        _read(
            "metrics/samples.jsonl",
            samples_path,
            lambda: [r for _, r in read_jsonl_models(samples_path, SampleScoreRecord)],
            missing,
            "per-sample scores were not written",
        )
        or []
    )
    aggregates = summary.aggregates if summary is not None else {}
    general = aggregates.get("general") or []
    metrics = list(summary.metrics) if summary is not None else []
    errors = _errors(answers, rows, n_examples)
    invalid = [r for r in rows if r.invalid]
    return RunReport(
        generated_at=time.time(),
        experiment=spec.experiment,
        run_id=spec.run_id,
        status=manifest.status if manifest is not None else "unknown",
        model=spec.model,
        task=spec.task,
        backend=BackendSummary(name=spec.backend.name, options=mask_secrets(spec.backend.options)),
        dataset=DatasetSummary(
            name=Path(spec.dataset.path).name,
            path=spec.dataset.path,
            layout=spec.dataset.layout,
            fingerprint=spec.dataset.fingerprint,
            n_samples=spec.dataset.n_samples,
            filters=dict(spec.dataset.filters),
        ),
        prompts=_prompts(spec, answers or []),
        generation=spec.generation,
        metrics=metrics,
        statistics=summary.statistics if summary is not None else StatisticsSpec(),
        counts=Counts(
            n_dataset=spec.dataset.n_samples,
            n_answers=len(answers or []),
            n_ok=sum(1 for r in answers or [] if r.ok),
            n_errors=errors.count,
            n_scored=summary.n_samples if summary is not None else None,
            n_missing=summary.n_missing if summary is not None else None,
        ),
        benchmark=summary.benchmark if summary is not None else None,
        benchmark_source=spec.benchmark,
        summary=general[0] if general else None,
        by_doc_class=list(aggregates.get("by_doc_class", [])),
        by_field=list(aggregates.get("by_field", [])),
        by_split=list(aggregates.get("by_split", [])),
        by_page_attribute=list(aggregates.get("by_page_attribute", [])),
        worst_metric=metrics[0].name if metrics else None,
        worst_samples=_worst(rows, metrics[0], n_worst) if metrics else [],
        performance=summarise_performance(answers or []),
        errors=errors,
        invalid=InvalidSummary(
            count=len(invalid),
            examples=[
                InvalidExample(sample_id=r.sample_id, reason=r.invalid or "", answer=_clip(r.answer, 500))
                for r in invalid[:n_examples]
            ],
        ),
        stages=_stages(manifest),
        packages=dict(manifest.packages) if manifest is not None else {},
        git_commit=manifest.git_commit if manifest is not None else None,
        host=dict(manifest.host) if manifest is not None else {},
        missing=missing,
        perf=_perf_levels(run_dir, missing),
    )
