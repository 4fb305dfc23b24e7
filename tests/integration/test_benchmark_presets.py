"""The ``benchmark:`` plumbing with a reader and a preset defined here: import once into
the cache, preset defaults and overrides, split spellings, the headline in metrics.json,
the import/info/list/show commands, and the errors a user meets on the way."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
import yaml
from PIL import Image
from typer.testing import CliRunner

from tests.support.openai_server import ScriptedOpenAIServer
from vlmhyperbench.benchmarks import Benchmark, MeanOfGroups, benchmarks, register_benchmark
from vlmhyperbench.cli.main import app
from vlmhyperbench.core import ConfigError, DatasetError, PublishedScore, RunDir, SourceLocation, UserError
from vlmhyperbench.datasets import RowError, load_dataset
from vlmhyperbench.datasets.sources import (
    PageImage,
    ReadOptions,
    SourceRecord,
    cached_import,
    import_source,
    source_formats,
)
from vlmhyperbench.datasets.sources._base import decode_base64, missing_files, unknown_choice
from vlmhyperbench.orchestrator import run_experiment


class PlumbingJson:
    """``<split>.json``: a list of {id, image (base64), question, answers, part}."""

    name: ClassVar[str] = "plumbing_json"
    expects: ClassVar[str] = "<split>.json files"

    def read(self, source: Path, options: ReadOptions, errors: RowError) -> Iterator[SourceRecord]:
        splits = sorted(p.stem for p in source.glob("*.json"))
        if not splits:
            raise missing_files(source, self)
        if options.subset not in (None, "main"):
            raise unknown_choice("subset", options.subset, ["main"], source)
        split = options.split or splits[0]
        if split not in splits:
            raise unknown_choice("split", split, splits, source)
        path = source / f"{split}.json"
        for row_number, row in enumerate(json.loads(path.read_text()), start=1):
            where = SourceLocation(path, row_number)
            data = decode_base64(row["image"], where.with_key("image"), errors)
            if data is None:
                continue
            yield SourceRecord(
                id=str(row["id"]),
                images=[PageImage(data=data)],
                question=row["question"],
                answers=row["answers"],
                split=row["part"],
                doc_class="chart",
                metadata={"source_split": split},
                where=where,
            )


PRESET = Benchmark(
    name="plumbing",
    title="Plumbing test benchmark",
    task="vqa",
    formats=("plumbing_json",),
    prompt="{{ question }}\nAnswer briefly.",
    prompt_source="tests/integration/test_benchmark_presets.py",
    metrics=("exact_match", "anls"),
    headline=MeanOfGroups(metric="exact_match", name="accuracy", groups=("human", "augmented")),
    splits=("val", "test"),
    default_split="val",
    licence="CC0",
    homepage="https://example.org/plumbing",
    aggregators=("by_id", "general"),
    published=(
        PublishedScore(model="Some-VLM", value=42.0, split="val", source="https://example.org/paper"),
    ),
    generation={"max_tokens": 16},
)


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("VLMHB_CACHE_DIR", str(tmp_path / "cache"))
    source_formats.register("plumbing_json", version="1")(PlumbingJson)
    register_benchmark(PRESET)
    yield
    source_formats._entries.pop("plumbing_json", None)
    benchmarks._entries.pop("plumbing", None)


def png(color: int) -> str:
    buf = io.BytesIO()
    Image.new("RGB", (24, 16), (color, color, color)).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


ROWS = [
    {"id": "q1", "image": png(10), "question": "How many?", "answers": ["5"], "part": "human"},
    {"id": "q2", "image": png(10), "question": "Which year?", "answers": ["2019"], "part": "human"},
    {"id": "q3", "image": png(200), "question": "Max?", "answers": ["7.5"], "part": "augmented"},
    {"id": "q4", "image": png(90), "question": "Min?", "answers": ["1"], "part": "augmented"},
]
ANSWERS = {"q1": "5", "q2": "2018", "q3": "7.5", "q4": "1"}  # human 1/2, augmented 2/2


def user_text(server: ScriptedOpenAIServer) -> str:
    """The text of the first request's user message."""
    first = min(server.requests, key=lambda r: r.received_at)
    parts = first.body["messages"][-1]["content"]
    return "".join(part["text"] for part in parts if part["type"] == "text")


