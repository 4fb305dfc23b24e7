"""What the SROIE, CORD and FUNSD golden scripts share: the official KIE scorers, read
out of fetched checkouts, run on the fixture of tests/support/fixtures_kie.py.

- Donut: clovaai/donut ``donut/util.py``, class ``JSONParseEvaluator`` (MIT), taken out of
  the file with ``ast`` (the rest of util.py imports torch); ``cal_f1(preds, answers)`` is
  the F1 of Donut's test.py (``f1_accuracy``), pooled over the split.
- CC-OCR: AlibabaResearch/AdvancedLiterateMachinery ``Benchmarks/CC-OCR/evaluation/evaluator/``
  ``kie_evaluator.py`` and ``common.py`` copied to a scratch package and imported;
  ``KieEvaluator("kie")(responses, gt_info)`` is its whole scoring path (answer text →
  ``response_post_func`` → normalisation → ``cal_f1_all``).

A model's answer text becomes the object Donut's evaluator scores through CC-OCR's
``post_process_to_json`` (the reference implementation's reading of a VLM answer; an answer
it cannot read is ``{}``). Nothing of their code is stored here.

Run with a Python that has ``zss``, ``nltk``, ``tabulate``, ``pyarrow`` and ``pillow``::

    python -m venv /tmp/kie-golden-venv
    /tmp/kie-golden-venv/bin/pip install zss==1.2.0 nltk==3.9.1 tabulate==0.9.0 pyarrow pillow
    /tmp/kie-golden-venv/bin/python tests/data/golden/benchmarks/sroie/make_sroie.py \\
        --donut PATH/TO/donut --cc-ocr PATH/TO/AdvancedLiterateMachinery
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT))

from tests.support import fixtures_kie

__all__ = ["Scorers", "fixtures_kie", "golden", "scorers_from_args", "write_golden"]

DONUT_FILE = "donut/util.py"
CC_OCR_DIR = "Benchmarks/CC-OCR/evaluation/evaluator"


def git_source(checkout: Path, path: str) -> tuple[str, str]:
    """A file at HEAD of a checkout (work tree or bare git dir) and the commit hash."""
    git = ["git", "-C", str(checkout)] if (checkout / ".git").exists() else ["git", f"--git-dir={checkout}"]

    def run(*args: str) -> str:
        return subprocess.run([*git, *args], check=True, capture_output=True, encoding="utf-8").stdout

    return run("show", f"HEAD:{path}"), run("rev-parse", "HEAD").strip()


class Scorers:
    """Donut's ``JSONParseEvaluator`` and CC-OCR's ``kie_evaluator`` module, with their commits."""

    def __init__(self, donut: Path, cc_ocr: Path) -> None:
        import zss
        from nltk import edit_distance

        source, self.donut_commit = git_source(donut, DONUT_FILE)
        nodes = [
            n
            for n in ast.parse(source).body
            if isinstance(n, ast.ClassDef) and n.name == "JSONParseEvaluator"
        ]
        if len(nodes) != 1:
            raise SystemExit(f"{DONUT_FILE}: class JSONParseEvaluator not found")
        namespace: dict[str, Any] = {"zss": zss, "Node": zss.Node, "edit_distance": edit_distance}
        exec("from typing import Any, Dict, List, Tuple, Union", namespace)
        exec(compile(ast.Module(body=nodes, type_ignores=[]), DONUT_FILE, "exec"), namespace)
        self.donut = namespace["JSONParseEvaluator"]()
        scratch = Path(tempfile.mkdtemp(prefix="cc-ocr-"))
        package = scratch / "cc_ocr_evaluator"
        package.mkdir()
        (package / "__init__.py").write_text("")  # theirs imports every evaluator
        for name in ("kie_evaluator.py", "common.py"):
            text, self.cc_ocr_commit = git_source(cc_ocr, f"{CC_OCR_DIR}/{name}")
            (package / name).write_text(text, encoding="utf-8")
        sys.path.insert(0, str(scratch))
        self.cc_ocr: ModuleType = importlib.import_module("cc_ocr_evaluator.kie_evaluator")

    def read(self, answer: str) -> Any:
        """CC-OCR's reading of an answer text; ``{}`` when it cannot read one."""
        parsed = self.cc_ocr.post_process_to_json(answer)
        return {} if parsed is None else parsed

    def donut_f1(self, preds: list[Any], answers: list[Any]) -> float | None:
        """``cal_f1``; None where it divides by zero (no field on either side)."""
        try:
            return float(self.donut.cal_f1(preds, answers))
        except ZeroDivisionError:
            return None

    def cc_ocr_f1(self, responses: dict[str, str], truths: dict[str, Any]) -> float:
        """``KieEvaluator('kie')(responses, gt_info)``: the summary's f1_score."""
        with contextlib.redirect_stdout(io.StringIO()):
            _, info = self.cc_ocr.KieEvaluator("kie")(dict(responses), json.loads(json.dumps(truths)))
        return float(info["summary"]["f1_score"])


def scorers_from_args(description: str) -> Scorers:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--donut", type=Path, required=True, help="clovaai/donut checkout or bare git dir")
    parser.add_argument("--cc-ocr", type=Path, required=True, help="AdvancedLiterateMachinery checkout")
    args = parser.parse_args()
    return Scorers(args.donut, args.cc_ocr)


def golden(
    name: str, scorers: Scorers, truths: dict[str, Any], predictions: dict[str, str], *, cc_ocr: bool
) -> dict[str, Any]:
    """Headline (Donut's pooled F1 × 100), per-sample F1, and CC-OCR's F1 × 100 beside it."""
    ids = list(truths)
    preds = [scorers.read(predictions[i]) for i in ids]
    answers = [truths[i] for i in ids]
    pooled = scorers.donut_f1(preds, answers)
    document: dict[str, Any] = {
        "benchmark": name,
        "fixture": "tests/support/fixtures_kie.py",
        "reference": {
            "repository": "clovaai/donut",
            "commit": scorers.donut_commit,
            "file": DONUT_FILE,
            "call": "JSONParseEvaluator().cal_f1(preds, answers) * 100, preds read by CC-OCR's "
            "post_process_to_json ({} when it returns None)",
        },
        "headline": {"value": None if pooled is None else pooled * 100, "parts": {}},
        "per_sample": {
            i: {"field_f1_donut": scorers.donut_f1([p], [a])} for i, p, a in zip(ids, preds, answers)
        },
    }
    if cc_ocr:
        document["cross_check"] = {
            "repository": "AlibabaResearch/AdvancedLiterateMachinery",
            "commit": scorers.cc_ocr_commit,
            "file": f"{CC_OCR_DIR}/kie_evaluator.py",
            "call": "KieEvaluator('kie')(responses, gt_info)[1]['summary']['f1_score'] * 100",
            "metric": {"name": "field_f1_donut", "scorer": "cc_ocr"},
            "value": scorers.cc_ocr_f1(predictions, truths) * 100,
        }
    return document


def write_golden(here: Path, name: str, document: dict[str, Any]) -> None:
    """``<name>.json`` beside the script."""
    here.joinpath(f"{name}.json").write_text(
        json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
