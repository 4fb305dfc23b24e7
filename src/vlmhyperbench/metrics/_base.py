"""The `Metric` interface, `Score`, and the metric registry."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from ..core import (
    AnswerRecord,
    ConfigError,
    MetricInfo,
    PluginRef,
    Registry,
    Sample,
    SourceLocation,
    problems_from_validation_error,
)

__all__ = [
    "Answered",
    "CorpusValue",
    "Metric",
    "Score",
    "batch_edits",
    "build_metric",
    "metrics",
    "register_metric",
]


class Score(NamedTuple):
    """One sample's value for one metric (a NamedTuple: immutable and cheap to create,
    which matters at 100,000 scores a second).

    ``value`` is None when the metric does not apply (no reference) or the answer is
    invalid (``invalid`` says why). ``num``/``den`` carry the parts of a pooled
    (corpus-level) value: e.g. edit operations and reference length for CER.
    """

    value: float | None
    num: float | None = None
    den: float | None = None
    invalid: str | None = None
    detail: Mapping[str, Any] | None = None
    """Per-sample facts a corpus statistic needs: a label, tp/fp/fn counts, per-field
    matches (``{"fields": {key: value}}`` feeds the ``by_field`` aggregator)..."""


@dataclass(frozen=True, slots=True)
class Answered:
    """What evaluation hands a metric for one sample."""

    text: str
    """The answer as metrics compare it (parsed by the task; "" for a failed request)."""
    record: AnswerRecord | None = None
    """The full answer record (timings, usage, server figures), when the answers file has one."""


@dataclass(frozen=True, slots=True)
class CorpusValue:
    """A group's corpus-level value (e.g. pooled CER, corpus BLEU, macro F1) and details."""

    value: float | None
    details: dict[str, Any] = field(default_factory=dict)


class Metric(BaseModel):
    """A per-sample metric. Options are the pydantic fields of the subclass."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: ClassVar[str]
    version: ClassVar[str]
    higher_is_better: ClassVar[bool]
    pooled: ClassVar[bool] = False
    """Whether ``num``/``den`` are filled and a corpus value is meaningful."""

    def score(self, answer: str, sample: Sample) -> Score:
        """Score one answer against ``sample.answers`` (the references)."""
        raise NotImplementedError

    def score_batch(self, answers: Sequence[str], samples: Sequence[Sample]) -> list[Score]:
        """`score` for many answers at once; metrics with a vectorised path override it."""
        return [self.score(answer, sample) for answer, sample in zip(answers, samples)]

    def score_answers(self, answers: Sequence[Answered], samples: Sequence[Sample]) -> list[Score]:
        """What evaluation calls: text metrics score the text (`score_batch`); metrics of
        how an answer was produced (`vlmhyperbench.metrics.resources`) read the record."""
        return self.score_batch([a.text for a in answers], samples)

    def corpus(self, scores: Sequence[Score]) -> CorpusValue | None:
        """The corpus value of a group of valid scores; None when the metric has none.

        The default, for ``pooled`` metrics, is total ``num`` / total ``den`` (e.g.
        edits / reference length); when the denominator is 0 it is the total ``num``
        (jiwer's rule for empty references). Metrics such as corpus BLEU or macro F1
        override this.
        """
        if not self.pooled or not scores:
            return None
        num = sum(s.num or 0.0 for s in scores)
        den = sum(s.den or 0.0 for s in scores)
        return CorpusValue(num / den if den else num)

    def info(self) -> MetricInfo:
        """Name, version and options, as recorded in metrics.json and manifests."""
        return MetricInfo(
            name=self.name,
            version=self.version,
            options=self.model_dump(mode="json"),
            higher_is_better=self.higher_is_better,
            pooled=self.pooled,
        )


metrics: Registry[type[Metric]] = Registry(
    "metrics",
    builtins=tuple(
        f"vlmhyperbench.metrics.{module}"
        for module in (
            "text",
            "anls",
            "match",
            "vqa",
            "chart",
            "ned",
            "teds",
            "structured",
            "bleu",
            "token_f1",
            "cc_ocr_parsing",
            "classification",
            "ordering",
            "resources",
            "ocrbench_v2",
            "omnidocbench",
            "olmocr_bench",
        )
    ),
    list_command="vlmhb metrics list",
)

M = TypeVar("M", bound=type[Metric])


def register_metric(
    name: str, *, version: str, higher_is_better: bool, pooled: bool = False
) -> Callable[[M], M]:
    """Register a `Metric` subclass under ``name`` with its version."""

    def decorator(cls: M) -> M:
        cls.name = name
        cls.version = version
        cls.higher_is_better = higher_is_better
        cls.pooled = pooled
        metrics.register(name, version=version)(cls)
        return cls

    return decorator


def batch_edits(references: Sequence[Sequence[Any]], hypotheses: Sequence[Sequence[Any]]) -> list[int]:
    """Levenshtein distances of aligned pairs, computed by rapidfuzz in C++ on every core.

    The same distance as `rapidfuzz.distance.Levenshtein.distance` pair by pair, without
    a Python call per pair.
    """
    if not references:
        return []
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    distances: list[int] = process.cpdist(
        references, hypotheses, scorer=Levenshtein.distance, workers=-1
    ).tolist()
    return distances


def build_metric(ref: PluginRef | str | dict[str, Any], location: SourceLocation | None = None) -> Metric:
    """Instantiate a metric from a name or ``{name: ..., <option>: ...}``; errors are located."""
    if isinstance(ref, str):
        ref = PluginRef(name=ref)
    elif isinstance(ref, dict):
        ref = PluginRef(name=ref["name"], options={k: v for k, v in ref.items() if k != "name"})
    cls = metrics.get(ref.name, location)
    try:
        return cls(**ref.options)
    except ValidationError as exc:
        base = (location or SourceLocation()).with_key(ref.name)
        raise ConfigError(problems=problems_from_validation_error(exc, base)) from None
