"""Regenerate chartqa.json: the ChartQA preset's headline on the fixture, by VLMEvalKit's scorer.

Scorer: VLMEvalKit ``ImageVQADataset.evaluate_heuristic`` (ChartQA_TEST: relaxed accuracy
per question, then the mean × 100 of each ``split``, human and augmented) on the
fixture's ``test_human.json`` / ``test_augmented.json`` rows and the predictions the
end-to-end test sends; the headline is the mean of the two parts. Cross-check: lmms-eval
``chartqa_process_results`` (lmms_eval/tasks/chartqa/utils.py) per question. ChartQA's
own repository (vis-nlp/ChartQA) ships no scorer. See ../_golden.py.

    /tmp/golden/bin/python tests/data/golden/benchmarks/chartqa/make_chartqa.py \\
        --vlmevalkit PATH/TO/VLMEvalKit --lmms-eval PATH/TO/lmms-eval
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from _golden import fixtures_vqa, git_source, load_defs, vlmevalkit_vqa, write_golden


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vlmevalkit", type=Path, required=True)
    parser.add_argument("--lmms-eval", type=Path, required=True)
    args = parser.parse_args()
    rows, ids = [], []
    for kind, items in (("human", fixtures_vqa.CHARTQA_HUMAN), ("augmented", fixtures_vqa.CHARTQA_AUGMENTED)):
        for number, item in enumerate(items, start=1):
            sample_id = f"test-{kind}-{number}"
            ids.append(sample_id)
            rows.append(
                {
                    "answer": item["label"],
                    "prediction": fixtures_vqa.CHARTQA_PREDICTIONS[sample_id],
                    "split": kind,
                }
            )
    result, hits, commit = vlmevalkit_vqa(args.vlmevalkit, "ChartQA_TEST", rows)

    utils = "lmms_eval/tasks/chartqa/utils.py"
    source, lmms_commit = git_source(args.lmms_eval, utils)
    lmms: dict[str, Any] = {}
    load_defs(source, {"chartqa_process_results", "relaxed_correctness"}, utils, lmms)
    for row, hit in zip(rows, hits):
        doc = {"type": f"{row['split']}_test", "answer": row["answer"]}
        check = lmms["chartqa_process_results"](doc, [row["prediction"]])["relaxed_overall"]
        if check != hit:
            raise SystemExit(f"lmms-eval {check} != VLMEvalKit {hit} for {row}")
    parts = {"human": result["human"], "augmented": result["augmented"]}
    write_golden(
        HERE,
        "chartqa",
        {
            "benchmark": "chartqa",
            "fixture": "tests/support/fixtures_vqa.py",
            "reference": {
                "repository": "open-compass/VLMEvalKit",
                "commit": commit,
                "call": "ImageVQADataset.evaluate_heuristic (dataset_name 'ChartQA_TEST', split column human/"
                "augmented); headline = mean of the two splits' values",
            },
            "headline": {"value": (parts["human"] + parts["augmented"]) / 2, "parts": parts},
            "overall_pooled": result["Overall"],
            "per_sample": {sample_id: {"relaxed_accuracy": hit} for sample_id, hit in zip(ids, hits)},
            "cross_check": {
                "repository": "EvolvingLMMs-Lab/lmms-eval",
                "commit": lmms_commit,
                "call": "chartqa_process_results(doc, [prediction])['relaxed_overall']",
                "agrees": True,
            },
        },
    )


if __name__ == "__main__":
    main()
