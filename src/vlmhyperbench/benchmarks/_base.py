"""Benchmark presets: a public benchmark's loader, prompt, metric and headline rule.

``benchmark: docvqa`` in a run (or ``vlmhb benchmarks show docvqa``) refers to one
`Benchmark`: which source formats it ships in, the task, the prompt of the reference
implementation, the official metric with its options, the rule that turns per-sample
scores into the number the benchmark reports (`HeadlineRule`), its splits and subsets,
its licence and published scores of well-known models.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ..aggregators import DEFAULT_AGGREGATORS, ScoredSample
from ..core import BenchmarkScore, PublishedScore, Registry
from ..metrics import Metric

__all__ = [
    "Benchmark",
    "CountCorrect",
    "HeadlineRule",
    "HeadlineWithInterval",
    "Mean",
    "MeanOfCapabilities",
    "MeanOfGroups",
    "MeanOverGroups",
    "Pooled",
    "benchmarks",
    "register_benchmark",
]

benchmarks: Registry[Benchmark] = Registry(
    "benchmarks",
    builtins=(
        "vlmhyperbench.benchmarks.vqa",
        "vlmhyperbench.benchmarks.kie",
        "vlmhyperbench.benchmarks.ocr",
        "vlmhyperbench.benchmarks.ocrbench_v2",
        "vlmhyperbench.benchmarks.omnidocbench",
        "vlmhyperbench.benchmarks.olmocr_bench",
    ),
    list_command="vlmhb benchmarks list",
)


def _values(rows: Sequence[ScoredSample], metric: str) -> list[float]:
    out = []
    for row in rows:
        score = row.scores.get(metric)
        if score is not None and score.value is not None:
            out.append(float(score.value))
    return out


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _grouped(rows: Sequence[ScoredSample], by: str) -> dict[str, list[ScoredSample]]:
    """Rows by the value of the sample attribute ``by``, in sorted order of the values."""
    groups: dict[str, list[ScoredSample]] = {}
    for row in rows:
        groups.setdefault(str(getattr(row.sample, by)), []).append(row)
    return dict(sorted(groups.items()))


def _scaled(value: float | None, scale: float) -> float | None:
    return None if value is None else value * scale


class HeadlineRule(Protocol):
    """Turns a run's scored samples into the benchmark's reported number."""

    @property
    def metric(self) -> str:
        """The per-sample metric the number is computed from."""
        ...

    @property
    def name(self) -> str:
        """What the number is called (``ANLS``, ``OCRBench score``)."""
        ...

    def describe(self) -> str:
        """The rule in words (shown by ``vlmhb benchmarks show`` and in reports)."""
        ...

    def compute(
        self, rows: Sequence[ScoredSample], metrics: Mapping[str, Metric]
    ) -> tuple[float | None, dict[str, float | None], str]:
        """(value, parts, unit)."""
        ...


@runtime_checkable
class HeadlineWithInterval(Protocol):
    """A headline rule that also gives the interval its benchmark reports beside the number."""

    def interval(
        self, rows: Sequence[ScoredSample], metrics: Mapping[str, Metric]
    ) -> tuple[float, float] | None:
        """(low, high) on the headline's scale, or None when it cannot be computed."""
        ...


@dataclass(frozen=True)
class Mean:
    """The mean of a per-sample metric, × ``scale`` (DocVQA ANLS, TextVQA accuracy)."""

    metric: str
    name: str
    scale: float = 100.0
    by: str | None = None
    """Also report the mean of each value of this sample attribute (e.g. ``split``)."""

    def describe(self) -> str:
        per = f"; also per {self.by}" if self.by else ""
        return f"mean of per-question {self.metric} × {self.scale:g} over all questions{per}"

    def compute(
        self, rows: Sequence[ScoredSample], metrics: Mapping[str, Metric]
    ) -> tuple[float | None, dict[str, float | None], str]:
        parts: dict[str, float | None] = {}
        if self.by:
            parts = {
                k: _scaled(_mean(_values(v, self.metric)), self.scale)
                for k, v in _grouped(rows, self.by).items()
            }
        return _scaled(_mean(_values(rows, self.metric)), self.scale), parts, "%" if self.scale == 100 else ""


