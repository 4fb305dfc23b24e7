"""`vlmhb export mlflow|wandb` and the experiment's ``export:`` list, on real run folders
(a real run against the scripted chat-completions server), read back with MLflow's client
and from W&B's offline run files."""

from __future__ import annotations

import json
import os
import struct
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tests.factories import make_jsonl_dataset, write_experiment
from tests.support.openai_server import ScriptedOpenAIServer
from vlmhyperbench.cli.main import app
from vlmhyperbench.core import RunDir
from vlmhyperbench.export import MlflowTarget, collect_run, export_run
from vlmhyperbench.orchestrator import run_experiment

mlflow = pytest.importorskip("mlflow")
wandb = pytest.importorskip("wandb")

ANSWERS = {"s-001": "ИВАНОВ", "s-002": "Пётр", "s-003": "ИНН 7707083893"}
ENV_SECRET = "sk-env-secret-7f3a9c"
LITERAL_SECRET = "sk-literal-secret-41d2e8"


def _experiment(tmp: Path, url: str, name: str = "exp", **config: Any) -> Path:
    options = {"api_key_env": "VLMHB_TEST_EXPORT_KEY", "extra_body": {"api_key": LITERAL_SECRET}}
    path = write_experiment(tmp / f"{name}.yaml", make_jsonl_dataset(tmp / "data"), base_url=url,
                            name=name, extra_options=options)  # fmt: skip
    if config:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        path.write_text(yaml.safe_dump({**data, **config}, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedOpenAIServer]:
    with ScriptedOpenAIServer() as scripted:
        scripted.answers = dict(ANSWERS)
        yield scripted


@pytest.fixture(scope="module", autouse=True)
def _secret_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    home = tmp_path_factory.mktemp("wandb-home")  # W&B's staging copies and logs, not in ~
    with pytest.MonkeyPatch.context() as mp:
        for name in ("WANDB_DATA_DIR", "WANDB_CACHE_DIR", "WANDB_CONFIG_DIR"):
            mp.setenv(name, str(home / name.lower()))
        mp.setenv("VLMHB_TEST_EXPORT_KEY", ENV_SECRET)
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        mp.delenv("WANDB_MODE", raising=False)
        yield


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory, server: ScriptedOpenAIServer) -> Path:
    """One completed run, shared: exports only read it."""
    tmp = tmp_path_factory.mktemp("run")
    result = run_experiment(_experiment(tmp, server.url))
    assert result.ok, result.runs
    return result.runs[0].run_dir


