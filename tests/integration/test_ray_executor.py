"""The ``ray`` executor on a real two-node Ray cluster on loopback (`tests.support.ray_cluster`).

The head has CPUs only; the worker node has two fake GPUs. Runs that ask for a GPU go
to the worker node, and Ray hands each its own device (``CUDA_VISIBLE_DEVICES``); two
models pinning two versions of one package each get theirs; a run asking for more
GPUs than any node has fails before it starts while the others go on; and the worker
node killed mid-inference has its stage retried on the head, where inference resumes
from the answers already written: nothing answered is asked again. A Ray worker killed
alone stops its stage before the retry (the cluster runs with Ray's own clean-up of a
dead worker's children off, so this checks the executor's parent-death signal).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.factories import run_vlmhb, write_experiment
from tests.support.ray_cluster import LoopbackRayCluster, ray_cluster  # noqa: F401  (fixture)
from tests.support.wheels import make_wheel
from vlmhyperbench.orchestrator import run_experiment

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ray")]

PROBE = '''
import os
from importlib.metadata import version

from vlmhyperbench.backends import GenerationResult, ModelBackend, register_backend


@register_backend("probe")
class ProbeBackend(ModelBackend):
    """Answers with the installed version of this package and the GPUs the stage sees."""

    async def generate(self, request):
        gpus = os.environ.get("CUDA_VISIBLE_DEVICES", "unset")
        return GenerationResult(text=f"probe {version('vlmhb-probe')} gpus={gpus}")
'''


def _manifest(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "manifest.json").read_text())


def _answers(run_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run_dir / "answers.jsonl").read_text().splitlines()]


def _node_ids(cluster: LoopbackRayCluster) -> tuple[str, str]:
    """(head, worker) node ids, as the manifest records them."""
    import ray

    if not ray.is_initialized():
        ray.init(address=cluster.address, log_to_driver=False)
    nodes = [n for n in ray.nodes() if n["Alive"]]
    worker = next(n["NodeID"] for n in nodes if "worker" in n["Resources"])
    head = next(n["NodeID"] for n in nodes if "node:__internal_head__" in n["Resources"])
    return head, worker


def test_stages_run_as_tasks_with_their_resources_and_their_own_packages(
    tmp_path: Path, tiny_dataset: Path, ray_cluster: LoopbackRayCluster
) -> None:
    wheels = tmp_path / "wheels"
    for version in ("1.0.0", "2.0.0"):
        make_wheel(
            wheels,
            "vlmhb-probe",
            version,
            PROBE,
            module="vlmhb_probe",
            entry_points={"vlmhyperbench.backends": {"probe": "vlmhb_probe"}},
        )
    run = {"task": "vqa", "dataset": str(tiny_dataset), "metrics": ["cer"], "resources": {"gpus": 1}}
    config = {
        "name": "ray",
        "output_dir": str(tmp_path / "runs"),
        "jobs": 2,
        "executor": {"kind": "ray", "address": ray_cluster.address, "wheels": str(wheels)},
        "models": [
            {"name": "probe-one", "backend": "probe", "requirements": ["vlmhb-probe==1.0.0"]},
            {"name": "probe-two", "backend": "probe", "requirements": ["vlmhb-probe==2.0.0"]},
        ],
        "runs": [
            {"name": "r1", "model": "probe-one", **run},
            {"name": "r2", "model": "probe-two", **run},
            {"name": "r-huge", "model": "probe-one", **run, "resources": {"gpus": 4}},
            {"name": "r-bad", "model": "probe-one", **run, "requirements": ["vlmhb-probe==9.9.9"]},
        ],
    }
    path = tmp_path / "experiment.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    events: list[Any] = []
    result = run_experiment(path, emit=events.append)
    status = {r.run_id: r.status for r in result.runs}
    assert status == {"r1": "completed", "r2": "completed", "r-huge": "failed", "r-bad": "failed"}, result
    head, worker = _node_ids(ray_cluster)
    devices = set()
    for run_id, version in (("r1", "1.0.0"), ("r2", "2.0.0")):
        run_dir = tmp_path / "runs" / "ray" / run_id
        manifest = _manifest(run_dir)
        infer = manifest["stages"]["infer"]
        assert infer["node"] == worker  # the only node with GPUs
        assert manifest["stages"]["evaluate"]["node"] in (head, worker)
        infer_env = manifest["environments"][infer["environment"]]
        assert infer_env["executor"] == "ray"
        assert infer_env["packages"]["vlmhb-probe"] == version
        eval_env = manifest["environments"][manifest["stages"]["evaluate"]["environment"]]
        assert "vlmhb-probe" not in eval_env["packages"]  # evaluation has only what it needs
        answers = {a["answer"] for a in _answers(run_dir)}
        assert len(answers) == 1 and answers.pop().startswith(f"probe {version} gpus=")
        device = _answers(run_dir)[0]["answer"].rsplit("=", 1)[1]
        assert infer["gpus"] == [device]  # the GPU Ray gave the stage, in the manifest
        devices.add(device)
        assert {(e.run_id, e.stage) for e in events if e.kind == "progress"} >= {(run_id, "infer")}
    assert devices <= {"0", "1"} and len(devices) >= 1  # Ray set CUDA_VISIBLE_DEVICES to one GPU each

    huge = _manifest(tmp_path / "runs" / "ray" / "r-huge")
    assert "needs 1 CPU, 4 GPU" in huge["stages"]["infer"]["error"]
    assert "resources.gpus" in huge["stages"]["infer"]["error"]
    assert not (tmp_path / "runs" / "ray" / "r-huge" / "answers.jsonl").exists()

    bad_dir = tmp_path / "runs" / "ray" / "r-bad"
    assert "vlmhb-probe==9.9.9" in _manifest(bad_dir)["stages"]["infer"]["log_tail"]
    console = (bad_dir / "logs" / "infer.console.log").read_text()
    assert console.count("vlmhb-probe==9.9.9") == 1, console  # a stage failing by itself is not retried


def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_an_unreachable_cluster_fails_the_runs_at_once_naming_the_flag(
    tmp_path: Path, tiny_dataset: Path
) -> None:
    import socket

    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = write_experiment(tmp_path / "e.yaml", tiny_dataset, base_url="http://127.0.0.1:9/v1")
    started = time.monotonic()
    done = run_vlmhb("run", str(config), "--executor", "ray", "--ray-address", f"127.0.0.1:{port}")
    assert time.monotonic() - started < 60
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert f"cannot reach the Ray cluster at 127.0.0.1:{port}" in " ".join(out.split())
    manifest = _manifest(tmp_path / "runs" / "exp" / "r1")
    assert "--ray-address" in manifest["stages"]["infer"]["error"]
    assert not (tmp_path / "runs" / "exp" / "r1" / "answers.jsonl").exists()


def test_a_worker_killed_alone_stops_its_stage_before_the_retry(
    tmp_path: Path, tiny_dataset: Path, openai_server: Any, ray_cluster: LoopbackRayCluster
) -> None:
    import signal

    import psutil

    wheel = make_wheel(tmp_path / "wheels", "vlmhb-bench-dummy", "1.0.0", "X = 1\n")
    config = write_experiment(tmp_path / "e.yaml", tiny_dataset, base_url=openai_server.url, concurrency=1)
    data = yaml.safe_load(config.read_text())
    data["executor"] = {"kind": "ray", "address": ray_cluster.address, "wheels": str(wheel.parent)}
    data["runs"][0]["requirements"] = ["vlmhb-bench-dummy==1.0.0"]  # the stage runs under `uv run`
    config.write_text(yaml.safe_dump(data))
    openai_server.hang(sample_ids={"s-002"}, times=1)
    outcome: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: outcome.update(result=run_experiment(config)), daemon=True)
    thread.start()
    _wait(lambda: "s-002" in openai_server.all_sample_ids, 120, "the request for s-002")

    def is_stage(proc: psutil.Process) -> bool:
        argv = proc.info["cmdline"] or [""]
        return argv[0].endswith("python") and str(tmp_path) in " ".join(argv) and "stage" in argv

    stage = next(p for p in psutil.process_iter(["cmdline"]) if is_stage(p))
    worker = stage.parent().parent()  # stage ← uv run ← the Ray worker running the task
    assert "run_on_node" in worker.name()
    worker.send_signal(signal.SIGKILL)  # as Ray's memory monitor does
    gone, _ = psutil.wait_procs([stage], timeout=30)
    assert gone  # the stage stopped (SIGTERM by the parent-death signal, forwarded by uv), no zombie
    thread.join(timeout=180)
    result = outcome["result"]
    assert result.ok, result.runs
    run_dir = result.runs[0].run_dir
    assert sorted(a["sample_id"] for a in _answers(run_dir)) == ["s-001", "s-002", "s-003"]
    assert openai_server.all_sample_ids.count("s-001") == 1


def test_validate_says_which_ray_run_fits_on_no_node(
    tmp_path: Path, tiny_dataset: Path, ray_cluster: LoopbackRayCluster
) -> None:
    config = write_experiment(tmp_path / "e.yaml", tiny_dataset, base_url="http://127.0.0.1:9/v1")
    data = yaml.safe_load(config.read_text())
    data["executor"] = {"kind": "ray"}
    data["runs"].append({**data["runs"][0], "name": "r-huge", "resources": {"custom": {"tpu": 1}}})
    config.write_text(yaml.safe_dump(data))
    done = run_vlmhb("validate", str(config), env={"VLMHB_RAY_ADDRESS": ray_cluster.address})
    assert done.returncode == 2, done.stdout + done.stderr
    errors = " ".join(done.stderr.split())
    assert "r-huge" in errors and "resources.custom.tpu" in errors and "1 of 'tpu'" in errors
    assert "r1" not in errors.replace("r-huge", "")  # the run that fits is ready


# last in the module: it kills the worker node, which the tests before it use
def test_a_stage_whose_node_dies_is_retried_elsewhere_and_asks_nothing_again(
    tmp_path: Path,
    tiny_dataset: Path,
    openai_server: Any,
    ray_cluster: LoopbackRayCluster,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    head, _ = _node_ids(ray_cluster)
    monkeypatch.setenv("RAY_ADDRESS", ray_cluster.address)  # Ray's own variable, with no executor.address
    config = write_experiment(tmp_path / "e.yaml", tiny_dataset, base_url=openai_server.url, concurrency=1)
    data = yaml.safe_load(config.read_text())
    data["executor"] = {"kind": "ray", "max_retries": 2}
    config.write_text(yaml.safe_dump(data))
    openai_server.hang(sample_ids={"s-003"}, times=1)  # the worker node dies while s-003 is asked

    @ray.remote(num_cpus=2)
    class HoldTheHead:  # keeps the head's CPUs busy, so the stage starts on the worker node
        def ready(self) -> bool:
            return True

    holder = HoldTheHead.options(
        scheduling_strategy=NodeAffinitySchedulingStrategy(head, soft=False)
    ).remote()
    ray.get(holder.ready.remote())
    outcome: dict[str, Any] = {}
    events: list[Any] = []
    thread = threading.Thread(
        target=lambda: outcome.update(result=run_experiment(config, emit=events.append)), daemon=True
    )
    thread.start()
    run_dir = tmp_path / "runs" / "exp" / "r1"
    answers = run_dir / "answers.jsonl"
    _wait(lambda: answers.exists() and answers.read_text().count("\n") == 2, 120, "two answers")
    _wait(lambda: "s-003" in openai_server.all_sample_ids, 30, "the request for s-003")
    ray_cluster.kill_worker()
    seen = len(events)
    ray.kill(holder)  # the head has room for the retry now
    thread.join(timeout=180)
    assert not thread.is_alive()
    result = outcome["result"]
    assert result.ok, result.runs
    manifest = _manifest(run_dir)
    assert manifest["stages"]["infer"]["node"] == head
    assert sorted(a["sample_id"] for a in _answers(run_dir)) == ["s-001", "s-002", "s-003"]
    asked = openai_server.all_sample_ids
    assert asked.count("s-001") == 1 and asked.count("s-002") == 1  # nothing answered is asked again
    assert asked.count("s-003") == 2  # the one in flight when the node died, then on the head
    after = [(e.kind, e.stage, e.completed) for e in events[seen:]]
    assert ("progress", "infer", 3) in after  # the retried stage's progress still reaches the driver
    assert (run_dir / "metrics" / "metrics.json").exists()
