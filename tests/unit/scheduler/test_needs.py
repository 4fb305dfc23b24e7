"""What a run asks of the GPUs: ``resources:`` and the estimate from the catalogue's
``params_b`` and ``dtype`` with the KV-cache allowance."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.factories import make_prototype_dataset
from vlmhyperbench.config import load_experiment
from vlmhyperbench.core import ResourceSpec
from vlmhyperbench.core.resources import estimate_gpu_memory_gb
from vlmhyperbench.orchestrator import plan_experiment
from vlmhyperbench.scheduler import GpuNeed


def _planned(tmp_path: Path, runs: str, models: str = "") -> dict[str, ResourceSpec]:
    make_prototype_dataset(tmp_path / "data")
    config = f"name: exp\nmodels:\n{textwrap.indent(textwrap.dedent(models), '  ') or '  []'}\nruns:\n"
    config += textwrap.indent(textwrap.dedent(runs), "  ")
    (tmp_path / "e.yaml").write_text(config, encoding="utf-8")
    plan = plan_experiment(load_experiment(tmp_path / "e.yaml"))
    return {r.spec.run_id: r.spec.resources for r in plan.runs}


@pytest.mark.parametrize(
    ("params_b", "dtype", "gpus", "kv", "expected"),
    [
        (8.29, "bfloat16", 1, None, 19.4),  # 15.44 GiB of weights + 25 % = 19.30, rounded up
        (8.29, "bfloat16", 1, 1.0, 16.5),  # the allowance set: 15.44 + 1
        (8.29, "bfloat16", 2, None, 9.8),  # 7.72 per GPU + the 2 GiB floor
        (8.29, "int8", 1, None, 9.8),
        (8.29, "float32", 1, None, 38.7),
        (0.56, "bfloat16", 1, None, 3.1),  # small models get the 2 GiB floor
    ],
)
def test_gpu_memory_estimate(params_b: float, dtype, gpus: int, kv: float | None, expected: float) -> None:
    assert estimate_gpu_memory_gb(params_b, dtype, gpus, kv) == expected


def test_a_run_asking_for_gpus_gets_its_memory_estimated_from_the_catalogue(tmp_path: Path) -> None:
    models = """
    - {name: mine, params_b: 8.29, backend: openai, options: {base_url: "http://127.0.0.1:9/v1", model: m}}
    - {name: small, params_b: 8.29, dtype: int8, backend: openai, options: {base_url: "http://127.0.0.1:9/v1", model: m}}
    """
    runs = """
    - {name: one, task: vqa, dataset: data, model: mine, resources: {gpus: 1}}
    - {name: two, task: vqa, dataset: data, model: mine, resources: {gpus: 2}}
    - {name: kv, task: vqa, dataset: data, model: mine, resources: {gpus: 1, kv_cache_gb: 1}}
    - {name: int8, task: vqa, dataset: data, model: small, resources: {gpus: 1}}
    - {name: set, task: vqa, dataset: data, model: mine, resources: {gpus: 1, gpu_memory_gb: 30}}
    - {name: cpu, task: vqa, dataset: data, model: mine}
    - {name: shipped, task: vqa, dataset: data, model: Qwen2.5-VL-7B-Instruct, resources: {gpus: 1}}
    - {name: vllm, task: vqa, dataset: data, model: Qwen2.5-VL-7B-Instruct-vllm, resources: {gpus: 1}}
    """
    got = {run: r.gpu_memory_gb for run, r in _planned(tmp_path, runs, models).items()}
    assert got == {
        "one": 19.4,
        "two": 9.8,
        "kv": 16.5,
        "int8": 9.8,
        "set": 30,  # set by the user: never estimated
        "cpu": None,  # asks for no GPU
        "shipped": 19.4,  # the shipped hf entry's params_b
        "vllm": None,  # vLLM takes a share of whole GPUs: it gets whole GPUs
    }


def test_a_gpu_need_is_the_count_and_the_memory_per_gpu() -> None:
    assert GpuNeed.of(ResourceSpec()) is None
    assert GpuNeed.of(ResourceSpec(gpus=2, gpu_memory_gb=40)) == GpuNeed(2, 40 * 1024)
    assert GpuNeed.of(ResourceSpec(gpus=1)) == GpuNeed(1, None)
    assert GpuNeed(2, 40 * 1024).describe() == "2 GPUs with 40 GiB each"
    assert GpuNeed(1, None).describe() == "1 whole GPU"


def test_validate_names_the_runs_this_machine_has_not_the_gpus_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vlmhyperbench.orchestrator.validate import validate_experiment
    from vlmhyperbench.scheduler import ENV_GPU_INVENTORY

    gpus = [{"index": i, "uuid": f"GPU-{i}", "memory_total_mib": 24576} for i in range(2)]
    (tmp_path / "gpus.json").write_text(json.dumps(gpus), encoding="utf-8")
    monkeypatch.setenv(ENV_GPU_INVENTORY, str(tmp_path / "gpus.json"))
    models = """
    - {name: mine, params_b: 8.29, backend: openai, options: {base_url: "http://127.0.0.1:9/v1", model: m}}
    """
    runs = """
    - {name: fits, task: vqa, dataset: data, model: mine, resources: {gpus: 1}}
    - {name: wide, task: vqa, dataset: data, model: mine, resources: {gpus: 4}}
    - {name: big, task: vqa, dataset: data, model: mine, resources: {gpus: 1, kv_cache_gb: 10}}
    - {name: ray, task: vqa, dataset: data, model: mine, resources: {gpus: 4}, executor: {kind: ray}}
    """
    _planned(tmp_path, runs, models)
    report = validate_experiment(tmp_path / "e.yaml")
    assert set(report.problems) - {"ray"} == {"wide", "big"}
    assert "GPU" not in report.problems.get("ray", "")  # Ray places GPUs: not checked here
    assert "this machine has 2 GPUs" in report.problems["wide"]
    assert "1 GPU with 25.5 GiB" in report.problems["big"]  # 15.44 + 10, more than 24 GiB
