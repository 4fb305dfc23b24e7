"""Where a config's relative paths start from: its folder, or ``base_dir`` / $VLMHB_CONFIG_BASE_DIR."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import make_jsonl_dataset
from vlmhyperbench.config import load_experiment
from vlmhyperbench.config.loader import BASE_DIR_ENV
from vlmhyperbench.orchestrator.planner import plan_experiment

CONFIG = """\
name: exp
runs:
  - name: r1
    task: vqa
    dataset: tiny
    model: {backend: openai, options: {base_url: "http://127.0.0.1:9/v1", model: m}}
    metrics: [anls]
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "configs" / "exp.yaml"
    path.parent.mkdir()
    path.write_text(CONFIG, encoding="utf-8")
    return path


def _dataset_path(loaded) -> str:  # type: ignore[no-untyped-def]
    [run] = plan_experiment(loaded).runs
    return run.spec.dataset.path


def test_relative_paths_start_from_the_config_folder(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BASE_DIR_ENV, raising=False)
    dataset = make_jsonl_dataset(config.parent / "tiny")
    assert load_experiment(config).base_dir == config.parent.resolve()
    assert Path(_dataset_path(load_experiment(config))) == dataset.resolve()


def test_base_dir_and_the_environment_variable_move_that_start(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(BASE_DIR_ENV, raising=False)
    dataset = make_jsonl_dataset(tmp_path / "elsewhere" / "tiny")
    loaded = load_experiment(config, base_dir=tmp_path / "elsewhere")
    assert Path(_dataset_path(loaded)) == dataset.resolve()
    monkeypatch.setenv(BASE_DIR_ENV, str(tmp_path / "elsewhere"))
    assert Path(_dataset_path(load_experiment(config))) == dataset.resolve()
