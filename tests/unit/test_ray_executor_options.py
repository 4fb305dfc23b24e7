"""The ``ray`` executor without a cluster: settings, task options, the node's command, errors.

The cluster itself (placement, packages, retries) is tested in
tests/integration/test_ray_executor.py against a real loopback cluster.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from vlmhyperbench.config import load_experiment
from vlmhyperbench.core import ConfigError, MissingDependency, RunDir
from vlmhyperbench.core.events import null_sink
from vlmhyperbench.envs import StageRequest, executors
from vlmhyperbench.envs._ray_cluster import cluster_address, connect
from vlmhyperbench.envs._ray_task import stage_command
from vlmhyperbench.orchestrator import plan_experiment


def _requests(tmp_path: Path, dataset: Path, *, ray_address: str | None = None, **executor: object):
    config = {
        "name": "x",
        "executor": {"kind": "ray", **executor},
        "models": [{"name": "m", "backend": "tesseract", "requirements": ["rapidfuzz==3.9.0"]}],
        "runs": [
            {
                "name": "r",
                "task": "vqa",
                "dataset": str(dataset),
                "model": "m",
                "metrics": ["cer"],
                "resources": {"gpus": 2, "cpus": 3, "memory_gb": 1.5, "custom": {"a100": 1}},
            }
        ],
    }
    path = tmp_path / "e.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    spec = plan_experiment(load_experiment(path), ray_address=ray_address).runs[0].spec
    ex = executors.get("ray")(spec.environment.executor)
    run_dir = RunDir(tmp_path / "run")
    return ex, {stage: StageRequest(run_dir, spec, stage, null_sink) for stage in ("infer", "evaluate")}


def test_inference_gets_the_run_resources_and_evaluation_only_cpus(
    tmp_path: Path, tiny_dataset: Path
) -> None:
    ex, requests = _requests(tmp_path, tiny_dataset, address="10.0.0.1:6379", max_retries=5)
    infer = ex.task_options(requests["infer"])
    assert infer == {
        "num_cpus": 3.0,
        "num_gpus": 2,
        "memory": int(1.5 * 1024**3),
        "resources": {"a100": 1.0},
        "max_retries": 5,
        "retry_exceptions": False,
    }
    evaluate = ex.task_options(requests["evaluate"])
    assert evaluate["num_gpus"] == 0 and "resources" not in evaluate and "runtime_env" not in evaluate


def test_an_image_becomes_the_task_container(tmp_path: Path, tiny_dataset: Path) -> None:
    ex, requests = _requests(tmp_path, tiny_dataset, address="h:1", image="org/vlm:1", eval_image="org/cpu:1")
    assert ex.task_options(requests["infer"])["runtime_env"] == {"image_uri": "org/vlm:1"}
    assert ex.task_options(requests["evaluate"])["runtime_env"] == {"image_uri": "org/cpu:1"}
    job = ex.job(requests["infer"])
    assert stage_command(job, Path("/run"), Path("/data"))[0] == sys.executable  # the image installs at start


def test_the_node_layers_the_run_requirements_with_uv(tmp_path: Path, tiny_dataset: Path) -> None:
    (tmp_path / "wheels").mkdir()
    ex, requests = _requests(
        tmp_path, tiny_dataset, address="h:1", wheels=str(tmp_path / "wheels"), install_args=["--offline"]
    )
    argv = stage_command(ex.job(requests["infer"]), Path("/run"), Path("/data"))
    assert argv[1:5] == ["run", "--no-project", "--python", sys.executable]
    assert argv[argv.index("--with") + 1] == "rapidfuzz==3.9.0"
    assert argv[argv.index("--find-links") + 1] == str(tmp_path / "wheels")
    assert "--offline" in argv
    assert argv[argv.index("--") + 1 :][:5] == ["python", "-m", "vlmhyperbench", "stage", "infer"]
    evaluate = stage_command(ex.job(requests["evaluate"]), Path("/run"), Path("/data"))
    assert evaluate[0] == sys.executable  # nothing to install for evaluation


def test_ray_address_flag_beats_the_config_and_ray_address_is_the_fallback(
    tmp_path: Path, tiny_dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ex, _ = _requests(tmp_path, tiny_dataset, ray_address="flag:6379", address="config:6379")
    assert cluster_address(ex.spec) == "flag:6379"
    ex, _ = _requests(tmp_path, tiny_dataset)
    monkeypatch.setenv("RAY_ADDRESS", "env:6379")
    assert cluster_address(ex.spec) == "env:6379"
    monkeypatch.delenv("RAY_ADDRESS")
    with pytest.raises(ConfigError) as caught:
        cluster_address(ex.spec)
    assert "--ray-address" in caught.value.render() and "RAY_ADDRESS" in caught.value.render()


def test_a_missing_ray_names_the_extra(
    tmp_path: Path, tiny_dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ex, _ = _requests(tmp_path, tiny_dataset, address="h:1")
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    with pytest.raises(MissingDependency) as caught:
        connect(ex.spec)
    assert "pip install 'vlmhyperbench[ray]'" in caught.value.render()


def test_an_address_that_is_not_one_is_located(tmp_path: Path, tiny_dataset: Path) -> None:
    ex, _ = _requests(tmp_path, tiny_dataset, address="no-port-here")
    with pytest.raises(ConfigError) as caught:
        connect(ex.spec)
    assert "executor.address / --ray-address" in caught.value.render()
