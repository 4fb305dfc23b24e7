"""Issue 14's end-to-end test: an experiment across a two-node Ray cluster, its run folders on S3.

Real services only: a loopback Ray cluster (head with CPUs, a second node started with
``ray start --address``; `tests.support.ray_cluster`) and moto's S3 server in its own
process (`tests.support.s3_server`). Six runs of two models that pin two versions of one
package (each stage gets its own with ``uv run --with``) run on both nodes with
``output_dir`` and ``dataset`` in the bucket; the second node is killed while four runs
wait for their last answer. The experiment completes, every answer is in the bucket
exactly once, and the metrics equal those of the same experiment run locally.

The nodes get the S3 credentials from their own environment (``ray start`` inherits
this test's variables, as a real node has its own); each node has a cache folder of its
own, like a machine, so the retry on the head resumes from what is in the bucket, not
from the dead node's disk. The driver is a ``vlmhb run`` process of its own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ON_CI
from tests.factories import TINY_SAMPLES, make_jsonl_dataset
from tests.support.openai_server import ScriptedOpenAIServer
from tests.support.ray_cluster import LoopbackRayCluster, start_cluster
from tests.support.s3_server import S3Server
from tests.support.wheels import make_wheel
from vlmhyperbench.storage import S3Url, filesystem, pull

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ray")]

RUNS = [f"r{i}" for i in range(1, 7)]
SAMPLES = [sid for sid, *_ in TINY_SAMPLES]
LAST = SAMPLES[-1]
HUNG = 4
"""The first four requests for the last sample (four runs, on both nodes) wait..."""
HANG_S = 600.0
"""... until the worker node is killed; then they are released."""
VERSIONS = {"m-one": "1.0.0", "m-two": "2.0.0"}
"""The two models pin two versions of one package: no single environment holds both."""


@pytest.fixture
def s3_cluster(s3_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackRayCluster]:
    """A cluster of this test's own: its nodes inherit the S3 server's credentials, and
    segments of one answer (``VLMHB_S3_SEGMENT_ANSWERS=1``), each node its own cache."""
    try:
        import ray  # noqa: F401
    except ImportError:
        if ON_CI:
            pytest.fail("ray is not installed: pip install 'vlmhyperbench[ray]'")
        pytest.skip("ray is not installed: pip install 'vlmhyperbench[ray]'")
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setenv("VLMHB_S3_SEGMENT_ANSWERS", "1")
    root = Path(f"/tmp/vlmhb-rays3-{os.getpid()}")  # short: Ray's socket paths have a length limit
    try:
        cluster = start_cluster(
            root,
            head_env={"VLMHB_CACHE_DIR": str(tmp_path / "head-cache")},
            worker_env={"VLMHB_CACHE_DIR": str(tmp_path / "worker-cache")},
        )
    except RuntimeError as exc:
        if ON_CI:
            pytest.fail(f"the loopback Ray cluster did not start: {exc}")
        pytest.skip(f"the loopback Ray cluster did not start: {exc}")
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def _experiment(
    path: Path, *, dataset: str, output_dir: str, server: ScriptedOpenAIServer, executor: dict[str, Any]
) -> Path:
    options = {"base_url": server.url, "backoff_base_s": 0.01, "timeout_s": 300}
    models = [
        {"name": name, "backend": "openai", "options": {**options, "model": name}, "requirements": [req]}
        for name, req in ((m, f"vlmhb-bench-dummy=={v}") for m, v in VERSIONS.items())
    ]
    if executor["kind"] == "local":  # one environment cannot hold both; the answers do not depend on them
        for model in models:
            del model["requirements"]
    runs = [
        {
            "name": run,
            "task": "vqa",
            "dataset": dataset,
            # the request's model name says which run asked (the model's options, overridden)
            "model": {"name": "m-one" if i < 3 else "m-two", "options": {"model": run}},
            "metrics": ["anls", "exact_match", "cer"],
            "concurrency": 1,
        }
        for i, run in enumerate(RUNS)
    ]
    config = {
        "name": "exp",
        "output_dir": output_dir,
        "jobs": 6,
        "executor": executor,
        "models": models,
        "runs": runs,
    }
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def _script(server: ScriptedOpenAIServer) -> None:
    server.clear(requests=True)
    server.answers = {sid: answer for sid, _, _, _, answer, _ in TINY_SAMPLES}
    server.answers["s-002"] = "ПЕТР"  # a near miss, so that the metrics are not all 1


def _segment_lines(server: S3Server, bucket: str, prefix: str) -> list[dict[str, Any]]:
    objects = server.objects(bucket, f"{prefix}/answers.segments/")
    return [json.loads(line) for key in sorted(objects) for line in objects[key].decode().splitlines()]


def _wait(condition: Any, timeout: float, what: str, driver: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if driver.poll() is not None:
            raise AssertionError(
                f"vlmhb run ended while waiting for {what}: {driver.communicate()[0][-3000:]}"
            )
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_six_runs_across_two_nodes_on_s3_survive_a_node_death(
    s3_env: str,
    s3_server: S3Server,
    s3_cluster: LoopbackRayCluster,
    openai_server: ScriptedOpenAIServer,
    tmp_path: Path,
) -> None:
    bucket = S3Url(s3_env).bucket
    wheels = tmp_path / "wheels"
    for version in ("1.0.0", "2.0.0"):
        make_wheel(wheels, "vlmhb-bench-dummy", version, "X = 1\n")
    dataset = f"{s3_env}/datasets/tiny"
    filesystem().put(
        str(make_jsonl_dataset(tmp_path / "tiny")) + "/", S3Url(dataset).path + "/", recursive=True
    )
    executor = {"kind": "ray", "address": s3_cluster.address, "wheels": str(wheels), "max_retries": 2}
    config = _experiment(
        tmp_path / "cluster.yaml",
        dataset=dataset,
        output_dir=f"{s3_env}/results",
        server=openai_server,
        executor=executor,
    )
    _script(openai_server)
    openai_server.hang(sample_ids={LAST}, times=HUNG, seconds=HANG_S)

    driver = subprocess.Popen(
        [sys.executable, "-m", "vlmhyperbench", "run", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ),
    )
    try:
        _wait(
            lambda: openai_server.all_sample_ids.count(LAST) >= HUNG,
            150,
            "four runs asking the last sample",
            driver,
        )
        hung = {r.body["model"] for r in openai_server.requests if r.sample_id == LAST}

        def answered_in_bucket() -> bool:  # what the hung runs answered before is in the bucket
            return all(
                len(_segment_lines(s3_server, bucket, f"results/exp/{run}")) == len(SAMPLES) - 1
                for run in hung
            )

        _wait(answered_in_bucket, 30, "the first answers in the bucket", driver)
        s3_cluster.kill_worker()
        openai_server.release_hangs()  # the hung runs on the head answer now
        # the runs the worker node had (it pulled them into its own mirror)
        on_worker = {p.name for p in (tmp_path / "worker-cache").glob("s3/mirror/*/r*")}
        assert on_worker & hung  # at least one run was waiting on the node that died
        # right after the kill (the retry needs seconds: Ray notices the death, then the head pulls):
        # what the dead node had asked, and what of it had reached the bucket
        asked_before = {(r.body["model"], r.sample_id) for r in openai_server.requests}
        in_bucket = {
            run: {a["sample_id"] for a in _segment_lines(s3_server, bucket, f"results/exp/{run}")}
            for run in on_worker
        }
        out, _ = driver.communicate(timeout=240)
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.communicate()
    assert driver.returncode == 0, out[-4000:]

    stored = s3_server.objects(bucket, "results/exp/")
    infer_nodes: dict[str, str] = {}
    for run in RUNS:
        manifest = json.loads(stored[f"results/exp/{run}/manifest.json"])
        assert manifest["status"] == "completed", (run, manifest)
        infer = manifest["stages"]["infer"]
        infer_nodes[run] = infer["node"]
        packages = manifest["environments"][infer["environment"]]["packages"]
        assert packages["vlmhb-bench-dummy"] == VERSIONS["m-one" if run in RUNS[:3] else "m-two"], run
        # every answer exactly once: in the segments as stored, and in a fresh pull on a clean machine
        assert (
            sorted(a["sample_id"] for a in _segment_lines(s3_server, bucket, f"results/exp/{run}")) == SAMPLES
        )
        fresh = tmp_path / "fresh" / run
        pull(f"{s3_env}/results/exp/{run}", fresh)
        lines = [json.loads(line) for line in (fresh / "answers.jsonl").read_text().splitlines()]
        assert sorted(a["sample_id"] for a in lines) == SAMPLES and all(a["error"] is None for a in lines)
    # the hung runs all finished inference on the head: those of the dead node were retried there
    assert len({infer_nodes[run] for run in hung}) == 1

    # asked twice: exactly the samples the dead node had asked whose answers were in no segment
    # in the bucket when it died (the requests in flight, and at most one segment's answers
    # being pushed); everything else once
    lost = {(run, sid) for run, sid in asked_before if run in on_worker and sid not in in_bucket[run]}
    assert {(run, LAST) for run in on_worker & hung} <= lost  # the hung requests were in flight
    asked = Counter((r.body["model"], r.sample_id) for r in openai_server.requests)
    expected = Counter({(run, sid): 1 for run in RUNS for sid in SAMPLES})
    expected.update(lost)
    assert asked == expected

    # the same experiment on this machine, executor local, run folders on disk: the same metrics
    local_config = _experiment(
        tmp_path / "local.yaml",
        dataset=dataset,
        output_dir=str(tmp_path / "local"),
        server=openai_server,
        executor={"kind": "local"},
    )
    _script(openai_server)
    from vlmhyperbench.orchestrator import run_experiment

    local = run_experiment(local_config)
    assert local.ok, local.runs
    for run in RUNS:
        on_disk = json.loads((local.root / run / "metrics" / "metrics.json").read_text())
        in_bucket = json.loads(stored[f"results/exp/{run}/metrics/metrics.json"])
        assert on_disk["aggregates"] == in_bucket["aggregates"], run

    # no credential written anywhere: the bucket, the nodes' and the driver's caches
    secrets = [os.environ["AWS_SECRET_ACCESS_KEY"].encode(), os.environ["AWS_ACCESS_KEY_ID"].encode()]
    for key, data in stored.items():
        assert not any(s in data for s in secrets), key
    for cache in ("head-cache", "worker-cache", "cache"):
        for path in (tmp_path / cache).rglob("*"):
            if path.is_file() and path.stat().st_size < 10_000_000:
                assert not any(s in path.read_bytes() for s in secrets), path
