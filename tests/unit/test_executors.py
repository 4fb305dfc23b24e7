"""Executors without starting anything: settings merge, commands, mounts, variables, exit reasons."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from vlmhyperbench.config import load_experiment
from vlmhyperbench.core import ConfigError, EnvironmentFailure, ExecutorSpec, RunDir
from vlmhyperbench.core.events import Event
from vlmhyperbench.envs import StageRequest, executors
from vlmhyperbench.envs._base import LineRelay, exit_reason, forwarded_env
from vlmhyperbench.envs._protocol import decode_event, encode_event
from vlmhyperbench.envs.apptainer import apptainer_command
from vlmhyperbench.envs.docker import PullProgress, container_settings
from vlmhyperbench.orchestrator import plan_experiment


def _config(tmp_path: Path, dataset: Path, **extra: object) -> Path:
    config = {
        "name": "x",
        "models": [
            {
                "name": "ocr-box",
                "backend": "tesseract",
                "docker_image": "org/ocr:1",
                "requirements": ["rapidfuzz>=3"],
                "executor": {"kind": "docker", "memory": "8g", "gpus": "none"},
            }
        ],
        "runs": [
            {"name": "r", "task": "vqa", "dataset": str(dataset), "model": "ocr-box", "metrics": ["cer"]}
        ],
        **extra,
    }
    path = tmp_path / "e.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def _plan(path: Path, executor: str | None = None):
    return plan_experiment(load_experiment(path), executor=executor)


def test_executor_settings_merge_experiment_model_run(tmp_path: Path, tiny_dataset: Path) -> None:
    path = _config(tmp_path, tiny_dataset, executor={"kind": "venv", "pass_env": ["A"], "memory": "1g"})
    raw = yaml.safe_load(path.read_text())
    raw["runs"][0]["executor"] = {"network": "none", "wheels": "wheels"}
    (tmp_path / "wheels").mkdir()
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    spec = _plan(path).runs[0].spec.environment
    ex = spec.executor
    assert ex.kind == "docker"  # the model's setting beats the experiment's
    assert ex.memory == "8g" and ex.pass_env == ["A"] and ex.network == "none"
    assert ex.image == "org/ocr:1"  # from the catalogue entry's docker_image
    assert ex.wheels == (tmp_path / "wheels").resolve()  # relative to the config file
    assert [i.requirement for i in spec.install["infer"]] == ["rapidfuzz>=3"]
    assert spec.install["evaluate"] == []
    assert _plan(path, executor="local").runs[0].spec.environment.executor.kind == "local"


def test_unknown_executor_kind_is_located(tmp_path: Path, tiny_dataset: Path) -> None:
    path = _config(tmp_path, tiny_dataset)
    raw = yaml.safe_load(path.read_text())
    raw["runs"][0]["executor"] = {"kind": "dokcer"}
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        _plan(path)
    text = err.value.render()
    assert "dokcer" in text and "docker" in text and "e.yaml:" in text


def test_container_executor_needs_an_image(tmp_path: Path, tiny_dataset: Path) -> None:
    config = {
        "name": "x",
        "executor": {"kind": "docker"},
        "runs": [{"task": "vqa", "dataset": str(tiny_dataset), "model": "tesseract-eng", "metrics": ["cer"]}],
    }
    path = tmp_path / "e.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    with pytest.raises(ConfigError, match="needs an image"):
        _plan(path)


def test_bad_requirement_and_unknown_package_are_located(tmp_path: Path, tiny_dataset: Path) -> None:
    path = _config(tmp_path, tiny_dataset)
    raw = yaml.safe_load(path.read_text())
    raw["runs"][0]["requirements"] = ["ok-package>=1", "not a requirement!!"]
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        _plan(path)
    text = err.value.render()
    assert "not a valid pip requirement" in text and "runs[0].requirements[1]" in text
    raw["runs"][0]["requirements"] = []
    raw["runs"][0]["eval_packages"] = ["my-metrics"]
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        _plan(path)
    text = err.value.render()
    assert "my-metrics" in text and "runs[0].eval_packages[0]" in text


def test_registry_packages_are_installed_and_dev_mode_overlays(tmp_path: Path, tiny_dataset: Path) -> None:
    packages = tmp_path / "packages"
    packages.mkdir()
    (packages / "my-metrics.yaml").write_text("source: {pypi: {name: my-metrics, version: '1.2'}}\n")
    checkout = tmp_path / "my-metrics-src"
    checkout.mkdir()
    (packages / "my-metrics.dev.yaml").write_text(
        f"source: {{local: {{path: {checkout}, editable: true}}}}\n"
    )
    path = _config(tmp_path, tiny_dataset)
    raw = yaml.safe_load(path.read_text())
    raw["runs"][0]["eval_packages"] = ["my-metrics"]
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    [item] = _plan(path).runs[0].spec.environment.install["evaluate"]
    assert item.requirement == "my-metrics==1.2" and item.package == "my-metrics"
    raw["run_mode"] = "dev"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    spec = _plan(path).runs[0].spec.environment
    assert spec.run_mode == "dev"
    [item] = spec.install["evaluate"]
    assert item.source == "local" and item.editable and item.args() == ["-e", str(checkout)]


def test_plugins_unknown_here_are_deferred_only_for_isolated_runs(tmp_path: Path, tiny_dataset: Path) -> None:
    config = {
        "name": "x",
        "models": [
            {"name": "m", "backend": "their-backend", "options": {"size": 3}, "requirements": ["theirs"]}
        ],
        "runs": [
            {
                "name": "r",
                "task": "vqa",
                "dataset": str(tiny_dataset),
                "model": "m",
                "metrics": ["their-metric"],
            }
        ],
    }
    path = tmp_path / "e.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    with pytest.raises(ConfigError, match="their-metric"):
        _plan(path)  # local: the plugin must be installed here
    planned = _plan(path, executor="venv").runs[0]
    assert planned.backend is None and planned.metrics == []
    assert planned.spec.backend.name == "their-backend" and planned.spec.backend.options == {"size": 3}
    assert [m.name for m in planned.spec.metrics] == ["their-metric"]
    assert "deferred" in planned.registry["backend:their-backend"]


def _request(tmp_path: Path, tiny_dataset: Path, executor: ExecutorSpec, stage: str) -> StageRequest:
    path = _config(tmp_path, tiny_dataset)
    spec = _plan(path).runs[0].spec
    spec = spec.model_copy(update={"environment": spec.environment.model_copy(update={"executor": executor})})
    return StageRequest(RunDir(tmp_path / "runs" / "r"), spec, stage, lambda e: None)


def test_docker_container_settings(
    tmp_path: Path, tiny_dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_TOKEN", "s3cret")
    monkeypatch.setenv("NOT_ALLOWED", "x")
    cache = tmp_path / "hf"
    cache.mkdir()
    executor = ExecutorSpec(
        kind="docker", image="img:1", secrets=["MY_TOKEN"], env={"A": "1"}, model_cache=cache, gpus=[0, 2]
    )
    image = SimpleNamespace(id="sha256:abc", attrs={"RepoDigests": ["img@sha256:def"]}, tags=["img:1"])
    docker_executor = executors.get("docker")(executor)
    infer = container_settings(_request(tmp_path, tiny_dataset, executor, "infer"), docker_executor, image)
    env = infer["environment"]
    assert env["MY_TOKEN"] == "s3cret" and env["A"] == "1" and "NOT_ALLOWED" not in env
    assert env["HF_HOME"] == "/vlmhb/cache" and env["VLMHB_INSTALL"] == "1"
    facts = json.loads(env["VLMHB_ENVIRONMENT"])
    assert facts["image_id"] == "sha256:abc" and facts["image_digests"] == ["img@sha256:def"]
    assert infer["user"] == f"{os.getuid()}:{os.getgid()}"
    assert infer["network_mode"] == "host"
    assert infer["device_requests"][0]["DeviceIDs"] == ["0", "2"]
    targets = {m["Target"]: m for m in infer["mounts"]}
    assert targets["/vlmhb/data"]["ReadOnly"] and not targets["/vlmhb/run"]["ReadOnly"]
    assert infer["command"][:4] == ["-m", "vlmhyperbench", "stage", "infer"]
    evaluate = container_settings(
        _request(tmp_path, tiny_dataset, executor, "evaluate"), docker_executor, image
    )
    assert evaluate["network_mode"] == "none" and evaluate["device_requests"] == []
    assert "MY_TOKEN" not in evaluate["environment"] and "/vlmhb/cache" not in {
        m["Target"] for m in evaluate["mounts"]
    }


def test_apptainer_command(tmp_path: Path, tiny_dataset: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_KEY", "k")
    sif = tmp_path / "vlmhb.sif"
    sif.write_bytes(b"not really an image")
    extra = tmp_path / "extra"
    extra.mkdir()
    executor = ExecutorSpec(
        kind="apptainer",
        image=str(sif),
        secrets=["API_KEY"],
        gpus="all",
        mounts=[{"source": extra, "target": "/extra", "read_only": False}],
    )
    request = _request(tmp_path, tiny_dataset, executor, "infer")
    argv, env = apptainer_command(request, "/usr/bin/apptainer", str(sif))
    assert argv[:5] == ["/usr/bin/apptainer", "exec", "--containall", "--pwd", "/vlmhb/run"]
    assert "--nv" in argv and "--network" not in argv
    binds = [argv[i + 1] for i, a in enumerate(argv) if a == "--bind"]
    assert f"{tiny_dataset.resolve()}:/vlmhb/data:ro" in binds and f"{extra}:/extra:rw" in binds
    assert argv[argv.index(str(sif)) + 1 :][:5] == ["python3", "-m", "vlmhyperbench", "stage", "infer"]
    assert env["APPTAINERENV_API_KEY"] == "k" and "k" not in argv  # secrets never on the command line
    assert json.loads(env["APPTAINERENV_VLMHB_ENVIRONMENT"])["image_id"].startswith("sha256:")
    argv, env = apptainer_command(_request(tmp_path, tiny_dataset, executor, "report"), "apptainer", str(sif))
    assert "--nv" not in argv and argv[argv.index("--net") + 1 : argv.index("--net") + 3] == [
        "--network",
        "none",
    ]
    assert "APPTAINERENV_API_KEY" not in env


def test_apptainer_missing_binary_fails_the_run_clearly(
    tmp_path: Path, tiny_dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    executor = ExecutorSpec(kind="apptainer", image="docker://org/img:1")
    with pytest.raises(Exception, match="apptainer or singularity"):
        executors.get("apptainer")(executor).check(_request(tmp_path, tiny_dataset, executor, "infer"))


def test_missing_secret_is_an_error(
    tmp_path: Path, tiny_dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOPE", raising=False)
    executor = ExecutorSpec(kind="docker", image="x", secrets=["NOPE"])
    with pytest.raises(ConfigError, match="NOPE"):
        forwarded_env(executor, _request(tmp_path, tiny_dataset, executor, "infer").spec)


def test_missing_mount_source_is_an_error(tmp_path: Path, tiny_dataset: Path) -> None:
    executor = ExecutorSpec(kind="venv", mounts=[{"source": tmp_path / "nope", "target": "/x"}])
    with pytest.raises(ConfigError, match=r"mounts\[0\].source.*does not exist"):
        executors.get("venv")(executor).check(_request(tmp_path, tiny_dataset, executor, "infer"))


@pytest.mark.parametrize(
    ("code", "oom", "expected"),
    [
        (0, False, None),
        (1, False, "the stage failed (exit code 1)"),
        (-signal.SIGKILL, False, "killed by SIGKILL (the system may have run out of memory)"),
        (137, False, "killed by SIGKILL (the system may have run out of memory)"),
        (-signal.SIGTERM, False, "killed by SIGTERM"),
        (137, True, "out of memory: the stage hit its memory limit (2g) and was killed"),
        (3, False, "the stage exited with code 3"),
    ],
)
def test_exit_reasons(code: int, oom: bool, expected: str | None) -> None:
    assert exit_reason(code, oom_killed=oom, memory="2g") == expected


def test_events_cross_the_process_boundary_and_logs_do_not_mix(tmp_path: Path) -> None:
    seen: list[Event] = []
    relay = LineRelay(tmp_path / "logs" / "x.console.log", seen.append)
    event = Event("progress", "run-1", "infer", 3, 10)
    line = encode_event(event)
    relay.feed("hello\n" + line[:10])
    relay.feed(line[10:] + "\nwörld")
    relay.close()
    assert seen == [event] and decode_event("plain") is None
    assert (tmp_path / "logs" / "x.console.log").read_text() == "hello\nwörld\n"


def test_pull_progress_counts_layer_bytes_and_raises_on_an_error() -> None:
    progress = PullProgress("registry.example/vlm:1", every_s=0.0)
    assert progress.feed({"status": "Pulling from vlm", "id": "1"}) == (
        "pulling registry.example/vlm:1: 0 of 0 MB in 0 layers, 0 s"
    )
    progress.feed(
        {"status": "Downloading", "id": "a", "progressDetail": {"current": 2_000_000, "total": 8_000_000}}
    )
    progress.feed(
        {"status": "Downloading", "id": "b", "progressDetail": {"current": 1_000_000, "total": 4_000_000}}
    )
    progress.feed({"status": "Download complete", "id": "b", "progressDetail": {}})
    line = progress.feed({"status": "Extracting", "id": "a", "progressDetail": {"current": 5, "total": 9}})
    assert line is not None and ": 6 of 12 MB in 2 layers," in line
    quiet = PullProgress("x", every_s=3600.0)
    assert (
        quiet.feed({"status": "Downloading", "id": "a", "progressDetail": {"current": 1, "total": 2}}) is None
    )
    with pytest.raises(EnvironmentFailure, match="pulling docker image 'x' failed: manifest unknown"):
        quiet.feed({"error": "manifest unknown", "errorDetail": {"message": "manifest unknown"}})


def test_the_gpus_the_scheduler_assigned_win_over_executor_gpus(tmp_path: Path, tiny_dataset: Path) -> None:
    from vlmhyperbench.envs._base import scheduled_gpu_env

    sif = tmp_path / "vlmhb.sif"
    sif.write_bytes(b"not really an image")
    image = SimpleNamespace(id="sha256:abc", attrs={"RepoDigests": []}, tags=["img:1"])
    uuids = ["GPU-aaa", "GPU-ccc"]
    docker_spec = ExecutorSpec(kind="docker", image="img:1", gpus="all")
    request = _request(tmp_path, tiny_dataset, docker_spec, "infer")
    request.gpus = uuids
    settings = container_settings(request, executors.get("docker")(docker_spec), image)
    assert settings["device_requests"][0]["DeviceIDs"] == uuids
    assert settings["environment"]["VLMHB_GPUS"] == "GPU-aaa,GPU-ccc"
    apptainer_spec = ExecutorSpec(kind="apptainer", image=str(sif), gpus="none")
    request = _request(tmp_path, tiny_dataset, apptainer_spec, "infer")
    request.gpus = uuids
    argv, env = apptainer_command(request, "apptainer", str(sif))
    assert "--nv" in argv and env["APPTAINERENV_CUDA_VISIBLE_DEVICES"] == "GPU-aaa,GPU-ccc"
    assert scheduled_gpu_env(request) == {
        "CUDA_VISIBLE_DEVICES": "GPU-aaa,GPU-ccc",
        "VLMHB_GPUS": "GPU-aaa,GPU-ccc",
    }
    request.gpus = None  # not scheduled: executor.gpus applies, nothing is set
    assert scheduled_gpu_env(request) == {}
    assert "--nv" not in apptainer_command(request, "apptainer", str(sif))[0]
