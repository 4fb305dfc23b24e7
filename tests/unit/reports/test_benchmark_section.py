"""The benchmark block of page-parsing runs: edit distances keep their third decimal, and
olmOCR-bench's per-file pass rates and overall with its interval are shown, in run and
comparison reports."""

from __future__ import annotations

from pathlib import Path

from tests.unit.reports.test_reports import make_run
from vlmhyperbench.core import BenchmarkScore, BenchmarkSpec, PublishedScore, RunDir
from vlmhyperbench.reports import write_comparison, write_run_report


def with_headline(run_dir: RunDir, score: BenchmarkScore) -> RunDir:
    """The run as a run of ``score.benchmark``'s preset with that headline."""
    spec = run_dir.read_spec().model_copy(
        update={
            "benchmark": BenchmarkSpec(
                name=score.benchmark, format=score.benchmark, source="/src", split="test"
            )
        }
    )
    run_dir.write_spec(spec)
    run_dir.write_manifest(run_dir.read_manifest().model_copy(update={"spec": spec}))
    summary = run_dir.read_metrics()
    summary.benchmark = score
    run_dir.write_metrics(summary)
    return run_dir


OMNIDOC = BenchmarkScore(
    benchmark="omnidocbench",
    title="OmniDocBench v1.5",
    name="Overall",
    metric="omnidoc_text_edit",
    value=None,
    unit="",
    parts={
        "Text Edit": 0.035,
        "Text Edit (pooled)": 0.04212,
        "Table TEDS": 90.891,
        "Reading Order Edit": 0.0,
    },
    published=[PublishedScore(model="PaddleOCR-VL", value=92.86, split="test", source="https://x.org")],
)
OLMOCR = BenchmarkScore(
    benchmark="olmocr_bench",
    title="olmOCR-bench",
    name="overall pass rate",
    metric="olmocr_bench",
    value=82.4,
    unit="%",
    parts={"arxiv_math": 75.0, "headers_footers": 89.8765},
    ci=(81.3, 83.5),
    published=[PublishedScore(model="Marker 1.10.1", value=76.1, split="all", source="https://y.org")],
)


def test_edit_distances_below_one_keep_three_decimals(tmp_path: Path) -> None:
    run_dir = with_headline(make_run(tmp_path / "exp", "run-a", task="parse"), OMNIDOC)
    write_run_report(run_dir, formats=("md", "html"))
    md = (run_dir.report_dir / "report.md").read_text("utf-8")
    # not "0.04 | 0.04 | 90.89 | 0.00": an edit distance of 0.035 is not 0.04
    assert "| **model-run-a** | — | 0.035 | 0.042 | 90.89 | 0.000 | test | this run (run-a) |" in md
    assert "| PaddleOCR-VL | 92.86 |" in md  # on the leaderboard's scale, as before
    page = (run_dir.report_dir / "report.html").read_text("utf-8")
    assert '<td class="num">0.035</td><td class="num">0.042</td><td class="num">90.89</td>' in page


def test_olmocr_bench_shows_each_test_file_and_the_overall_with_its_interval(tmp_path: Path) -> None:
    exp = tmp_path / "exp"
    run_dir = with_headline(make_run(exp, "run-a", task="parse"), OLMOCR)
    write_run_report(run_dir, formats=("md", "html"))
    md = (run_dir.report_dir / "report.md").read_text("utf-8")
    assert "| Model | overall pass rate | arxiv_math | headers_footers | Split |" in md
    assert "| **model-run-a** | 82.40 [81.30, 83.50] | 75.00 | 89.88 | test |" in md
    assert "| Marker 1.10.1 | 76.10 |  |  | all |" in md
    page = (run_dir.report_dir / "report.html").read_text("utf-8")
    assert '<td class="num">82.40 [81.30, 83.50]</td><td class="num">75.00</td>' in page
    write_comparison(exp, [run_dir])
    assert "| **model-run-a** | 82.40 [81.30, 83.50] | 75.00 | 89.88 |" in (exp / "comparison.md").read_text(
        "utf-8"
    )
    assert "82.40 [81.30, 83.50]" in (exp / "comparison.html").read_text("utf-8")
