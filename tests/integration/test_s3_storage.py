"""Smart sync, answer segments and dataset fetches against a real S3 server (moto_server)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.factories import make_jsonl_dataset
from tests.support.s3_server import S3Server
from vlmhyperbench.core import MissingDependency, SourceLocation, UserError
from vlmhyperbench.storage import (
    INDEX,
    SEGMENTS,
    S3Url,
    SegmentPusher,
    check_location,
    filesystem,
    pull,
    push,
    sync_dataset,
)


def _answer(i: int, *, ok: bool = True, text: str | None = None) -> str:
    body = {"sample_id": f"s{i}", "answer": (text or f"answer {i}") if ok else None}
    if not ok:
        body["error"] = {"kind": "http", "message": "503"}
    return json.dumps(body)


def _run_folder(root: Path, answers: int) -> Path:
    (root / "metrics").mkdir(parents=True)
    (root / "run_spec.json").write_text('{"run_id": "r1"}')
    (root / "manifest.json").write_text('{"status": "running"}')
    (root / "metrics" / "metrics.json").write_text('{"n": 0}')
    (root / ".heartbeat").write_text("")
    (root / "answers.jsonl").write_text("".join(_answer(i) + "\n" for i in range(answers)))
    return root


def _bucket_of(url: str) -> str:
    return S3Url(url).bucket


def test_push_moves_only_what_changed(s3_env: str, s3_server: S3Server, tmp_path: Path) -> None:
    url = f"{s3_env}/exp/r1"
    local = _run_folder(tmp_path / "r1", answers=10)

    first = push(local, url)
    assert (first.objects, first.segments) == (3 + 1 + 1, 1)  # three files, a segment, the index
    stored = s3_server.objects(_bucket_of(url), "exp/r1/")
    assert set(stored) - {f"exp/r1/{INDEX}"} >= {"exp/r1/run_spec.json", "exp/r1/metrics/metrics.json"}
    assert not any(".heartbeat" in k or k.endswith("answers.jsonl") for k in stored)

    again = push(local, url)
    assert (again.objects, again.bytes, again.unchanged) == (0, 0, 3)

    (local / "metrics" / "metrics.json").write_text('{"n": 12}')
    with (local / "answers.jsonl").open("a") as fh:
        fh.write("".join(_answer(i) + "\n" for i in range(10, 12)) + '{"sample_id": "torn')
    third = push(local, url)
    new_lines = "".join(_answer(i) + "\n" for i in range(10, 12)).encode()
    assert (third.objects, third.segments, third.unchanged) == (1 + 1 + 1, 1, 2)
    segments = s3_server.objects(_bucket_of(url), f"exp/r1/{SEGMENTS}/")
    assert len(segments) == 2 and new_lines in segments.values()  # complete lines only
    index = s3_server.objects(_bucket_of(url), f"exp/r1/{INDEX}")[f"exp/r1/{INDEX}"]
    assert third.bytes == len(b'{"n": 12}') + len(new_lines) + len(index)


def test_pull_rebuilds_the_folder_and_moves_only_what_changed(s3_env: str, tmp_path: Path) -> None:
    url = f"{s3_env}/exp/r1"
    source = _run_folder(tmp_path / "src", answers=25)
    push(source, url)

    mirror = tmp_path / "mirror"
    first = pull(url, mirror)
    assert (mirror / "answers.jsonl").read_bytes() == (source / "answers.jsonl").read_bytes()
    assert (mirror / "metrics" / "metrics.json").read_text() == '{"n": 0}'
    assert first.segments == 1 and first.objects == 1 + 3 + 1

    again = pull(url, mirror)
    assert (again.objects, again.segments, again.unchanged) == (1, 0, 3)  # the index object alone

    with (source / "answers.jsonl").open("a") as fh:
        fh.write(_answer(25) + "\n")
    (source / "manifest.json").write_text('{"status": "completed"}')
    push(source, url)
    third = pull(url, mirror)
    assert (third.segments, third.unchanged) == (1, 2)
    assert (mirror / "answers.jsonl").read_bytes() == (source / "answers.jsonl").read_bytes()
    assert (mirror / "manifest.json").read_text() == '{"status": "completed"}'


def test_duplicated_segments_give_every_answer_once(s3_env: str, s3_server: S3Server, tmp_path: Path) -> None:
    url = f"{s3_env}/exp/r1"
    source = _run_folder(tmp_path / "src", answers=4)
    push(source, url)
    client = s3_server.client()
    bucket = _bucket_of(url)
    (segment,) = s3_server.objects(bucket, f"exp/r1/{SEGMENTS}/")
    # a retried worker uploaded the same lines again, plus a second answer and a retry of s1
    client.copy_object(
        Bucket=bucket, Key=f"exp/r1/{SEGMENTS}/00000001-retried.jsonl", CopySource=f"{bucket}/{segment}"
    )
    again = _answer(2, text="asked twice") + "\n" + _answer(9, ok=False) + "\n" + _answer(9) + "\n"
    client.put_object(Bucket=bucket, Key=f"exp/r1/{SEGMENTS}/00000002-other.jsonl", Body=again.encode())

    mirror = tmp_path / "mirror"
    pull(url, mirror)
    lines = [json.loads(line) for line in (mirror / "answers.jsonl").read_text().splitlines()]
    ok_ids = [r["sample_id"] for r in lines if r["answer"] is not None]
    assert sorted(ok_ids) == ["s0", "s1", "s2", "s3", "s9"]  # every answer exactly once
    assert next(r for r in lines if r["sample_id"] == "s2")["answer"] == "answer 2"
    assert [r["sample_id"] for r in lines].count("s9") == 2  # the failure and then its answer

    # a writer with answers not pushed yet keeps them: they go up before others' segments are merged
    with (mirror / "answers.jsonl").open("a") as fh:
        fh.write(_answer(10) + "\n")
    client.put_object(
        Bucket=bucket, Key=f"exp/r1/{SEGMENTS}/00000003-late.jsonl", Body=(_answer(11) + "\n").encode()
    )
    pull(url, mirror)
    fresh = tmp_path / "fresh"
    pull(url, fresh)
    for folder in (mirror, fresh):
        ids = [json.loads(line)["sample_id"] for line in (folder / "answers.jsonl").read_text().splitlines()]
        assert {"s10", "s11"} <= set(ids) and len(ids) == len(set(ids)) + 1  # s9 twice (failure, answer)


_WRITER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from vlmhyperbench.storage import SegmentPusher
    mirror, url = Path(sys.argv[1]), sys.argv[2]
    mirror.mkdir(parents=True, exist_ok=True)
    with SegmentPusher(mirror, url, every_answers=5, every_seconds=60, poll_s=0.05) as pusher:
        with (mirror / "answers.jsonl").open("a") as fh:
            for i in range(10_000):
                fh.write(json.dumps({"sample_id": f"s{i}", "answer": f"a{i}"}) + "\\n")
                fh.flush()
                print(f"wrote {i} segments {pusher.segments}", flush=True)
                time.sleep(0.01)
    """
)


