"""Regenerate sroie.json: Donut's field F1 (the headline) and CC-OCR's (beside it) on the
SROIE fixture's test receipts and the scripted model's answers.

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
    truths = dict(fixtures_kie.SROIE_TEST)
    write_golden(HERE, "sroie", golden("sroie", scorers, truths, fixtures_kie.SROIE_PREDICTIONS, cc_ocr=True))