def write_source(root: Path, rows: list[dict[str, object]] = ROWS, split: str = "validation") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{split}.json").write_text(json.dumps(rows), encoding="utf-8")
    return root


def write_config(path: Path, source: Path, url: str, **run: object) -> Path:
    config = {
        "name": "bench",
        "output_dir": str(path.parent / "runs"),
        "runs": [
            {
                "benchmark": "plumbing",
                "dataset": str(source),
                "model": {"backend": "openai", "options": {"base_url": url, "model": "m", "timeout_s": 5}},
                **run,
            }
        ],
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_import_writes_native_layout_with_each_image_once(tmp_path: Path) -> None:
    source = write_source(tmp_path / "src")
    report = import_source("plumbing_json", source, tmp_path / "out", ReadOptions(split="validation"))
    assert report.samples == 4 and report.images == 3  # q1 and q2 share a page
    data = load_dataset(tmp_path / "out")
    assert [s.id for s in data.samples] == ["q1", "q2", "q3", "q4"]
    assert data.samples[0].images == data.samples[1].images
    assert data.samples[0].metadata == {"source_split": "validation", "source_row": 1, "line": 1}
    assert report.counts["split"] == {"augmented": 2, "human": 2}
    written = json.loads((tmp_path / "out" / "import.json").read_text())
    assert written["format"] == "plumbing_json" and written["source_key"]


def test_bad_rows_are_listed_and_nothing_is_left_behind(tmp_path: Path) -> None:
    rows = [
        *ROWS,
        {**ROWS[0], "id": "bad", "image": "not base64!"},
        {**ROWS[0], "id": "q9", "image": "aGVsbG8="},
    ]
    source = write_source(tmp_path / "src", rows)
    with pytest.raises(DatasetError) as info:
        import_source("plumbing_json", source, tmp_path / "out", ReadOptions(split="validation"))
    text = str(info.value)
    assert "validation.json:5 (image): the image is not valid base64" in text
    assert "validation.json:6 (image[0]): the image cannot be read" in text
    assert "--skip-invalid" in text
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.importing-*"))
    report = import_source(
        "plumbing_json", source, tmp_path / "out", ReadOptions(split="validation"), skip_invalid=True
    )
    assert report.samples == 4 and report.skipped == 2 and "validation.json:5" in report.skipped_rows[0]


def test_source_errors_name_what_is_expected(tmp_path: Path) -> None:
    source = write_source(tmp_path / "src")
    with pytest.raises(DatasetError, match="splits found there: validation"):
        import_source("plumbing_json", source, tmp_path / "o1", ReadOptions(split="test"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match=r"expects <split>\.json files"):
        import_source("plumbing_json", tmp_path / "empty", tmp_path / "o2")
    write_source(tmp_path / "nothing", [], split="val")
    with pytest.raises(DatasetError, match="no samples of split 'val'"):
        import_source("plumbing_json", tmp_path / "nothing", tmp_path / "o3", ReadOptions(split="val"))
    with pytest.raises(ConfigError, match="unknown source_format 'plumbing'"):
        import_source("plumbing", source, tmp_path / "o4")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(DatasetError, match="already exists and is not an empty folder"):
        import_source("plumbing_json", source, tmp_path / "full")


def test_cached_import_is_reused_until_the_source_changes(tmp_path: Path) -> None:
    source = write_source(tmp_path / "src")
    first, _ = cached_import("plumbing_json", source, ReadOptions(split="validation"))
    again, _ = cached_import("plumbing_json", source, ReadOptions(split="validation"))
    assert first == again and first.is_relative_to(tmp_path / "cache" / "datasets")
    write_source(tmp_path / "src", ROWS[:2])
    changed, report = cached_import("plumbing_json", source, ReadOptions(split="validation"))
    assert changed != first and report.samples == 2
    limited, report = cached_import("plumbing_json", source, ReadOptions(split="validation"), limit=1)
    assert limited != changed and report.samples == 1


def test_a_benchmark_run_uses_the_preset_and_reports_its_headline(
    tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    openai_server.answers = dict(ANSWERS)
    source = write_source(tmp_path / "src")  # HF-style "validation" for the preset's "val"
    result = run_experiment(write_config(tmp_path / "e.yaml", source, openai_server.url), executor="inline")
    assert result.ok, result.runs
    run_dir = RunDir(result.runs[0].run_dir)
    spec = run_dir.read_manifest().spec
    assert spec.run_id == "m-plumbing-validation" and spec.task == "vqa"
    assert spec.benchmark is not None and spec.benchmark.format == "plumbing_json"
    assert spec.benchmark.split == "validation" and Path(spec.dataset.path) == Path(spec.benchmark.imported)
    assert [m.name for m in spec.metrics] == ["exact_match", "anls"] and spec.aggregators == [
        "by_id",
        "general",
    ]
    assert spec.generation.max_tokens == 16
    assert openai_server.requests[0].body["max_tokens"] == 16
    assert user_text(openai_server) == "How many?\nAnswer briefly."
    headline = json.loads(run_dir.metrics_json.read_text())["benchmark"]
    assert headline["name"] == "accuracy" and headline["unit"] == "%"
    assert headline["parts"] == {"human": 50.0, "augmented": 100.0} and headline["value"] == 75.0
    assert headline["published"][0]["model"] == "Some-VLM" and headline["n"] == 4
    md = (run_dir.report_dir / "report.md").read_text()
    assert "## Benchmark: Plumbing test benchmark" in md
    assert "| **m** | 75.00 | 50.00 | 100.00 | validation | this run (m-plumbing-validation) |" in md
    assert "| Some-VLM | 42.00 |  |  | val | https://example.org/paper |" in md
    html = (run_dir.report_dir / "report.html").read_text()
    assert 'id="benchmark-plumbing"' in html and 'href="https://example.org/paper"' in html
    comparison = (run_dir.root.parent / "comparison.md").read_text()
    assert comparison.index("## Benchmark: Plumbing") < comparison.index("## Task: vqa")
    assert 'id="benchmark-plumbing"' in (run_dir.root.parent / "comparison.html").read_text()


def test_run_settings_override_the_preset(tmp_path: Path, openai_server: ScriptedOpenAIServer) -> None:
    openai_server.answers = dict(ANSWERS)
    source = write_source(tmp_path / "src")
    cfg = write_config(
        tmp_path / "e.yaml",
        source,
        openai_server.url,
        name="mine",
        metrics=["exact_match"],
        aggregators=["general"],
        prompts={"user": "Q: {{ question }}"},
        generation={"max_tokens": 8},
        benchmark={"name": "plumbing", "limit": 2},
    )
    result = run_experiment(cfg, executor="inline")
    assert result.ok
    spec = RunDir(result.runs[0].run_dir).read_manifest().spec
    assert [m.name for m in spec.metrics] == ["exact_match"] and spec.aggregators == ["general"]
    assert spec.generation.max_tokens == 8 and spec.dataset.n_samples == 2
    assert user_text(openai_server).startswith("Q: ")


@pytest.mark.parametrize(
    ("run", "message", "key"),
    [
        ({"benchmark": "plumbin"}, "did you mean 'plumbing'", "runs[0].benchmark.name"),
        ({"task": "kie"}, "is a 'vqa' benchmark, not 'kie'", "runs[0].task"),
        (
            {"benchmark": {"name": "plumbing", "split": "dev"}},
            "its splits: val, test",
            "runs[0].benchmark.split",
        ),
        (
            {"benchmark": {"name": "plumbing", "format": "jsonl2"}},
            "unknown source_format",
            "runs[0].benchmark.format",
        ),
        ({"metrics": ["anls"]}, "reports accuracy from metric 'exact_match'", "runs[0].metrics"),
    ],
)
def test_config_mistakes_are_located(tmp_path: Path, run: dict[str, object], message: str, key: str) -> None:
    source = write_source(tmp_path / "src")
    cfg = write_config(tmp_path / "e.yaml", source, "http://127.0.0.1:9/v1", **run)
    with pytest.raises(ConfigError) as info:
        run_experiment(cfg, executor="inline")
    assert message in str(info.value) and key in str(info.value)


def test_a_source_in_no_format_lists_each_reason(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    cfg = write_config(tmp_path / "e.yaml", tmp_path / "src", "http://127.0.0.1:9/v1")
    with pytest.raises(UserError) as info:
        run_experiment(cfg, executor="inline")
    assert "(runs[0].dataset): " in str(info.value) and "is in none of the formats plumbing_json" in str(
        info.value
    )
    assert "[plumbing_json]" in str(info.value) and "expects <split>.json files" in str(info.value)


def test_task_or_benchmark_is_required(tmp_path: Path) -> None:
    cfg = tmp_path / "e.yaml"
    cfg.write_text(yaml.safe_dump({"name": "x", "runs": [{"dataset": "d", "model": "m"}]}))
    with pytest.raises(ConfigError, match="needs a 'task'"):
        run_experiment(cfg, executor="inline")


def test_cli_import_info_list_show(tmp_path: Path) -> None:
    source = write_source(tmp_path / "src")
    runner = CliRunner()
    out = tmp_path / "native"
    result = runner.invoke(
        app,
        [
            "datasets",
            "import",
            str(source),
            "--format",
            "plumbing_json",
            "--out",
            str(out),
            "--split",
            "validation",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "imported 4 samples, 3 images" in result.output and "split: augmented=2, human=2" in result.output
    result = runner.invoke(app, ["datasets", "info", str(out)])
    assert result.exit_code == 0, result.output
    info = " ".join(result.output.split())  # Rich wraps long tmp paths at the console width
    assert "4 samples" in info and "images: 3 distinct" in info
    assert "imported from" in info and "plumbing_json, split validation" in info
    result = runner.invoke(
        app, ["datasets", "import", str(source), "--format", "nope", "--out", str(tmp_path / "x")]
    )
    assert result.exit_code == 2 and "unknown source_format 'nope'" in result.output
    result = runner.invoke(app, ["benchmarks", "list"])
    assert result.exit_code == 0 and "plumbing" in result.output
    result = runner.invoke(app, ["benchmarks", "show", "plumbing"])
    assert result.exit_code == 0, result.output
    for text in (
        "Plumbing test benchmark",
        "CC0",
        "Answer briefly",
        "Some-VLM",
        "expects <split>.json files",
    ):
        assert text in result.output
    result = runner.invoke(app, ["benchmarks", "show", "plumbin"])
    assert result.exit_code == 2 and "did you mean 'plumbing'" in result.output


def test_evaluate_scores_outside_answers_as_the_benchmark_does(tmp_path: Path) -> None:
    source = write_source(tmp_path / "src")
    answers = tmp_path / "answers.jsonl"
    answers.write_text("".join(json.dumps({"sample_id": k, "answer": v}) + "\n" for k, v in ANSWERS.items()))
    runner = CliRunner()
    args = ["evaluate", "--benchmark", "plumbing", "--dataset", str(source), "--answers", str(answers)]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    assert "Plumbing test benchmark: accuracy 75.00 % (human 50.00, augmented 100.00)" in result.output
    summary = json.loads((tmp_path / "m" / "metrics.json").read_text())
    assert summary["benchmark"]["value"] == 75.0
    assert [m["name"] for m in summary["metrics"]] == ["exact_match", "anls"]
    assert set(summary["aggregates"]) == {"by_id", "general"}
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "m2"), "--metrics", "anls"])
    assert result.exit_code == 2 and "reports accuracy from metric 'exact_match'" in result.output
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "m3"), "--split", "dev"])
    assert result.exit_code == 2 and "--split: benchmark 'plumbing' has no split 'dev'" in result.output
    plain = [
        "evaluate",
        "--dataset",
        str(tmp_path / "m"),
        "--answers",
        str(answers),
        "--out",
        str(tmp_path / "m4"),
    ]
    result = runner.invoke(app, [*plain, "--split", "val"])
    assert result.exit_code == 2 and "go with --benchmark" in result.output
    result = runner.invoke(app, plain)
    assert result.exit_code == 2 and "--metrics is required" in result.output


