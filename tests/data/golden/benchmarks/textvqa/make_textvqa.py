"""Regenerate textvqa.json: the TextVQA preset's headline on the fixture, by the TextVQA scorer.

Scorer: MMF's ``TextVQAAccuracyEvaluator.eval_pred_list`` (facebookresearch/mmf:
mmf/utils/m4c_evaluators.py, the TextVQA challenge's accuracy with ``EvalAIAnswerProcessor``)
× 100 on the fixture's ``TextVQA_0.5.1_val.json`` rows and the predictions the end-to-end
test sends. Cross-check: lmms-eval ``textvqa_process_results`` (lmms_eval/tasks/textvqa/
utils.py with lmms_eval/tasks/_task_utils/vqa_eval_metric.py) per question. See ../_golden.py.

    /tmp/golden/bin/python tests/data/golden/benchmarks/textvqa/make_textvqa.py \\
        --mmf PATH/TO/mmf --lmms-eval PATH/TO/lmms-eval
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from _golden import fixtures_vqa, git_source, load_defs, write_golden


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mmf", type=Path, required=True)
    parser.add_argument("--lmms-eval", type=Path, required=True)
    args = parser.parse_args()
    m4c = "mmf/utils/m4c_evaluators.py"
    source, mmf_commit = git_source(args.mmf, m4c)
    mmf: dict[str, Any] = {"re": re}
    load_defs(source, {"EvalAIAnswerProcessor", "TextVQAAccuracyEvaluator"}, m4c, mmf)
    evaluator = mmf["TextVQAAccuracyEvaluator"]()
    rows = fixtures_vqa.TEXTVQA_VAL
    preds = fixtures_vqa.TEXTVQA_PREDICTIONS
    entries = [{"pred_answer": preds[str(r["question_id"])], "gt_answers": r["answers"]} for r in rows]
    accuracy = evaluator.eval_pred_list(entries)
    per_sample = {str(r["question_id"]): evaluator.eval_pred_list([e]) for r, e in zip(rows, entries)}

    metric_file, utils = "lmms_eval/tasks/_task_utils/vqa_eval_metric.py", "lmms_eval/tasks/textvqa/utils.py"
    lmms: dict[str, Any] = {"re": re, "statistics": statistics}
    metric_src, lmms_commit = git_source(args.lmms_eval, metric_file)
    load_defs(metric_src, {"EvalAIAnswerProcessor"}, metric_file, lmms)
    load_defs(git_source(args.lmms_eval, utils)[0], {"textvqa_process_results"}, utils, lmms)
    for row in rows:
        doc = {"answers": list(row["answers"]), "question_id": row["question_id"]}
        check = lmms["textvqa_process_results"](doc, [preds[str(row["question_id"])]])["exact_match"]
        if abs(check - per_sample[str(row["question_id"])]) > 1e-12:
            raise SystemExit(f"lmms-eval {check} != MMF {per_sample[str(row['question_id'])]} for {row}")
    write_golden(
        HERE,
        "textvqa",
        {
            "benchmark": "textvqa",
            "fixture": "tests/support/fixtures_vqa.py",
            "reference": {
                "repository": "facebookresearch/mmf",
                "commit": mmf_commit,
                "file": m4c,
                "call": "TextVQAAccuracyEvaluator().eval_pred_list([{pred_answer, gt_answers}, ...]) * 100",
            },
            "headline": {"value": accuracy * 100, "parts": {}},
            "per_sample": {qid: {"vqa_accuracy": value} for qid, value in per_sample.items()},
            "cross_check": {
                "repository": "EvolvingLMMs-Lab/lmms-eval",
                "commit": lmms_commit,
                "call": "textvqa_process_results(doc, [prediction])['exact_match']",
                "agrees": True,
            },
        },
    )


if __name__ == "__main__":
    main()
