"""Regenerate cc_ocr.json: the CC-OCR presets' numbers on the fixture, by CC-OCR's evaluator.

Scorer: VLMEvalKit's copy of CC-OCR's evaluator (``vlmeval/dataset/utils/ccocr_evaluator/``:
``__init__.py``, ``common.py``, ``ocr_evaluator.py``, ``kie_evaluator.py`` and
``doc_parsing_evaluator.py``, which the package imports), copied from a checkout into a
scratch package and imported (nothing of it is kept here). Each subset
of tests/support/fixtures_ccocr.py is scored as VLMEvalKit's
``CCOCRDataset._evaluate_single_dataset`` does it: ``gt_info`` / ``ptd_info`` keyed by
``image_name`` from the TSV's ``answer`` and the predictions the end-to-end test sends,
``evaluator_map_info[category](ptd_info, gt_info, op=l2-category, group=category,
dataset=split, num=n)``. A subset's value is ``summary["macro_f1_score"]`` (OCR tracks),
``summary["f1_score"]`` (KIE; the CC-OCR README's leaderboard column) or ``summary["score"]``
(doc_parsing: ``ParsingEvaluator``, by ``l2-category``); a track's is the
mean over its subsets × 100 (``CCOCRDataset.evaluate``; CC-OCR's ``summary_multi_exp``
divides by ``n + 1e-9`` and rounds to two decimals).

Per sample: the OCR value is ``calculate_metrics`` on the one image (its macro F1 is
``f1 / (1 + 1e-9)``, so it is multiplied back by ``1 + 1e-9``); the KIE value is the
evaluator's ``f1_score`` on the one image, the doc_parsing value its ``score`` on the one
image (a mean over one). Cross-check: the OCR subsets are scored again
by AlibabaResearch/AdvancedLiterateMachinery ``Benchmarks/CC-OCR/evaluation/evaluator/``
(the same code; its KIE evaluator reads ground truths with ``json.loads`` only; its
doc_parsing evaluator differs from VLMEvalKit's, which is the reference here).

    python -m venv /tmp/ccocr-venv
    /tmp/ccocr-venv/bin/pip install zss==1.2.0 apted nltk json_repair tabulate tqdm pillow lxml
    /tmp/ccocr-venv/bin/python tests/data/golden/benchmarks/cc_ocr/make_cc_ocr.py \\
        --vlmevalkit PATH/TO/VLMEvalKit --cc-ocr PATH/TO/AdvancedLiterateMachinery
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from _golden import git_source, write_golden

from tests.support import fixtures_ccocr as fx

FILES = ("__init__.py", "common.py", "ocr_evaluator.py", "kie_evaluator.py", "doc_parsing_evaluator.py")


def evaluator_package(checkout: Path, folder: str, name: str) -> tuple[ModuleType, str]:
    """The evaluator folder of a checkout, copied into a scratch package and imported."""
    scratch = Path(tempfile.mkdtemp(prefix="ccocr-"))
    package = scratch / name
    package.mkdir()
    commit = ""
    for file in FILES:
        text, commit = git_source(checkout, f"{folder}/{file}")
        (package / file).write_text(text, encoding="utf-8")
    sys.path.insert(0, str(scratch))
    return importlib.import_module(name), commit


def score_subset(
    package: ModuleType, spec: tuple[str, str, str, list[tuple[str, str, str]]], answers: dict[str, str]
) -> dict[str, Any]:
    """The evaluator on one subset (``fx.SUBSETS`` entry), as
    ``CCOCRDataset._evaluate_single_dataset`` calls it."""
    category, op, dataset, rows = spec
    gt_info = {image_name: answer for image_name, answer, _ in rows}
    ptd_info = {image_name: answers[image_name] for image_name, _, _ in rows}
    data_info = {"op": op, "group": category, "dataset": dataset, "num": len(gt_info)}
    with contextlib.redirect_stdout(io.StringIO()):
        _, eval_info = package.evaluator_map_info[category](ptd_info, gt_info, **data_info)
    return dict(eval_info["summary"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vlmevalkit", type=Path, required=True)
    parser.add_argument("--cc-ocr", type=Path, required=True)
    args = parser.parse_args()
    vlm, vlm_commit = evaluator_package(
        args.vlmevalkit, "vlmeval/dataset/utils/ccocr_evaluator", "ccocr_evaluator_vlmevalkit"
    )
    alm, alm_commit = evaluator_package(
        args.cc_ocr, "Benchmarks/CC-OCR/evaluation/evaluator", "ccocr_evaluator_alm"
    )
    tracks: dict[str, dict[str, Any]] = {}
    for name, spec in fx.SUBSETS.items():
        category, op, dataset, rows = spec
        predictions = {image: fx.PREDICTIONS[fx.sample_id(name, i)] for i, (image, _, _) in enumerate(rows)}
        summary = score_subset(vlm, spec, predictions)
        key = {"kie": "f1_score", "doc_parsing": "score"}.get(category, "macro_f1_score")
        track = tracks.setdefault(category, {"datasets": {}, "per_sample": {}})
        track["datasets"][dataset] = summary[key] * 100
        ocr = category not in ("kie", "doc_parsing")
        if ocr and score_subset(alm, spec, predictions) != summary:
            raise SystemExit(f"{name}: AdvancedLiterateMachinery's evaluator disagrees with VLMEvalKit's")
        for i, row in enumerate(rows):
            value = score_subset(vlm, (category, op, dataset, [row]), predictions)[key]
            track["per_sample"][fx.sample_id(name, i)] = value * (1 + 1e-9) if ocr else value
    for track in tracks.values():
        track["value"] = sum(track["datasets"].values()) / len(track["datasets"])
    write_golden(
        HERE,
        "cc_ocr",
        {
            "benchmark": "cc_ocr_<track>",
            "fixture": "tests/support/fixtures_ccocr.py",
            "reference": {
                "repository": "open-compass/VLMEvalKit",
                "commit": vlm_commit,
                "code": "vlmeval/dataset/utils/ccocr_evaluator/ (evaluator_map_info[category]), called as "
                "CCOCRDataset._evaluate_single_dataset does",
                "subset value": "summary['macro_f1_score'] (OCR tracks), summary['f1_score'] (kie) or "
                "summary['score'] (doc_parsing), × 100",
                "track value": "mean over the track's subsets (CCOCRDataset.evaluate)",
            },
            "cross_check": {
                "repository": "AlibabaResearch/AdvancedLiterateMachinery",
                "commit": alm_commit,
                "code": "Benchmarks/CC-OCR/evaluation/evaluator/: the OCR subsets' summaries are equal",
            },
            "tracks": tracks,
        },
    )


if __name__ == "__main__":
    main()
