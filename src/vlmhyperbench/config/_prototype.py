"""The prototype's checkout: its main config ``VLMHyperBench_config.json`` and the folders it names.

The prototype (VLMHyperBench v0.1) keeps that file at
``vlmhyperbench/system_dirs/cfg/VLMHyperBench_config.json`` in its checkout; its
``data_dirs`` and ``system_dirs`` map names to folders relative to the checkout (the
prototype resolves them against the folder ``run_benchmark.py`` is started from: the
checkout). A run matrix names its dataset, prompt collection and system prompt
relative to those folders: ``<datasets>/<task>/<dataset>``,
``<prompt_collections>/<task>/<file>``, ``<system_prompts>/<file>``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..core import ConfigError, SourceLocation, problems_from_validation_error, read_text_utf8
from ..datasets.prototype_csv import DATA_DIRS

__all__ = [
    "CONFIG_IN_CHECKOUT",
    "PrototypeDirs",
    "PrototypeMainConfig",
    "find_checkout_config",
    "is_prototype_main_config",
    "read_prototype_config",
]

logger = logging.getLogger(__name__)

CONFIG_IN_CHECKOUT = Path("vlmhyperbench/system_dirs/cfg/VLMHyperBench_config.json")
"""Where the prototype's ``run_benchmark.py`` reads its main config, from the checkout root."""


class PrototypeMainConfig(BaseModel):
    """``VLMHyperBench_config.json`` as the prototype writes it (paths relative to the checkout).

    Keys for its Docker orchestration (``eval_docker_img``, the requirement lists, the
    per-run hand-off file) are read and not used: VLMHyperBench plans runs itself.
    """

    model_config = ConfigDict(extra="allow")

    user_config: Path | None = None
    """The run matrix CSV that ``run_benchmark.py`` runs."""
    vlm_base: Path | None = None
    """The model catalogue CSV (``vlm_base.csv``)."""
    data_dirs: dict[str, Path]
    """``datasets``, ``prompt_collections``, ``system_prompts``, ``model_answers``... → folder."""
    system_dirs: dict[str, Path] = Field(default_factory=dict)
    """``cfg``, ``bench_stages``, ``model_cache``, ``wheels`` → folder (not used here)."""
    eval_docker_img: str | None = None
    vlm_run_packages: Path | None = None
    eval_run_packages: Path | None = None
    benchmark_run_cfg: Path | None = None
    vlmhyperbench_cfg: Path | None = None
    """This file's own path, relative to the checkout: tells where the checkout root is."""


@dataclass(frozen=True)
class PrototypeDirs:
    """Where a run matrix's names are looked up, and the catalogue that comes with it."""

    datasets: Path
    prompt_collections: Path
    system_prompts: Path
    vlm_base: Path | None
    """The model catalogue CSV, when there is one."""
    user_config: Path | None = None
    """The run matrix the config names (its ``user_config``)."""

    @classmethod
    def beside(cls, folder: Path) -> PrototypeDirs:
        """The prototype's folder names directly in ``folder``, with ``vlm_base.csv`` if present."""
        vlm_base = folder / "vlm_base.csv"
        return cls(
            datasets=folder / DATA_DIRS["datasets"],
            prompt_collections=folder / DATA_DIRS["prompt_collections"],
            system_prompts=folder / DATA_DIRS["system_prompts"],
            vlm_base=vlm_base if vlm_base.is_file() else None,
        )


def find_checkout_config(start: Path) -> Path | None:
    """The prototype config of the checkout holding ``start`` (a folder), walking up."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_IN_CHECKOUT
        if candidate.is_file():
            return candidate
    return None


def is_prototype_main_config(data: object) -> bool:
    """Whether parsed JSON is the prototype's main config rather than an experiment."""
    return isinstance(data, dict) and "data_dirs" in data and "runs" not in data


def _checkout_root(path: Path, config: PrototypeMainConfig) -> Path:
    """The folder the config's relative paths start from: the checkout root."""
    path = path.resolve()
    for own in (config.vlmhyperbench_cfg, CONFIG_IN_CHECKOUT):
        if own is not None and not own.is_absolute() and path.parts[-len(own.parts) :] == own.parts:
            return Path(*path.parts[: -len(own.parts)])
    return path.parent


def read_prototype_config(path: Path) -> PrototypeDirs:
    """Read ``VLMHyperBench_config.json``; its relative paths start at the checkout root.

    The root is the folder of which the file is ``vlmhyperbench_cfg`` (or
    ``vlmhyperbench/system_dirs/cfg/VLMHyperBench_config.json``); otherwise the file's folder.

    Raises:
        ConfigError: the file is not JSON, lacks ``data_dirs.datasets``, or names a
            ``vlm_base`` that does not exist.
    """
    try:
        data = json.loads(read_text_utf8(path))
        config = PrototypeMainConfig.model_validate(data)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not valid JSON: {exc.msg}", location=SourceLocation(path, exc.lineno)) from None
    except ValidationError as exc:
        raise ConfigError(problems=problems_from_validation_error(exc, SourceLocation(path))) from None
    if "datasets" not in config.data_dirs:
        raise ConfigError(
            "data_dirs has no 'datasets' folder",
            location=SourceLocation(path, key="data_dirs"),
            hint='add "datasets": "vlmhyperbench/data_dirs/Datasets" (relative to the checkout)',
        )
    if config.model_extra:
        logger.warning("%s: ignoring key(s) %s", path, ", ".join(f"'{k}'" for k in config.model_extra))
    root = _checkout_root(path, config)
    datasets = root / config.data_dirs["datasets"]
    # a folder the file leaves out sits beside Datasets/, as in the prototype's default config
    dirs = {
        key: root / config.data_dirs[key] if key in config.data_dirs else datasets.parent / name
        for key, name in DATA_DIRS.items()
    }
    vlm_base = root / config.vlm_base if config.vlm_base is not None else None
    if vlm_base is not None and not vlm_base.is_file():
        raise ConfigError(
            f"the model catalogue {vlm_base} does not exist",
            location=SourceLocation(path, key="vlm_base"),
            hint=f"paths in this file are relative to the checkout {root}",
        )
    logger.info("prototype config %s: checkout %s, datasets in %s", path, root, dirs["datasets"])
    return PrototypeDirs(
        datasets=dirs["datasets"],
        prompt_collections=dirs["prompt_collections"],
        system_prompts=dirs["system_prompts"],
        vlm_base=vlm_base,
        user_config=root / config.user_config if config.user_config is not None else None,
    )
