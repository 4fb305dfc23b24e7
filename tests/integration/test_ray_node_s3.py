"""The node side of the ``ray`` executor on a bucket, against a real S3 server (moto_server).

`node_run_folder` is what a Ray task does on its node for a run folder at an ``s3://``
URL: pull it into the node's own mirror, stream answers while the stage runs, push at
the end — also when the stage fails. No Ray here: the end-to-end test
(tests/e2e/test_cluster_experiment.py) runs it in real tasks on a cluster.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.factories import make_jsonl_dataset
from tests.support.s3_server import S3Server
from vlmhyperbench.envs._ray_task import node_dataset, node_run_folder
from vlmhyperbench.storage import S3Url, filesystem, mirror_dir, move_aside_remote, pull, push


def _answer(sample_id: str, text: str) -> str:
    return json.dumps({"sample_id": sample_id, "answer": text, "error": None}) + "\n"


def _driver_folder(root: Path, answers: list[str]) -> Path:
    """A run folder as the driver's mirror holds it before a stage."""
    root.mkdir(parents=True)
    (root / "run_spec.json").write_text('{"run_id": "r1"}')
    (root / "manifest.json").write_text('{"status": "running"}')
    (root / "answers.jsonl").write_text("".join(answers))
    return root


def _segments(server: S3Server, url: str) -> list[dict[str, Any]]:
    target = S3Url(url)
    objects = server.objects(target.bucket, f"{target.key}/answers.segments/")
    return [json.loads(line) for key in sorted(objects) for line in objects[key].decode().splitlines()]


def test_the_node_works_on_the_bucket_and_pushes_also_when_the_stage_fails(
    s3_env: str, s3_server: S3Server, tmp_path: Path
) -> None:
    url = f"{s3_env}/results/exp/r1"
    driver = _driver_folder(tmp_path / "driver" / "r1", [_answer("s-001", "a"), _answer("s-002", "b")])
    push(driver, url)

    with pytest.raises(RuntimeError, match="the stage crashed"), node_run_folder(url) as run_dir:
        assert run_dir.root == mirror_dir(url) and run_dir.root != driver  # the node's own copy
        assert json.loads((run_dir.root / "run_spec.json").read_text()) == {"run_id": "r1"}
        assert (run_dir.root / "answers.jsonl").read_text().count("\n") == 2  # resumes from the bucket
        with (run_dir.root / "answers.jsonl").open("a") as fh:
            fh.write(_answer("s-003", "c"))
        (run_dir.root / "manifest.json").write_text('{"status": "failed"}')
        raise RuntimeError("the stage crashed")

    assert sorted(a["sample_id"] for a in _segments(s3_server, url)) == ["s-001", "s-002", "s-003"]
    pull(url, driver)  # what the driver does after the task: the node's results come back
    assert json.loads((driver / "manifest.json").read_text()) == {"status": "failed"}
    assert (driver / "answers.jsonl").read_text().count("\n") == 3


def test_a_node_mirror_of_a_run_started_afresh_is_emptied(
    s3_env: str, s3_server: S3Server, tmp_path: Path
) -> None:
    url = f"{s3_env}/results/exp/r1"
    push(_driver_folder(tmp_path / "first", [_answer("s-001", "old"), _answer("s-002", "old")]), url)
    with node_run_folder(url):
        pass
    move_aside_remote(url)  # vlmhb run --fresh
    push(_driver_folder(tmp_path / "second", [_answer("s-001", "new")]), url)

    with node_run_folder(url) as run_dir:
        lines = [json.loads(line) for line in (run_dir.root / "answers.jsonl").read_text().splitlines()]
    assert [(a["sample_id"], a["answer"]) for a in lines] == [("s-001", "new")]
    assert [a["answer"] for a in _segments(s3_server, url)] == ["new"]


def test_a_dataset_in_a_bucket_is_fetched_on_the_node(s3_env: str, tmp_path: Path) -> None:
    local = make_jsonl_dataset(tmp_path / "tiny")
    url = f"{s3_env}/datasets/tiny"
    filesystem().put(str(local) + "/", S3Url(url).path + "/", recursive=True)
    fetched = node_dataset(url)
    assert fetched != local and fetched.is_dir()
    assert sorted(p.name for p in fetched.rglob("*") if p.is_file()) == sorted(
        p.name for p in local.rglob("*") if p.is_file()
    )
    assert node_dataset(str(local)) == local  # a shared path is used as it is
