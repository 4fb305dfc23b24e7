"""Regenerate anls.json by running the reference implementation: the `anls` package.

Reference: PyPI `anls` 0.0.2 (shunk031/ANLS: anls/metrics/score.py), ``anls_score(
prediction, gold_labels, threshold=0.5)``: strip, lowercase, collapse whitespace, then
``1 - NL`` if ``NL < 0.5`` else 0, max over the gold labels.

    pip install anls==0.0.2
    python tests/data/golden/anls/make_anls.py

``string_cases()`` is also the case list of make_anls_vlmevalkit.py and make_ned.py.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

NBSP = "\u00a0"
LONG = (
    "Счёт-фактура № 123 от 17.05.1990. Покупатель: ООО «Ромашка», ИНН 7707083893, "
    "КПП 770701001. Total: 12,345.67 RUB (НДС 20%). Ёмкость 1 000 л; café crème. "
) * 16
assert len(LONG) > 2000


def _every(text: str, step: int, repl: str) -> str:
    return "".join(repl if i % step == step - 1 else ch for i, ch in enumerate(text))


def string_cases() -> list[tuple[list[str], str]]:
    """(references, prediction) pairs: Cyrillic, ё/е, NBSP, Unicode forms, numbers, long text."""
    return [
        (["ИВАНОВ"], "ИВАНОВ"),
        (["ИВАНОВ"], "Иванов"),
        (["ПЁТР"], "ПЕТР"),
        (["Ёлкин Семён"], "Елкин Семен"),
        (["ёж"], "ЁЖ"),
        (["Петров Пётр Петрович"], "Петров Петр Петрович"),
        (["45 12 345678"], f"45{NBSP}12{NBSP}345678"),
        ([f"12{NBSP}345,67"], "12 345,67"),
        (["Номер: 45 12 345678"], "45 12 345678"),
        (["Фамилия: ИВАНОВ"], "ИВАНОВ"),
        (["строка один\nстрока два"], "строка один строка два"),
        (["строка один\nстрока два\n\nтри"], "строка один\nстрока два\nтри"),
        (["line1\r\nline2"], "line1\nline2"),
        (["Tab\tseparated"], "Tab separated"),
        (["a  b"], "a b"),
        ([" ab "], "ab"),
        (["ab"], "  ab  "),
        (["abcd"], " abxy "),
        (["ab"], "abcdefgh"),
        (["ab"], "ax"),
        (["abcd"], "abxy"),
        (["abcd"], "abcx"),
        (["abc"], ""),
        ([""], ""),
        ([""], "abc"),
        (["\t"], ""),
        (["   "], "x"),
        (["Москва"], "г. Москва"),
        (["МУЖ."], "муж"),
        (["Жен."], "  жен.  "),
        (["ДА"], "Да."),
        (["ИНН"], "инн"),
        (["ПАСПОРТ"], "\u041fAC\u041fOPT"),  # Latin look-alikes A, C, O, P, T
        (["Счёт-фактура № 123"], "Счет-фактура №123"),
        (["ООО «Ромашка»", "ООО Ромашка"], 'ООО "Ромашка"'),
        (["7707083893"], "7707083898"),
        (["7707083893", "ИНН 7707083893"], "ИНН 7707083893"),
        (["A", "B", "C"], "c"),
        (["abc", "xyz", "abd"], "abd "),
        (["the cat sat"], "the cat sat on the mat"),
        (["17.05.1990", "1990-05-17"], "1990-05-17"),
        (["17.05.1990"], "17/05/1990"),
        (["17 мая 1990 г."], "17.05.1990"),
        (["Total: 12,345.67", "12345.67"], "12,345.67"),
        (["1,000"], "1000"),
        (["1 000 000"], "1000000"),
        (["50%"], "50 %"),
        (["0.05"], "5%"),
        (["3 шт."], "3"),
        (["N/A"], "n/a"),
        (["e\u0301"], "\u00e9"),
        (["caf\u00e9"], "cafe\u0301"),
        (["Ğ", "G"], "g"),
        (["straße"], "STRASSE"),
        (["ßßßß"], "ßßßx"),
        (["İstanbul"], "istanbul"),
        (["ﬁle"], "file"),
        ([LONG], LONG),
        ([LONG], _every(LONG, 10, "#")),
        ([LONG], _every(LONG, 3, "#")),
        ([LONG], LONG.replace("ё", "е").replace("Ё", "Е")),
        ([LONG], LONG.replace(" ", "  ")),
        ([LONG, "short"], LONG[:1000]),
        ([LONG], LONG.upper()),
        ([LONG], ""),
    ]


def main() -> None:
    import anls

    rows = [
        {
            "references": refs,
            "prediction": pred,
            "expected": float(anls.anls_score(prediction=pred, gold_labels=refs, threshold=0.5)),
        }
        for refs, pred in string_cases()
    ]
    out = {
        "metric": "anls",
        "reference": {
            "package": "anls",
            "version": version("anls"),
            "source": "shunk031/ANLS: anls/metrics/score.py",
            "call": "anls.anls_score(prediction=pred, gold_labels=refs, threshold=0.5)",
        },
        "cases": rows,
    }
    Path(__file__).with_name("anls.json").write_text(
        json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
