"""Regenerate bleu.json from sacreBLEU itself.

Sentence values: ``sacrebleu.sentence_bleu(hyp, refs, tokenize=..., lowercase=...)`` and
``sacrebleu.sentence_chrf`` (``sacrebleu.metrics.CHRF(...).sentence_score`` when
``lowercase`` is set: ``sentence_chrf`` has no such argument). Corpus values:
``sacrebleu.corpus_bleu`` / ``corpus_chrf`` (``CHRF(...).corpus_score``) over groups of
the cases, whose reference counts differ; the reference streams are padded with ``None``
(sacreBLEU's documented "no reference"), and the script checks that padding with a
copy of the sample's first reference gives the same value.

    python tests/data/golden/bleu/make_bleu.py
"""

from __future__ import annotations

import json
import random
from importlib.metadata import version
from pathlib import Path
from typing import Any

import sacrebleu
from sacrebleu.metrics import CHRF

BLEU_OPTIONS: list[dict[str, Any]] = [
    {},
    {"tokenize": "intl"},
    {"tokenize": "char"},
    {"tokenize": "none", "lowercase": True},
    {"lowercase": True},
]
CHRF_OPTIONS: list[dict[str, Any]] = [
    {},
    {"word_order": 2},
    {"char_order": 4, "beta": 1},
    {"lowercase": True},
    {"word_order": 2, "beta": 3, "lowercase": True},
]

HANDMADE: list[tuple[str, list[str]]] = [
    (
        "Общество с ограниченной ответственностью «Ромашка»",
        ["Общество с ограниченной ответственностью «Ромашка»"],
    ),
    (
        "Общество с ограниченной ответственностью Ромашка",
        ["Общество с ограниченной ответственностью «Ромашка»"],
    ),
    ("ООО «Ромашка»", ["Общество с ограниченной ответственностью «Ромашка»", "ООО «Ромашка»"]),
    ("Счет-фактура № 123 от 01.02.2024", ["Счёт-фактура № 123 от 01.02.2024"]),
    ("СЧЁТ-ФАКТУРА № 123", ["Счёт-фактура № 123"]),
    ("Паспорт гражданина Российской Федерации", ["ПАСПОРТ ГРАЖДАНИНА РОССИЙСКОЙ ФЕДЕРАЦИИ"]),
    ("Иванов Иван Иванович, 17.05.1990 г.р.", ["Иванов Иван Иванович 17.05.1990 г. р."]),
    (
        "Выдан ГУ МВД России по г. Москве",
        ["Выдан: ГУ МВД России по г. Москве", "ГУ МВД России по городу Москве"],
    ),
    ("ИНН 7707083893 КПП 773601001", ["ИНН 7707083893, КПП 773601001"]),
    ("Итого к оплате: 12 345,67 руб.", ["Итого к оплате: 12 345,67 руб."]),
    ("Итого: 12345.67", ["Итого к оплате: 12 345,67 руб."]),
    ("Договор беспроцентного займа", ["ДОГОВОР БЕСПРОЦЕНТНОГО ЗАЙМА", "Договор займа"]),
    ("г. Москва", ["Москва"]),
    ("Москва", ["г. Москва"]),
    ("the cat sat on the mat", ["the cat is on the mat"]),
    ("The cat is on the mat.", ["the cat is on the mat"]),
    ("a b c d e f", ["a b c d e f"]),
    ("a", ["a"]),
    ("", ["Иванов"]),
    ("Иванов", [""]),
    ("", [""]),
    ("строка один\nстрока два", ["строка один строка два"]),
    ("Total: 1,234.50 USD", ["Total: 1,234.50 USD", "Total 1234.50"]),
    ("Ёлкин Семён Петрович", ["Елкин Семен Петрович"]),
    ("Фамилия: ОСИПОВ", ["ОСИПОВ"]),
    ("ОСИПОВ", ["ОСИПОВ", "Осипов", "Фамилия: ОСИПОВ"]),
    (
        "Дата выдачи 12.03.2015, код подразделения 770-001",
        ["Дата выдачи: 12.03.2015; код подразделения: 770-001"],
    ),
    ("Продавец: АО «Альфа», адрес: 123456, г. Москва, ул. Ленина, д. 1", ["Продавец АО Альфа"]),
    ("日本語 テキスト", ["日本語 テキスト"]),
    ("Ğ ğ é e\u0301", ["Ğ ğ é é"]),
]

