"""Tiny data made at test time: rendered pages and datasets in both layouts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

TINY_SAMPLES = [
    # id, doc_class, question_type, question, answer, page lines
    ("s-001", "passport", "Фамилия", "Какая фамилия?", "ИВАНОВ", ["Фамилия: ИВАНОВ", "Имя: ПЁТР"]),
    ("s-002", "passport", "Имя", "Какое имя?", "ПЁТР", ["Фамилия: ИВАНОВ", "Имя: ПЁТР"]),
    ("s-003", "invoice", "ИНН продавца", "Какой ИНН продавца?", "7707083893", ["ИНН продавца: 7707083893"]),
]


def render_page(path: Path, lines: list[str], size: tuple[int, int] = (480, 160)) -> Path:
    """Draw text lines on a white page and save it (PNG or JPEG by suffix)."""
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    try:
        font = ImageFont.truetype(FONT, 22)
    except OSError:
        font = ImageFont.load_default()
    for i, line in enumerate(lines):
        draw.text((16, 16 + i * 34), line, fill="black", font=font)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path


def make_jsonl_dataset(root: Path, samples=TINY_SAMPLES, task: str = "vqa") -> Path:
    """A JSONL-layout dataset of the tiny samples (one page per sample)."""
    lines = []
    for sid, doc_class, qtype, question, answer, page in samples:
        render_page(root / "images" / f"{sid}.png", page)
        lines.append(
            json.dumps(
                {
                    "id": sid,
                    "images": [f"images/{sid}.png"],
                    "question": question,
                    "answers": [answer],
                    "doc_class": doc_class,
                    "question_type": qtype,
                    "task": task,
                },
                ensure_ascii=False,
            )
        )
    (root / "annotation.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def make_prototype_dataset(root: Path, samples=TINY_SAMPLES, bom: bool = True) -> Path:
    """A prototype-layout dataset (annotation.csv with ';' and BOM) of the tiny samples."""
    rows = ["data_index;split;image_path;question;answer;doc_class;question_type;answer_bbox"]
    for index, (_sid, doc_class, qtype, question, answer, page) in enumerate(samples):
        render_page(root / "images" / f"{index}.png", page)
        rows.append(
            f"{index};test_clean;images/{index}.png;{question};{answer};{doc_class};{qtype};[1, 2, 3, 4]"
        )
    text = "\n".join(rows) + "\n"
    (root / "annotation.csv").write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return root


def make_kie_dataset(root: Path) -> Path:
    """A JSONL dataset with one KIE sample (fields + JSON schema)."""
    render_page(root / "images" / "k.png", ["ИНН: 7707083893", "КПП: 770701001"])
    schema = {
        "type": "object",
        "properties": {"inn": {"type": "string", "title": "ИНН"}, "kpp": {"type": "string", "title": "КПП"}},
    }
    row = {
        "id": "k-1",
        "images": ["images/k.png"],
        "question": "Извлеки поля.",
        "answers": [],
        "doc_class": "invoice",
        "question_type": "fields",
        "task": "kie",
        "fields": {"inn": "7707083893", "kpp": "770701001"},
        "json_schema": schema,
    }
    (root / "annotation.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    return root


def write_experiment(
    path: Path,
    dataset: Path,
    *,
    base_url: str,
    task: str = "vqa",
    name: str = "exp",
    metrics: list[str] | None = None,
    extra_options: dict | None = None,
    concurrency: int = 2,
) -> Path:
    """An experiment YAML with one openai run against ``base_url``."""
    import yaml

    options = {
        "base_url": base_url,
        "model": "scripted-vlm",
        "backoff_base_s": 0.01,
        "timeout_s": 5,
        **(extra_options or {}),
    }
    config = {
        "name": name,
        "output_dir": str(path.parent / "runs"),
        "runs": [
            {
                "name": "r1",
                "task": task,
                "dataset": str(dataset),
                "model": {"backend": "openai", "options": options},
                "metrics": metrics or ["anls", "exact_match", "cer"],
                "concurrency": concurrency,
            }
        ],
    }
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def run_vlmhb(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m vlmhyperbench ARGS`` as a user runs it; ``env`` adds to this environment."""
    return subprocess.run(
        [sys.executable, "-m", "vlmhyperbench", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )
