"""Regenerate ordering.json with scipy.stats.

Each case is a reference string, an answer string and ``one_based``, with the page
orders they mean written down by hand (hand-made cases) or known by construction
(random cases, rendered as a JSON list, an ``ordered_pages`` object, a fenced block,
a Russian sentence or bare numbers). For a valid answer of ``n`` pages, with
``t = [0, 1, ..., n-1]`` (the reference positions) and ``q`` the answer's positions of
the same pages: ``scipy.stats.kendalltau(t, q).statistic``,
``scipy.stats.spearmanr(t, q).statistic`` and the share of equal positions; 1.0 for tau
and rho when ``n < 2``. An invalid answer is 0.0 for all three; an invalid reference is
not scored (None).

    python tests/data/golden/ordering/make_ordering.py
"""

from __future__ import annotations

import json
import random
from importlib.metadata import version
from pathlib import Path
from typing import Any

from scipy.stats import kendalltau, spearmanr

# reference, answer, one_based, true order (None: invalid reference), answer order (None: invalid)
HANDMADE: list[tuple[str, str, bool, list[int] | None, list[int] | None]] = [
    ("[2, 0, 1, 3]", '{"ordered_pages": [2, 0, 1, 3]}', False, [2, 0, 1, 3], [2, 0, 1, 3]),
    ("2, 0, 1, 3", "[0, 2, 1, 3]", False, [2, 0, 1, 3], [0, 2, 1, 3]),
    ("2 0 1 3", '```json\n{"ordered_pages": [3, 2, 1, 0]}\n```', False, [2, 0, 1, 3], [3, 2, 1, 0]),
    ("[0,1,2,3]", "Порядок страниц: 1, 0, 3, 2", False, [0, 1, 2, 3], [1, 0, 3, 2]),
    ("[0, 1, 3, 2]", "[0, 2, 3, 1]", False, [0, 1, 3, 2], [0, 2, 3, 1]),
    ('{"ordered_pages": [1, 0]}', "[0, 1]", False, [1, 0], [0, 1]),
    ("[0]", "[0]", False, [0], [0]),
    ("0", "Страница 0", False, [0], [0]),
    ("[3, 1, 2, 4]", "3 1 2 4", True, [3, 1, 2, 4], [3, 1, 2, 4]),
    ("[3, 1, 2, 4]", "[4, 3, 2, 1]", True, [3, 1, 2, 4], [4, 3, 2, 1]),
    ("[0, 1, 2]", "Сначала страница 1, потом 0 и 2.", False, [0, 1, 2], [1, 0, 2]),
    ("[0, 1, 2]", '{"order": [2, 1, 0]}', False, [0, 1, 2], [2, 1, 0]),
    ("[0, 1, 2]", "```\n2,0,1\n```", False, [0, 1, 2], [2, 0, 1]),
    ("[0, 1, 2]", "[0, 1]", False, [0, 1, 2], None),
    ("[0, 1, 2]", "[0, 1, 1]", False, [0, 1, 2], None),
    ("[0, 1, 2]", "[1, 2, 3]", False, [0, 1, 2], None),
    ("[0, 1, 2]", "", False, [0, 1, 2], None),
    ("[0, 1, 2]", "Не могу определить порядок", False, [0, 1, 2], None),
    ("[0, 1, 2]", '{"ordered_pages": ["0", "1", "2"]}', False, [0, 1, 2], None),
    ("[0, 1, 2]", "[true, false, 2]", False, [0, 1, 2], None),
    ("[0, 1, 2]", "2.0, 1.0, 0.0", False, [0, 1, 2], None),
    ("[0, 1, 2]", "[0, 1, 2, 3]", False, [0, 1, 2], None),
    ("[1, 2, 3]", "[0, 1, 2]", True, [1, 2, 3], None),
    ("[0, 2]", "[0, 2]", False, None, None),
    ("[1, 2]", "[1, 2]", False, None, None),
    ("[0, 1]", "[0, 1]", True, None, None),
    ("страницы 0 и 1", "[0, 1]", False, None, None),
    ("[]", "[]", False, None, None),
]

ANSWER_FORMATS = [
    json.dumps,
    lambda p: json.dumps({"ordered_pages": p}, ensure_ascii=False),
    lambda p: "```json\n" + json.dumps({"ordered_pages": p}, indent=2) + "\n```",
    lambda p: "Правильный порядок страниц: " + ", ".join(map(str, p)) + ".",
    lambda p: " ".join(map(str, p)),
]
REFERENCE_FORMATS = [json.dumps, lambda p: ", ".join(map(str, p)), lambda p: " ".join(map(str, p))]


def random_case(rng: random.Random) -> tuple[str, str, bool, list[int], list[int] | None]:
    n, one_based = rng.randint(1, 10), rng.random() < 0.3
    true = list(range(int(one_based), n + int(one_based)))
    rng.shuffle(true)
    pred = list(true)
    for _ in range(rng.randint(0, 3)):
        i, j = rng.randrange(n), rng.randrange(n)
        pred[i], pred[j] = pred[j], pred[i]
    valid = rng.random() < 0.8
    if not valid:
        broken = rng.choice(("drop", "repeat", "shift"))
        if broken == "drop":
            pred.pop(rng.randrange(n))
        elif broken == "repeat":
            pred.append(pred[0])
        else:
            pred = [p + (-1 if one_based else 1) for p in pred]
    answer = rng.choice(ANSWER_FORMATS)(pred)
    return rng.choice(REFERENCE_FORMATS)(true), answer, one_based, true, pred if valid else None


def expected(true: list[int] | None, pred: list[int] | None) -> dict[str, float | None]:
    if true is None:
        return {"kendall_tau": None, "spearman_rho": None, "position_accuracy": None}
    if pred is None:
        return {"kendall_tau": 0.0, "spearman_rho": 0.0, "position_accuracy": 0.0}
    t, q = list(range(len(true))), [pred.index(page) for page in true]
    same = sum(a == b for a, b in zip(true, pred)) / len(true)
    if len(true) < 2:
        return {"kendall_tau": 1.0, "spearman_rho": 1.0, "position_accuracy": same}
    tau, rho = kendalltau(t, q).statistic, spearmanr(t, q).statistic
    return {"kendall_tau": float(tau), "spearman_rho": float(rho), "position_accuracy": same}


def main() -> None:
    rng = random.Random(20250601)
    rows = HANDMADE + [random_case(rng) for _ in range(70)]
    cases: list[dict[str, Any]] = [
        {"reference": r, "answer": a, "one_based": ob, "true": t, "pred": p, **expected(t, p)}
        for r, a, ob, t, p in rows
    ]
    doc = {"reference": {"scipy": version("scipy")}, "cases": cases}
    out = Path(__file__).with_name("ordering.json")
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}: {len(cases)} cases")


if __name__ == "__main__":
    main()
