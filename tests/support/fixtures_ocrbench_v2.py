"""A tiny OCRBench v2 in its official layout: every task type, EN and CN, odd cases included.

``ROWS`` imitate ``OCRBench_v2.json`` (same keys: ``dataset_name``, ``type``, ``id``,
``image_path`` under ``EN_part/`` or ``CN_part/``, ``question``, ``answers`` and, where
the type has them, ``eval``, ``bbox``, ``content``); ``PREDICTIONS`` is what the scripted
model answers, by ``id``. ``RAISING`` are rows on which the official ``eval.py`` raises
(kept out of ``ROWS``, which must score end to end). The golden script
tests/data/golden/benchmarks/ocrbench_v2/make_ocrbench_v2.py imports this module to
score the same rows with the official code, so it imports nothing of vlmhyperbench
(Pillow only, to draw pages).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

TABLE = "<table><tr><td>a</td><td>b</td></tr><tr><td>1</td><td>2</td></tr></table>"
TABLE_CN = "<table><tr><td>姓名</td><td>年龄</td></tr><tr><td>张三</td><td>20</td></tr></table>"
MARKDOWN = "| a | b |\n| --- | --- |\n| 1 | 2 |"
SPOT_BOXES = [[100, 100, 200, 100, 200, 150, 100, 150], [300, 300, 400, 300, 400, 350, 300, 350]]


def _row(kind: str, question: str, answers: Any, prediction: str, **extra: Any) -> dict[str, Any]:
    language = "EN" if kind.endswith(" en") else "CN"
    slug = kind.replace(" ", "_")
    return {
        "dataset_name": f"{slug}_set",
        "type": kind,
        "question": question,
        "answers": answers,
        **extra,
        "image_path": f"{language}_part/{slug}/{{id}}.png",
        "predict": prediction,
    }


_CASES: list[dict[str, Any]] = [
    # VQA, EN: substring for short references, ANLS >= 0.5 for long ones
    _row("text recognition en", "What is written?", ["Hello"], "hello world"),
    _row("text recognition en", "What is written?", ["STOP"], "It says: Stop."),
    _row("text recognition en", "Read it.", ["McDonald"], "mcdonald", eval="case sensitive"),
    _row("text recognition en", "Read it.", ["McDonald"], "The sign reads McDonald", eval="case sensitive"),
    _row(
        "text recognition en",
        "Read the line.",
        ["The Quick Brown Fox Jumps Over"],
        "The Quick Brown Fox Jumped Over",
        eval="case sensitive",
    ),
    _row("document classification en", "What kind of document?", ["letter", "memo"], "memo"),
    _row(
        "cognition VQA en",
        "What changed?",
        ["the meeting was moved to next friday"],
        "The meeting was moved to Friday.",
    ),
    _row("cognition VQA en", "What changed?", ["the meeting was moved to next friday"], "nothing at all"),
    _row("science QA en", "Which? A, B or C", ["B"], "B", eval="multiple choice"),
    _row("science QA en", "Which? A, B or C", ["B"], "(B) photosynthesis", eval="multiple choice"),
    _row("APP agent en", "Which button?", ["C"], "C.", eval="multiple choice"),
    _row("ASCII art classification en", "What is drawn?", ["A"], "a", eval="multiple choice"),
    _row("math QA en", "What is the total?", [42], "The answer is 42"),
    _row("diagram QA en", "Which organelle?", ["mitochondria"], ""),
    _row("reasoning VQA en", "Is it open?", ["yes"], "Yes\n"),
    # VQA, CN: spaces removed, "short" = fewer than 4 comma-separated parts
    _row("cognition VQA cn", "这是哪个城市？", ["北京"], "答案是北京"),
    _row("cognition VQA cn", "写了什么？", ["hello world"], "HelloWorld"),
    _row("reasoning VQA cn", "有哪些水果？", ["苹果,香蕉,橙子,葡萄"], "苹果,香蕉,橙子"),
    _row("reasoning VQA cn", "选哪个？", ["C"], "选C", eval="multiple choice"),
    _row("cognition VQA cn", "写了什么？", ["ABC"], "abc", eval="case sensitive"),
    # counting
    _row("text counting en", "How many words?", ["5"], "There are 5 words", eval="exact match"),
    _row("text counting en", "How many words?", ["12"], "1 2", eval="exact match"),
    _row("text counting en", "How many words?", ["10"], "I count 8 words", eval="regression"),
    _row("text counting en", "How many words?", ["10"], "25", eval="regression"),
    _row("text counting en", "How many words?", ["10"], "none", eval="regression"),
    _row("text counting en", "How many words?", ["10"], "0 or 4", eval="regression"),
    _row("text counting en", "How many words?", [7], "about 6", eval="regression"),
    # formulas
    _row("formula recognition en", "Write the LaTeX.", ["\\frac{a}{b}"], "$$\\frac{a} {b}$$"),
    _row("formula recognition en", "Write the LaTeX.", ["x^2"], "x^{2}"),
    _row("formula recognition cn", "写出公式。", ["\\text{速度} = v"], "速度=v"),
    _row("formula recognition cn", "写出公式。", ["NaN"], "NaN"),
    # handwriting
    _row("handwritten answer extraction cn", "学生选择了哪些选项？", ["ABD"], "A、B、D"),
    _row("handwritten answer extraction cn", "学生选择了哪个选项？", ["C"], "答案:C"),
    _row("handwritten answer extraction cn", "学生选择了哪些选项？", ["AB"], "A 和 B"),
    _row(
        "handwritten answer extraction cn",
        "简答题：学生的回答是什么？",
        ["光合作用需要阳光和水"],
        "光合作用需要阳光",
    ),
    # long text: (BLEU + METEOR + F1 + (1 - NED)) / 4
    _row(
        "full-page OCR en",
        "Read all the text.",
        ["The quick brown fox jumps over the lazy dog"],
        "The quick brown fox jumped over the lazy dog",
    ),
    _row("full-page OCR en", "Read all the text.", ["Some text"], ""),
    _row("full-page OCR en", "Read all the text.", ["Some text here"], "   "),
    _row("fine-grained text recognition en", "Read the region.", ["Total due: $45.00"], "Total due $45.00"),
    _row("fine-grained text recognition en", "Read the region.", ["Total 45"], "总计 45"),
    _row(
        "full-page OCR cn",
        "识别图中所有文字。",
        ["今天天气很好，我们去公园散步。"],
        "今天天气很好，我们去公园。",
    ),
    _row("full-page OCR cn", "识别图中所有文字。", ["文字"], ""),
    _row(
        "text translation cn",
        "把图中的文字翻译成英文。",
        ["The weather is nice today"],
        "Today the weather is nice",
    ),
    _row("text translation cn", "把图中的文字翻译成中文。", ["今天天气很好"], "今天天气不错"),
    _row("text translation cn", "把图中的文字翻译成中文。", [""], "something"),
    _row("text translation cn", "把图中的文字翻译成中文。", ["今天"], ""),
    # key information
    _row(
        "key information extraction en",
        "Extract company and total as JSON.",
        [{"company": ["ACME"], "total": ["30.00"]}],
        '{"company": "ACME", "total": "30.00"}',
    ),
    _row(
        "key information extraction en",
        "Extract company and total as JSON.",
        [{"company": ["ACME"], "total": ["30.00"]}],
        '```json\n{"company": "acme inc", "total": "30.00"}\n```',
    ),
    _row(
        "key information extraction en",
        "Extract date and total.",
        [{"date": ["2024/9/27", "27/09/2024"], "total": ["30"]}],
        "date: 27/09/2024\ntotal: 30",
    ),
    _row(
        "key information mapping en",
        "Map the fields.",
        ['{"name": "Bob", "age": "30"}'],
        "{'name': 'Bob', 'age': 31}",
    ),
    _row(
        "key information mapping en",
        "Map the fields.",
        [{"a": "xy", "b": ["1"]}],
        '{"a": "x", "b": "1"}',
    ),
    _row("key information extraction en", "Extract the fields.", [{"name": ["Bob"]}], "no idea"),
    _row(
        "key information extraction cn",
        "提取公司和金额。",
        ["{'公司': '阿里巴巴', '金额': ['100', '100.00']}"],
        '{"公司": "阿里巴巴", "金额": "100.00"}',
    ),
    _row(
        "key information extraction cn",
        "提取公司和金额。",
        ["{'公司': '阿里巴巴', '金额': '100'}"],
        '{"公司": "阿里巴巴", "金额": "100", "日期": "2024"}',
    ),
    # tables, charts, documents
    _row(
        "table parsing en",
        "Convert the table to HTML.",
        [TABLE],
        "```html\n<table>\n<tr><td>a</td><td>b</td></tr><tr><td>1</td><td>3</td></tr>\n</table>\n```",
    ),
    _row("table parsing en", "Convert the table to HTML.", [TABLE], "a b 1 2"),
    _row(
        "table parsing en",
        "Convert the table to HTML.",
        [TABLE],
        "<html><body><table><tr><td>a</td><td>b</td></tr></table></body></html>",
    ),
    _row(
        "table parsing en",
        "Convert the table to HTML.",
        [TABLE],
        '<table><tr><td colspan="x">a</td></tr></table>',
    ),
    _row(
        "table parsing en",
        "Convert the table to Markdown.",
        [MARKDOWN],
        "```markdown\n| a | b |\n|---|---|\n| 1 | 2 |\n```",
    ),
    _row(
        "table parsing en", "Convert the table to Markdown.", [MARKDOWN], "| a | c |\n|--|--|\n| 1 | 2 | 3 |"
    ),
    _row(
        "table parsing cn",
        "把表格转换成HTML。",
        [TABLE_CN],
        "<table><tr><td>姓名</td><td>年龄</td></tr><tr><td>张三</td><td>21</td></tr></table>",
    ),
    _row(
        "chart parsing en",
        "Convert the chart to a Python dict.",
        [{"Sales": {"2020": 10, "2021": 20}}],
        "```python\n{'Sales': {'2020': 10, '2021': 25}}\n```",
    ),
    _row(
        "chart parsing en",
        "Convert the chart to a Python dict.",
        [{"x": ["a", "b"]}],
        "The chart shows sales",
    ),
    _row("chart parsing en", "Convert the chart to a Python dict.", [{"x": ["a", "b"]}], ""),
    _row(
        "chart parsing en",
        "Convert the chart to a Python dict.",
        [{"x": ["a", "b"], "y": 3}],
        "data = {'x': ['a', 'b'], 'y': 3}  # values",
    ),
    _row(
        "document parsing en",
        "Convert the page to Markdown.",
        ["# Title\nSome text\n## Section\nMore text"],
        "# Title\nSome text\n## Section\nOther text\nExtra",
    ),
    _row(
        "document parsing en",
        "Convert the page to Markdown.",
        ["Intro\n# Intro\nbody *bold* text_x\n\n## Next  }"],
        "Intro\n# Intro\nbody\n## Next}",
    ),
    _row(
        "document parsing cn",
        "把页面转换成Markdown。",
        ["# 标题\n正文内容\n\n## 第二节\n内容"],
        "标题\n正文内容",
    ),
    # boxes
    _row(
        "VQA with position en",
        "What is written, and where?",
        ["Hello"],
        '{"answer": "hello there", "bbox": [110, 110, 200, 200]}',
        bbox=[100, 100, 200, 200],
    ),
    _row(
        "VQA with position en", "What and where?", ["Hello"], '{"answer": "nope"}', bbox=[100, 100, 200, 200]
    ),
    _row(
        "VQA with position en",
        "What and where?",
        ["Hello"],
        "answer: Hello, bbox: [100, 100, 200, 200]",
        bbox=[100, 100, 200, 200],
    ),
    _row(
        "text grounding en", "Where is 'Total'?", [100, 200, 300, 400], "The text is at [110, 200, 300, 420]"
    ),
    _row(
        "text grounding en",
        "Where is 'Total'?",
        [100, 200, 300, 400],
        "(0,0,10,10) then [100, 200, 300, 400]",
    ),
    _row("text grounding en", "Where is 'Total'?", [100, 200, 300, 400], "[100, 200, 3000, 400]"),
    _row("text grounding en", "Where is 'Total'?", [100, 200, 300, 400], "top left"),
    _row(
        "text spotting en",
        "Spot all text.",
        ["HELLO", "World!"],
        "[[100, 100, 200, 150, 'hello'], [300, 300, 400, 350, 'World']]",
        bbox=SPOT_BOXES,
        content=["HELLO", "World!"],
    ),
    _row(
        "text spotting en",
        "Spot all text.",
        ["HELLO", "World!"],
        "[[100, 100, 200, 150, 'HELO'], [300, 300, 400, 350, 'World'], [500, 500, 600, 600, 'extra']]",
        bbox=SPOT_BOXES,
        content=["HELLO", "World!"],
    ),
    _row(
        "text spotting en",
        "Spot all text.",
        ["###", "ABC"],
        "[[100, 100, 200, 150, 'xyz'], [300, 300, 400, 350, 'abc']]",
        bbox=SPOT_BOXES,
        content=["###", "ABC"],
    ),
    _row(
        "text spotting en",
        "Spot all text.",
        ["HELLO", "World!"],
        "(100, 100, 200, 150, hello) and (300,300,400,350,Wor ld)",
        bbox=SPOT_BOXES,
        content=["HELLO", "World!"],
    ),
    _row("text spotting en", "Spot all text.", ["HELLO"], "no text", bbox=SPOT_BOXES[:1], content=["HELLO"]),
    # IoU exactly 0.5 is no match (the script wants > 0.5); 0.9 is one
    _row(
        "text spotting en",
        "Spot all text.",
        ["HELLO", "World!"],
        "[[100, 100, 150, 150, 'HELLO'], [300, 300, 390, 350, 'World']]",
        bbox=SPOT_BOXES,
        content=["HELLO", "World!"],
    ),
    # a heading whose label equals an earlier line: its lines go under that line (zss Node.get)
    _row(
        "document parsing en",
        "Convert the page to Markdown.",
        ["Next}\n#Next  }\nbody"],
        "Next}\n#Next}\nbody",
    ),
]

_RAISING: list[dict[str, Any]] = [
    _row("text counting en", "How many words?", ["5"], "5"),  # no eval: KeyError
    _row("text recognition en", "Read it.", ["x"], "x", eval="fuzzy"),  # unknown eval
    _row("full-page OCR cn", "识别文字。", ["abc"], " "),  # F1 of no tokens is None
    _row("table parsing en", "Convert the table.", [TABLE], TABLE),  # neither HTML nor Markdown asked
    _row("handwritten answer extraction cn", "简答题：写了什么？", [""], ""),  # 0 / 0
]


def _numbered(rows: list[dict[str, Any]], start: int) -> list[dict[str, Any]]:
    out = []
    for number, row in enumerate(rows, start=start):
        out.append({**row, "id": number, "image_path": row["image_path"].format(id=number)})
    return out


ROWS = [{k: v for k, v in row.items() if k != "predict"} for row in _numbered(_CASES, 0)]
PREDICTIONS = {str(row["id"]): row["predict"] for row in _numbered(_CASES, 0)}
RAISING = [{k: v for k, v in row.items() if k != "predict"} for row in _numbered(_RAISING, 1000)]
RAISING_PREDICTIONS = {str(row["id"]): row["predict"] for row in _numbered(_RAISING, 1000)}


def draw(path: Path, seed: int) -> None:
    """A tiny PNG whose colour depends on ``seed``."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (16, 12), (seed * 37 % 256, seed * 91 % 256, seed * 53 % 256)).save(path)


