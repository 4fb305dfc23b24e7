"""Regenerate token_f1.json by running CC-OCR's own OCR evaluator.

Reference: AlibabaResearch/AdvancedLiterateMachinery
``Benchmarks/CC-OCR/evaluation/evaluator/ocr_evaluator.py`` (MIT; VLMEvalKit's
``vlmeval/dataset/utils/ccocr_evaluator/ocr_evaluator.py`` is the same code). The file
is read from a checkout and executed with its one relative import (``BaseMetric``)
replaced by a stand-in that keeps the group name; nothing of it is stored here.

Each case is one image of a dataset of a track (the dataset name and the track pick
CC-OCR's tokenisation: characters for Arabic, Japanese, Korean and ``zh*`` datasets,
``[A-Za-z0-9]`` only for word-level ``multi_scene_ocr``). Recorded per case:
``OcrEvaluator(track).evaluate({img: prediction}, {img: reference}, dataset=name)``'s
``metric_config``, the tokens of both sides (``text_normalize_and_tokenize`` with that
config), ``right`` (``evaluate_single_sample``), and the image's F1, which is the
evaluator's ``macro_f1_score`` × (1 + 1e-9) (it divides the mean of one image by
1 + 1e-9). Each group is scored in one ``calculate_metrics`` call: its macro and micro
("mirco") F1.

    python tests/data/golden/token_f1/make_token_f1.py --cc-ocr PATH/TO/AdvancedLiterateMachinery
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
EVALUATOR = "Benchmarks/CC-OCR/evaluation/evaluator/ocr_evaluator.py"
NBSP, IDEO = "\u00a0", "\u3000"
LONG_RU = "Съешь же ещё этих мягких французских булок, да выпей чаю. " * 40

# (reference, prediction, dataset, track)
CASES: list[tuple[str, str, str, str]] = [
    ("Привет, мир!", "Привет, мир!", "Russian", "multi_lan_ocr"),
    ("Привет, мир!", "привет, МИР!", "Russian", "multi_lan_ocr"),
    ("Привет, мир!", "Привет мир", "Russian", "multi_lan_ocr"),
    ("Съешь ещё", "Съешь еще", "Russian", "multi_lan_ocr"),
    ("ООО «Ромашка» ИНН 7707083893", "ООО Ромашка ИНН 7707083893", "Russian", "multi_lan_ocr"),
    ("мир мир мир", "мир", "Russian", "multi_lan_ocr"),
    ("мир", "мир мир мир", "Russian", "multi_lan_ocr"),
    ("один два три", "три два один", "Russian", "multi_lan_ocr"),
    ("строка 1\nстрока 2\n\nстрока 3", "строка 1 строка 2 строка 3", "Russian", "multi_lan_ocr"),
    ("a\tb\tc", "a b c", "Russian", "multi_lan_ocr"),
    ("### Заголовок ###", "Заголовок", "Russian", "multi_lan_ocr"),
    ("***жирный*** текст", "жирный текст", "Russian", "multi_lan_ocr"),
    ("a##b", "a##b", "Russian", "multi_lan_ocr"),
    (f"45{NBSP}12{NBSP}345678", "45 12 345678", "Russian", "multi_lan_ocr"),
    (f"слово{IDEO}слово", "слово слово", "Russian", "multi_lan_ocr"),
    ("  пробелы   вокруг  ", "пробелы вокруг", "Russian", "multi_lan_ocr"),
    ("Цена: 1 234,50 ₽", "", "Russian", "multi_lan_ocr"),
    ("", "что-то", "Russian", "multi_lan_ocr"),
    ("", "", "Russian", "multi_lan_ocr"),
    ("   ", "\n", "Russian", "multi_lan_ocr"),
    (LONG_RU, LONG_RU.replace("ещё", "еще"), "Russian", "multi_lan_ocr"),
    ("Le café est très bon.", "le cafe est très bon.", "French", "multi_lan_ocr"),
    ("Straße GROSS", "strasse gross", "German", "multi_lan_ocr"),
    ("İstanbul", "i̇stanbul", "Spanish", "multi_lan_ocr"),
    ("Tiếng Việt có dấu", "Tieng Viet co dau", "Vietnamese", "multi_lan_ocr"),
    ("東京タワー 333m", "東京タワー333M", "Japanese", "multi_lan_ocr"),
    ("こんにちは", "こんにちわ", "Japanese", "multi_lan_ocr"),
    ("안녕하세요 세계", "안녕하세요세계", "Korean", "multi_lan_ocr"),
    ("مرحبا بالعالم", "مرحبا العالم", "Arabic", "multi_lan_ocr"),
    ("Olá mundo", "Ola mundo", "Portuguese", "multi_lan_ocr"),
    ("Ciao mondo 🙂", "ciao mondo", "Italian", "multi_lan_ocr"),
    ("STOP\nAhead", "stop ahead!", "IC15", "multi_scene_ocr"),
    ("Café-Bar 24h", "Cafe Bar 24H", "IC15", "multi_scene_ocr"),
    ("МОСКВА 2024", "Москва 2024", "TotalText", "multi_scene_ocr"),
    ("МОСКВА", "Москва", "TotalText", "multi_scene_ocr"),
    ("e-mail: a@b.com", "email abcom", "InverseText", "multi_scene_ocr"),
    ("!!! ???", "...", "Hieragent", "multi_scene_ocr"),
    ("北京欢迎你 Beijing", "北京欢迎您 beijing!", "zh_scene", "multi_scene_ocr"),
    ("竖排文字", "竖 排 文 字", "zh_vertical", "multi_scene_ocr"),
    ("密集 文本 Dense", "密集文本dense", "zh_dense", "multi_scene_ocr"),
    ("手写 体", "手写体", "zh_handwriting", "multi_scene_ocr"),
    ("TOTAL 60,000", "Total 60.000", "CORD", "multi_scene_ocr"),
    ("DATE: 03/12/2024", "date 03122024", "FUNSD", "multi_scene_ocr"),
    ("The quick brown fox", "the quick brown fox jumps", "IAM", "multi_scene_ocr"),
    ("laion caption text", "", "ugc_laion", "multi_scene_ocr"),
    ("中文 文档", "中文文档", "zh_doc", "multi_scene_ocr"),
    ("a a b b c", "a b c c c", "IC15", "multi_scene_ocr"),
    ("x", "x", "IC15", "multi_scene_ocr"),
    ("Ab1", "aB1", "Russian", "multi_lan_ocr"),
    ("tab\tnew\nline", "tab new line", "French", "multi_lan_ocr"),
    ("x\r\ny", "x y", "German", "multi_lan_ocr"),
    ("ё Ё е", "е е е", "Russian", "multi_lan_ocr"),
    ("一二三", "一二三四五", "Japanese", "multi_lan_ocr"),
    ("가나다", "", "Korean", "multi_lan_ocr"),
    ("123 456", "123 456 789", "Arabic", "multi_lan_ocr"),
]
GROUPS = {
    "Russian (multi_lan_ocr)": [i for i, c in enumerate(CASES) if c[2] == "Russian"],
    "IC15 (multi_scene_ocr)": [i for i, c in enumerate(CASES) if c[2] == "IC15"],
    "Japanese (multi_lan_ocr)": [i for i, c in enumerate(CASES) if c[2] == "Japanese"],
}


def git_source(checkout: Path, path: str) -> tuple[str, str]:
    """A file at HEAD of a checkout (work tree or bare git dir) and the commit hash."""
    git = ["git", "-C", str(checkout)] if (checkout / ".git").exists() else ["git", f"--git-dir={checkout}"]

    def run(*args: str) -> str:
        return subprocess.run([*git, *args], check=True, capture_output=True, encoding="utf-8").stdout

    return run("show", f"HEAD:{path}"), run("rev-parse", "HEAD").strip()


class BaseMetric:
    """Stands in for ``common.BaseMetric``: the evaluator uses only ``group_name``."""

    def __init__(self, group_name: str, **kwargs: Any) -> None:
        self.group_name = group_name


def load_evaluator(checkout: Path) -> tuple[dict[str, Any], str]:
    source, commit = git_source(checkout, EVALUATOR)
    source = source.replace("from .common import BaseMetric", "")
    namespace: dict[str, Any] = {"__name__": "ocr_evaluator", "BaseMetric": BaseMetric}
    exec(compile(source, EVALUATOR, "exec"), namespace)
    return namespace, commit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cc-ocr", type=Path, required=True)
    args = parser.parse_args()
    ns, commit = load_evaluator(args.cc_ocr)
    cases = []
    for reference, prediction, dataset, track in CASES:
        evaluator = ns["OcrEvaluator"](track)
        result = evaluator.evaluate({"img": prediction}, {"img": reference}, dataset=dataset)
        config = result["metric_config"]
        options = (config["word_level"], config["lowercase"], config["alphanum_only"])
        ref_tokens = ns["text_normalize_and_tokenize"](str(reference).strip(), *options)
        pred_tokens = ns["text_normalize_and_tokenize"](str(prediction).strip(), *options)
        right = ns["evaluate_single_sample"](ref_tokens, pred_tokens)
        cases.append(
            {
                "reference": reference,
                "prediction": prediction,
                "dataset": dataset,
                "track": track,
                "metric_config": config,
                "reference_tokens": ref_tokens,
                "answer_tokens": pred_tokens,
                "right": right,
                "f1": result["summary"]["macro_f1_score"] * (1 + 1e-9),
            }
        )
    groups = {}
    for name, members in GROUPS.items():
        track, dataset = CASES[members[0]][3], CASES[members[0]][2]
        evaluator = ns["OcrEvaluator"](track)
        result = evaluator.evaluate(
            {f"img{i}": CASES[i][1] for i in members},
            {f"img{i}": CASES[i][0] for i in members},
            dataset=dataset,
        )
        groups[name] = {"cases": members, **result["summary"]}
    document = {
        "metric": "token_f1",
        "reference": {
            "repository": "AlibabaResearch/AdvancedLiterateMachinery",
            "commit": commit,
            "file": EVALUATOR,
            "call": "OcrEvaluator(track).evaluate({img: prediction}, {img: reference}, dataset=name)",
        },
        "cases": cases,
        "groups": groups,
    }
    HERE.joinpath("token_f1.json").write_text(
        json.dumps(document, ensure_ascii=False, indent=1) + "\n", "utf-8"
    )


if __name__ == "__main__":
    main()
