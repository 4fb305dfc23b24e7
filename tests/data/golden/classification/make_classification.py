"""Regenerate classification.json with scikit-learn.

Each case is a group of (answer, reference) pairs with the metric's options and the
labels the answers must map to, known by construction: answers are rendered from a
chosen label (another case, quotes, trailing punctuation, extra spaces, an alias) or
are garbage that matches no label ("unparsable"). With ``L`` the sorted labels seen,
"unparsable" excluded, the expected details are scikit-learn's
``accuracy_score``, ``precision_recall_fscore_support(labels=L, average=A,
zero_division=0)`` for A in macro, weighted and None, and
``confusion_matrix(labels=L + ["unparsable"])``.

    python tests/data/golden/classification/make_classification.py
"""

from __future__ import annotations

import json
import random
from importlib.metadata import version
from pathlib import Path
from typing import Any

from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

UNPARSABLE = "unparsable"
CONFIGS: list[dict[str, Any]] = [
    {
        "labels": ["invoice", "passport", "snils", "inn_old", "inn_new", "loan_agreement"],
        "aliases": {
            "Счёт-фактура": "invoice",
            "счет-фактура": "invoice",
            "паспорт": "passport",
            "5": "invoice",
        },
    },
    {
        "labels": ["Паспорт", "СНИЛС", "Счёт-фактура", "Договор займа", "ИНН"],
        "aliases": {
            "счет-фактура": "Счёт-фактура",
            "passport": "Паспорт",
            "договор беспроцентного займа": "Договор займа",
        },
    },
    {"labels": None, "aliases": {"счет-фактура": "счёт-фактура", "pass": "паспорт"}},
]
OPEN_LABELS = ["паспорт", "снилс", "счёт-фактура", "справка 2-ндфл", "договор займа"]
GARBAGE = ["", "не знаю", "Это паспорт", "invoice passport", "???", "Класс: 3", "{}", "N/A"]


def _variant(rng: random.Random, text: str) -> str:
    text = rng.choice((text, text.upper(), text.lower(), text.title()))
    text = rng.choice(
        (text, f"«{text}»", f'"{text}"', f"{text}.", f"  {text}\n", f"- {text}!", text.replace(" ", "  "))
    )
    return text


def _spellings(config: dict[str, Any], label: str) -> list[str]:
    return [label] + [k for k, v in config["aliases"].items() if v == label]


def random_case(rng: random.Random, config: dict[str, Any]) -> dict[str, Any]:
    labels = config["labels"] or OPEN_LABELS
    present = rng.sample(labels, rng.randint(1, len(labels)))
    items = []
    for _ in range(rng.randint(1, 40)):
        true = rng.choice(present)
        roll = rng.random()
        if roll < 0.55:
            pred = true
        elif roll < 0.85:
            pred = rng.choice(labels if config["labels"] else [*labels, "прочее"])
        else:
            pred = UNPARSABLE
        if pred == UNPARSABLE:
            garbage = [g for g in GARBAGE if config["labels"] is not None or g == ""]
            answer = rng.choice(garbage)
        else:
            answer = _variant(rng, rng.choice(_spellings(config, pred)))
        reference = rng.choice((true, true.upper(), f"{true}."))
        items.append({"answer": answer, "reference": reference, "true": true, "pred": pred})
    return {**config, "items": items}


HANDMADE: list[dict[str, Any]] = [
    {
        **CONFIGS[0],
        "items": [
            {"answer": "inn_new", "reference": "inn_old", "true": "inn_old", "pred": "inn_new"},
            {"answer": "INN_OLD", "reference": "inn_old", "true": "inn_old", "pred": "inn_old"},
            {"answer": "«Счёт-фактура»", "reference": "invoice", "true": "invoice", "pred": "invoice"},
            {"answer": "5", "reference": "invoice", "true": "invoice", "pred": "invoice"},
            {"answer": "Паспорт.", "reference": "passport", "true": "passport", "pred": "passport"},
            {"answer": "Это СНИЛС", "reference": "snils", "true": "snils", "pred": UNPARSABLE},
        ],
    },
    {
        **CONFIGS[1],
        "items": [
            {
                "answer": "счет-фактура",
                "reference": "Счёт-фактура",
                "true": "Счёт-фактура",
                "pred": "Счёт-фактура",
            },
            {
                "answer": "СЧЁТ-ФАКТУРА",
                "reference": "Счёт-фактура",
                "true": "Счёт-фактура",
                "pred": "Счёт-фактура",
            },
            {
                "answer": "Договор  беспроцентного займа",
                "reference": "Договор займа",
                "true": "Договор займа",
                "pred": "Договор займа",
            },
            {"answer": "снилс", "reference": "ИНН", "true": "ИНН", "pred": "СНИЛС"},
        ],
    },
    {
        **CONFIGS[2],
        "items": [
            {"answer": "Паспорт", "reference": "паспорт", "true": "паспорт", "pred": "паспорт"},
            {"answer": "pass", "reference": "паспорт", "true": "паспорт", "pred": "паспорт"},
            {"answer": "", "reference": "снилс", "true": "снилс", "pred": UNPARSABLE},
            {
                "answer": "Счет-фактура.",
                "reference": "Счёт-фактура",
                "true": "счёт-фактура",
                "pred": "счёт-фактура",
            },
            {"answer": "справка", "reference": "справка 2-НДФЛ", "true": "справка 2-ндфл", "pred": "справка"},
        ],
    },
]


def expected(items: list[dict[str, Any]]) -> dict[str, Any]:
    y_true, y_pred = [i["true"] for i in items], [i["pred"] for i in items]
    labels = sorted((set(y_true) | set(y_pred)) - {UNPARSABLE})
    out: dict[str, Any] = {"accuracy": float(accuracy_score(y_true, y_pred))}
    for average in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=average, zero_division=0
        )
        out |= {f"{average}_precision": float(p), f"{average}_recall": float(r), f"{average}_f1": float(f)}
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, average=None, zero_division=0)
    out["per_class"] = {
        label: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
        for i, label in enumerate(labels)
    }
    out["labels"] = [*labels, UNPARSABLE]
    out["confusion_matrix"] = confusion_matrix(y_true, y_pred, labels=out["labels"]).tolist()
    return out


def main() -> None:
    rng = random.Random(20250628)
    cases = HANDMADE + [random_case(rng, CONFIGS[i % len(CONFIGS)]) for i in range(60)]
    for case in cases:
        case["expected"] = expected(case["items"])
    doc = {"reference": {"scikit-learn": version("scikit-learn")}, "cases": cases}
    out = Path(__file__).with_name("classification.json")
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}: {len(cases)} groups, {sum(len(c['items']) for c in cases)} samples")


if __name__ == "__main__":
    main()