VOCABULARY = (
    "счёт фактура продавец покупатель адрес ИНН КПП товар количество цена сумма НДС итого "
    "паспорт выдан код подразделения дата рождения место договор займа сторона обязуется "
    "вернуть Москва улица дом корпус квартира invoice total date seller buyer № 2024 17,50 руб."
)
WORDS = VOCABULARY.split()


def _perturb(rng: random.Random, words: list[str]) -> str:
    out = list(words)
    for _ in range(rng.randint(0, 3)):
        op = rng.choice(("drop", "swap", "typo", "case", "insert"))
        if not out:
            break
        i = rng.randrange(len(out))
        if op == "drop":
            out.pop(i)
        elif op == "swap" and len(out) > 1:
            j = rng.randrange(len(out))
            out[i], out[j] = out[j], out[i]
        elif op == "typo" and out[i]:
            k = rng.randrange(len(out[i]))
            out[i] = out[i][:k] + rng.choice("аеоиxyz0.,") + out[i][k + 1 :]
        elif op == "case":
            out[i] = out[i].upper()
        elif op == "insert":
            out.insert(i, rng.choice(WORDS))
    return " ".join(out)


def random_cases(n: int, seed: int = 20240517) -> list[tuple[str, list[str]]]:
    rng = random.Random(seed)
    cases = []
    for _ in range(n):
        ref = [rng.choice(WORDS) for _ in range(rng.randint(1, 14))]
        refs = [" ".join(ref)] + [_perturb(rng, ref) for _ in range(rng.randint(0, 2))]
        cases.append((_perturb(rng, ref), refs))
    return cases


def _chrf_metric(opts: dict[str, Any]) -> CHRF:
    return CHRF(**opts)


def sentence_values(hyp: str, refs: list[str]) -> dict[str, list[float]]:
    bleu = [sacrebleu.sentence_bleu(hyp, refs, **o).score for o in BLEU_OPTIONS]
    chrf = [
        (
            _chrf_metric(o).sentence_score(hyp, refs)
            if "lowercase" in o
            else sacrebleu.sentence_chrf(hyp, refs, **o)
        ).score
        for o in CHRF_OPTIONS
    ]
    return {"bleu": bleu, "chrf": chrf}


def _streams(refs: list[list[str]], pad_with_first: bool) -> list[list[str | None]]:
    width = max(len(r) for r in refs)
    return [[r[j] if j < len(r) else (r[0] if pad_with_first else None) for r in refs] for j in range(width)]


def corpus_values(hyps: list[str], refs: list[list[str]]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"bleu": [], "chrf": []}
    for pad in (False, True):
        streams = _streams(refs, pad_with_first=pad)
        bleu = [sacrebleu.corpus_bleu(hyps, streams, **o).score for o in BLEU_OPTIONS]
        chrf = [_chrf_metric(o).corpus_score(hyps, streams).score for o in CHRF_OPTIONS]
        if pad:
            assert (bleu, chrf) == (out["bleu"], out["chrf"]), (
                "None padding differs from first-reference padding"
            )
        else:
            out = {"bleu": bleu, "chrf": chrf}
    return out


def main() -> None:
    cases = HANDMADE + random_cases(40)
    sentence = [{"hypothesis": h, "references": r, **sentence_values(h, r)} for h, r in cases]
    rng = random.Random(7)
    corpora = []
    for size in (1, 2, 3, 5, 8, 13, 21, 34, len(cases)):
        for _ in range(2):
            idx = sorted(rng.sample(range(len(cases)), min(size, len(cases))))
            hyps, refs = [cases[i][0] for i in idx], [cases[i][1] for i in idx]
            corpora.append({"cases": idx, **corpus_values(hyps, refs)})
    doc = {
        "reference": {"sacrebleu": version("sacrebleu")},
        "bleu_options": BLEU_OPTIONS,
        "chrf_options": CHRF_OPTIONS,
        "sentence": sentence,
        "corpus": corpora,
    }
    out = Path(__file__).with_name("bleu.json")
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}: {len(sentence)} sentence cases, {len(corpora)} corpora")


if __name__ == "__main__":
    main()
