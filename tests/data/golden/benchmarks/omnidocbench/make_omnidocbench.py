"""Regenerate omnidocbench.json: OmniDocBench's official end-to-end results on the fixture.

Evaluator: opendatalab/OmniDocBench at ``COMMIT`` (v1.5), extracted unchanged from a
clone or mirror (``git archive``) into a temporary folder and run there as its README
says (``python pdf_validation.py --config <end2end config>``), with the default
``configs/end2end.yaml`` settings (quick_match; text Edit_dist, display formula
Edit_dist, table TEDS and Edit_dist, reading order Edit_dist) minus ``CDM_plain``, which
only writes CDM's input file. Nothing of it is stored here. Pages and predictions:
tests/support/fixtures_omnidocbench.py (``PAGES``, ``PREDICTIONS``).

Modules the end-to-end path imports but never calls are replaced by empty stand-ins on
``PYTHONPATH`` (``matplotlib`` for a radar-chart helper of utils/table_utils.py,
``skimage.measure`` and ``evaluate`` for CDM and BLEU/METEOR, ``mmeval`` for layout
detection), so a Python with the rest of its requirements.txt (Levenshtein, apted, lxml,
bs4, pylatexenc, func_timeout, loguru, pandas, scipy, tabulate, tqdm, PyYAML, Pillow)
runs it:

    python tests/data/golden/benchmarks/omnidocbench/make_omnidocbench.py \\
        --omnidocbench PATH/TO/OmniDocBench [--python PATH/TO/venv/bin/python]

The output keeps ``<model>_quick_match_metric_result.json`` as written: per element
(``text_block``, ``display_formula``, ``table``, ``reading_order``) the ``all`` figures
(``ALL_page_avg``, ``edit_whole``; TEDS over all tables) and the ``page`` split (each page
attribute's page-averaged figure and ``ALL``).
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[4]
sys.path.insert(0, str(ROOT))

from tests.support import fixtures_omnidocbench as fx

COMMIT = "7bd6c2ebdb7676e6fd251b0e695e15e09cf3ab5d"
STUBS = {
    "matplotlib/__init__.py": "",
    "matplotlib/pyplot.py": "",
    "matplotlib/font_manager.py": "def FontProperties(*args, **kwargs):\n    return None\n",
    "skimage/__init__.py": "",
    "skimage/measure.py": "ransac = None\n",
    "evaluate.py": "load = None\n",
    "mmeval.py": "COCODetection = None\n",
}
CONFIG = """end2end_eval:
  metrics:
    text_block: {{metric: [Edit_dist]}}
    display_formula: {{metric: [Edit_dist]}}
    table: {{metric: [TEDS, Edit_dist]}}
    reading_order: {{metric: [Edit_dist]}}
  dataset:
    dataset_name: end2end_dataset
    ground_truth: {{data_path: {gt}}}
    prediction: {{data_path: {pred}}}
    match_method: quick_match
"""


def extract(checkout: Path, into: Path) -> None:
    """The evaluator at ``COMMIT`` of ``checkout`` (a clone or a bare mirror) into ``into``."""
    git = ["git", "-C", str(checkout)] if (checkout / ".git").exists() else ["git", f"--git-dir={checkout}"]
    archive = subprocess.run([*git, "archive", COMMIT], check=True, capture_output=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--omnidocbench", type=Path, required=True, help="clone or mirror of the repository")
    parser.add_argument("--python", default=sys.executable, help="a Python with its requirements")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        repo, stubs, data, pred = work / "repo", work / "stubs", work / "data", work / "pred"
        extract(args.omnidocbench, repo)
        for name, text in STUBS.items():
            (stubs / name).parent.mkdir(parents=True, exist_ok=True)
            (stubs / name).write_text(text)
        fx.write_omnidocbench(data)
        pred.mkdir()
        for page_id, markdown in fx.PREDICTIONS.items():
            (pred / f"{page_id}.md").write_text(markdown, encoding="utf-8")
        config = work / "end2end.yaml"
        config.write_text(CONFIG.format(gt=data / "OmniDocBench.json", pred=pred))
        (repo / "result").mkdir(exist_ok=True)
        subprocess.run(
            [args.python, "pdf_validation.py", "--config", str(config)],
            cwd=repo,
            check=True,
            capture_output=True,
            env={"PYTHONPATH": str(stubs), "PATH": "/usr/bin:/bin"},
        )
        result = json.loads((repo / "result" / "pred_quick_match_metric_result.json").read_text("utf-8"))
    golden = {"evaluator": f"opendatalab/OmniDocBench@{COMMIT}", "match_method": "quick_match", **result}
    out = HERE / "omnidocbench.json"
    out.write_text(json.dumps(golden, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
