"""The model catalogue: shipped entries, user YAML files and the prototype's ``vlm_base.csv``."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from ..core import ConfigError, SourceLocation, problems_from_validation_error, read_semicolon_csv
from ._yaml import load_yaml_with_locations
from .experiment import CatalogueEntry

__all__ = [
    "CSV_COLUMNS",
    "FRAMEWORKS",
    "builtin_catalogue_path",
    "hub_id",
    "load_catalogue",
    "load_catalogue_file",
]

FRAMEWORKS = {
    "Hugging Face": "hf",
    "vLLM": "vllm",
    "SGLang": "sglang",
    "OpenAI": "openai",
    "Tesseract": "tesseract",
}
"""The prototype's ``framework`` column → backend name. Case, spaces and underscores do
not matter (``Hugging_Face``, ``HuggingFace``), and a backend name is accepted as is."""

CSV_COLUMNS = (
    "framework",
    "model_family",
    "model_name",
    "docker_image",
    "git_python_package",
    "python_package",
    "module",
    "class_name",
)
"""The prototype's ``vlm_base.csv`` header, in its order; other columns are ignored."""
CSV_METADATA = ("framework", "git_python_package", "python_package", "module", "class_name")
"""Columns about the prototype's own model classes, which VLMHyperBench's backends do not
use: kept in the entry's ``metadata``."""

HUB_ORGANISATIONS = {"Qwen2-VL": "Qwen", "Qwen2.5-VL": "Qwen"}
"""``model_family`` → the Hub organisation its prototype model class loads from: the
prototype's ``model_qwen2-vl`` and ``model_qwen2.5-vl`` classes load ``Qwen/<model_name>``."""


def builtin_catalogue_path() -> Path:
    """The catalogue shipped with the package."""
    return Path(str(resources.files("vlmhyperbench.config") / "models.yaml"))


def _framework_key(name: str) -> str:
    return "".join(name.lower().replace("_", " ").split())


_BACKEND_BY_KEY = {
    **{backend: backend for backend in FRAMEWORKS.values()},
    **{_framework_key(name): backend for name, backend in FRAMEWORKS.items()},
}


def framework_backend(framework: str, where: SourceLocation) -> str:
    """Backend name for a prototype framework name."""
    key = _framework_key(framework)
    if key not in _BACKEND_BY_KEY:
        raise ConfigError(
            f"unknown framework '{framework}'",
            location=where,
            hint="use one of: " + ", ".join(FRAMEWORKS),
        )
    return _BACKEND_BY_KEY[key]


def hub_id(model_family: str, model_name: str) -> str:
    """The Hub id the prototype loads for a ``vlm_base.csv`` row.

    ``Qwen/<model_name>`` for the Qwen2-VL and Qwen2.5-VL families (what the prototype's
    model classes do); a name that already holds ``/``, or of another family, is kept.
    """
    organisation = HUB_ORGANISATIONS.get(model_family.strip())
    if organisation is None or "/" in model_name:
        return model_name
    return f"{organisation}/{model_name}"


def _load_csv(path: Path, known: Mapping[str, CatalogueEntry]) -> list[CatalogueEntry]:
    """``vlm_base.csv`` rows; a model already known for the same backend keeps that entry's
    model id, options and requirements, and takes the row's family and image."""
    _, rows = read_semicolon_csv(
        path, required=("framework", "model_name"), expected=CSV_COLUMNS, error=ConfigError
    )
    entries = []
    for line, row in rows:
        cells = {k: (v or "").strip() for k, v in row.items()}
        backend = framework_backend(cells["framework"], SourceLocation(path, line, "framework"))
        name, family = cells["model_name"], cells.get("model_family", "")
        metadata = {k: cells[k] for k in CSV_METADATA if cells.get(k)}
        base = known.get(name)
        if base is None or base.backend != backend:
            base = CatalogueEntry(name=name, backend=backend, model_id=hub_id(family, name))
        update: dict[str, object] = {"metadata": {**base.metadata, **metadata}}
        if family:
            update["family"] = family
        if cells.get("docker_image"):
            update["docker_image"] = cells["docker_image"]
        entries.append(base.model_copy(update=update))
    return entries


def load_catalogue_file(
    path: Path, known: Mapping[str, CatalogueEntry] | None = None
) -> list[CatalogueEntry]:
    """Entries of one catalogue file: YAML/JSON ``models: [...]`` or the prototype CSV.

    Args:
        path: The file.
        known: Entries a ``vlm_base.csv`` row of the same name and backend builds on
            (default: the shipped catalogue).
    """
    if not path.is_file():
        raise ConfigError(f"model catalogue not found: {path}", hint="check the path in 'catalogues'")
    if path.suffix.lower() == ".csv":
        if known is None:
            known = {e.name: e for e in load_catalogue_file(builtin_catalogue_path())}
        return _load_csv(path, known)
    data, locate = load_yaml_with_locations(path)
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        raise ConfigError(
            "expected a mapping with a 'models' list",
            location=SourceLocation(path),
            hint="see docs/configuration.md, 'Model catalogue'",
        )
    entries, problems = [], []
    for index, item in enumerate(data["models"]):
        try:
            entries.append(CatalogueEntry.model_validate(item))
        except ValidationError as exc:
            problems += problems_from_validation_error(
                exc, locate=lambda loc, at_key=False, i=index: locate(("models", i, *loc), at_key)
            )
    if problems:
        raise ConfigError(problems=problems)
    return entries


def load_catalogue(extra: list[Path] = (), inline: list[CatalogueEntry] = ()) -> dict[str, CatalogueEntry]:  # type: ignore[assignment]
    """Shipped entries, then each extra file, then inline ones; later ones win by name."""
    catalogue: dict[str, CatalogueEntry] = {}
    for path in [builtin_catalogue_path(), *extra]:
        for entry in load_catalogue_file(path, known=dict(catalogue)):
            catalogue[entry.name] = entry
    for entry in inline:
        catalogue[entry.name] = entry
    return catalogue
