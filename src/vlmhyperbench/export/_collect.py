"""A run folder read into what a tracking system stores: params, metrics, artifacts, samples.

Every exporter starts from the same `ExportRecord`, so MLflow and W&B show the same
numbers under the same names. Secrets never get into it: backend and metric options pass
through `mask_secrets` (as in the reports), executor variables are left out, and keys read
from the environment (``api_key_env``) are only named in the run folder. The run's own
``run_spec.json`` and ``manifest.json`` are not uploaded; the params carry their content.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..core import DatasetError, Manifest, MetricsSummary, RunDir, RunSpec, UserError
from ..core.secrets import mask_secrets
from ..reports import read_run_report

__all__ = ["ExportArtifact", "ExportRecord", "SampleTable", "collect_run"]

_NAME_CHARS = re.compile(r"[^\w.\- :]+")
"""What MLflow does not allow in a metric name (W&B takes these names as they are)."""


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ExportArtifact(_Record):
    """A file of the run folder to upload, and the folder it goes to in the tracking run."""

    path: Path
    folder: str
    """``report``, ``metrics`` or ``""`` (the top)."""


class SampleTable(_Record):
    """One row per scored sample: ids, answer, references and every metric's score."""

    columns: list[str]
    rows: list[list[str | float | None]]


class ExportRecord(_Record):
    """What is exported of one run folder."""

    experiment: str
    run_id: str
    run_dir: Path
    fingerprint: str
    """``sha256:`` over the experiment, run id, creation time and params: the same run
    exported again finds its tracking run by it; a run whose settings changed gets a new one."""
    status: str
    params: dict[str, str]
    """Dotted names: ``model``, ``backend.base_url``, ``generation.max_tokens``, ``env.python``..."""
    metrics: dict[str, float]
    """Slash names: ``general/anls``, ``general/anls_ci_low``, ``by_doc_class/passport/cer``,
    ``benchmark/score``, ``perf/latency_s_p95``, ``n_samples``..."""
    artifacts: list[ExportArtifact]
    samples: SampleTable


def collect_run(root: Path) -> ExportRecord:
    """Read a run folder (one holding ``run_spec.json`` and ``metrics/metrics.json``).

    Raises:
        DatasetError: the folder is not a run folder, or is not scored yet.
    """
    run_dir = RunDir(root)
    if not run_dir.run_spec.is_file():
        raise DatasetError(
            f"{root} is not a run folder: it has no run_spec.json",
            hint="give a run folder (runs/<experiment>/<run_id>) or an experiment folder holding them",
        )
    if not run_dir.metrics_json.is_file():
        raise DatasetError(
            f"{root} has no metrics yet ({run_dir.metrics_json} is missing)",
            hint="finish the run first: `vlmhb run` with its config, or `vlmhb stage evaluate --run-dir`",
        )
    spec = run_dir.read_spec()
    manifest = run_dir.read_manifest() if run_dir.manifest.is_file() else None
    summary = run_dir.read_metrics()
    params = _params(spec, summary, manifest)
    identity = {
        "experiment": spec.experiment,
        "run_id": spec.run_id,
        "created_at": manifest.created_at if manifest else None,
        "params": params,
    }
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    return ExportRecord(
        experiment=spec.experiment,
        run_id=spec.run_id,
        run_dir=run_dir.root.resolve(),
        fingerprint=f"sha256:{digest}",
        status=manifest.status if manifest else "completed",
        params=params,
        metrics={**_metrics(summary), **_perf(run_dir, manifest)},
        artifacts=_artifacts(run_dir),
        samples=_samples(run_dir, summary),
    )


def _flatten(prefix: str, value: Any, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), item, out)
    elif value is not None:
        out[prefix] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _params(spec: RunSpec, summary: MetricsSummary, manifest: Manifest | None) -> dict[str, str]:
    out: dict[str, str] = {}
    _flatten("", {"model": spec.model, "task": spec.task, "backend": spec.backend.name}, out)
    _flatten("backend", mask_secrets(spec.backend.options), out)
    _flatten("dataset", spec.dataset.model_dump(mode="json"), out)
    if spec.benchmark is not None:
        _flatten("benchmark", spec.benchmark.model_dump(mode="json"), out)
    prompts = spec.prompts.model_dump(mode="json", exclude={"mapping"})
    _flatten("prompts", {**prompts, "mapping_size": len(spec.prompts.mapping)}, out)
    _flatten("generation", spec.generation.model_dump(mode="json"), out)
    out["metrics"] = ",".join(m.name for m in spec.metrics)
    for info in summary.metrics:
        _flatten(f"metric.{info.name}", {"version": info.version, **mask_secrets(info.options)}, out)
    out["aggregators"] = ",".join(spec.aggregators)
    _flatten("statistics", spec.statistics.model_dump(mode="json"), out)
    executor = spec.environment.executor.kind
    _flatten("", {"concurrency": spec.concurrency, "seed": spec.seed, "executor": executor}, out)
    if manifest is not None:
        host = manifest.host
        env = {"git_commit": manifest.git_commit, "python": host.get("python"), "os": host.get("platform")}
        _flatten("env", {**env, "packages": manifest.packages}, out)
    return out


