"""Score a folder of Markdown files made elsewhere (``vlmhb evaluate --answers-dir``).

A file answers the sample whose id is its path under the folder without ``.md``,
optionally followed by ``_repeat<k>`` — each benchmark's own naming:

- olmOCR-bench: ``<pdf path under pdfs/, without .pdf>_pg<page>_repeat<k>.md``
  (subfolders as under ``pdfs/``, as olmocr/bench/benchmark.py finds them with a
  recursive glob matched on the path under the candidate folder);
- OmniDocBench / MDPBench: ``<image stem>.md``.

Several repeats of a page make one answer: ``answer`` is the first repeat (lowest
``k``) and ``extra["repeats"]`` every readable repeat's text in order of ``k``, which
metrics that score repeats (``olmocr_bench``) use. Texts are read as strict UTF-8 and
kept raw. A file that is not UTF-8 is named and left out (a page with no readable
repeat is recorded as an invalid answer); a page without a file is recorded as a
``missing`` error; both are counted (``n_errors``) and scored as failed requests are
(the OmniDocBench metrics: an empty page; ``olmocr_bench``: every test fails). A
``.md`` file whose name matches no page is listed as a warning. A folder without any
``.md`` file is an error.

The output folder is written as a run folder (``run_spec.json``, ``answers.jsonl``,
``metrics/``), so ``vlmhb report`` builds its report and, inside an experiment folder,
puts it in the comparison beside model runs; with the ``olmocr_bench`` metric it also
gets ``checks.csv``, one row per test.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..core import (
    AnswerRecord,
    BenchmarkSpec,
    DatasetError,
    DatasetSpec,
    ErrorInfo,
    MetricsDir,
    MetricsSummary,
    PluginRef,
    PromptSpec,
    RunDir,
    RunSpec,
    Sample,
    SampleScoreRecord,
    StatisticsSpec,
    atomic_write_text,
    prepare_output_dir,
    read_jsonl_models,
)
from ..datasets import Dataset, apply_filters
from ..metrics import Metric
from .evaluate import evaluate_run

__all__ = [
    "ANSWERS_DIR_BACKEND",
    "CHECKS_CSV",
    "AnswersFolder",
    "evaluate_answers_dir",
    "read_answers_dir",
    "write_checks_csv",
]

ANSWERS_DIR_BACKEND = "answers_dir"
"""The ``backend`` name recorded for answers read from a folder."""
CHECKS_CSV = "checks.csv"
_REPEAT = re.compile(r"^(?P<id>.+)_repeat(?P<k>\d+)$")


@dataclass(slots=True)
class AnswersFolder:
    """The answers of a folder, one per sample, and what did not fit."""

    records: list[AnswerRecord] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    """Sample ids without a file."""
    unreadable: list[str] = field(default_factory=list)
    """``<file>: <why>`` for each file that is not UTF-8."""
    stray: list[str] = field(default_factory=list)
    """Files (path under the folder) whose name matches no sample."""


def _sample_of(stem: str, ids: set[str]) -> tuple[str, int] | None:
    """(sample id, repeat number; 0 without ``_repeat``) of a file's path without ``.md``."""
    if stem in ids:
        return stem, 0
    match = _REPEAT.match(stem)
    if match and match["id"] in ids:
        return match["id"], int(match["k"])
    return None