@pytest.fixture(scope="module")
def sqlite_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One MLflow sqlite store for the module (creating one runs MLflow's migrations: seconds);
    tests keep apart by experiment name."""
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'store' / 'mlflow.db'}"


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_mtime_ns, p.stat().st_size) for p in folder.rglob("*") if p.is_file()}


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def _metrics_json(run_folder: Path) -> dict[str, Any]:
    return json.loads(RunDir(run_folder).metrics_json.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- MLflow


@pytest.mark.parametrize("store", ["sqlite", "folder"])
def test_mlflow_export_holds_params_metrics_files_and_the_samples_table(
    run_folder: Path, tmp_path: Path, store: str, sqlite_uri: str
) -> None:
    uri = sqlite_uri if store == "sqlite" else str(tmp_path / "mlruns")
    before = _snapshot(run_folder)
    output = _cli("export", "mlflow", str(run_folder.parent), "--tracking-uri", uri)  # the experiment folder
    assert "r1 → mlflow run" in output and "(created)" in output
    if store == "sqlite":  # artifacts beside the database, not in the current folder
        assert list((Path(uri.removeprefix("sqlite:///")).parent / "mlartifacts").rglob("report.html"))
    assert _snapshot(run_folder) == before, "exporting changed the run folder"

    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # reading a folder store back needs it, as exporting does
    try:
        client = mlflow.tracking.MlflowClient(tracking_uri=uri)
        (run,) = client.search_runs([client.get_experiment_by_name("exp").experiment_id])
        assert run.info.run_name == "r1" and run.info.status == "FINISHED"
        params = run.data.params
        assert params["model"] == "scripted-vlm" and params["task"] == "vqa" and params["backend"] == "openai"
        assert params["generation.max_tokens"] == "1024" and params["metrics"] == "anls,exact_match,cer"
        assert params["dataset.fingerprint"].startswith("sha256:") and params["env.python"]
        assert params["metric.anls.version"] and params["statistics.resamples"] == "1000"
        summary = _metrics_json(run_folder)
        general = summary["aggregates"]["general"][0]
        metrics = run.data.metrics
        for name in ("anls", "exact_match", "cer"):
            assert metrics[f"general/{name}"] == pytest.approx(general["values"][name])
            low, high = general["ci"][name]
            assert (metrics[f"general/{name}_ci_low"], metrics[f"general/{name}_ci_high"]) == (low, high)
        assert metrics["general/cer_pooled"] == pytest.approx(general["pooled"]["cer"])
        for row in summary["aggregates"]["by_doc_class"]:
            key = f"by_doc_class/{row['group']['doc_class']}/anls"
            assert metrics[key] == pytest.approx(row["values"]["anls"])
        assert metrics["n_samples"] == 3 and metrics["perf/n_ok"] == 3 and metrics["perf/latency_s_p95"] > 0
        files = _artifact_paths(client, run.info.run_id)
        assert {"report/report.html", "report/report.md", "metrics/metrics.json", "answers.jsonl"} <= files
        assert "metrics/metrics_by_id.csv" in files and "samples.json" in files
        table = client.load_table(run.info.experiment_id, "samples.json", run_ids=[run.info.run_id])
        rows = table.to_dict(orient="records")
        scores = {
            r["sample_id"]: r for r in map(json.loads, RunDir(run_folder).samples.read_text().splitlines())
        }
        assert sorted(r["sample_id"] for r in rows) == sorted(scores)
        for row in rows:
            assert row["answer"] == ANSWERS[row["sample_id"]] and row["doc_class"]
            assert row["reference"] == "\n".join(scores[row["sample_id"]]["references"])
            assert row["anls"] == pytest.approx(scores[row["sample_id"]]["scores"]["anls"])
    finally:
        os.environ.pop("MLFLOW_ALLOW_FILE_STORE", None)


def _artifact_paths(client: Any, run_id: str, folder: str | None = None) -> set[str]:
    out: set[str] = set()
    for item in client.list_artifacts(run_id, folder):
        out |= _artifact_paths(client, run_id, item.path) if item.is_dir else {item.path}
    return out


def test_exporting_a_run_again_updates_its_mlflow_run(run_folder: Path, sqlite_uri: str) -> None:
    target = MlflowTarget(tracking_uri=sqlite_uri, experiment="again")
    first = export_run(run_folder, target)
    second = export_run(run_folder, target)
    assert first.created is True and second.created is False and first.tracking_id == second.tracking_id
    client = mlflow.tracking.MlflowClient(tracking_uri=sqlite_uri)
    runs = client.search_runs([client.get_experiment_by_name("again").experiment_id])
    assert len(runs) == 1
    assert runs[0].data.tags["vlmhb.fingerprint"] == collect_run(run_folder).fingerprint
    assert len(client.get_metric_history(first.tracking_id, "general/anls")) == 1  # not logged twice
    table = client.load_table(runs[0].info.experiment_id, "samples.json", run_ids=[first.tracking_id])
    assert len(table) == 3, "the samples table was appended to instead of replaced"


def test_mlflow_experiment_and_artifact_location_options_take_effect(
    run_folder: Path, tmp_path: Path, sqlite_uri: str
) -> None:
    where = (tmp_path / "elsewhere").as_uri()
    _cli("export", "mlflow", str(run_folder), "--tracking-uri", sqlite_uri, "--experiment", "team-board",
         "--artifact-location", where)  # fmt: skip
    client = mlflow.tracking.MlflowClient(tracking_uri=sqlite_uri)
    experiment = client.get_experiment_by_name("team-board")
    assert experiment.artifact_location == where
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.artifact_uri.startswith(where) and (tmp_path / "elsewhere").is_dir()


# ----------------------------------------------------------------------------- W&B

_BLOCK = 32768


def wandb_records(path: Path) -> Iterator[Any]:
    """Every record of a ``.wandb`` file, parsed with W&B's own protobuf schema.

    The file is W&B's header (``:W&B``, magic, version: 7 bytes) then LevelDB's log format:
    32 KiB blocks of chunks, each ``crc32 (4) | length (2) | type (1) | data``, a record
    split over FIRST/MIDDLE/LAST chunks where it crosses a block.
    """
    from wandb.proto import wandb_internal_pb2

    data = path.read_bytes()
    assert data[:4] == b":W&B"
    pos, pending = 7, b""
    while pos + 7 <= len(data):
        left = _BLOCK - pos % _BLOCK
        if left < 7:
            pos += left
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        if kind == 0:  # zero padding to the end of the block
            pos += left
            continue
        chunk, pos = data[pos + 7 : pos + 7 + length], pos + 7 + length
        pending = chunk if kind in (1, 2) else pending + chunk
        if kind in (1, 4):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            yield record


def _wandb_run(folder: Path) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """The run record, its config and its summary (the last value of each key)."""
    (file,) = folder.glob("run-*.wandb")
    run, config, summary = None, {}, {}
    for record in wandb_records(file):
        kind = record.WhichOneof("record_type")
        if kind in ("run", "config"):
            run = record.run if kind == "run" else run
            updates = record.run.config.update if kind == "run" else record.config.update
            config.update({item.key: json.loads(item.value_json) for item in updates})
        elif kind == "summary":
            for item in record.summary.update:
                key = "/".join(item.nested_key) if item.nested_key else item.key
                summary[key] = json.loads(item.value_json)
    assert run is not None, f"no run record in {file} ({file.stat().st_size} bytes)"
    return run, config, summary


def test_wandb_offline_export_holds_config_summary_table_and_report(run_folder: Path, tmp_path: Path) -> None:
    before = _snapshot(run_folder)
    _cli("export", "wandb", str(run_folder), "--dir", str(tmp_path), "--project", "board",
         "--entity", "team")  # fmt: skip
    assert _snapshot(run_folder) == before
    (offline,) = (tmp_path / "wandb").glob("offline-run-*")
    run, config, summary = _wandb_run(offline)
    record = collect_run(run_folder)
    assert run.project == "board" and run.entity == "team" and run.display_name == "r1"
    assert run.run_id == "vlmhb-" + record.fingerprint.removeprefix("sha256:")[:24]
    assert config["model"] == "scripted-vlm" and config["generation.max_tokens"] == "1024"
    general = _metrics_json(run_folder)["aggregates"]["general"][0]
    assert summary["general/anls"] == pytest.approx(general["values"]["anls"])
    assert summary["general/cer_ci_high"] == pytest.approx(general["ci"]["cer"][1])
    assert summary["vlmhb/fingerprint"] == record.fingerprint and summary["samples/nrows"] == 3
    (table_file,) = offline.glob("files/media/table/samples_*.table.json")
    table = json.loads(table_file.read_text(encoding="utf-8"))
    assert table["columns"][:2] == ["sample_id", "doc_class"] and len(table["data"]) == 3
    (html,) = offline.glob("files/media/html/report_*.html")
    assert "scripted-vlm" in html.read_text(encoding="utf-8")


def test_wandb_export_again_resumes_the_same_run_id(run_folder: Path, tmp_path: Path) -> None:
    for _ in range(2):
        _cli("export", "wandb", str(run_folder), "--dir", str(tmp_path))
    folders = sorted((tmp_path / "wandb").glob("offline-run-*"))
    assert len(folders) == 2  # offline, each export is a folder; `wandb sync` resumes one run
    ids = {_wandb_run(f)[0].run_id for f in folders}
    assert len(ids) == 1 and {_wandb_run(f)[0].project for f in folders} == {"exp"}


def test_wandb_mode_must_be_offline_or_online(run_folder: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["export", "wandb", str(run_folder), "--mode", "sideways"])
    assert result.exit_code == 2 and "--mode must be offline or online" in result.output


# ------------------------------------------------------------------ secrets, errors


def test_secrets_are_never_exported(run_folder: Path, tmp_path: Path, sqlite_uri: str) -> None:
    _cli("export", "mlflow", str(run_folder), "--tracking-uri", sqlite_uri, "--experiment", "secrets")
    _cli("export", "mlflow", str(run_folder), "--tracking-uri", str(tmp_path / "mlruns"))
    _cli("export", "wandb", str(run_folder), "--dir", str(tmp_path / "wb"))
    store = Path(sqlite_uri.removeprefix("sqlite:///")).parent
    params = collect_run(run_folder).params
    assert params["backend.extra_body.api_key"] == "***"
    assert params["backend.api_key_env"] == "VLMHB_TEST_EXPORT_KEY"  # the name, not the value
    spec_text = RunDir(run_folder).run_spec.read_text(encoding="utf-8")
    assert LITERAL_SECRET in spec_text  # the run folder has it, so the check below can fail
    leaks = [
        str(p)
        for p in [*tmp_path.rglob("*"), *store.rglob("*")]
        if p.is_file()
        and (LITERAL_SECRET.encode() in p.read_bytes() or ENV_SECRET.encode() in p.read_bytes())
    ]
    assert not leaks


def test_a_folder_that_is_not_a_run_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["export", "mlflow", str(tmp_path), "--tracking-uri", "sqlite:///x.db"])
    assert result.exit_code == 2 and "is not a run folder: it has no run_spec.json" in result.output


@pytest.mark.parametrize(
    ("to", "module"), [("mlflow", "mlflow.tracking"), ("mlflow", "pandas"), ("wandb", "wandb")]
)
def test_a_missing_extra_is_named(
    to: str, module: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    result = CliRunner().invoke(app, ["export", to, str(tmp_path)])
    assert result.exit_code == 2 and not isinstance(result.exception, ImportError), result.output
    assert f"pip install 'vlmhyperbench[{to}]'" in result.output


def test_a_database_store_without_its_packages_names_the_extra(
    run_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "alembic", None)
    uri = f"sqlite:///{tmp_path / 'new.db'}"
    result = CliRunner().invoke(app, ["export", "mlflow", str(run_folder), "--tracking-uri", uri])
    assert result.exit_code == 2, (result.output, result.exception)
    assert "needs alembic" in result.output and "pip install 'vlmhyperbench[mlflow]'" in result.output


# -------------------------------------------------------------------- end of a run


def test_the_export_option_exports_each_completed_run_after_its_report(
    server: ScriptedOpenAIServer, tmp_path: Path, sqlite_uri: str
) -> None:
    uri = sqlite_uri
    export = [{"to": "mlflow", "tracking_uri": uri}, {"to": "wandb", "dir": str(tmp_path / "wb")}]
    result = run_experiment(_experiment(tmp_path, server.url, name="auto", export=export))
    assert result.ok and [(e.run_id, e.to, e.error) for e in result.exports] == [
        ("r1", "mlflow", None),
        ("r1", "wandb", None),
    ]
    client = mlflow.tracking.MlflowClient(tracking_uri=uri)
    (run,) = client.search_runs([client.get_experiment_by_name("auto").experiment_id])
    general = _metrics_json(result.runs[0].run_dir)["aggregates"]["general"][0]["values"]
    assert run.data.metrics["general/anls"] == pytest.approx(general["anls"])
    assert "report/report.html" in _artifact_paths(client, run.info.run_id)
    (offline,) = (tmp_path / "wb" / "wandb").glob("offline-run-*")
    assert _wandb_run(offline)[2]["general/anls"] == pytest.approx(general["anls"])


def test_a_failed_export_is_reported_and_the_run_stays_completed(
    server: ScriptedOpenAIServer, tmp_path: Path
) -> None:
    (tmp_path / "blocker").write_text("a file where the database folder should be")
    uri = f"sqlite:///{tmp_path / 'blocker' / 'mlflow.db'}"
    cfg = _experiment(tmp_path, server.url, name="broken", export=[{"to": "mlflow", "tracking_uri": uri}])
    result = run_experiment(cfg)
    assert result.ok and result.runs[0].status == "completed"
    (outcome,) = result.exports
    assert outcome.result is None and outcome.error and "mlflow.db" in outcome.error
    run_dir = RunDir(result.runs[0].run_dir)
    assert run_dir.read_manifest().status == "completed" and (run_dir.report_dir / "report.html").is_file()


def test_an_unknown_export_target_is_a_config_error(server: ScriptedOpenAIServer, tmp_path: Path) -> None:
    cfg = _experiment(tmp_path, server.url, name="typo", export=[{"to": "mlflw"}])
    result = CliRunner().invoke(app, ["validate", str(cfg)])
    assert result.exit_code == 2 and "export[0]" in result.output and "mlflow" in result.output