def test_a_killed_writer_loses_at_most_the_segment_in_flight(s3_env: str, tmp_path: Path) -> None:
    url = f"{s3_env}/exp/r1"
    mirror = tmp_path / "worker"
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(mirror), url], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if int(line.split()[-1]) >= 4:
            break
    proc.send_signal(signal.SIGKILL)  # mid-run, possibly mid-upload
    proc.wait()
    written = (mirror / "answers.jsonl").read_text().splitlines()

    fresh = tmp_path / "elsewhere"
    pull(url, fresh)
    pulled = (fresh / "answers.jsonl").read_text().splitlines()
    assert len(pulled) >= 20  # four segments of at least five answers went up
    assert pulled == written[: len(pulled)]  # whole segments, in order, nothing torn
    ids = [json.loads(x)["sample_id"] for x in pulled]
    assert len(ids) == len(set(ids))


def test_segment_pusher_settings_take_effect(
    s3_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = S3Url(f"{s3_env}/exp/r1")
    mirror = tmp_path / "m"
    mirror.mkdir()
    monkeypatch.setenv("VLMHB_S3_SEGMENT_ANSWERS", "3")
    monkeypatch.setenv("VLMHB_S3_SEGMENT_SECONDS", "0.5")
    fs = filesystem()
    with SegmentPusher(mirror, url, poll_s=0.05) as pusher:
        assert (pusher.every_answers, pusher.every_seconds) == (3, 0.5)
        with (mirror / "answers.jsonl").open("a") as fh:
            fh.write("".join(_answer(i) + "\n" for i in range(3)))
        deadline = time.monotonic() + 30  # generous: a loaded machine is slow, not wrong
        while pusher.segments < 1 and time.monotonic() < deadline:  # by count, at once
            time.sleep(0.02)
        assert pusher.segments == 1
        with (mirror / "answers.jsonl").open("a") as fh:
            fh.write(_answer(3) + "\n")  # one answer: below the count, goes up by age
        started = time.monotonic()
        while pusher.segments < 2 and time.monotonic() < started + 30:
            time.sleep(0.02)
        # by age, not before the 0.5 s setting; no upper bound (that would time the machine)
        assert pusher.segments == 2 and 0.4 <= time.monotonic() - started
    assert len(fs.ls(url.child(SEGMENTS).path, refresh=True)) == 2


def test_a_dataset_is_fetched_once_and_cached(s3_env: str, tmp_path: Path) -> None:
    from vlmhyperbench.datasets import load_dataset

    local = make_jsonl_dataset(tmp_path / "tiny")
    url = S3Url(f"{s3_env}/datasets/tiny")
    filesystem().put(str(local) + "/", url.path + "/", recursive=True)

    path, first = sync_dataset(url)
    assert first.objects == len([p for p in local.rglob("*") if p.is_file()]) and first.bytes > 0
    assert load_dataset(path).fingerprint == load_dataset(local).fingerprint
    again_path, again = sync_dataset(url)
    assert (again_path, again.objects, again.bytes) == (path, 0, 0)

    annotation = next(p for p in local.iterdir() if p.suffix == ".jsonl")
    filesystem().pipe_file(url.child(annotation.name).path, annotation.read_bytes() + b"\n")
    changed_path, changed = sync_dataset(url)
    assert changed_path != path and changed.objects > 0


def test_two_processes_fetching_at_once_both_get_one_copy(s3_env: str, tmp_path: Path) -> None:
    local = make_jsonl_dataset(tmp_path / "tiny")
    url = S3Url(f"{s3_env}/datasets/tiny")
    filesystem().put(str(local) + "/", url.path + "/", recursive=True)
    script = "import sys; from vlmhyperbench.storage import fetch_dataset; print(fetch_dataset(sys.argv[1]))"
    procs = [
        subprocess.Popen([sys.executable, "-c", script, url], stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outs = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert all(p.returncode == 0 for p in procs) and len(outs) == 1
    copy = Path(outs.pop())
    assert copy.name == "tiny" and [p.name for p in copy.parent.parent.iterdir()] == [copy.parent.name]
    # one copy, no temporary left


def test_a_missing_bucket_is_a_user_error(s3_env: str) -> None:
    where = SourceLocation(key="output_dir")
    with pytest.raises(UserError) as err:
        check_location(S3Url("s3://no-such-bucket-here/x"), where, write=True)
    text = err.value.render()
    assert "s3://no-such-bucket-here/x" in text and "does not exist" in text and "output_dir" in text
    assert "hint:" in text


def test_denied_access_is_a_user_error(
    s3_env: str, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in s3_server.env(denied=True).items():
        monkeypatch.setenv(name, value)
    with pytest.raises(UserError) as err:
        check_location(S3Url(f"{s3_env}/exp"), SourceLocation(key="--output-dir"), write=True)
    assert "denied" in err.value.render() and f"{s3_env}/exp" in err.value.render()
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    with pytest.raises(UserError, match="denied"):
        check_location(S3Url(f"{s3_env}/exp"), None, write=False)


def test_an_endpoint_that_does_not_answer_is_a_user_error(
    s3_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    started = time.monotonic()
    with pytest.raises(UserError) as err:
        check_location(S3Url(f"{s3_env}/exp"), SourceLocation(key="output_dir"), write=True)
    assert "does not answer" in err.value.render() and f"127.0.0.1:{port}" in err.value.render()
    assert time.monotonic() - started < 30


def test_without_s3fs_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "s3fs", None)
    with pytest.raises(MissingDependency, match=r"vlmhyperbench\[s3\]"):
        filesystem()


@pytest.mark.parametrize(
    "bad", ["s3://", "s3://Bad_Bucket/x", "s3://ok-bucket/a//b", "/tmp/x", "s3://ok-bucket/../x"]
)
def test_s3_urls_are_validated(bad: str) -> None:
    with pytest.raises(ValueError):
        S3Url(bad)
    assert S3Url("s3://my-bucket/a/b/").child("c") == "s3://my-bucket/a/b/c"


def test_a_run_is_pushed_after_each_stage_not_only_at_its_end(s3_env: str, tmp_path: Path) -> None:
    import anyio

    from vlmhyperbench.core.events import Event
    from vlmhyperbench.orchestrator._remote import RemoteExperiment
    from vlmhyperbench.storage import remote_files

    remote = RemoteExperiment(S3Url(f"{s3_env}/exp"), tmp_path / "mirror")
    run_url = remote.url.child("r1")
    forwarded: list[Event] = []

    async def stage_then_wait(emit: Callable[[Event], None]) -> list[str]:
        run = remote.mirror / "r1"
        run.mkdir(parents=True)
        (run / "run_spec.json").write_text("{}")
        emit(Event("stage_finished", "r1", "infer"))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # the run goes on: the push must not wait for its end
            seen = await anyio.to_thread.run_sync(lambda: remote_files(run_url))
            if seen:
                return seen
            await anyio.sleep(0.05)
        return []

    seen = anyio.run(remote.execute, "r1", False, forwarded.append, stage_then_wait)
    assert seen == ["run_spec.json"]
    assert [e.kind for e in forwarded] == ["stage_finished"]  # events still reach the front end