def test_a_rerun_reuses_answers_even_after_the_cache_is_deleted(
    tmp_path: Path, openai_server: ScriptedOpenAIServer
) -> None:
    import shutil

    openai_server.answers = dict(ANSWERS)
    cfg = write_config(tmp_path / "e.yaml", write_source(tmp_path / "src"), openai_server.url)
    first = run_experiment(cfg, executor="inline")
    assert first.ok
    shutil.rmtree(tmp_path / "cache")
    again = run_experiment(cfg, executor="inline")
    assert again.ok and len(openai_server.requests) == 4
    manifest = RunDir(again.runs[0].run_dir).read_manifest()
    assert manifest.stages["infer"].counts["reused"] == 4 and manifest.stages["infer"].counts["new"] == 0


def test_a_preset_default_subset_the_download_lacks_is_dropped_a_user_one_is_not(tmp_path: Path) -> None:
    import dataclasses

    from vlmhyperbench.config import BenchmarkRef
    from vlmhyperbench.orchestrator._benchmark import import_benchmark

    source = write_source(tmp_path / "src")
    preset = dataclasses.replace(PRESET, default_subset="Other")
    spec = import_benchmark(preset, BenchmarkRef(name="plumbing"), source, lambda *key: None)
    assert spec.subset is None and spec.split == "validation"
    with pytest.raises(DatasetError, match="has no subset 'Other'"):
        import_benchmark(preset, BenchmarkRef(name="plumbing", subset="Other"), source, lambda *key: None)


