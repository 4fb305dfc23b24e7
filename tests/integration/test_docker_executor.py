"""The docker executor against a real Docker engine and an image built here offline.

The demo's Tesseract baseline (OCR and VQA on the passports) runs its inference,
evaluation and report stages in containers; the metrics equal those of the local
executor. Bad input — an unknown image, an image without vlmhyperbench, a mount that
does not exist, a requirement that cannot be installed, a memory limit that is hit —
fails that run alone, with a clear reason, while the good run completes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml

from tests.factories import make_jsonl_dataset, run_vlmhb, write_experiment
from vlmhyperbench._paths import demo_dataset_path

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

BASE_IMAGE = "vlmhb-base:bookworm"  # Debian + Python + Tesseract, no vlmhyperbench (build_images.sh)


def _vlmhb(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_vlmhb(*args, cwd=cwd, timeout=1500)


def _write(path: Path, config: dict) -> Path:
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _demo_runs() -> list[dict]:
    dataset = {"path": str(demo_dataset_path()), "filters": {"doc_class": ["passport"]}}
    return [
        {
            "name": "ocr",
            "task": "ocr",
            "dataset": dataset,
            "model": "tesseract-rus-eng",
            "metrics": ["cer", "wer"],
        },
        {
            "name": "vqa",
            "task": "vqa",
            "dataset": dataset,
            "model": "tesseract-rus-eng",
            "metrics": ["anls", "cer"],
        },
    ]


def _vqa_run(name: str, dataset: Path, executor: dict) -> dict:
    """A small Tesseract VQA run on ``dataset`` with its own executor settings."""
    return {
        "name": name,
        "task": "vqa",
        "dataset": str(dataset),
        "model": "tesseract-rus-eng",
        "metrics": ["cer"],
        "executor": executor,
    }


def _general(run_dir: Path) -> dict:
    summary = json.loads((run_dir / "metrics" / "metrics.json").read_text())
    return summary["aggregates"]["general"][0]["values"]


def _remove_containers_of(client, experiment: str) -> None:
    for container in client.containers.list(
        all=True, filters={"label": f"org.vlmhyperbench.experiment={experiment}"}
    ):
        container.remove(force=True)


def test_demo_baseline_in_containers_scores_like_local(
    tmp_path: Path,
    docker_cpu_image: str,
    docker_client,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    monkeypatch.setenv("HOST_ONLY_VARIABLE", "must not cross")
    experiment = f"dock-{uuid.uuid4().hex[:8]}"
    # kept containers go even when an assertion fails first (each one holds disk)
    request.addfinalizer(lambda: _remove_containers_of(docker_client, experiment))
    config = {
        "name": experiment,
        "executor": {"kind": "docker", "image": docker_cpu_image, "pull": "never"},
        "runs": _demo_runs(),
    }
    config["runs"][0]["executor"] = {"keep": True}  # keep the OCR run's containers to inspect them
    path = _write(tmp_path / "experiment.yaml", config)
    in_docker = _vlmhb("run", str(path), "--output-dir", str(tmp_path / "docker"), cwd=tmp_path)
    assert in_docker.returncode == 0, in_docker.stdout[-3000:] + in_docker.stderr[-3000:]
    local = _vlmhb(
        "run", str(path), "--output-dir", str(tmp_path / "local"), "--executor", "local", cwd=tmp_path
    )
    assert local.returncode == 0, local.stdout[-3000:] + local.stderr[-3000:]

    for run in ("ocr", "vqa"):
        docker_dir, local_dir = tmp_path / "docker" / experiment / run, tmp_path / "local" / experiment / run
        assert _general(docker_dir) == _general(local_dir)
        assert (docker_dir / "metrics" / "metrics_by_id.csv").read_text() == (
            local_dir / "metrics" / "metrics_by_id.csv"
        ).read_text()
        manifest = json.loads((docker_dir / "manifest.json").read_text())
        assert manifest["status"] == "completed"
        image = docker_client.images.get(docker_cpu_image)
        for stage in ("infer", "evaluate", "report"):
            env = manifest["environments"][manifest["stages"][stage]["environment"]]
            assert env["executor"] == "docker"
            assert env["image"] == docker_cpu_image and env["image_id"] == image.id
            assert "vlmhyperbench" in env["packages"]
        answers = [json.loads(line) for line in (docker_dir / "answers.jsonl").read_text().splitlines()]
        assert {a["env"] for a in answers} == {manifest["stages"]["infer"]["environment"]}
        assert (docker_dir / "report" / "report.html").exists()
        # files written in the container belong to the host user
        assert (docker_dir / "answers.jsonl").stat().st_uid == os.getuid()
        assert (docker_dir / "logs" / "infer.console.log").exists()

    ours = f"org.vlmhyperbench.experiment={experiment}"
    kept = docker_client.containers.list(all=True, filters={"label": [ours, "org.vlmhyperbench.run=ocr"]})
    by_stage = {c.labels["org.vlmhyperbench.stage"]: c for c in kept}
    assert set(by_stage) == {"infer", "evaluate", "report"}
    for stage, container in by_stage.items():
        host = container.attrs["HostConfig"]
        assert host["NetworkMode"] == ("host" if stage == "infer" else "none")
        assert container.attrs["Config"]["User"] == f"{os.getuid()}:{os.getgid()}"
        mounts = {m["Destination"]: m for m in container.attrs["Mounts"]}
        assert mounts["/vlmhb/data"]["RW"] is False and mounts["/vlmhb/run"]["RW"] is True
        env = dict(item.split("=", 1) for item in container.attrs["Config"]["Env"])
        assert env["HOME"] == "/tmp"
        assert not {"PYTEST_CURRENT_TEST", "HOST_ONLY_VARIABLE"} & set(env)  # never the host environment
    assert not docker_client.containers.list(all=True, filters={"label": [ours, "org.vlmhyperbench.run=vqa"]})


def test_bad_runs_fail_alone_with_clear_reasons(
    tmp_path: Path,
    tiny_dataset: Path,
    docker_cpu_image: str,
    docker_client,
) -> None:
    empty_wheels = tmp_path / "wheels"
    empty_wheels.mkdir()

    def run(name: str, **executor: object) -> dict:
        return _vqa_run(name, tiny_dataset, executor)

    bad_requirement = run("no-such-package", install_args=["--no-index"], wheels=str(empty_wheels))
    bad_requirement["requirements"] = ["vlmhb-no-such-package==1.0"]
    config = {
        "name": "bad",
        "executor": {"kind": "docker", "image": docker_cpu_image, "pull": "never"},
        "runs": [
            run("good"),
            run("unknown-image", image="vlmhb-no-such-image:1"),
            run("unpullable", image="vlmhb-no-such/image:1", pull="missing"),
            run("no-project", image=BASE_IMAGE),
            run("missing-mount", mounts=[{"source": str(tmp_path / "nowhere"), "target": "/x"}]),
            bad_requirement,
            run("out-of-memory", memory="40m"),
        ],
    }
    path = _write(tmp_path / "experiment.yaml", config)
    done = _vlmhb("run", str(path), "--output-dir", str(tmp_path / "runs"), cwd=tmp_path)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    root = tmp_path / "runs" / "bad"

    def error(name: str) -> str:
        manifest = json.loads((root / name / "manifest.json").read_text())
        assert manifest["status"] == "failed", name
        return manifest["stages"]["infer"]["error"]

    good = json.loads((root / "good" / "manifest.json").read_text())
    assert good["status"] == "completed"
    assert "vlmhb-no-such-image:1" in error("unknown-image") and "not on this host" in error("unknown-image")
    assert "vlmhb-no-such/image:1" in error("unpullable") and "could not be pulled" in error("unpullable")
    assert "does not have vlmhyperbench installed" in error("no-project")
    assert "nowhere" in error("missing-mount") and "does not exist" in error("missing-mount")
    assert "vlmhb-no-such-package==1.0" in error("no-such-package")
    assert "out of memory" in error("out-of-memory")
    assert "run unknown-image failed" in done.stderr


def test_api_model_in_a_container_gets_its_secret_and_ctrl_c_kills_the_container(
    tmp_path: Path, tiny_dataset: Path, docker_cpu_image: str, docker_client, openai_server, monkeypatch
) -> None:
    """The openai backend inside a container (host network) reaches the server with the key
    passed by name; an interrupt kills the container, keeps the answers, and the run resumes."""
    monkeypatch.setenv("VLMHB_TEST_API_KEY", "key-from-the-host")
    openai_server.first_token_delay = 1.5
    config = write_experiment(
        tmp_path / "e.yaml",
        tiny_dataset,
        base_url=openai_server.url,
        concurrency=1,
        extra_options={"api_key_env": "VLMHB_TEST_API_KEY", "timeout_s": 30},
    )
    raw = yaml.safe_load(config.read_text())
    raw["executor"] = {"kind": "docker", "image": docker_cpu_image, "pull": "never"}
    _write(config, raw)
    argv = [sys.executable, "-m", "vlmhyperbench", "run", str(config)]
    # Ctrl-C's default action even where this test runs as a background job (`cmd &` starts
    # with SIGINT ignored, and Python keeps an ignored SIGINT ignored)
    orchestrator = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509 (no threads yet)
    )
    answers = tmp_path / "runs" / "exp" / "r1" / "answers.jsonl"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not (answers.exists() and answers.read_text().count("\n") >= 1):
        time.sleep(0.1)
    assert answers.exists(), "no answer came from the container"
    orchestrator.send_signal(signal.SIGINT)
    output, _ = orchestrator.communicate(timeout=120)
    assert orchestrator.returncode == 130, output
    assert not docker_client.containers.list(all=True, filters={"label": "org.vlmhyperbench.run=r1"})
    manifest = json.loads((answers.parent / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and manifest["stages"]["infer"]["error"] == "interrupted"
    kept = {json.loads(line)["sample_id"] for line in answers.read_text().splitlines()}
    assert kept and all(
        r.headers.get("authorization") == "Bearer key-from-the-host" for r in openai_server.requests
    )

    openai_server.clear(requests=True)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert not kept & set(openai_server.requested_sample_ids)
    assert json.loads((answers.parent / "manifest.json").read_text())["status"] == "completed"
    assert "key-from-the-host" not in "".join(p.read_text() for p in answers.parent.rglob("*.json*"))


def test_image_pulled_from_a_registry_runs_and_is_recorded_by_digest(
    tmp_path: Path, tiny_dataset: Path, docker_cpu_image: str, docker_client, local_registry: str
) -> None:
    """An image that is only in a registry is pulled — pinned by digest, by tag with
    `pull: missing`, again with `pull: always` — and the manifest names its digest."""
    reference = f"{local_registry}/vlmhb-pull-test:{uuid.uuid4().hex[:8]}"
    source = docker_client.images.get(docker_cpu_image)
    assert source.tag(reference)
    pushed = list(docker_client.images.push(reference, stream=True, decode=True))
    assert not [m for m in pushed if m.get("error")], pushed[-3:]
    digest = next(m["aux"]["Digest"] for m in pushed if "Digest" in (m.get("aux") or {}))
    repository = reference.rsplit(":", 1)[0]
    pinned = f"{repository}@{digest}"
    docker_client.images.remove(reference)  # only the name: the layers stay, shared with the test image

    def run(name: str, image: str, pull: str) -> dict:
        return _vqa_run(name, tiny_dataset, {"kind": "docker", "image": image, "pull": pull})

    runs = [
        run("pinned", pinned, "missing"),
        run("tag", reference, "missing"),
        run("always", reference, "always"),
    ]
    try:
        path = _write(tmp_path / "e.yaml", {"name": "pull", "runs": runs})
        done = _vlmhb("run", str(path), "--output-dir", str(tmp_path / "runs"), cwd=tmp_path)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert done.stderr.count(f"pulling {pinned}") == 1  # then present: `missing` does not ask again
        # the tag is not here after the pull by digest: pulled once, then once per stage by `always`
        assert done.stderr.count(f"pulled {reference} in ") == 1 + 3
        assert pinned in done.stderr
        for name in ("pinned", "tag", "always"):
            manifest = json.loads((tmp_path / "runs" / "pull" / name / "manifest.json").read_text())
            assert manifest["status"] == "completed", name
            env = manifest["environments"][manifest["stages"]["infer"]["environment"]]
            assert env["image_id"] == source.id and pinned in env["image_digests"], env
    finally:
        for image in docker_client.images.list(name=repository):  # the test image shares the id
            for tag in image.tags:
                if tag.startswith(f"{repository}:"):
                    docker_client.images.remove(tag)


def test_a_container_stage_stops_when_vlmhb_is_killed_outright(
    tmp_path: Path, tiny_dataset: Path, docker_cpu_image: str, docker_client, openai_server
) -> None:
    """``kill -9`` of vlmhb cannot stop the container itself: the stage sees the run's
    heartbeat go stale and stops, keeping its answers; the run then reads as interrupted."""
    many = [(f"m-{i:02d}", "invoice", "Номер", "Какой номер?", str(i), [f"Номер: {i}"]) for i in range(40)]
    dataset = make_jsonl_dataset(tmp_path / "many", many)
    openai_server.first_token_delay = 1.0
    config = write_experiment(tmp_path / "e.yaml", dataset, base_url=openai_server.url, concurrency=1)
    raw = yaml.safe_load(config.read_text())
    raw["executor"] = {"kind": "docker", "image": docker_cpu_image, "pull": "never"}
    _write(config, raw)
    argv = [sys.executable, "-m", "vlmhyperbench", "run", str(config)]
    orchestrator = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    answers = tmp_path / "runs" / "exp" / "r1" / "answers.jsonl"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not (answers.exists() and answers.read_text().count("\n") >= 1):
        time.sleep(0.1)
    assert answers.exists(), "no answer came from the container"
    os.killpg(orchestrator.pid, signal.SIGKILL)
    orchestrator.wait(timeout=10)
    label = {"label": "org.vlmhyperbench.run=r1"}
    deadline = time.monotonic() + 60  # 15 s of stale heartbeat, then a clean stop
    while time.monotonic() < deadline and docker_client.containers.list(filters=label):
        time.sleep(0.5)
    assert not docker_client.containers.list(filters=label), "the container went on after vlmhb was killed"
    for container in docker_client.containers.list(all=True, filters=label):
        container.remove(force=True)
    written = answers.read_text().count("\n")
    assert written < len(many)
    time.sleep(2.5)
    assert answers.read_text().count("\n") == written  # nothing is answered any more
    manifest = json.loads((answers.parent / "manifest.json").read_text())
    assert manifest["stages"]["infer"]["status"] == "interrupted"
    from vlmhyperbench.core import RunDir

    assert RunDir(answers.parent).read_manifest().status == "interrupted"
