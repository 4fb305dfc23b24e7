"""The executors' cache folder: listing entries, their last use, and pruning them safely."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from tests.factories import run_vlmhb
from vlmhyperbench.envs.cache import COMPLETE_MARKER, cache_folders, cached_items, prune

DAY = 86400.0


def _venv(root: Path, name: str, *, used_days_ago: float | None, size: int = 1000) -> Path:
    """A cached venv as ensure_venv leaves it; ``used_days_ago=None``: a build that did not finish."""
    path = root / "venvs" / name
    (path / "bin").mkdir(parents=True)
    (path / "bin" / "python").write_bytes(b"\0" * size)
    (path / "requirements.in").write_text("/wheels/vlmhyperbench-0.2.0-py3-none-any.whl\nfoo==1.0\n")
    if used_days_ago is not None:
        marker = path / COMPLETE_MARKER
        marker.write_text("hash")
        stamp = time.time() - used_days_ago * DAY
        os.utime(marker, (stamp, stamp))
    return path


def _wheel(root: Path, name: str, *, used_days_ago: float) -> Path:
    path = root / "self" / name
    path.mkdir(parents=True)
    (path / "vlmhyperbench-0.2.0-py3-none-any.whl").write_bytes(b"PK")
    stamp = time.time() - used_days_ago * DAY
    os.utime(path, (stamp, stamp))
    return path


def test_items_are_listed_most_recent_first_with_state_and_requirements(tmp_path: Path) -> None:
    _venv(tmp_path, "old", used_days_ago=40)
    _venv(tmp_path, "new", used_days_ago=1)
    _venv(tmp_path, "broken", used_days_ago=None)
    _wheel(tmp_path, "w1", used_days_ago=2)
    (tmp_path / "tesseract").mkdir()
    (tmp_path / "tesseract" / "page.txt").write_text("x" * 5000)
    items = cached_items(tmp_path)
    assert [i.path.name for i in items if i.complete] == ["new", "w1", "old"]
    broken = next(i for i in items if i.path.name == "broken")
    assert not broken.complete and broken.kind == "venv"
    new = next(i for i in items if i.path.name == "new")
    assert new.requirements[1:] == ("foo==1.0",) and new.size_bytes >= 1000
    assert set(cache_folders(tmp_path)) == {"venvs", "self", "tesseract"}
    assert cache_folders(tmp_path)["tesseract"] >= 5000


def test_prune_removes_the_unused_and_the_unfinished_and_skips_a_build_in_progress(tmp_path: Path) -> None:
    old = _venv(tmp_path, "old", used_days_ago=40)
    new = _venv(tmp_path, "new", used_days_ago=1)
    broken = _venv(tmp_path, "broken", used_days_ago=None)
    building = _venv(tmp_path, "building", used_days_ago=None)
    old_wheel = _wheel(tmp_path, "w-old", used_days_ago=60)

    would, busy = prune(cached_items(tmp_path), older_than_s=30 * DAY, dry_run=True)
    assert {i.path for i in would} == {old, broken, building, old_wheel} and not busy
    assert old.exists() and broken.exists()  # a dry run removes nothing

    with building.with_suffix(".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process is building it
        removed, busy = prune(cached_items(tmp_path), older_than_s=30 * DAY)
    assert {i.path for i in removed} == {old, broken, old_wheel}
    assert [i.path for i in busy] == [building]
    assert not old.exists() and not broken.exists() and not old_wheel.exists()
    assert new.exists() and building.exists()

    removed, _ = prune(cached_items(tmp_path), older_than_s=None)  # --all
    assert {i.path for i in removed} == {new, building}
    assert cached_items(tmp_path) == []


def test_cli_lists_and_prunes_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    old = _venv(cache, "0123456789abcdef", used_days_ago=45)
    recent = _venv(cache, "fedcba9876543210", used_days_ago=0.5)
    env = {"VLMHB_CACHE_DIR": str(cache), "COLUMNS": "200"}

    listed = run_vlmhb("executors", "cache", env=env)
    assert listed.returncode == 0, listed.stderr
    assert f"cache folder: {cache}" in listed.stdout
    assert "0123456789abcdef" in listed.stdout and "45 d ago" in listed.stdout and "foo==1.0" in listed.stdout

    dry = run_vlmhb("executors", "prune", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert (
        f"would remove venv {old}" in dry.stdout and "would remove 1 item(s)" in dry.stdout and old.exists()
    )

    done = run_vlmhb("executors", "prune", "--older-than", "7", env=env)
    assert done.returncode == 0, done.stderr
    assert "removed 1 item(s)" in done.stdout and not old.exists() and recent.exists()

    bad = run_vlmhb("executors", "prune", "--older-than", "-1", env=env)
    assert bad.returncode == 2 and "--older-than" in bad.stderr and recent.exists()
