"""Regenerate docvqa.json: the DocVQA preset's headline on the fixture, by the RRC scorer.

Scorer: the ``anls`` package (shunk031/ANLS, a port of the RRC evaluation script)
``evaluate_json`` on the fixture's ``val_v1.0_withQT.json`` rows and a submission of the
predictions the end-to-end test sends; VLMEvalKit's ``ImageVQADataset.evaluate_heuristic``
(DocVQA_VAL) beside it for the ``anls_vlmevalkit`` column. See ../_golden.py.

    python -m venv /tmp/golden && /tmp/golden/bin/pip install anls==0.0.2 numpy pandas
    /tmp/golden/bin/python tests/data/golden/benchmarks/docvqa/make_docvqa.py --vlmevalkit PATH/TO/VLMEvalKit
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from _golden import fixtures_vqa, rrc_golden, write_golden


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--vlmevalkit", type=Path, required=True, help="a VLMEvalKit checkout or bare git dir"
    )
    args = parser.parse_args()
    golden = rrc_golden(
        "docvqa", "DocVQA_VAL", fixtures_vqa.DOCVQA_VAL, fixtures_vqa.DOCVQA_PREDICTIONS, args.vlmevalkit
    )
    write_golden(HERE, "docvqa", golden)


if __name__ == "__main__":
    main()