def _name(text: str) -> str:
    return _NAME_CHARS.sub("_", text.replace("/", "_")) or "_"


def _put(out: dict[str, float], name: str, value: float | None) -> None:
    if value is not None:
        out[name] = float(value)


def _metrics(summary: MetricsSummary) -> dict[str, float]:
    out: dict[str, float] = {}
    _put(out, "n_samples", summary.n_samples)
    _put(out, "n_errors", summary.n_errors)
    _put(out, "n_missing", summary.n_missing)
    for aggregator, rows in summary.aggregates.items():
        if aggregator == "by_id":
            continue
        for row in rows:
            prefix = "/".join([_name(aggregator), *(_name(v) for v in row.group.values())])
            _put(out, f"{prefix}/n", row.n)
            for metric, value in row.values.items():
                base = f"{prefix}/{_name(metric)}"
                _put(out, base, value)
                _put(out, f"{base}_pooled", row.pooled.get(metric))
                _put(out, f"{base}_lenient", row.lenient.get(metric))
                for suffix, ci in (("", row.ci.get(metric)), ("_pooled", row.pooled_ci.get(metric))):
                    if ci is not None:
                        out[f"{base}{suffix}_ci_low"], out[f"{base}{suffix}_ci_high"] = ci
    bench = summary.benchmark
    if bench is not None:
        _put(out, "benchmark/score", bench.value)
        _put(out, "benchmark/n", bench.n)
        if bench.ci is not None:
            out["benchmark/score_ci_low"], out["benchmark/score_ci_high"] = bench.ci
        for part, value in bench.parts.items():
            _put(out, f"benchmark/{_name(part)}", value)
    return out


def _perf(run_dir: RunDir, manifest: Manifest | None) -> dict[str, float]:
    """Speed from ``report/report.json`` (cached answers left out, as the report does) and
    each stage's duration from the manifest."""
    out: dict[str, float] = {}
    if manifest is not None:
        for stage, info in manifest.stages.items():
            _put(out, f"perf/stage_{_name(stage)}_s", info.duration_s)
    path = run_dir.report_dir / "report.json"
    if not path.is_file():
        return out
    try:
        perf = read_run_report(path).performance
    except UserError:
        return out  # an unreadable report leaves speed out; metrics.json is the source of the scores
    for key in ("n_requests", "n_ok", "n_cached", "prompt_tokens", "completion_tokens", "total_tokens"):
        _put(out, f"perf/{key}", getattr(perf, key))
    for key in ("latency_s", "ttft_s", "tpot_s", "output_tokens_per_s"):
        dist = getattr(perf, key)
        if dist is not None:
            for stat in ("mean", "p50", "p95", "p99"):
                out[f"perf/{key}_{stat}"] = float(getattr(dist, stat))
    return out


def _artifacts(run_dir: RunDir) -> list[ExportArtifact]:
    report = [run_dir.report_dir / f"report.{ext}" for ext in ("html", "md", "json")]
    metrics = [*sorted(run_dir.metrics_dir.glob("metrics*.csv")), run_dir.metrics_json]
    found = [(p, "report") for p in report] + [(p, "metrics") for p in metrics] + [(run_dir.answers, "")]
    return [ExportArtifact(path=p, folder=folder) for p, folder in found if p.is_file()]


def _samples(run_dir: RunDir, summary: MetricsSummary) -> SampleTable:
    names = [m.name for m in summary.metrics]
    columns = ["sample_id", "doc_class", "question_type", "split", "answer", "reference", "error", "invalid"]
    records = run_dir.metrics.read_samples()
    rows: list[list[str | float | None]] = [
        [
            rec.sample_id,
            rec.doc_class,
            rec.question_type,
            rec.split,
            rec.answer,
            "\n".join(rec.references),
            rec.error,
            rec.invalid,
            *(rec.scores.get(name) for name in names),
        ]
        for rec in records
    ]
    return SampleTable(columns=[*columns, *names], rows=rows)