def write_ocrbench_v2(root: Path, rows: list[dict[str, Any]] = ROWS) -> Path:
    """``OCRBench_v2/OCRBench_v2.json`` and the pages under ``EN_part/`` and ``CN_part/``."""
    folder = root / "OCRBench_v2"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "OCRBench_v2.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    for row in rows:
        draw(folder / row["image_path"], int(row["id"]))
    return root


def nltk_wordnet(target: Path) -> Path | None:
    """An NLTK data folder made from Debian's WordNet by the project's own recipe
    (``vlmhyperbench/metrics/_wordnet.py``, loaded by path: it needs only the standard
    library, so the golden script's scratch venv can use it too); None without it."""
    source = Path(__file__).resolve().parents[2] / "src" / "vlmhyperbench" / "metrics" / "_wordnet.py"
    spec = importlib.util.spec_from_file_location("_vlmhb_wordnet", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    made: Path | None = module.wordnet_from_debian(target)
    return made


def hf_rows(rows: list[dict[str, Any]] = ROWS) -> list[dict[str, Any]]:
    """The rows as the Hugging Face copy ``lmms-lab/OCRBench-v2`` holds them (its upload script,
    EvolvingLMMs-Lab/lmms-eval: lmms_eval/tasks/ocrbench_v2/upload_ocrbench_v2.py): answers as
    strings (dicts as JSON, numbers with ``str``), ``eval`` as ``str(eval)`` ("None" when
    absent), spotting boxes in ``bbox_list``; no ``image_path``."""
    out = []
    for row in rows:
        spotting = row["type"] == "text spotting en"
        out.append(
            {
                "id": row["id"],
                "dataset_name": row["dataset_name"],
                "question": row["question"],
                "type": row["type"],
                "answers": [
                    json.dumps(a, ensure_ascii=False) if isinstance(a, dict) else str(a)
                    for a in row["answers"]
                ],
                "eval": str(row.get("eval")),
                "bbox": None if spotting else row.get("bbox"),
                "bbox_list": row.get("bbox") if spotting else None,
                "content": row.get("content"),
            }
        )
    return out
