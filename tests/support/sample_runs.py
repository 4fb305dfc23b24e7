"""Two real runs for the dashboard's sample tests: `run_experiment` against scripted servers.

One experiment ``exp`` with runs ``a`` and ``b`` on one JSONL dataset of six samples (page
images rendered here, one with an answer box): run A reads the surname right, swaps ё for е
in ``ПЁТР`` and fails one request with HTTP 400; run B writes the surname with Latin
look-alikes (``ИBAHOB``) and gets two other fields wrong. Beside the dataset: ``secret.png``
(outside it) and ``images/link.png`` (a symbolic link inside it, leading to that file).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.factories import render_page
from tests.support.openai_server import ScriptedOpenAIServer
from vlmhyperbench.orchestrator import run_experiment

__all__ = ["SAMPLES", "make_sample_runs"]

SAMPLES = [
    # id, doc_class, question_type, split, reference, answer A, answer B, bbox
    ("p-1", "passport", "Фамилия", "clean", "ИВАНОВ", "ИВАНОВ", "ИBAHOB", [10, 20, 200, 60]),
    ("p-2", "passport", "Имя", "clean", "ПЁТР", "ПЕТР", "ПЁТР", None),
    ("p-3", "passport", "Отчество", "degraded", "СЕРГЕЕВИЧ", "СЕРГЕЕВИЧ", "СЕРГЕЕВИЧ", None),
    ("i-1", "invoice", "ИНН", "clean", "7707083893", "7707083893", "77070838", None),
    ("i-2", "invoice", "КПП", "degraded", "770701001", None, "770701001", None),
    ("i-3", "invoice", "Продавец", "clean", "ООО Ромашка", "ООО Ромашка", "ООО Лютик", None),
]


def _dataset(root: Path) -> Path:
    lines = []
    for sid, doc_class, qtype, split, ref, *_rest, bbox in SAMPLES:
        render_page(root / "images" / f"{sid}.png", [f"{qtype}: {ref}"], size=(400, 100))
        row = {
            "id": sid,
            "images": [f"images/{sid}.png"],
            "question": f"{qtype}?",
            "answers": [ref],
            "doc_class": doc_class,
            "question_type": qtype,
            "split": split,
            "metadata": {"answer_bbox": bbox} if bbox else {},
        }
        lines.append(json.dumps(row, ensure_ascii=False))
    (root / "annotation.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root.parent / "secret.png").write_bytes(b"not yours")
    (root / "images" / "link.png").symlink_to(root.parent / "secret.png")  # inside, leading outside
    return root


def _experiment(path: Path, dataset: Path, urls: dict[str, str]) -> Path:
    """One experiment: runs ``a`` and ``b`` on the same dataset, each against its own server."""
    import yaml

    def run(name: str) -> dict[str, Any]:
        options = {"base_url": urls[name], "model": f"model-{name}", "backoff_base_s": 0.01, "timeout_s": 5}
        return {
            "name": name,
            "task": "vqa",
            "dataset": str(dataset),
            "model": {"backend": "openai", "options": options},
            "metrics": ["anls", "exact_match", "cer"],
        }

    config = {"name": "exp", "output_dir": str(path.parent / "runs"), "runs": [run("a"), run("b")]}
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def make_sample_runs(tmp: Path) -> Path:
    """Make the dataset and run the experiment under ``tmp``; returns RUNS_DIR."""
    dataset = _dataset(tmp / "data" / "ds")
    with ScriptedOpenAIServer(model="model-a") as server_a, ScriptedOpenAIServer(model="model-b") as server_b:
        for server, column in ((server_a, 5), (server_b, 6)):
            server.answers = {s[0]: s[column] for s in SAMPLES if s[column] is not None}
            failing = {s[0] for s in SAMPLES if s[column] is None}
            if failing:
                server.fail_with(400, sample_ids=failing)
        urls = {"a": server_a.url, "b": server_b.url}
        result = run_experiment(_experiment(tmp / "e.yaml", dataset, urls))
    assert [r.status for r in result.runs] == ["completed", "completed"], result.runs
    return tmp / "runs"
