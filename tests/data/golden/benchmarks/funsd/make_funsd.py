"""Regenerate funsd.json: Donut's field F1 (JSONParseEvaluator.cal_f1) on the FUNSD
fixture's test forms, as the benchmark's ground truth (entity texts by label, 'other'
and empty texts left out: fixtures_kie.funsd_fields) and the scripted model's answers.

The target shape is this project's (FUNSD has no generative protocol); what is checked
here is that its F1 is computed as Donut's official code computes it. See
../_kie_golden.py for the scorers and how to run this script.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from _kie_golden import fixtures_kie, golden, scorers_from_args, write_golden

if __name__ == "__main__":
    scorers = scorers_from_args(__doc__.splitlines()[0])
    truths = {name: fixtures_kie.funsd_fields(entities) for name, entities in fixtures_kie.FUNSD_TEST.items()}
    write_golden(
        HERE, "funsd", golden("funsd", scorers, truths, fixtures_kie.FUNSD_PREDICTIONS, cc_ocr=False)
    )
