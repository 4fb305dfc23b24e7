"""Run records: owners and interrupted runs, moved-aside folders, changed settings, output
folders, the metrics folder layout, recorded package versions, the stage lifeline."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement

from tests.factories import make_jsonl_dataset
from vlmhyperbench.core import (
    ConfigError,
    DatasetSpec,
    Manifest,
    MetricsDir,
    PluginRef,
    PromptSpec,
    RunDir,
    RunSpec,
    StageInfo,
    experiment_runs,
    prepare_output_dir,
    this_process,
)
from vlmhyperbench.envs import lifeline
from vlmhyperbench.orchestrator._environment import package_versions
from vlmhyperbench.orchestrator._resume import changed_settings, prepare_run_dir
from vlmhyperbench.stages import STAGES

REPO = Path(__file__).resolve().parents[2]


def _spec(**changes: object) -> RunSpec:
    base = RunSpec(
        experiment="e",
        run_id="r",
        task="vqa",
        dataset=DatasetSpec(path="/d", layout="jsonl", fingerprint="sha256:1"),
        backend=PluginRef(name="openai", options={"model": "m", "timeout_s": 5}),
        model="m",
        prompts=PromptSpec(user="Q: {{ question }}"),
        metrics=[PluginRef(name="anls")],
        aggregators=["general"],
    )
    return base.model_copy(update=changes)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_running_run_whose_owner_is_gone_reads_as_interrupted(tmp_path: Path) -> None:
    run_dir = RunDir(tmp_path / "r")
    run_dir.root.mkdir()
    me = this_process()
    manifest = Manifest(
        experiment="e",
        run_id="r",
        status="running",
        spec=_spec(),
        owner=me,
        stages={"infer": StageInfo(status="running"), "evaluate": StageInfo(status="pending")},
    )
    run_dir.write_manifest(manifest)
    assert run_dir.read_manifest().status == "running"  # its owner (this process) is alive
    run_dir.write_manifest(manifest.model_copy(update={"owner": me.model_copy(update={"pid": _dead_pid()})}))
    read = run_dir.read_manifest()
    assert read.status == "interrupted"
    assert read.stages["infer"].status == "interrupted" and "is gone" in (read.stages["infer"].error or "")
    assert read.stages["evaluate"].status == "pending"
    reused = me.model_copy(update={"start_ticks": (me.start_ticks or 0) + 1})  # same pid, another process
    assert reused.is_gone() is (me.start_ticks is not None)
    elsewhere = me.model_copy(update={"host": "another-host", "pid": _dead_pid()})
    assert not elsewhere.is_gone()  # cannot be checked from here: not declared dead


def test_moved_aside_folders_are_not_runs(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "run_spec.json").write_text("{}")
    aside = RunDir(tmp_path / "a").move_aside()
    assert aside.name.startswith("a.old-") and aside.exists()
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "run_spec.json").write_text("{}")
    second = RunDir(tmp_path / "a").move_aside()  # the same second: a distinct name
    assert second != aside
    (tmp_path / "c.old-fashioned").mkdir()  # a run may have "old-" in its name
    (tmp_path / "c.old-fashioned" / "run_spec.json").write_text("{}")
    assert [r.root.name for r in experiment_runs(tmp_path)] == ["b", "c.old-fashioned"]


def test_changed_settings_name_each_key_path(tmp_path: Path) -> None:
    old = _spec()
    new = _spec(
        backend=PluginRef(name="openai", options={"model": "m2", "timeout_s": 5, "stream": False}),
        prompts=PromptSpec(user="Q: {{ question }}!"),
    )
    assert changed_settings(old, new) == [
        'backend.options.model: "m" → "m2"',
        "backend.options.stream: (absent) → false",
        'prompts.user: "Q: {{ question }}" → "Q: {{ question }}!"',
    ]
    assert changed_settings(old, old.model_copy(update={"concurrency": 9})) == []  # speed only
    run_dir = RunDir(tmp_path / "r")
    run_dir.root.mkdir()
    run_dir.write_spec(old)
    with pytest.raises(ConfigError, match=r'backend\.options\.model: "m" → "m2"'):
        prepare_run_dir(run_dir, new, fresh=False)
    prepare_run_dir(run_dir, new, fresh=True)
    assert not run_dir.root.exists() and len(list(tmp_path.glob("r.old-*"))) == 1


def test_an_output_folder_blocked_by_a_file_is_a_user_error(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(ConfigError, match=r"--out: .*/f/sub cannot be a folder because .*/f is a file"):
        prepare_output_dir(tmp_path / "f" / "sub", "--out")
    assert prepare_output_dir(tmp_path / "new" / "dir", "--out").is_dir()


def test_metrics_dir_names_every_file() -> None:
    out = MetricsDir(Path("/m"))
    assert out.aggregate_csv("by_id") == out.by_id_csv == Path("/m/metrics_by_id.csv")
    assert out.aggregate_csv("general") == Path("/m/metrics_general.csv")
    assert (out.summary_json.name, out.samples_jsonl.name) == ("metrics.json", "samples.jsonl")
    assert RunDir(Path("/r")).metrics.root == Path("/r/metrics")


def test_recorded_package_versions_follow_the_declared_dependencies() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    declared = [Requirement(r).name for r in project["dependencies"]]
    declared += [
        Requirement(r).name for extra in ("hf", "serve") for r in project["optional-dependencies"][extra]
    ]
    recorded = package_versions()
    installed = [n for n in declared if _installed(n)]
    assert "vlmhyperbench" in recorded and set(installed) <= set(recorded)
    assert "pytest" not in recorded  # test tools do not shape results


def _installed(name: str) -> bool:
    from importlib import metadata

    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def test_stages_run_in_order_and_say_what_they_need() -> None:
    assert list(STAGES) == ["infer", "evaluate", "report"]
    needs = {n: (s.needs_samples, s.needs_backend, s.needs_metrics) for n, s in STAGES.items()}
    assert needs == {
        "infer": (True, True, False),
        "evaluate": (True, False, True),
        "report": (False, False, False),
    }
    run_dir = RunDir(Path("/nowhere"))
    with pytest.raises(ConfigError, match="there are no answers to evaluate"):
        STAGES["evaluate"].check(run_dir, ["evaluate"])
    STAGES["evaluate"].check(run_dir, ["infer", "evaluate"])


def test_the_heartbeat_beats_while_the_block_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lifeline, "BEAT_S", 0.05)
    beat = tmp_path / ".heartbeat"
    with lifeline.Heartbeat(beat):
        first = beat.stat().st_mtime_ns
        time.sleep(0.3)
        assert beat.stat().st_mtime_ns > first
    stopped = beat.stat().st_mtime_ns
    time.sleep(0.2)
    assert beat.stat().st_mtime_ns == stopped


_WATCHED = """
import os, signal, sys, time
from pathlib import Path
from vlmhyperbench.core import RunDir
from vlmhyperbench.envs import lifeline
def term(*_):
    Path(sys.argv[2]).write_text("stopped")
    os._exit(0)
