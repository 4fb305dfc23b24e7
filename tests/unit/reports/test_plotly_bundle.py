"""The plotly.js bundle beside each HTML report: one copy on disk, each folder still whole."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest

from vlmhyperbench.reports import html
from vlmhyperbench.reports.html import plotly_js_file, plotly_package_js


def _make(folder: Path) -> Path:
    folder.mkdir(parents=True)
    return folder / plotly_js_file(folder)


def test_every_folder_links_the_installed_bundle(tmp_path: Path) -> None:
    package = plotly_package_js()
    if package.stat().st_dev != tmp_path.stat().st_dev:
        pytest.skip("the plotly package is on another file system than the test's folder")
    a, b = _make(tmp_path / "run-a" / "report"), _make(tmp_path / "run-b" / "report")
    assert a.stat().st_ino == b.stat().st_ino == package.stat().st_ino  # one copy on disk
    assert a.read_bytes() == package.read_bytes()


def test_a_copied_report_folder_keeps_the_whole_bundle(tmp_path: Path) -> None:
    bundle = _make(tmp_path / "run" / "report")
    shutil.copytree(tmp_path / "run", tmp_path / "elsewhere")
    copied = tmp_path / "elsewhere" / "report" / bundle.name
    assert copied.stat().st_ino != bundle.stat().st_ino
    assert copied.read_bytes() == plotly_package_js().read_bytes()


def test_without_a_link_to_the_package_it_copies_once_and_links_that_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = plotly_package_js()
    real_link = os.link

    def no_link_to_package(src: os.PathLike[str] | str, dst: os.PathLike[str] | str) -> None:
        if Path(src) == package:  # as across file systems, or a package file one may not link
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_link(src, dst)

    monkeypatch.setattr(html.os, "link", no_link_to_package)
    monkeypatch.setattr(html, "_WRITTEN", {})
    first = _make(tmp_path / "run-a" / "report")
    assert first.stat().st_ino != package.stat().st_ino and first.stat().st_nlink == 1
    second = _make(tmp_path / "run-b" / "report")
    assert second.stat().st_ino == first.stat().st_ino
    assert second.read_bytes() == package.read_bytes()
    assert not [p.name for p in second.parent.iterdir() if p.name.startswith(".")]  # no temporary left


def test_a_wrong_size_file_is_replaced_by_the_bundle(tmp_path: Path) -> None:
    folder = tmp_path / "report"
    folder.mkdir()
    name = plotly_js_file(folder)
    (folder / name).unlink()
    (folder / name).write_text("truncated", encoding="utf-8")
    assert plotly_js_file(folder) == name
    assert (folder / name).read_bytes() == plotly_package_js().read_bytes()
