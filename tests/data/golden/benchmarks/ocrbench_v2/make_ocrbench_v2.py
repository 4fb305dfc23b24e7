"""Regenerate ocrbench_v2.json: OCRBench v2's official scores of the fixture's rows.

Scorer: Yuliang-Liu/MultimodalOCR ``OCRBench_v2/eval_scripts/`` (``eval.py`` with the
modules it imports, and ``get_score.py``), extracted unchanged from the fetched
repository (``git archive``) into a temporary folder and imported from there; nothing
of it is stored here. Rows and predictions: tests/support/fixtures_ocrbench_v2.py.

* per row: ``process_predictions`` on a file holding that row alone, so a row on which
  the official code raises (``RAISING``) is recorded with its exception;
* the grouping: ``process_predictions`` on all of ``ROWS``, then ``get_score.main`` on
  its output, with ``calculate_average`` wrapped to capture the EN and CN group means
  (the overall scores are its mean over the groups, the expression of ``main``).

Needs a Python with the official requirements (OCRBench_v2/requirements.txt: numpy,
distance, apted, lxml, zss, Levenshtein, editdistance, nltk, jieba, Polygon3, tqdm,
ipdb) and NLTK's WordNet; ``--nltk-data`` defaults to one built from Debian's
``wordnet-base``/``wordnet-sense-index`` (see fixtures_ocrbench_v2.nltk_wordnet):

    python3 -m venv /tmp/ocrv2 && /tmp/ocrv2/bin/pip install -r OCRBench_v2/requirements.txt
    /tmp/ocrv2/bin/python tests/data/golden/benchmarks/ocrbench_v2/make_ocrbench_v2.py \\
        --ocrbench PATH/TO/MultimodalOCR
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.metadata
import io
import json
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[4]
sys.path.insert(0, str(ROOT))

from tests.support import fixtures_ocrbench_v2 as fx

PACKAGES = ("nltk", "jieba", "lxml", "apted", "distance", "zss", "Polygon3", "Levenshtein", "editdistance")


def extract(checkout: Path, into: Path) -> str:
    """``OCRBench_v2/eval_scripts`` at HEAD of ``checkout`` into ``into/eval_scripts``; the commit."""
    git = ["git", "-C", str(checkout)] if (checkout / ".git").exists() else ["git", f"--git-dir={checkout}"]
    commit = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout
    archive = subprocess.run(
        [*git, "archive", "HEAD", "OCRBench_v2/eval_scripts"], check=True, capture_output=True
    )
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    (into / "OCRBench_v2" / "eval_scripts").rename(into / "eval_scripts")
    return commit.strip()


def process(official: Any, rows: list[dict[str, Any]], work: Path) -> list[dict[str, Any]]:
    """``process_predictions`` on ``rows`` (with their predictions), through files as it wants."""
    source, target = work / "in.json", work / "out.json"
    source.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        official.process_predictions(str(source), str(target))
    scored: list[dict[str, Any]] = json.loads(target.read_text(encoding="utf-8"))
    return scored


def per_row(official: Any, work: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    predictions = {**fx.PREDICTIONS, **fx.RAISING_PREDICTIONS}
    for row in [*fx.ROWS, *fx.RAISING]:
        item = {**row, "predict": predictions[str(row["id"])]}
        try:
            (scored,) = process(official, [item], work)
        except Exception as exc:  # noqa: BLE001 (recorded: our metric must call these not scorable)
            out[str(row["id"])] = {"type": row["type"], "score": None, "raises": type(exc).__name__}
            continue
        out[str(row["id"])] = {
            "type": row["type"],
            "score": float(scored["score"]),
            "ignore": scored.get("ignore") == "True",
        }
    return out


def grouped(official: Any, get_score: Any, work: Path) -> dict[str, Any]:
    items = [{**row, "predict": fx.PREDICTIONS[str(row["id"])]} for row in fx.ROWS]
    scored = process(official, items, work)
    path = work / "scored.json"
    path.write_text(json.dumps(scored, ensure_ascii=False), encoding="utf-8")
    captured: list[dict[str, float]] = []
    original = get_score.calculate_average

    def calculate_average(scores: dict[str, list[float]]) -> dict[str, float]:
        averages: dict[str, float] = original(scores)
        captured.append(averages)
        return averages

    get_score.calculate_average = calculate_average
    printed = io.StringIO()
    argv = sys.argv
    sys.argv = ["get_score.py", "--json_file", str(path)]
    try:
        with contextlib.redirect_stdout(printed):
            get_score.main()
    finally:
        sys.argv = argv
    en, cn = captured
    return {
        "en": en,
        "cn": cn,
        "en_overall": sum(en.values()) / len(en),
        "cn_overall": sum(cn.values()) / len(cn),
        "printed": printed.getvalue().splitlines(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--ocrbench", type=Path, required=True, help="Yuliang-Liu/MultimodalOCR checkout or git dir"
    )
    parser.add_argument("--nltk-data", type=Path, help="NLTK data folder holding corpora/wordnet")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        nltk_data = args.nltk_data or fx.nltk_wordnet(work / "nltk_data")
        if nltk_data is None:
            raise SystemExit(
                "no WordNet: pass --nltk-data or apt-get install wordnet-base wordnet-sense-index"
            )
        os.environ["NLTK_DATA"] = str(nltk_data)
        commit = extract(args.ocrbench, work)
        os.chdir(work)  # spotting_metric.py writes ./eval_scripts/spotting_eval/{gt,submit}.zip
        sys.path.insert(0, str(work / "eval_scripts"))
        with contextlib.redirect_stdout(io.StringIO()):
            official = importlib.import_module("eval")
            get_score = importlib.import_module("get_score")
        document = {
            "scorer": "Yuliang-Liu/MultimodalOCR OCRBench_v2/eval_scripts/{eval.py,get_score.py}",
            "commit": commit,
            "python": platform.python_version(),
            "packages": {name: importlib.metadata.version(name) for name in PACKAGES},
            "rows": per_row(official, work),
            "grouped": grouped(official, get_score, work),
        }
    HERE.joinpath("ocrbench_v2.json").write_text(
        json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