def _read(path: Path) -> tuple[str | None, str | None]:
    """(text, None), or (None, why it cannot be read)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8: byte 0x{data[exc.start]:02x} at byte {exc.start}"


def read_answers_dir(folder: Path, samples: Sequence[Sample], all_ids: set[str], model: str) -> AnswersFolder:
    """One `AnswerRecord` per sample of ``samples`` from the ``.md`` files of ``folder``.

    Args:
        all_ids: Every sample id of the dataset: a file of a sample left out by filters
            is not stray.
        model: The tool that made the files, recorded as the answers' ``model``.

    Raises:
        DatasetError: ``folder`` is not a folder or holds no ``.md`` file.
    """
    if not folder.is_dir():
        raise DatasetError(f"--answers-dir: {folder} is not a folder", hint="give the folder of .md files")
    files = sorted(p for p in folder.rglob("*.md") if p.is_file())
    if not files:
        raise DatasetError(
            f"--answers-dir: {folder} holds no .md files",
            hint="olmOCR-bench: <pdf path under pdfs/ without .pdf>_pg<page>_repeat<k>.md; "
            "OmniDocBench: <image stem>.md",
        )
    out = AnswersFolder()
    found: dict[str, list[tuple[int, str, Path]]] = {}
    for path in files:
        name = path.relative_to(folder).as_posix()
        match = _sample_of(name[: -len(".md")], all_ids)
        if match is None:
            out.stray.append(name)
            continue
        found.setdefault(match[0], []).append((match[1], name, path))
    for sample in samples:
        out.records.append(_record(sample.id, sorted(found.get(sample.id, [])), model, out))
    return out


def _record(
    sample_id: str, files: list[tuple[int, str, Path]], model: str, out: AnswersFolder
) -> AnswerRecord:
    def record(answer: str | None, error: ErrorInfo | None = None, **extra: object) -> AnswerRecord:
        return AnswerRecord(
            sample_id=sample_id,
            answer=answer,
            error=error,
            model=model,
            backend=ANSWERS_DIR_BACKEND,
            extra=extra,
        )

    if not files:
        out.missing.append(sample_id)
        message = (
            f"no file for this page in --answers-dir (expected {sample_id}.md or {sample_id}_repeat1.md)"
        )
        return record(None, ErrorInfo(kind="missing", message=message, retryable=False))
    texts: list[str] = []
    names: list[str] = []
    bad: list[str] = []
    for _, name, path in files:
        text, why = _read(path)
        if text is None:
            bad.append(f"{name}: {why}")
        else:
            texts.append(text)
            names.append(name)
    out.unreadable.extend(bad)
    if not texts:
        error = ErrorInfo(kind="invalid_response", message="; ".join(bad), retryable=False)
        return record(None, error, files=[n for _, n, _ in files])
    extra: dict[str, object] = {"files": names}
    if len(files) > 1:
        extra["repeats"] = texts
    if bad:
        extra["unreadable"] = bad
    return record(texts[0], None, **extra)


def write_checks_csv(metrics_dir: MetricsDir, path: Path, metric: str = "olmocr_bench") -> int:
    """``checks.csv`` from ``samples.jsonl``: per test ``test_id, type, passed, explanation``.

    ``passed`` is 1 or 0, or with several repeats the share of them that passed.
    Returns the number of rows written.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["test_id", "type", "passed", "explanation"])
    n = 0
    for _, record in read_jsonl_models(metrics_dir.samples_jsonl, SampleScoreRecord):
        for test in (record.details.get(metric) or {}).get("tests", []):
            passed = float(test.get("passed") or 0.0)
            writer.writerow(
                [test.get("id", ""), test.get("type", ""), _ratio(passed), test.get("explanation", "")]
            )
            n += 1
    atomic_write_text(path, buf.getvalue())
    return n


def _ratio(value: float) -> str:
    return str(int(value)) if value in (0.0, 1.0) else repr(value)


def evaluate_answers_dir(
    data: Dataset,
    folder: Path,
    metrics: Sequence[Metric],
    out: Path,
    *,
    model: str,
    aggregator_names: Sequence[str],
    filters: dict[str, list[str]] | None = None,
    statistics: StatisticsSpec | None = None,
    benchmark: BenchmarkSpec | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[MetricsSummary, AnswersFolder]:
    """Read ``folder`` into answers and evaluate them as a run folder ``out``.

    Every sample kept by ``filters`` is expected to have a file. Returns the summary and
    what the folder held (missing, unreadable and stray files).

    Raises:
        DatasetError: the folder holds no ``.md`` file.
        ConfigError: ``out`` cannot be a folder, or already holds a run.
    """
    run_dir = RunDir(out)
    prepare_output_dir(out, "--out")
    if run_dir.run_spec.exists() or run_dir.answers.exists():
        raise DatasetError(
            f"--out: {out} already holds a run",
            hint="choose a new --out folder (the answers of a run are never overwritten)",
        )
    samples = apply_filters(data.samples, filters or {})
    answers = read_answers_dir(folder, samples, {s.id for s in data.samples}, model)
    atomic_write_text(run_dir.answers, "".join(r.model_dump_json() + "\n" for r in answers.records))
    spec = RunSpec(
        experiment=out.resolve().parent.name,
        run_id=out.resolve().name,
        task=",".join(dict.fromkeys(s.task for s in samples)) or "parse",
        dataset=DatasetSpec(
            path=str(data.root),
            layout=data.layout,
            fingerprint=data.fingerprint,
            filters={k: v for k, v in (filters or {}).items() if v},
            n_samples=len(samples),
        ),
        backend=PluginRef(name=ANSWERS_DIR_BACKEND, options={"folder": str(folder.resolve())}),
        model=model,
        prompts=PromptSpec(),
        metrics=[PluginRef(name=m.name, options=m.model_dump(mode="json")) for m in metrics],
        aggregators=list(aggregator_names),
        statistics=statistics or StatisticsSpec(),
        only_evaluate=True,
        benchmark=benchmark,
    )
    run_dir.write_spec(spec)
    summary = evaluate_run(run_dir, spec, samples, metrics, progress)
    if any(m.name == "olmocr_bench" for m in metrics):
        write_checks_csv(run_dir.metrics, out / CHECKS_CSV)
    return summary, answers
