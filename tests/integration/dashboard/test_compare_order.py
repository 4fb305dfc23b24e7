"""/compare gives the experiment comparison report's bootstrap interval, even when a run wrote
its answers in another order than its metrics/samples.jsonl (as concurrent requests do)."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

from fastapi.testclient import TestClient

from tests.support.run_folders import make_run_folder
from vlmhyperbench.dashboard.app import DashboardSettings, create_app
from vlmhyperbench.dashboard.db import open_index
from vlmhyperbench.reports.comparison import write_comparison


def _shuffle_answers(answers: Path) -> None:
    lines = answers.read_text(encoding="utf-8").splitlines(keepends=True)
    random.Random(7).shuffle(lines)
    answers.write_text("".join(lines), encoding="utf-8")


def test_the_paired_interval_is_the_comparison_reports(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    a = make_run_folder(runs / "exp", "a", n=60, seed=1, fail_every=0)
    b = make_run_folder(runs / "exp", "b", n=60, seed=2, fail_every=0, model="model-b")
    write_comparison(runs / "exp", [a, b])  # samples.jsonl's order, as `vlmhb report` does
    _shuffle_answers(a.answers)
    order = [json.loads(line)["sample_id"] for line in a.samples.open(encoding="utf-8")]
    assert [json.loads(line)["sample_id"] for line in a.answers.open(encoding="utf-8")] != order
    with (runs / "exp" / "comparison_pairs.csv").open(encoding="utf-8") as fh:
        row = next(
            r
            for r in csv.DictReader(fh)
            if (r["run_a"], r["run_b"], r["metric"], r["doc_class"]) == ("a", "b", "anls", "")
        )
    index = open_index(runs, f"sqlite:///{tmp_path / 'index.sqlite'}")
    index.refresh()
    app = create_app(DashboardSettings(runs_dir=runs, refresh_interval_s=0), index=index)
    with TestClient(app) as client:
        html = client.get("/compare/paired?a=exp/a&b=exp/b&metric=anls").text
    index.close()
    assert f"Over the {row['n']} samples" in html
    assert f"interval {float(row['ci_low']):.4f} … {float(row['ci_high']):.4f}" in html
