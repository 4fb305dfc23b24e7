"""Regenerate text_metrics.json from the reference implementations.

References: jiwer 4.0.0 (`jiwer.cer`, `jiwer.wer`, per reference, min over references)
and `anls` 0.0.2 (`anls.anls_score`, DocVQA definition: threshold 0.5, max over
references); exact match is `pred.strip().lower() == ref.strip().lower()`, max over
references (VLMEvalKit's `accuracy`).

    python tests/data/golden/make_text_metrics.py
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import anls
import jiwer

NBSP = "\u00a0"
CASES: list[tuple[list[str], str]] = [
    (["ИВАНОВ"], "ИВАНОВ"),
    (["ИВАНОВ"], "Иванов"),
    (["ПЁТР"], "ПЕТР"),
    (["Ёлкин Семён"], "Елкин Семен"),
    (["ёж"], "ЁЖ"),
    (["45 12 345678"], f"45{NBSP}12{NBSP}345678"),
    ([f"12{NBSP}345,67"], "12 345,67"),
    (["Фамилия: ИВАНОВ"], "ИВАНОВ"),
    (["строка один\nстрока два"], "строка один строка два"),
    (["строка один\nстрока два\n\nтри"], "строка один\nстрока два\nтри"),
    (["a  b"], "a b"),
    ([" ab "], "ab"),
    (["ab"], "abcdefgh"),
    (["abc"], ""),
    (["Счёт-фактура № 123"], "Счет-фактура №123"),
    (["7707083893"], "7707083898"),
    (["7707083893", "ИНН 7707083893"], "ИНН 7707083893"),
    (["ООО «Ромашка»", "ООО Ромашка"], 'ООО "Ромашка"'),
    (["17.05.1990", "1990-05-17"], "1990-05-17"),
    (["Total: 12,345.67", "12345.67"], "12,345.67"),
    (["ab"], "ax"),
    (["abcd"], "abxy"),
    (["abcd"], "abcx"),
    (["Москва"], "г. Москва"),
    (["МУЖ."], "муж"),
    (["Жен."], "  жен.  "),
    (["Петров Пётр Петрович"], "Петров Петр Петрович"),
    (["ИНН"], "инн"),
    (["the cat sat"], "the cat sat on the mat"),
    (["A", "B", "C"], "c"),
    (["Долгая строка " * 20], "Долгая строка " * 19),
    (["line1\r\nline2"], "line1\nline2"),
    (["e\u0301"], "\u00e9"),
    (["Ğ", "G"], "g"),
    (["3 шт."], "3"),
    (["100%"], "100 %"),
    ([""], ""),
    (["Итого: 1 234 567,89 руб."], "Итого: 1234567,89 руб."),
    (["Total: 1,234,567.89"], "Total: 1 234 567.89"),
    (["НДС 20%"], "НДС 20 %"),
    (["Скидка 5,5%"], "скидка 5.5%"),
    (["01.02.2024"], "1.2.2024"),
    (["2024-02-01", "01.02.2024"], "01.02.24"),
    (["15 марта 2023 г."], "15.03.2023"),
    (["Café"], "Cafe\u0301"),
    (["Йошкар-Ола"], "И\u0306ошкар-Ола"),
    (["ёлка"], "е\u0308лка"),
    (["\u00a0ИНН\u00a07707083893\u00a0"], "ИНН 7707083893"),
    (["a\u2009b"], "a b"),
    (["ООО «Ромашка»\nИНН 7707083893\nКПП 770701001"], "ООО «Ромашка» ИНН 7707083893\nКПП 770701001"),
    (["первая строка\n\nвторая"], "первая строка\nвторая\n"),
    ([("Страница документа номер один. " * 70).strip()], ("Страница документа номер 1. " * 70).strip()),
    ([("Page text with several words. " * 80).strip()], ("Page text with severel words. " * 80).strip()),
    (["A" * 2500], "A" * 2499 + "B"),
    (["СНИЛС 112-233-445 95"], "СНИЛС 11223344595"),
    (["112-233-445 95", "11223344595"], "11223344595"),
    (["Паспорт: 45 12 345678"], "паспорт: 45 12 345678"),
    (["муж."], "МУЖ."),
    ([""], "лишний ответ"),
    (["ответ"], ""),
    (["  "], " "),
]


def main() -> None:
    rows = []
    for refs, pred in CASES:
        rows.append(
            {
                "references": refs,
                "prediction": pred,
                "cer": min(float(jiwer.cer(r, pred)) for r in refs),
                "wer": min(float(jiwer.wer(r, pred)) for r in refs),
                "anls": float(anls.anls_score(prediction=pred, gold_labels=refs, threshold=0.5)),
                "exact_match": float(any(pred.strip().lower() == r.strip().lower() for r in refs)),
            }
        )
    out = {"reference": {"jiwer": version("jiwer"), "anls": version("anls")}, "cases": rows}
    Path(__file__).with_name("text_metrics.json").write_text(
        json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