@dataclass(frozen=True)
class MeanOfGroups:
    """Each group's mean × ``scale``, and the mean of the groups (ChartQA human/augmented)."""

    metric: str
    name: str
    groups: tuple[str, ...]
    by: str = "split"
    scale: float = 100.0
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Other values that mean a group, as other releases spell it (VLMEvalKit's ChartQA
    TSV: ``test_human``, ``test_augmented``)."""
    also_by: tuple[str, ...] = ()
    """Sample attributes also looked at for a group's name, where a release keeps it
    elsewhere (``lmms-lab/ChartQA``: a ``type`` column, read as ``question_type``)."""

    def describe(self) -> str:
        names = " and ".join(self.groups)
        return f"mean {self.metric} × {self.scale:g} of the {names} questions ({self.by}), and the mean of those {len(self.groups)}"

    def compute(
        self, rows: Sequence[ScoredSample], metrics: Mapping[str, Metric]
    ) -> tuple[float | None, dict[str, float | None], str]:
        parts: dict[str, float | None] = {}
        for group in self.groups:
            names = {group, *self.aliases.get(group, ())}
            members = [
                r for r in rows if any(str(getattr(r.sample, a)) in names for a in (self.by, *self.also_by))
            ]
            parts[group] = _scaled(_mean(_values(members, self.metric)), self.scale)
        present = [v for v in parts.values() if v is not None]
        value = sum(present) / len(present) if len(present) == len(self.groups) else None
        return value, parts, "%" if self.scale == 100 else ""


@dataclass(frozen=True)
class MeanOverGroups:
    """The unweighted mean over the groups present (values of ``by``) of each group's value
    × ``scale``: the mean of the per-sample metric, or with ``pooled`` its corpus value
    (CC-OCR: a track's score is the mean over its datasets of each one's macro token F1,
    or of its pooled KIE field F1). None when a group has no value."""

    metric: str
    name: str
    by: str = "split"
    pooled: bool = False
    scale: float = 100.0

    def describe(self) -> str:
        inner = f"{self.metric} pooled over its questions" if self.pooled else f"mean {self.metric}"
        return f"mean over the {self.by} groups of each group's {inner}, × {self.scale:g}"

    def compute(
        self, rows: Sequence[ScoredSample], metrics: Mapping[str, Metric]
    ) -> tuple[float | None, dict[str, float | None], str]:
        parts: dict[str, float | None] = {}
        for key, members in _grouped(rows, self.by).items():
            if self.pooled:
                parts[key] = Pooled(self.metric, self.name, self.scale)._pooled(members, metrics[self.metric])
            else:
                parts[key] = _scaled(_mean(_values(members, self.metric)), self.scale)
        present = [v for v in parts.values() if v is not None]
        value = sum(present) / len(present) if present and len(present) == len(parts) else None
        return value, parts, "%" if self.scale == 100 else ""


@dataclass(frozen=True)
class MeanOfCapabilities:
    """OCRBench v2's ``get_score.py``: per capability the mean of the metric over its
    questions (all of its question types together), per language the mean of its
    capabilities present, × ``scale``; the ``headline`` language's score is the value.

    Samples whose score says ``detail["ignored"]`` (the official ``ignore`` flag) are
    left out. A capability with a question that could not be scored has no value, and
    neither has its language: a mean over the rest would not be the official number.
    """

    metric: str
    name: str
    languages: Mapping[str, Mapping[str, tuple[str, ...]]]
    """Language → capability → the values of ``by`` (question types) it holds."""
    headline: str
    """The language whose score is the value (all of them are parts)."""
    by: str = "question_type"
    scale: float = 100.0

    def describe(self) -> str:
        names = " and ".join(self.languages)
        return (
            f"per capability the mean {self.metric} over its questions, per language ({names}) the mean "
            f"of its capabilities, × {self.scale:g}; the value is the {self.headline} score"
        )

    def compute(
        self, rows: Sequence[ScoredSample], metrics: Mapping[str, Metric]
    ) -> tuple[float | None, dict[str, float | None], str]:
        where = {
            kind: (language, capability)
            for language, capabilities in self.languages.items()
            for capability, kinds in capabilities.items()
            for kind in kinds
        }
        members: dict[tuple[str, str], list[float | None]] = {}
        for row in rows:
            key, score = where.get(str(getattr(row.sample, self.by))), row.scores.get(self.metric)
            if key is not None and score is not None and not (score.detail or {}).get("ignored"):
                members.setdefault(key, []).append(score.value)
        parts: dict[str, float | None] = {}
        for language, capabilities in self.languages.items():
            means = {
                capability: None if None in values else sum(v or 0.0 for v in values) / len(values)
                for capability in capabilities
                if (values := members.get((language, capability)))
            }
            if means:
                present = list(means.values())
                overall = None if None in present else sum(v or 0.0 for v in present) / len(present)
                parts[language] = _scaled(overall, self.scale)
                parts.update({f"{language} {c}": _scaled(v, self.scale) for c, v in means.items()})
        return parts.get(self.headline), parts, "%" if self.scale == 100 else ""


@dataclass(frozen=True)
class CountCorrect:
    """The number of correct answers, in all and per category (OCRBench v1's 0-1000 score).

    ``categories`` maps a reported category to the values of ``by`` (the question type)
    it sums; a question whose type is in no category still counts in the total.
    """

    metric: str
    name: str
    categories: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    by: str = "question_type"

    def describe(self) -> str:
        return f"number of questions with {self.metric} = 1, in all and per category ({self.by})"

    def compute(
        self, rows: Sequence[ScoredSample], metrics: Mapping[str, Metric]
    ) -> tuple[float | None, dict[str, float | None], str]:
        def correct(members: Sequence[ScoredSample]) -> float:
            return float(sum(1 for v in _values(members, self.metric) if v >= 1.0))

        parts: dict[str, float | None] = {}
        for category, kinds in self.categories.items():
            parts[category] = correct([r for r in rows if str(getattr(r.sample, self.by)) in kinds])
        return (correct(rows) if rows else None), parts, "points"


@dataclass(frozen=True)
class Pooled:
    """The corpus value of a pooled metric × ``scale`` (micro field F1 of SROIE, CORD)."""

    metric: str
    name: str
    scale: float = 100.0
    by: str | None = None

    def describe(self) -> str:
        per = f"; also per {self.by}" if self.by else ""
        return f"{self.metric} pooled over all questions (micro) × {self.scale:g}{per}"

    def _pooled(self, rows: Sequence[ScoredSample], metric: Metric) -> float | None:
        scores = [
            r.scores[self.metric]
            for r in rows
            if self.metric in r.scores and r.scores[self.metric].value is not None
        ]
        corpus = metric.corpus(scores)
        return None if corpus is None else _scaled(corpus.value, self.scale)

    def compute(
        self, rows: Sequence[ScoredSample], metrics: Mapping[str, Metric]
    ) -> tuple[float | None, dict[str, float | None], str]:
        metric = metrics[self.metric]
        parts: dict[str, float | None] = {}
        if self.by:
            parts = {k: self._pooled(v, metric) for k, v in _grouped(rows, self.by).items()}
        return self._pooled(rows, metric), parts, "%" if self.scale == 100 else ""


@dataclass(frozen=True)
class Benchmark:
    """A public benchmark as a preset (see the module docstring)."""

    name: str
    title: str
    task: str
    formats: tuple[str, ...]
    """Source formats it ships in (``vlmhb datasets list``); the first is the default."""
    prompt: str
    """User prompt template (Jinja2) of the reference implementation."""
    prompt_source: str
    """Where the prompt comes from (file in the reference implementation, URL)."""
    metrics: tuple[str | dict[str, Any], ...]
    headline: HeadlineRule
    splits: tuple[str, ...]
    default_split: str | None
    licence: str
    homepage: str
    description: str = ""
    subsets: tuple[str, ...] = ()
    default_subset: str | None = None
    aggregators: tuple[str, ...] = DEFAULT_AGGREGATORS
    published: tuple[PublishedScore, ...] = ()
    notes: str = ""
    version: str = "1"
    generation: Mapping[str, Any] = field(default_factory=dict)
    """Decoding settings of the reference implementation (e.g. ``max_tokens``)."""

    def score(self, rows: Sequence[ScoredSample], metrics: Mapping[str, Metric]) -> BenchmarkScore:
        """The headline number of scored rows, with the published scores beside it."""
        value, parts, unit = self.headline.compute(rows, metrics)
        ci = (
            self.headline.interval(rows, metrics) if isinstance(self.headline, HeadlineWithInterval) else None
        )
        return BenchmarkScore(
            benchmark=self.name,
            title=self.title,
            name=self.headline.name,
            metric=self.headline.metric,
            value=value,
            unit=unit,
            rule=self.headline.describe(),
            parts=parts,
            n=len(rows),
            ci=ci,
            published=list(self.published),
        )


def register_benchmark(benchmark: Benchmark) -> Benchmark:
    """Register a preset under its name."""
    benchmarks.register(benchmark.name, version=benchmark.version, description=benchmark.title)(benchmark)
    return benchmark
