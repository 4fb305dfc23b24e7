"""The sample page's dataset side: the answer's box and the files the image route may serve."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import render_page
from vlmhyperbench.core import Sample
from vlmhyperbench.dashboard._sample_view import answer_bbox, dataset_file, page_views


def _sample(root: Path, **metadata: object) -> Sample:
    return Sample(id="s", images=(root / "p.png",), metadata=metadata)


@pytest.mark.parametrize(
    ("box", "expected"),
    [
        ([10, 20, 110, 70], (10.0, 20.0, 110.0, 70.0)),
        ((1.5, 2, 3, 4), (1.5, 2.0, 3.0, 4.0)),
        (None, None),
        ([1, 2, 3], None),
        ([10, 20, 5, 70], None),  # x_max before x_min
        (["1", 2, 3, 4], None),
    ],
)
def test_the_answer_box_is_metadata_answer_bbox_when_well_formed(
    tmp_path: Path, box: object, expected: object
) -> None:
    assert answer_bbox(_sample(tmp_path, answer_bbox=box)) == expected


def test_the_box_is_given_in_percent_of_the_first_page(tmp_path: Path) -> None:
    render_page(tmp_path / "p.png", ["x"], size=(400, 200))
    (view,) = page_views(str(tmp_path), _sample(tmp_path, answer_bbox=[40, 20, 240, 120]))
    assert (view.path, view.width, view.height) == ("p.png", 400, 200)
    assert view.box == pytest.approx((10.0, 10.0, 50.0, 50.0))


def test_a_missing_page_image_is_named_not_served(tmp_path: Path) -> None:
    (view,) = page_views(str(tmp_path), _sample(tmp_path))
    assert view.note == "the image file is missing"


def test_dataset_file_serves_page_images_inside_the_dataset_only(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    render_page(root / "images" / "p.png", ["x"])
    (root / "annotation.jsonl").write_text("{}\n", encoding="utf-8")
    render_page(tmp_path / "outside.png", ["x"])
    (root / "images" / "link.png").symlink_to(tmp_path / "outside.png")
    assert dataset_file(str(root), "images/p.png") == (root / "images" / "p.png").resolve()
    for path in (
        "../outside.png",
        str(tmp_path / "outside.png"),
        "images/link.png",
        "annotation.jsonl",
        "x.png",
    ):
        assert dataset_file(str(root), path) is None, path
    assert dataset_file("", "images/p.png") is None
