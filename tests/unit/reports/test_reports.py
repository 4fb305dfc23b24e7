"""Run reports (md, json, html) and the experiment comparison, on a run dir built here."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from PIL import Image

from vlmhyperbench.core import (
    AggregateRow,
    AnswerRecord,
    ConfigError,
    DatasetSpec,
    ErrorInfo,
    Manifest,
    MetricInfo,
    MetricsSummary,
    PluginRef,
    PromptRecord,
    PromptSpec,
    RunDir,
    RunSpec,
    StageInfo,
    Timings,
    Usage,
)
from vlmhyperbench.perf import LevelSettings, LevelSummary, Stats
from vlmhyperbench.reports import (
    RunReport,
    build_run_report,
    distribution,
    percentile,
    read_run_report,
    report_writers,
    write_comparison,
    write_run_report,
)

METRICS = [
    MetricInfo(name="anls", version="1.0.0", higher_is_better=True, options={"threshold": 0.5}),
    MetricInfo(name="cer", version="1.0.0", higher_is_better=False, pooled=True),
]
EVIL = "<script>alert('x')</script> | pipe\nnext line"


def _png(path: Path, size: tuple[int, int], color: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)
    return str(path)


def _samples(tmp_path: Path, scale: float) -> list[dict]:
    big = _png(tmp_path / "ds" / "p1.png", (800, 1100), "white")
    small = _png(tmp_path / "ds" / "p2.png", (120, 90), "gray")
    rows = [
        ("s1", "passport", "name", "Иванов", ["Иванов"], 1.0 * scale, 0.0, None, None, [big]),
        ("s2", "passport", "date", EVIL, ["01.02.2003"], 0.2 * scale, 0.8, None, None, [small]),
        (
            "s3",
            "invoice",
            "total",
            "{bad json",
            ["120.00"],
            0.5 * scale,
            0.4,
            None,
            "invalid JSON",
            [str(tmp_path / "ds" / "gone.png")],
        ),
        ("s4", "invoice", "total", None, ["99"], 0.0, 1.0, "http: 500", None, [big]),
    ]
    keys = [
        "sample_id",
        "doc_class",
        "question_type",
        "answer",
        "references",
        "anls",
        "cer",
        "error",
        "invalid",
        "images",
    ]
    out = []
    for row in rows:
        d = dict(zip(keys, row, strict=True))
        d["scores"] = {"anls": d.pop("anls"), "cer": d.pop("cer")}
        out.append({**d, "split": "test", "task": "vqa"})
    return out


def _row(group: dict[str, str], rows: list[dict]) -> AggregateRow:
    anls = [r["scores"]["anls"] for r in rows]
    cer = [r["scores"]["cer"] for r in rows]
    return AggregateRow(
        group=group,
        n=len(rows),
        values={"anls": sum(anls) / len(anls), "cer": sum(cer) / len(cer)},
        pooled={"cer": sum(cer) / len(cer) / 2},
    )


def make_run(
    exp_dir: Path,
    run_id: str,
    *,
    task: str = "vqa",
    scale: float = 1.0,
    latency: float = 1.0,
    metrics: bool = True,
    answers: bool = True,
    cached: frozenset[str] = frozenset(),
) -> RunDir:
    """A run directory with spec, manifest, answers, metrics and per-sample scores.

    Answers of the ``cached`` sample ids say they were served from a cache.
    """
    run_dir = RunDir(exp_dir / run_id)
    spec = RunSpec(
        experiment=exp_dir.name,
        run_id=run_id,
        task=task,
        dataset=DatasetSpec(
            path=str(exp_dir.parent / "ds"), layout="jsonl", fingerprint="abcdef0123456789" * 4, n_samples=4
        ),
        backend=PluginRef(
            name="openai",
            options={"base_url": "http://localhost:8000/v1", "api_key": "sk-SECRET", "api_key_env": "MY_KEY"},
        ),
        model=f"model-{run_id}",
        prompts=PromptSpec(system="Answer briefly.", mapping_source="p.csv"),
        metrics=[PluginRef(name="anls"), PluginRef(name="cer")],
        aggregators=["general"],
    )
    run_dir.root.mkdir(parents=True)
    run_dir.write_spec(spec)
    run_dir.write_manifest(
        Manifest(
            experiment=spec.experiment,
            run_id=run_id,
            spec=spec,
            status="completed",
            packages={"vlmhyperbench": "0.2.0"},
            git_commit="deadbeef",
            host={"hostname": "box"},
            stages={
                "infer": StageInfo(
                    status="completed", started_at=1.7e9, duration_s=12.5, counts={"answers": 4}
                )
            },
        )
    )
    rows = _samples(exp_dir.parent, scale)
    if answers:
        with run_dir.answers_appender() as out:
            for i, r in enumerate(rows):
                prompt = PromptRecord(
                    system="Answer briefly.", user=f"Q {r['question_type']}", source="collection:p.csv"
                )
                if r["error"]:
                    error = ErrorInfo(kind="http", message="500 boom", status=500)
                    out.append(
                        AnswerRecord(sample_id=r["sample_id"], answer=None, prompt=prompt, error=error)
                    )
                    continue
                out.append(
                    AnswerRecord(
                        sample_id=r["sample_id"],
                        answer=r["answer"],
                        prompt=prompt,
                        usage=Usage(prompt_tokens=100, completion_tokens=10 + i, source="server"),
                        timings=Timings(
                            started_at=1.7e9 + i,
                            latency_s=latency * (i + 1),
                            ttft_s=0.1 * (i + 1),
                            tpot_s=0.01,
                            output_tokens_per_s=50.0,
                        ),
                        extra={"cached": True} if r["sample_id"] in cached else {},
                    )
                )
    if metrics:
        by_class = {}
        for r in rows:
            by_class.setdefault(r["doc_class"], []).append(r)
        by_field = {}
        for r in rows:
            by_field.setdefault((r["doc_class"], r["question_type"]), []).append(r)
        run_dir.write_metrics(
            MetricsSummary(
                metrics=METRICS,
                n_samples=4,
                n_errors=1,
                aggregates={
                    "general": [_row({}, rows)],
                    "by_doc_class": [_row({"doc_class": k}, v) for k, v in by_class.items()],
                    "by_field": [
                        _row({"doc_class": k[0], "question_type": k[1]}, v) for k, v in by_field.items()
                    ],
                },
            )
        )
        (run_dir.metrics_dir / "samples.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )
    return run_dir


@pytest.fixture
def run_dir(tmp_path: Path) -> RunDir:
    return make_run(tmp_path / "exp", "run-a")


def test_write_run_report_writes_md_json_html(run_dir: RunDir) -> None:
    paths = write_run_report(run_dir)
    assert [p.name for p in paths] == ["report.md", "report.json", "report.html"]
    assert all(p.parent == run_dir.report_dir and p.stat().st_size > 0 for p in paths)
    assert set(report_writers.names()) >= {"md", "json", "html"}


def test_report_json_validates_back_into_run_report(run_dir: RunDir) -> None:
    write_run_report(run_dir, formats=("json",))
    path = run_dir.report_dir / "report.json"
    report = read_run_report(path)
    assert RunReport.model_validate_json(path.read_text(encoding="utf-8")) == report
    assert report.run_id == "run-a" and report.model == "model-run-a"
    assert [f"{m.name}@{m.version}" for m in report.metrics] == ["anls@1.0.0", "cer@1.0.0"]
    assert report.summary is not None and report.summary.pooled["cer"] is not None
    assert [r.group["doc_class"] for r in report.by_doc_class] == ["passport", "invoice"]
    assert report.errors.count == 1 and report.errors.by_kind == {"http": 1}
    assert report.invalid.count == 1 and report.invalid.examples[0].sample_id == "s3"
    assert report.prompts.n_distinct == 3 and report.prompts.sent[0].count == 2
    assert report.stages["infer"].duration_s == 12.5 and report.git_commit == "deadbeef"
    assert report.missing == []


def test_report_never_contains_secret_option_values(run_dir: RunDir) -> None:
    report = build_run_report(run_dir)
    assert report.backend.options["api_key"] == "***"
    assert report.backend.options["api_key_env"] == "MY_KEY"
    write_run_report(run_dir)
    for name in ("report.md", "report.json", "report.html"):
        assert "sk-SECRET" not in (run_dir.report_dir / name).read_text(encoding="utf-8")


def test_worst_samples_ranked_by_first_metric_without_failed_requests(run_dir: RunDir) -> None:
    report = build_run_report(run_dir)
    assert report.worst_metric == "anls"
    assert [(w.sample_id, w.score) for w in report.worst_samples] == [("s2", 0.2), ("s3", 0.5), ("s1", 1.0)]
    assert report.worst_samples[0].image and report.worst_samples[0].image.endswith("p2.png")


def _script_sources(page: str) -> list[str]:
    return re.findall(r"<script[^>]*\ssrc\s*=\s*[\"']([^\"']+)", page, re.IGNORECASE)


def test_html_loads_plotly_from_its_folder_with_charts_tables_and_thumbnails(run_dir: RunDir) -> None:
    from plotly.offline import get_plotlyjs

    write_run_report(run_dir, formats=("html",))
    page = (run_dir.report_dir / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"<link[^>]*href\s*=\s*[\"']?(https?:)?//", page, re.IGNORECASE)
    assert get_plotlyjs()[:200] not in page  # not inlined: the page stays small
    assert len(page.encode("utf-8")) < 500_000
    [src] = _script_sources(page)
    assert re.fullmatch(r"plotly-[\d.]+\.min\.js", src)  # relative: works offline from disk
    assert (run_dir.report_dir / src).read_text(encoding="utf-8") == get_plotlyjs()
    assert page.count("Plotly.newPlot") >= 3  # one chart per metric + latency histogram
    for text in (
        "anls@1.0.0",
        "cer@1.0.0",
        "<h3>passport</h3>",
        "<h3>invoice</h3>",
        "<td>passport</td>",
        "<td>invoice</td>",
    ):
        assert text in page
    assert page.count('src="data:image/jpeg;base64,') == 2
    assert "image not found" in page


def test_html_thumbnails_are_at_most_240_px_wide(run_dir: RunDir) -> None:
    import base64
    import io

    write_run_report(run_dir, formats=("html",))
    page = (run_dir.report_dir / "report.html").read_text(encoding="utf-8")
    for data in re.findall(r"data:image/jpeg;base64,([A-Za-z0-9+/=]+)", page):
        with Image.open(io.BytesIO(base64.b64decode(data))) as img:
            assert img.format == "JPEG" and img.width <= 240


def test_html_and_markdown_escape_model_output(run_dir: RunDir) -> None:
    write_run_report(run_dir, formats=("md", "html"))
    page = (run_dir.report_dir / "report.html").read_text(encoding="utf-8")
    md = (run_dir.report_dir / "report.md").read_text(encoding="utf-8")
    assert "<script>alert(" not in page and "&lt;script&gt;alert(" in page
    assert "&lt;script&gt;alert(" in md and "\\| pipe<br>next line" in md


def test_markdown_has_every_section_and_formats_numbers(run_dir: RunDir) -> None:
    write_run_report(run_dir, formats=("md",))
    md = (run_dir.report_dir / "report.md").read_text(encoding="utf-8")
    for heading in (
        "Run",
        "Model and prompts",
        "Dataset",
        "Summary",
        "By document class",
        "By field",
        "Worst samples",
        "Performance",
        "Errors",
        "Environment",
    ):
        assert f"\n## {heading}\n" in md
    assert "| passport | 2 | 0.6 | 0.4 | 0.2 |" in md  # mean anls, mean cer, pooled cer
    assert "| anls | 1.0.0 | higher | 0.425 | — |" in md
    assert "| cer | 1.0.0 | lower | 0.55 | — | 0.275 | — |" in md
    assert "—" in md


def test_percentiles_on_a_known_list() -> None:
    dist = distribution(range(1, 101))
    assert dist is not None
    assert (dist.count, dist.mean, dist.min, dist.max) == (100, 50.5, 1.0, 100.0)
    assert dist.p50 == pytest.approx(50.5)
    assert dist.p90 == pytest.approx(90.1)
    assert dist.p95 == pytest.approx(95.05)
    assert dist.p99 == pytest.approx(99.01)
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([7.0], 99) == 7.0
    assert distribution([None, float("nan")]) is None


def test_percentiles_match_numpy_default() -> None:
    np = pytest.importorskip("numpy")
    values = [0.31, 2.5, 0.07, 1.9, 0.88, 4.2, 0.5, 0.5, 3.3]
    dist = distribution(values)
    assert dist is not None
    for q, got in ((50, dist.p50), (90, dist.p90), (95, dist.p95), (99, dist.p99)):
        assert got == pytest.approx(float(np.percentile(values, q)))


def test_performance_covers_successful_answers_only(run_dir: RunDir) -> None:
    perf = build_run_report(run_dir).performance
    assert perf.n_requests == 4 and perf.n_ok == 3
    assert perf.latency_s is not None and perf.latency_s.count == 3
    assert perf.latency_s.p50 == 2.0 and perf.latency_s.max == 3.0
    assert perf.ttft_s is not None and perf.ttft_s.p50 == pytest.approx(0.2)
    assert (perf.prompt_tokens, perf.completion_tokens) == (300, 10 + 11 + 12)
    assert perf.usage_source == {"server": 3}


def test_run_without_metrics_gets_a_report_that_says_so(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path / "exp", "run-x", metrics=False)
    paths = write_run_report(run_dir)
    report = read_run_report(run_dir.report_dir / "report.json")
    assert any(note.startswith("metrics/metrics.json is missing") for note in report.missing)
    assert report.metrics == [] and report.summary is None and report.counts.n_scored is None
    assert report.performance.n_ok == 3
    for path in paths:
        assert "metrics/metrics.json is missing" in path.read_text(encoding="utf-8")


def test_failed_run_with_only_a_spec_still_gets_a_report(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path / "exp", "run-f", metrics=False, answers=False)
    write_run_report(run_dir)
    report = read_run_report(run_dir.report_dir / "report.json")
    assert [n.split(" ")[0] for n in report.missing] == [
        "answers.jsonl",
        "metrics/metrics.json",
        "metrics/samples.jsonl",
    ]
    assert report.performance.latency_s is None and report.errors.count == 0
    assert "Plotly.newPlot" not in (run_dir.report_dir / "report.html").read_text(encoding="utf-8")


def test_unknown_format_fails_before_writing(run_dir: RunDir) -> None:
    with pytest.raises(ConfigError, match="unknown report 'htm'"):
        write_run_report(run_dir, formats=("md", "htm"))
    assert not run_dir.report_dir.exists()


def test_comparison_over_runs_groups_by_task_and_sorts_best_first(tmp_path: Path) -> None:
    exp = tmp_path / "exp"
    runs = [
        make_run(exp, "run-low", scale=0.5, latency=2.0),
        make_run(exp, "run-high", scale=1.0),
        make_run(exp, "run-ocr", task="ocr"),
        RunDir(exp / "not-a-run"),
    ]
    paths = write_comparison(exp, runs)  # a folder without a run spec is left out
    assert [p.name for p in paths] == [
        "comparison.md",
        "comparison.csv",
        "comparison_pairs.csv",
        "comparison.html",
    ]

    with (exp / "comparison.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["run_id"] for r in rows] == ["run-ocr", "run-high", "run-low"]
    assert list(rows[0])[:8] == [
        "run_id",
        "model",
        "backend",
        "task",
        "dataset",
        "dataset_fingerprint",
        "n_samples",
        "n_errors",
    ]
    assert list(rows[0])[8:] == [
        "anls",
        "anls_ci_low",
        "anls_ci_high",
        "cer",
        "cer_ci_low",
        "cer_ci_high",
        "cer_pooled",
        "latency_p50_s",
        "latency_p95_s",
        "ttft_p50_s",
        "n_cached",
    ]
    high, low = rows[1], rows[2]
    assert float(high["anls"]) == pytest.approx(0.425)
    assert float(low["anls"]) == pytest.approx(0.2125)
    assert high["dataset"] == "ds" and high["dataset_fingerprint"] == "abcdef012345"
    assert (high["n_samples"], high["n_errors"]) == ("4", "1")
    assert float(low["latency_p50_s"]) == 4.0 and float(high["ttft_p50_s"]) == pytest.approx(0.2)
    assert "**" not in (exp / "comparison.csv").read_text(encoding="utf-8")

    md = (exp / "comparison.md").read_text(encoding="utf-8")
    assert md.index("## Task: ocr") < md.index("## Task: vqa")
    vqa = md[md.index("## Task: vqa") :]
    assert vqa.index("run-high") < vqa.index("run-low")
    assert "| **0.425** |" in vqa

    page = (exp / "comparison.html").read_text(encoding="utf-8")
    assert all(run_id in page for run_id in ("run-low", "run-high", "run-ocr"))
    [src] = _script_sources(page)
    assert (exp / src).is_file() and "/" not in src
    assert 'class="num best"' in page


def _level(level: str, concurrency: int, rps: float, ttft: float) -> LevelSummary:
    none = Stats(count=0)
    return LevelSummary(
        level=level,
        settings=LevelSettings(mode="closed", concurrency=concurrency),
        completed=10,
        failed=0,
        duration_s=10 / rps,
        request_throughput=rps,
        output_token_throughput=rps * 20,
        ttft_s=Stats(count=10, median=ttft),
        tpot_s=none,
        itl_s=none,
        e2e_s=none,
    )


def test_attached_perf_levels_show_speed_beside_accuracy(tmp_path: Path) -> None:
    exp = tmp_path / "exp"
    runs = [make_run(exp, "run-a"), make_run(exp, "run-b", scale=0.5)]
    for level, concurrency, rps, ttft in (("c1", 1, 2.0, 0.12), ("c8", 8, 9.5, 0.4)):
        folder = runs[0].root / "perf" / level
        folder.mkdir(parents=True)
        (folder / "summary.json").write_text(_level(level, concurrency, rps, ttft).model_dump_json())
    write_comparison(exp, runs)
    with (exp / "comparison.csv").open(encoding="utf-8", newline="") as fh:
        rows = {r["run_id"]: r for r in csv.DictReader(fh)}
    assert float(rows["run-a"]["perf_max_request_throughput"]) == 9.5
    assert float(rows["run-a"]["perf_ttft_p50_s"]) == 0.12  # the lightest load
    assert rows["run-b"]["perf_max_request_throughput"] == ""
    assert "perf max req/s" in (exp / "comparison.md").read_text("utf-8")


def test_plotly_bundle_is_written_once_per_folder_and_a_lone_report_gets_its_own(
    run_dir: RunDir, tmp_path: Path
) -> None:
    write_run_report(run_dir, formats=("html",))
    [bundle] = run_dir.report_dir.glob("plotly-*.min.js")
    first = bundle.stat().st_mtime_ns
    write_run_report(run_dir, formats=("html",))
    assert bundle.stat().st_mtime_ns == first  # kept, not rewritten
    alone = tmp_path / "alone"
    report_writers.get("html")().write(build_run_report(run_dir), alone)
    [src] = _script_sources((alone / "report.html").read_text(encoding="utf-8"))
    assert (alone / src).read_bytes() == bundle.read_bytes()


def test_html_tables_scroll_sideways_and_a_missing_bundle_is_explained(run_dir: RunDir) -> None:
    write_run_report(run_dir, formats=("html",))
    page = (run_dir.report_dir / "report.html").read_text(encoding="utf-8")
    assert re.search(r"\btable \{[^}]*display: block;[^}]*overflow-x: auto;", page)
    assert 'id="plotly-missing"' in page and "if (!window.Plotly)" in page


def _figures(page: str) -> list[tuple[list[dict], dict]]:
    """(traces, layout) of every ``Plotly.newPlot(id, data, layout, config)`` on the page."""
    decoder = json.JSONDecoder()
    figures = []
    for match in re.finditer(r"Plotly\.newPlot\(\s*", page):
        pos = match.end()
        args = []
        for _ in range(3):
            value, pos = decoder.raw_decode(page, pos)
            args.append(value)
            pos = re.compile(r"\s*,\s*").match(page, pos).end()  # type: ignore[union-attr]
        figures.append((args[1], args[2]))
    return figures


def _title(layout: dict) -> str:
    title = layout.get("title") or {}
    return title.get("text", "") if isinstance(title, dict) else str(title)


def test_comparison_charts_keep_higher_and_lower_is_better_metrics_apart(tmp_path: Path) -> None:
    exp = tmp_path / "exp"
    write_comparison(exp, [make_run(exp, "run-low", scale=0.5, latency=2.0), make_run(exp, "run-high")])
    figures = _figures((exp / "comparison.html").read_text(encoding="utf-8"))
    titles = [_title(layout) for _, layout in figures]
    assert titles == [
        "anls ↑ (higher is better)",
        "cer ↓ (lower is better)",
        "Latency per request ↓ (lower is better; cached answers left out)",
        "anls ↑ against latency p50 ↓ (up and left is better)",
    ]
    for traces, _ in figures:
        assert {t["name"] for t in traces} <= {"run-low", "run-high", "p50", "p95"}  # no metric mix
    anls = {t["name"]: t for t in figures[0][0]}
    assert list(anls["run-high"]["x"]) == ["all", "passport", "invoice"]  # per document class
    assert list(anls["run-high"]["y"]) == pytest.approx([0.425, 0.6, 0.25])


def test_comparison_shows_each_metric_per_document_class(tmp_path: Path) -> None:
    exp = tmp_path / "exp"
    write_comparison(exp, [make_run(exp, "run-low", scale=0.5), make_run(exp, "run-high")])
    md = (exp / "comparison.md").read_text(encoding="utf-8")
    table = md[md.index("### Task vqa by document class") :]
    assert "| doc_class | run | n | anls ↑ | cer ↓ |" in table
    assert "| passport | run-high | 2 | 0.6 | 0.4 |" in table
    assert "| invoice | run-low | 2 | 0.125 | 0.7 |" in table
    page = (exp / "comparison.html").read_text(encoding="utf-8")
    assert "<h3>By document class</h3>" in page and "<td>invoice</td><td>run-low</td>" in page


def test_cached_answers_are_left_out_of_timings_and_the_reports_say_so(tmp_path: Path) -> None:
    exp = tmp_path / "exp"
    run = make_run(exp, "run-c", cached=frozenset({"s2", "s3"}))
    perf = build_run_report(run).performance
    assert (perf.n_ok, perf.n_cached) == (3, 2)
    assert perf.latency_s is not None and perf.latency_s.count == 1 and perf.latency_s.max == 1.0
    assert perf.ttft_s is not None and perf.ttft_s.count == 1
    assert perf.completion_tokens == 10 + 11 + 12  # tokens were still produced
    write_run_report(run, formats=("md", "html"))
    for name in ("report.md", "report.html"):
        text = (run.report_dir / name).read_text(encoding="utf-8")
        assert "2 of them were served from a cache" in text and "cover the other 1" in text
    write_comparison(exp, [run, make_run(exp, "run-t")])
    with (exp / "comparison.csv").open(encoding="utf-8", newline="") as fh:
        rows = {r["run_id"]: r for r in csv.DictReader(fh)}
    assert (rows["run-c"]["n_cached"], rows["run-t"]["n_cached"]) == ("2", "0")
    assert float(rows["run-c"]["latency_p95_s"]) == 1.0 and float(rows["run-t"]["latency_p95_s"]) > 2.5
    md = (exp / "comparison.md").read_text(encoding="utf-8")
    assert "run-c: 2 of 3 answers were served from a cache" in md


def test_paired_verdict_says_too_few_samples_where_no_p_below_005_is_possible(tmp_path: Path) -> None:
    exp = tmp_path / "exp"
    write_comparison(exp, [make_run(exp, "run-low", scale=0.5), make_run(exp, "run-high")])
    with (exp / "comparison_pairs.csv").open(encoding="utf-8", newline="") as fh:
        pairs = {(p["metric"], p["doc_class"]): p for p in csv.DictReader(fh)}
    anls = pairs[("anls", "")]  # 4 pairs, 3 differ: p ≥ 2/2³ whatever the scores
    assert float(anls["ci_high"]) < 0  # run-low − run-high: the interval excludes 0 ...
    assert float(anls["min_p_value"]) == 0.25
    expected = "too few samples (3 of 4 pairs differ): the smallest possible p is 0.25, never below 0.05"
    assert anls["verdict"] == expected  # ... and the verdict does not claim "no difference"
    assert pairs[("anls", "passport")]["verdict"].startswith("too few samples (n=2)")
    assert pairs[("cer", "")]["verdict"] == "no significant difference"  # identical scores
    assert expected in (exp / "comparison.md").read_text(encoding="utf-8")
    assert expected in (exp / "comparison.html").read_text(encoding="utf-8")


def test_a_malformed_perf_summary_is_named_with_its_key_not_read_as_a_dict(tmp_path: Path) -> None:
    exp = tmp_path / "exp"
    run = make_run(exp, "run-a")
    good, bad = run.root / "perf" / "c1", run.root / "perf" / "c8"
    good.mkdir(parents=True)
    bad.mkdir(parents=True)
    (good / "summary.json").write_text(_level("c1", 1, 2.0, 0.12).model_dump_json())
    broken = _level("c8", 8, 9.5, 0.4).model_dump(mode="json")
    broken["request_throughput"] = "fast"
    (bad / "summary.json").write_text(json.dumps(broken))
    report = build_run_report(run)
    [note] = report.missing
    assert "perf/c8/summary.json" in note and "(request_throughput)" in note
    assert [level["level"] for level in report.perf] == ["c1"]
    write_comparison(exp, [run])
    with (exp / "comparison.csv").open(encoding="utf-8", newline="") as fh:
        [row] = csv.DictReader(fh)
    assert float(row["perf_max_request_throughput"]) == 2.0  # the good level still counts
    md = (exp / "comparison.md").read_text(encoding="utf-8")
    assert "run-a: a perf summary could not be read:" in md and "(request_throughput)" in md
