"""The prototype's CSV run matrix → `ExperimentConfig`.

Columns (``;``, UTF-8 with or without BOM; list columns are Python list literals,
parsed with `ast.literal_eval`, never `eval`):
``dataset;task;framework;model_name;system_prompt;prompt_collection;metrics;
only_evaluate_metrics;metrics_aggregators;filter_doc_class;filter_question_type``.

Names are looked up as the prototype does, in the folders of the checkout's
``VLMHyperBench_config.json`` (found by walking up from the CSV's folder; see
`find_checkout_config`): ``<datasets>/<task>/<dataset>``,
``<prompt_collections>/<task>/<file>``, ``<system_prompts>/<file>``, and its
``vlm_base`` is the catalogue. Without that file, the same folder names are looked up
beside the CSV (``Datasets/``, ``PromptCollections/``, ``SystemPrompts/``,
``vlm_base.csv``). A path that exists as given (relative to the CSV) is used as is.
Columns other than the prototype's are ignored with a warning.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..aggregators import canonical_aggregator
from ..core import ConfigError, Problem, SourceLocation, problems_from_validation_error, read_semicolon_csv
from ..datasets.prototype_csv import task_of_folder
from ._prototype import PrototypeDirs, find_checkout_config, read_prototype_config
from ._yaml import KeyPath, Locator
from .catalogue import framework_backend
from .experiment import ExperimentConfig, RunConfig

__all__ = ["RUN_MATRIX_COLUMNS", "load_run_matrix", "matrix_locator"]

RUN_MATRIX_COLUMNS = (
    "dataset",
    "task",
    "framework",
    "model_name",
    "system_prompt",
    "prompt_collection",
    "metrics",
    "only_evaluate_metrics",
    "metrics_aggregators",
    "filter_doc_class",
    "filter_question_type",
)
REQUIRED = ("dataset", "task", "framework", "model_name")
FIELD_COLUMN = {
    "dataset": "dataset",
    "task": "task",
    "model": "model_name",
    "metrics": "metrics",
    "aggregators": "metrics_aggregators",
    "only_evaluate": "only_evaluate_metrics",
    "prompts": "prompt_collection",
}
"""`RunConfig` field → the run-matrix column it comes from (for located errors)."""


def matrix_locator(path: Path, lines: dict[int, int]) -> Locator:
    """``locate(key_path)`` for a run matrix: ``runs[i].<field>`` → ``path:line:column``."""

    def locate(key: KeyPath, at_key: bool = False) -> SourceLocation:
        if len(key) >= 2 and key[0] == "runs" and isinstance(key[1], int):
            column = FIELD_COLUMN.get(str(key[2])) if len(key) > 2 else None
            rest = ".".join(str(k) for k in key[2:]) if len(key) > 3 else None
            return SourceLocation(path, lines.get(key[1]), column, rest)
        return SourceLocation(path)

    return locate


def _list_literal(text: str, where: SourceLocation) -> list[str]:
    if not text.strip():
        return []
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        raise ConfigError(
            f"not a list literal: {text!r}",
            location=where,
            hint="write a Python list of strings, e.g. ['CER', 'WER']",
        ) from None
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            f"expected a list of strings, got {text!r}",
            location=where,
            hint="write a Python list of strings, e.g. ['CER', 'WER']",
        )
    return list(value)


def _bool(text: str, where: SourceLocation) -> bool:
    value = text.strip().lower()
    if value in ("", "false", "0", "no"):
        return False
    if value in ("true", "1", "yes"):
        return True
    raise ConfigError(f"expected True or False, got {text!r}", location=where)


def _find(base: Path, candidates: list[Path], what: str, where: SourceLocation) -> Path:
    for candidate in candidates:
        path = candidate if candidate.is_absolute() else base / candidate
        if path.exists():
            return path.resolve()
    tried = ", ".join(str(c if c.is_absolute() else base / c) for c in candidates)
    raise ConfigError(f"{what} not found", location=where, hint=f"looked for: {tried}")


def _slug(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", "-".join(p for p in parts if p)).strip("-.")


def _row_to_run(
    row: dict[str, str], line: int, path: Path, base: Path, dirs: PrototypeDirs
) -> dict[str, Any]:

    def at(column: str) -> SourceLocation:
        return SourceLocation(path, line, column)

    task_folder = row["task"].strip()
    dataset = _find(
        base,
        [dirs.datasets / task_folder / row["dataset"].strip(), Path(row["dataset"].strip())],
        f"dataset '{row['dataset']}'",
        at("dataset"),
    )
    prompts: dict[str, Any] = {}
    if row.get("prompt_collection", "").strip():
        name = row["prompt_collection"].strip()
        prompts["collection"] = _find(
            base,
            [dirs.prompt_collections / task_folder / name, Path(name)],
            f"prompt collection '{name}'",
            at("prompt_collection"),
        )
    if row.get("system_prompt", "").strip():
        name = row["system_prompt"].strip()
        prompts["system_file"] = _find(
            base, [dirs.system_prompts / name, Path(name)], f"system prompt '{name}'", at("system_prompt")
        )
    metrics = [m.strip().lower() for m in _list_literal(row.get("metrics", ""), at("metrics"))]
    aggregators = [
        canonical_aggregator(a.strip(), at("metrics_aggregators"))
        for a in _list_literal(row.get("metrics_aggregators", ""), at("metrics_aggregators"))
    ]
    filters = {
        "doc_class": [row.get("filter_doc_class", "").strip()]
        if row.get("filter_doc_class", "").strip()
        else [],
        "question_type": [row.get("filter_question_type", "").strip()]
        if row.get("filter_question_type", "").strip()
        else [],
    }
    model = row["model_name"].strip()
    run: dict[str, Any] = {
        "name": _slug(
            model,
            dataset.name,
            task_of_folder(task_folder),
            Path(row.get("prompt_collection", "")).stem,
            *filters["doc_class"],
        ),
        "task": task_of_folder(task_folder),
        "dataset": {"path": str(dataset), "filters": filters},
        "model": {"name": model, "backend": framework_backend(row["framework"], at("framework"))},
        "prompts": prompts,
        "only_evaluate": _bool(row.get("only_evaluate_metrics", ""), at("only_evaluate_metrics")),
        "prototype_csv": True,
    }
    if metrics:
        run["metrics"] = metrics
    if aggregators:
        run["aggregators"] = aggregators
    return run


def load_run_matrix(
    path: Path, *, catalogues: list[Path] | None = None, dirs: PrototypeDirs | None = None
) -> tuple[ExperimentConfig, dict[int, int]]:
    """Read a run-matrix CSV into an `ExperimentConfig`, plus run index → CSV line.

    Args:
        path: The CSV.
        catalogues: Extra model catalogue files.
        dirs: Where names are looked up; by default the folders of the checkout's
            ``VLMHyperBench_config.json`` above the CSV, else folders beside the CSV.
    """
    _, rows = read_semicolon_csv(path, required=REQUIRED, expected=RUN_MATRIX_COLUMNS, error=ConfigError)
    base = path.parent.resolve()
    if dirs is None:
        config = find_checkout_config(base)
        dirs = read_prototype_config(config) if config is not None else PrototypeDirs.beside(base)
    problems: list[Problem] = []
    runs: list[dict[str, Any]] = []
    lines: dict[int, int] = {}
    for line, row in rows:
        try:
            run = _row_to_run(row, line, path, base, dirs)
            RunConfig.model_validate(run)
        except ConfigError as exc:
            problems += exc.problems
            continue
        except ValidationError as exc:
            problems += problems_from_validation_error(
                exc,
                locate=lambda loc, at_key=False, ln=line: SourceLocation(
                    path, ln, FIELD_COLUMN.get(str(loc[0]), str(loc[0]))
                ),
            )
            continue
        lines[len(runs)] = line
        runs.append(run)
    if problems:
        raise ConfigError(problems=problems)
    if not runs:
        raise ConfigError("the run matrix has no rows", location=SourceLocation(path))
    _dedupe_names(runs)
    experiment = ExperimentConfig(
        name=_slug(path.stem) or "experiment",
        runs=runs,  # type: ignore[arg-type]
        catalogues=[*([dirs.vlm_base] if dirs.vlm_base else []), *(catalogues or [])],
    )
    return experiment, lines


def _dedupe_names(runs: list[dict[str, Any]]) -> None:
    seen: dict[str, int] = {}
    for run in runs:
        name = run["name"]
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            run["name"] = f"{name}-{seen[name]}"
