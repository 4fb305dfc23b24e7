"""``output_dir`` and ``dataset`` accept ``s3://`` URLs and keep them whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from vlmhyperbench.config import ExperimentConfig
from vlmhyperbench.core import ConfigError
from vlmhyperbench.orchestrator._remote import output_location
from vlmhyperbench.orchestrator._resume import changed_settings
from vlmhyperbench.storage import S3Url, mirror_dir


def _config(**over: object) -> ExperimentConfig:
    run = {"task": "vqa", "dataset": over.pop("dataset", "data/tiny"), "model": "m"}
    return ExperimentConfig.model_validate({"name": "exp", "runs": [run], **over})


def test_s3_locations_stay_urls_and_paths_stay_paths() -> None:
    cfg = _config(output_dir="s3://my-bucket/results/", dataset="s3://my-bucket/datasets/tiny")
    assert isinstance(cfg.output_dir, S3Url) and cfg.output_dir == "s3://my-bucket/results"
    assert isinstance(cfg.runs[0].dataset.path, S3Url) and cfg.runs[0].dataset.path.key == "datasets/tiny"
    assert cfg.model_dump(mode="json")["output_dir"] == "s3://my-bucket/results"
    local = _config(output_dir="out/runs")
    assert local.output_dir == Path("out/runs") and local.runs[0].dataset.path == Path("data/tiny")


def test_a_bad_s3_url_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="bucket name"):
        _config(output_dir="s3://Not_A_Bucket/x")
    with pytest.raises(ConfigError) as err:
        output_location("s3://x")
    assert "--output-dir" in err.value.render()
    assert output_location("s3://my-bucket/p") == S3Url("s3://my-bucket/p")
    assert output_location("runs") == Path("runs")
    assert output_location(Path("s3://my-bucket/p")) == "s3://my-bucket/p"  # what a CLI path option gives


def test_the_mirror_is_keyed_by_url_under_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VLMHB_CACHE_DIR", str(tmp_path))
    one, two = mirror_dir("s3://my-bucket/a/exp"), mirror_dir("s3://my-bucket/b/exp")
    assert one.name == two.name == "exp" and one != two and one.is_relative_to(tmp_path / "s3" / "mirror")


class _Spec:
    """What `changed_settings` reads of a `RunSpec`: its dump."""

    def __init__(self, dataset: dict[str, object]) -> None:
        self.dataset = dataset

    def model_dump(self, **_: object) -> dict[str, object]:
        return {"task": "vqa", "dataset": dict(self.dataset), "backend": {}, "prompts": {}, "generation": {}}


def test_a_dataset_fetched_from_s3_resumes_wherever_it_is_cached() -> None:
    here = {
        "path": "/cache/a/tiny",
        "url": "s3://my-bucket/datasets/tiny",
        "layout": "jsonl",
        "fingerprint": "x",
    }
    there = {**here, "path": "/other/cache/tiny"}
    assert changed_settings(_Spec(here), _Spec(there)) == []  # type: ignore[arg-type]
    moved = changed_settings(_Spec({**here, "url": None}), _Spec({**there, "url": None}))  # type: ignore[arg-type]
    assert moved == ['dataset.path: "/cache/a/tiny" → "/other/cache/tiny"']
