"""Document classification: accuracy per sample; accuracy, P/R/F1 and confusion per group.

Labels. The reference label is ``sample.answers[0]``; the answer is the predicted label.
Both are normalised the same way: ``str.lower``, internal whitespace runs collapsed to
one space, then leading and trailing whitespace and Unicode punctuation (general
category ``P*``: ``. , : ; ! ? " « » ( ) -``...) stripped, so ``«Паспорт».`` → ``паспорт``.
Then ``aliases`` (keys and targets normalised the same way) map e.g. ``счёт-фактура`` or
a class index ``5`` to ``invoice``. The label must match exactly after this; nothing
is searched for inside a longer answer (that is the prompt's and the task's job).

- With ``labels`` (a closed set) an answer that is no label becomes the class
  ``"unparsable"`` (value 0.0, ``Score.invalid`` says why, so it counts as wrong); a
  reference that is no label is a dataset error and the sample is not scored.
- Without ``labels`` the normalised answer is the label; an empty answer is
  ``"unparsable"``.

Per sample: 1.0 when the labels are equal, else 0.0; the mean is accuracy.

Per group (``corpus``), with ``L`` = the sorted labels seen in the group's references
and answers, ``"unparsable"`` excluded, the details equal scikit-learn's
(goldens: scikit-learn 1.9.1)::

    accuracy_score(y_true, y_pred)
    precision_recall_fscore_support(y_true, y_pred, labels=L, average=A, zero_division=0)
        for A in "macro", "weighted" and None (per_class)
    confusion_matrix(y_true, y_pred, labels=L + ["unparsable"])   # rows true, columns pred

Leaving ``"unparsable"`` out of ``L`` keeps it out of the macro average (a class with no
references would add a 0 F1); unparsable answers still count as misses of their true
class. Configured labels absent from a group are not in ``L`` (scikit-learn's default).
The pooled value (the leaderboard's ``classification_pooled`` column) is chosen by
``pooled_value``, macro F1 by default; the mean column is accuracy.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field, model_validator

from ..core import Sample
from ._base import CorpusValue, Metric, Score, register_metric

__all__ = ["UNPARSABLE", "Classification", "classification_report", "normalise_label"]

UNPARSABLE = "unparsable"
"""The predicted class of an answer that matches no label."""


def _is_edge(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch).startswith("P")


def normalise_label(text: str) -> str:
    """Lower-case, collapse whitespace, strip edge whitespace and punctuation (see module)."""
    text = " ".join(text.lower().split())
    start, end = 0, len(text)
    while start < end and _is_edge(text[start]):
        start += 1
    while end > start and _is_edge(text[end - 1]):
        end -= 1
    return text[start:end]


def _div(num: float, den: float) -> float:
    return num / den if den else 0.0  # scikit-learn's zero_division=0


def classification_report(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro/weighted P/R/F1, per-class report and confusion matrix (see module)."""
    labels = sorted((set(y_true) | set(y_pred)) - {UNPARSABLE})
    pairs = Counter(zip(y_true, y_pred))
    support, predicted = Counter(y_true), Counter(y_pred)
    per_class: dict[str, dict[str, float]] = {}
    for label in labels:
        tp = pairs[(label, label)]
        per_class[label] = {
            "precision": _div(tp, predicted[label]),
            "recall": _div(tp, support[label]),
            "f1": _div(2 * tp, predicted[label] + support[label]),
            "support": support[label],
        }
    out: dict[str, Any] = {"accuracy": _div(sum(t == p for t, p in zip(y_true, y_pred)), len(y_true))}
    total = sum(support[label] for label in labels)
    for stat in ("precision", "recall", "f1"):
        values = [per_class[label][stat] for label in labels]
        out[f"macro_{stat}"] = _div(sum(values), len(values))
        out[f"weighted_{stat}"] = _div(sum(v * support[c] for v, c in zip(values, labels)), total)
    columns = [*labels, UNPARSABLE]
    out["per_class"] = per_class
    out["labels"] = columns
    out["confusion_matrix"] = [[pairs[(t, p)] for p in columns] for t in columns]
    return out


@register_metric("classification", version="1.0.0", higher_is_better=True, pooled=True)
class Classification(Metric):
    """Single-label classification: per-sample correctness; accuracy, P/R/F1, confusion per group."""

    labels: list[str] | None = None
    """The closed set of class labels; None: any normalised answer is a label."""
    aliases: dict[str, str] = Field(default_factory=dict)
    """Other spellings → label, e.g. ``{"счёт-фактура": "invoice", "5": "invoice"}``."""
    pooled_value: Literal["macro_f1", "weighted_f1", "accuracy"] = "macro_f1"
    """Which group statistic is the pooled (corpus) value; all are in the details."""

    @model_validator(mode="after")
    def _check_labels(self) -> Classification:
        if self.labels is not None:
            seen = [normalise_label(label) for label in self.labels]
            if "" in seen or UNPARSABLE in seen or len(set(seen)) != len(seen):
                raise ValueError(
                    f"labels must be non-empty, distinct and not {UNPARSABLE!r} after normalisation"
                )
            unknown = sorted(t for t in self.aliases.values() if normalise_label(t) not in seen)
            if unknown:
                raise ValueError(f"alias targets {unknown} are not among labels {self.labels}")
        return self

    def _label(self, text: str) -> str | None:
        """The label of a text, or None when it matches none (closed set) or is empty."""
        norm = normalise_label(text)
        aliases = {normalise_label(k): normalise_label(v) for k, v in self.aliases.items()}
        norm = aliases.get(norm, norm)
        if self.labels is None:
            return norm or None
        canonical = {normalise_label(label): label for label in self.labels}
        return canonical.get(norm)

    def score(self, answer: str, sample: Sample) -> Score:
        """1.0 when the answer's label is the reference label, else 0.0."""
        if not sample.answers:
            return Score(None, invalid="no reference answer")
        true = self._label(sample.answers[0])
        if true is None:
            return Score(None, invalid=f"reference {sample.answers[0]!r} is not a label")
        pred = self._label(answer)
        detail = {"true": true, "pred": pred or UNPARSABLE}
        if pred is None:
            why = "the answer matches no label" if self.labels is not None else "the answer is empty"
            return Score(0.0, invalid=why, detail=detail)
        return Score(float(pred == true), detail=detail)

    def corpus(self, scores: Sequence[Score]) -> CorpusValue | None:
        """The group's `classification_report`; its value is the ``pooled_value`` statistic."""
        rows = [s.detail for s in scores if s.detail is not None]
        if not rows:
            return None
        report = classification_report([str(d["true"]) for d in rows], [str(d["pred"]) for d in rows])
        return CorpusValue(float(report[self.pooled_value]), details=report)
