"""Regenerate mdpbench.json: MDPBench's official scores of the fixture's MDPBench pages.

Evaluator: Yuliang-Liu/MultimodalOCR at ``COMMIT``, folder ``MDPBench`` (its copy of
OmniDocBench's evaluator and ``tools/calculate_scores.py``), extracted unchanged (without
``demo_data``) from a clone or mirror into a temporary folder and run as its README says:
``python pdf_validation.py --config <end2end config>``, then ``python
tools/calculate_scores.py --result_folder result/<model>_result``, whose printed scores
(per language, Latin and Non-Latin averages, All, Digit., Photo.) are recorded. The
config is ``configs/end2end.yaml`` without CDM, which needs a TeX toolchain: the
fixture's pages have no display formula, so the scores need none. Modules the path
imports but never calls are empty stand-ins (see make_omnidocbench.py). Pages and
predictions: tests/support/fixtures_omnidocbench.py (``MDP_PAGES``, ``MDP_PREDICTIONS``).

    python tests/data/golden/benchmarks/omnidocbench/make_mdpbench.py \\
        --multimodalocr PATH/TO/MultimodalOCR [--python PATH/TO/venv/bin/python]
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[4]))

from make_omnidocbench import CONFIG, STUBS

from tests.support import fixtures_omnidocbench as fx

COMMIT = "794c36d6423cf1d5764081128bcaeb46b240def6"


def extract(checkout: Path, into: Path) -> Path:
    """``MDPBench`` at ``COMMIT`` of ``checkout`` (its demo images left out) into ``into``."""
    git = ["git", "-C", str(checkout)] if (checkout / ".git").exists() else ["git", f"--git-dir={checkout}"]
    listing = subprocess.run(
        [*git, "ls-tree", "--name-only", COMMIT, "MDPBench/"], check=True, capture_output=True, text=True
    )
    paths = [p for p in listing.stdout.split() if p != "MDPBench/demo_data"]
    archive = subprocess.run([*git, "archive", COMMIT, *paths], check=True, capture_output=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into / "MDPBench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--multimodalocr", type=Path, required=True, help="clone or mirror of the repository")
    parser.add_argument("--python", default=sys.executable, help="a Python with its requirements")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        stubs, data, pred = work / "stubs", work / "data", work / "pred"
        repo = extract(args.multimodalocr, work / "repo")
        for name, text in STUBS.items():
            (stubs / name).parent.mkdir(parents=True, exist_ok=True)
            (stubs / name).write_text(text)
        fx.write_mdpbench(data)
        pred.mkdir()
        for page_id, markdown in fx.MDP_PREDICTIONS.items():
            (pred / f"{page_id}.md").write_text(markdown, encoding="utf-8")
        config = work / "end2end.yaml"
        config.write_text(CONFIG.format(gt=data / "MDPBench_public.json", pred=pred))
        env = {"PYTHONPATH": str(stubs), "PATH": "/usr/bin:/bin"}
        run = {"cwd": repo, "check": True, "capture_output": True, "text": True, "env": env}
        subprocess.run([args.python, "pdf_validation.py", "--config", str(config)], **run)  # type: ignore[call-overload]
        printed = subprocess.run(  # type: ignore[call-overload]
            [args.python, "tools/calculate_scores.py", "--result_folder", "result/pred_result"], **run
        ).stdout
    scores: dict[str, float | None] = {}
    section = ""
    for line in printed.splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        elif match := re.fullmatch(r"\s+([\w.-]+)\s*: (.+)", line):
            name = f"{section} Avg" if match[1] == "Avg" else match[1]
            scores[name] = None if match[2] == "N/A" else float(match[2])
    golden = {"evaluator": f"Yuliang-Liu/MultimodalOCR@{COMMIT} (MDPBench)", "scores": scores}
    out = HERE / "mdpbench.json"
    out.write_text(json.dumps(golden, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