def test_every_builtin_preset_is_in_the_docs_table() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    table = docs[docs.index("## The presets") : docs.index("## Running one")]
    listed = {line.split("`")[1] for line in table.splitlines() if line.startswith("| `")}
    assert listed == {entry.name for entry in benchmarks if entry.name != "plumbing"}
    for entry in benchmarks:
        if entry.name != "plumbing":
            assert f"`{entry.name}`" in docs[docs.index("## Document VQA") :], entry.name


def test_dpi_and_pages_reach_the_reader(
    tmp_path: Path, openai_server: ScriptedOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vlmhyperbench.orchestrator import _benchmark

    seen: list[ReadOptions] = []
    real = _benchmark.cached_import

    def spy(fmt: str, source: Path, options: ReadOptions, **kwargs: object):  # type: ignore[no-untyped-def]
        seen.append(options)
        return real(fmt, source, options, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_benchmark, "cached_import", spy)
    openai_server.answers = dict(ANSWERS)
    benchmark = {"name": "plumbing", "dpi": 300, "pages": "1-2"}
    cfg = write_config(
        tmp_path / "e.yaml", write_source(tmp_path / "src"), openai_server.url, benchmark=benchmark
    )
    assert run_experiment(cfg, executor="inline").ok
    assert (seen[0].dpi, seen[0].pages) == (300, "1-2")


def test_evaluate_format_subset_and_skip_invalid_take_effect(tmp_path: Path) -> None:
    rows = [*ROWS, {**ROWS[0], "id": "bad", "image": "not base64!"}]
    source = write_source(tmp_path / "src", rows)
    answers = tmp_path / "answers.jsonl"
    answers.write_text("".join(json.dumps({"sample_id": k, "answer": v}) + "\n" for k, v in ANSWERS.items()))
    runner = CliRunner()
    base = ["evaluate", "--benchmark", "plumbing", "--dataset", str(source), "--answers", str(answers)]
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "m1")])
    assert result.exit_code == 2 and "validation.json:5 (image)" in result.output
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "m2"), "--skip-invalid"])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "m2" / "metrics.json").read_text())["benchmark"]["value"] == 75.0
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "m3"), "--skip-invalid", "--subset", "other"])
    assert result.exit_code == 2 and "has no subset 'other'" in result.output
    result = runner.invoke(
        app, [*base, "--out", str(tmp_path / "m4"), "--skip-invalid", "--format", "jsonl2"]
    )
    assert result.exit_code == 2 and "--format: unknown source_format 'jsonl2'" in result.output
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "m5"), "--layout", "jsonl"])
    assert result.exit_code == 2 and "--layout: --layout does not go with --benchmark" in result.output
    assert not (tmp_path / "m1").exists() and not (tmp_path / "m3").exists()
