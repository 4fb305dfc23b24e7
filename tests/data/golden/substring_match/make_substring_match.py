"""Regenerate substring_match.json by running OCRBench v1's own scoring loop.

Reference: Yuliang-Liu/MultimodalOCR OCRBench/example.py. Its scoring is inline in the
``__main__`` block: the ``for i in range(len(data)):`` loop that sets
``data[i]['result']`` (the one mentioning "HME100k"). The script parses the file, takes
that loop statement and executes it on a ``data`` list built from the cases, once as an
ordinary dataset (expected ``default``) and once as ``dataset_name == "HME100k"``
(expected ``hme100k``: case kept, ASCII spaces removed).

    python tests/data/golden/substring_match/make_substring_match.py --ocrbench PATH/TO/MultimodalOCR
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NBSP = "\u00a0"
LONG = ("Счёт-фактура № 123 от 17.05.1990, ООО «Ромашка», ИНН 7707083893. Total: 12,345.67 RUB. ") * 24
assert len(LONG) > 2000


def git_source(checkout: Path, path: str) -> tuple[str, str]:
    """A file at HEAD of a checkout (work tree or bare git dir) and the commit hash."""
    git = ["git", "-C", str(checkout)] if (checkout / ".git").exists() else ["git", f"--git-dir={checkout}"]

    def run(*args: str) -> str:
        return subprocess.run([*git, *args], check=True, capture_output=True, encoding="utf-8").stdout

    return run("show", f"HEAD:{path}"), run("rev-parse", "HEAD").strip()


def scoring_loop(source: str, filename: str) -> Any:
    """The compiled ``for`` statement of ``__main__`` that scores ``data``."""
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.For) and "HME100k" in ast.unparse(node) and "'result'" in ast.unparse(node):
            return compile(ast.Module(body=[node], type_ignores=[]), filename, "exec")
    raise SystemExit(f"{filename}: scoring loop not found")


def cases() -> list[tuple[list[str], str]]:
    """(answers, prediction)."""
    return [
        (["CENTRE"], "The word is centre."),
        (["centre"], "center"),
        (["ИВАНОВ"], "Фамилия: Иванов"),
        (["Пётр"], "Петр"),
        (["Петр"], "Пётр"),
        (["ёж"], "ЁЖИК"),
        (["45 12 345678"], f"45{NBSP}12{NBSP}345678"),
        ([f"45{NBSP}12"], "45 12"),
        (["12 345"], "12\n345"),
        (["12\n345"], "12 345"),
        (["a\nb"], "a\r\nb"),
        (["a b"], "a\tb"),
        (["line one\nline two"], "Line One\nLine Two\n"),
        (["x^2+y^2"], "x ^ 2 + y ^ 2"),
        (["\\frac{a}{b}"], "\\frac {a} {b}"),
        (["\\frac { a } { b }"], "$\\frac{a}{b}$"),
        (["Abc"], "abc"),
        (["abc"], "ABC"),
        ([""], "anything"),
        (["abc"], ""),
        ([""], ""),
        ([" "], ""),
        (["1,000"], "1000"),
        (["1000"], "It costs 1,000"),
        (["50%"], "It is 50 %"),
        (["50%"], "50% of it"),
        (["0.5"], "50%"),
        (["17.05.1990"], "Дата: 17.05.1990 г."),
        (["1990-05-17"], "17.05.1990"),
        (["\u00e9"], "e\u0301"),
        (["caf\u00e9"], "CAF\u00c9"),
        (["yes", "no"], "No."),
        (["New York", "NYC"], "nyc"),
        (["New York", "NYC"], "Boston"),
        ([" padded "], "the padded word"),
        (["tab\tsep"], "tab sep"),
        (["İ"], "i\u0307"),
        (["ß"], "SS"),
        (["straße"], "STRASSE"),
        (["two"], "2"),
        (["2"], "two"),
        (["ООО «Ромашка»"], 'ООО "Ромашка"'),
        (["Ромашка"], "ООО «Ромашка»"),
        (["7707083893"], "ИНН 7707083893, КПП 770701001"),
        (["7707083893"], "ИНН 770 708 3893"),
        (["ПАСПОРТ"], "\u041fAC\u041fOPT"),
        (["\n"], "x y"),
        (["abc\n"], "ABC"),
        ([LONG[:50]], LONG),
        ([LONG], LONG.upper()),
        ([LONG], LONG[:-1]),
        ([LONG.replace(" ", "\n")], LONG),
        ([LONG], LONG.replace(" ", "")),
        (["a", "b", "c"], "C"),
        (["X Y"], "xy"),
        (["x y"], "X  Y"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ocrbench", type=Path, required=True, help="a MultimodalOCR checkout")
    args = parser.parse_args()
    path = "OCRBench/example.py"
    source, commit = git_source(args.ocrbench, path)
    loop = scoring_loop(source, path)

    def run(dataset_name: str) -> list[float]:
        data = [
            {"type": "t", "dataset_name": dataset_name, "answers": list(answers), "predict": pred}
            for answers, pred in cases()
        ]
        exec(loop, {"data": data})
        return [float(item["result"]) for item in data]

    default, hme = run("IIIT5K"), run("HME100k")
    rows = [
        {"references": a, "prediction": p, "expected": {"default": d, "hme100k": h}}
        for (a, p), d, h in zip(cases(), default, hme)
    ]
    out = {
        "metric": "substring_match",
        "reference": {
            "repository": "Yuliang-Liu/MultimodalOCR",
            "commit": commit,
            "file": path,
            "call": "the __main__ scoring loop over data[i]['answers'] / data[i]['predict'] "
            "(dataset_name 'IIIT5K' for 'default', 'HME100k' for 'hme100k')",
        },
        "options": {
            "default": {},
            "hme100k": {"case_sensitive": True, "remove_spaces": True},
        },
        "cases": rows,
    }
    HERE.joinpath("substring_match.json").write_text(
        json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
