"""GPU scheduling through real runs: the ``local`` executor's stage processes get the GPUs
the scheduler assigned (``CUDA_VISIBLE_DEVICES``), the manifest records them, runs that
cannot share GPUs do not overlap, CPU runs go on beside them, a run asking for more GPUs
than the machine has fails before anything starts, and ``events.jsonl`` tells each run's
states. The GPUs are declared (``VLMHB_GPU_INVENTORY``): a fake NVML of 2 × 80 GiB.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from vlmhyperbench.core import RunDir
from vlmhyperbench.orchestrator import run_experiment
from vlmhyperbench.scheduler import ENV_GPU_INVENTORY

pytestmark = pytest.mark.slow


@pytest.fixture
def two_gpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    gpus = [{"index": i, "uuid": f"GPU-fake-{i}", "memory_total_mib": 81920} for i in range(2)]
    (tmp_path / "gpus.json").write_text(json.dumps(gpus), encoding="utf-8")
    monkeypatch.setenv(ENV_GPU_INVENTORY, str(tmp_path / "gpus.json"))
    return [str(g["uuid"]) for g in gpus]


def _experiment(tmp_path: Path, dataset: Path, url: str, runs: dict[str, dict | None], jobs: int) -> Path:
    def model() -> dict:
        return {"backend": "openai", "options": {"base_url": url, "model": "scripted-vlm", "timeout_s": 10}}

    config = {
        "name": "exp",
        "output_dir": str(tmp_path / "runs"),
        "jobs": jobs,
        "runs": [
            {
                "name": name,
                "task": "vqa",
                "dataset": str(dataset),
                "model": model(),
                "metrics": ["exact_match"],
                "concurrency": 1,
                **({"resources": resources} if resources else {}),
            }
            for name, resources in runs.items()
        ],
    }
    path = tmp_path / "e.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def _states(run_dir: Path) -> list[str]:
    return [r.state for r in RunDir(run_dir).read_states()]


def test_local_stages_get_their_gpus_and_runs_that_cannot_share_them_do_not_overlap(
    tmp_path: Path, tiny_dataset: Path, openai_server, two_gpus: list[str]
) -> None:
    openai_server.first_token_delay = 0.2
    runs = {
        "half": {"gpus": 1, "gpu_memory_gb": 40},
        "both": {"gpus": 2, "gpu_memory_gb": 80},
        "greedy": {"gpus": 4},
        "cpu": None,
    }
    config = _experiment(tmp_path, tiny_dataset, openai_server.url, runs, jobs=4)
    result = run_experiment(config)
    outcome = {r.run_id: r for r in result.runs}
    assert {r: o.status for r, o in outcome.items()} == {
        "half": "completed",
        "both": "completed",
        "greedy": "failed",
        "cpu": "completed",
    }
    error = outcome["greedy"].error or ""
    assert "asks for 4 whole GPUs and this machine has 2 GPUs" in error and "resources.gpus" in error
    greedy = RunDir(outcome["greedy"].run_dir)
    assert greedy.read_manifest().status == "failed" and not greedy.read_manifest().stages  # nothing ran
    assert _states(greedy.root) == ["queued", "failed"]

    manifests = {r: RunDir(o.run_dir).read_manifest() for r, o in outcome.items() if r != "greedy"}
    half, both = manifests["half"].stages, manifests["both"].stages
    assert len(half["infer"].gpus) == 1 and half["infer"].gpus[0] in two_gpus
    assert both["infer"].gpus == two_gpus
    assert manifests["cpu"].stages["infer"].gpus == []
    assert all(m.stages[s].gpus == [] for m in manifests.values() for s in ("evaluate", "report"))
    # what the stage process itself saw
    for run in ("half", "both"):
        log = (outcome[run].run_dir / "logs" / "infer.log").read_text()
        assert f"CUDA_VISIBLE_DEVICES={','.join(manifests[run].stages['infer'].gpus)}" in log
    assert "GPUs assigned" not in (outcome["cpu"].run_dir / "logs" / "infer.log").read_text()

    # 40 GiB on one GPU and 80 GiB on both cannot be held at once: the inferences follow each other
    first, second = sorted((half["infer"], both["infer"]), key=lambda i: i.started_at or 0)
    assert (first.finished_at or 0) <= (second.started_at or 0)
    # the CPU run did not wait for either
    cpu_started = manifests["cpu"].stages["infer"].started_at or 0
    assert cpu_started < (second.started_at or 0)

    for run in ("half", "both", "cpu"):
        assert _states(outcome[run].run_dir) == [
            "queued",
            "preparing",
            "running",
            "evaluating",
            "evaluating",
            "completed",
        ]
    preparing = next(r for r in RunDir(outcome["both"].run_dir).read_states() if r.state == "preparing")
    assert preparing.gpus == two_gpus and "GPU 0 (GPU-fake-0, 80 GiB)" in (preparing.detail or "")


def test_inline_runs_record_their_gpus_and_a_stage_failure_ends_failed(
    tmp_path: Path, tiny_dataset: Path, openai_server, two_gpus: list[str]
) -> None:
    runs = {"one": {"gpus": 1, "gpu_memory_gb": 10}, "bad": {"gpus": 1, "gpu_memory_gb": 10}}
    config = _experiment(tmp_path, tiny_dataset, openai_server.url, runs, jobs=2)
    raw = yaml.safe_load(config.read_text())
    raw["runs"][1]["model"]["options"]["base_url"] = "http://127.0.0.1:9/v1"  # nobody listens
    config.write_text(yaml.safe_dump(raw), encoding="utf-8")
    result = run_experiment(config, executor="inline")
    outcome = {r.run_id: r for r in result.runs}
    one = RunDir(outcome["one"].run_dir).read_manifest()
    assert outcome["one"].status == "completed" and one.stages["infer"].gpus[0] in two_gpus
    assert one.stages["evaluate"].gpus == []
    assert outcome["bad"].status == "failed"
    assert _states(outcome["bad"].run_dir)[-1] == "failed"


def test_stopping_the_experiment_interrupts_the_running_run_and_cancels_the_queued_one(
    tmp_path: Path, tiny_dataset: Path, openai_server, two_gpus: list[str]
) -> None:
    import anyio

    from vlmhyperbench.orchestrator import run_experiment_async

    runs = {"first": {"gpus": 2}, "second": {"gpus": 2}}  # whole GPUs: one run at a time
    config = _experiment(tmp_path, tiny_dataset, openai_server.url, runs, jobs=2)
    assert run_experiment(config, executor="inline").ok  # both folders exist from a first pass
    for run in runs:
        (tmp_path / "runs" / "exp" / run / "answers.jsonl").unlink()  # so inference must ask again
    openai_server.first_token_delay = 30.0

    async def stop_soon() -> None:
        with anyio.move_on_after(2.0):
            await run_experiment_async(config, executor="inline", stages=frozenset({"infer"}))

    anyio.run(stop_soon)
    states = {run: _states(tmp_path / "runs" / "exp" / run) for run in runs}
    assert states["first"][-4:] == ["queued", "preparing", "running", "interrupted"]
    assert states["second"][-2:] == ["queued", "cancelled"]