signal.signal(signal.SIGTERM, term)
assert lifeline.watch_parent(RunDir(Path(sys.argv[1])))
time.sleep(30)
"""


def test_a_stage_in_a_container_stops_when_the_heartbeat_goes_stale(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    RunDir(run).heartbeat.touch()
    marker = tmp_path / "marker"
    env = {**os.environ, "VLMHB_HEARTBEAT_S": "1"}
    env.pop("VLMHB_PARENT_PID", None)
    child = subprocess.Popen([sys.executable, "-c", _WATCHED, str(run), str(marker)], env=env)
    try:
        child.wait(timeout=15)
    finally:
        child.kill()
    assert marker.read_text() == "stopped"


def test_no_watcher_without_a_parent_to_watch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VLMHB_PARENT_PID", raising=False)
    monkeypatch.delenv("VLMHB_HEARTBEAT_S", raising=False)
    assert lifeline.watch_parent(RunDir(tmp_path)) is False  # `vlmhb stage` run by hand


def test_prompts_are_rendered_before_the_backend_starts(tmp_path: Path) -> None:
    from vlmhyperbench.datasets import load_dataset
    from vlmhyperbench.stages.infer import build_requests

    data = load_dataset(make_jsonl_dataset(tmp_path / "d"))
    spec = _spec(prompts=PromptSpec(user="{{ questoin }}"))
    with pytest.raises(ConfigError, match="'questoin' is undefined"):
        build_requests(spec, data.samples)


def test_an_interruption_wrapped_in_a_task_group_is_recorded_as_interrupted() -> None:
    """A stage stopped by SIGTERM (its parent gone) may see the KeyboardInterrupt inside an
    anyio task group, wrapped in an exception group: that is still an interruption."""
    from builtins import BaseExceptionGroup, ExceptionGroup  # Python 3.11+

    import anyio

    from vlmhyperbench.core import ConfigError
    from vlmhyperbench.orchestrator._record import _outcome

    async def check() -> None:  # the stage records its outcome inside its event loop
        cancelled = anyio.get_cancelled_exc_class()
        interrupted = ("interrupted", "interrupted")
        assert _outcome(BaseExceptionGroup("tg", [KeyboardInterrupt()])) == interrupted
        assert _outcome(BaseExceptionGroup("tg", [KeyboardInterrupt(), cancelled()])) == interrupted
        assert _outcome(
            BaseExceptionGroup("outer", [BaseExceptionGroup("inner", [KeyboardInterrupt()])])
        ) == (interrupted)
        status, error = _outcome(BaseExceptionGroup("tg", [KeyboardInterrupt(), ConfigError("bad key")]))
        assert status == "failed" and "bad key" in error
        status, error = _outcome(ExceptionGroup("tg", [ValueError("boom"), OSError("disk")]))
        assert status == "failed" and error.startswith("ExceptionGroup")

    anyio.run(check)
