"""Regenerate cord.json: Donut's field F1 (JSONParseEvaluator.cal_f1, the headline) on the
CORD fixture's test receipts (their gt_parse) and the scripted model's answers.

See ../_kie_golden.py for the scorers and how to run this script.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from _kie_golden import fixtures_kie, golden, scorers_from_args, write_golden

if __name__ == "__main__":
    scorers = scorers_from_args(__doc__.splitlines()[0])
    truths = {f"receipt_{image_id:05d}": parse for image_id, parse in fixtures_kie.CORD_TEST}
    write_golden(HERE, "cord", golden("cord", scorers, truths, fixtures_kie.CORD_PREDICTIONS, cc_ocr=False))
