"""The model catalogue: shipped entries, user YAML files and the prototype's CSV."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from ..core import ConfigError, SourceLocation, problems_from_validation_error, read_semicolon_csv
from ._yaml import load_yaml_with_locations
from .experiment import CatalogueEntry

__all__ = ["FRAMEWORKS", "builtin_catalogue_path", "load_catalogue", "load_catalogue_file"]

FRAMEWORKS = {
    "hugging face": "hf",
    "hugging_face": "hf",
    "huggingface": "hf",
    "hf": "hf",
    "vllm": "vllm",
    "sglang": "sglang",
    "openai": "openai",
    "tesseract": "tesseract",
}
"""The prototype's ``framework`` column → backend name."""

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


def builtin_catalogue_path() -> Path:
    """The catalogue shipped with the package."""
    return Path(str(resources.files("vlmhyperbench.config") / "models.yaml"))


def framework_backend(framework: str, where: SourceLocation) -> str:
    """Backend name for a prototype framework name."""
    key = " ".join(framework.strip().lower().split())
    if key not in FRAMEWORKS:
        raise ConfigError(
            f"unknown framework '{framework}'",
            location=where,
            hint="use one of: Hugging Face, vLLM, SGLang, OpenAI, Tesseract",
        )
    return FRAMEWORKS[key]


def _load_csv(path: Path) -> list[CatalogueEntry]:
    _, rows = read_semicolon_csv(
        path, required=("framework", "model_name"), expected=CSV_COLUMNS, error=ConfigError
    )
    entries = []
    for line, row in rows:
        backend = framework_backend(row["framework"], SourceLocation(path, line, "framework"))
        package = (row.get("git_python_package") or "").strip()
        entries.append(
            CatalogueEntry(
                name=row["model_name"].strip(),
                backend=backend,
                model_id=row["model_name"].strip(),
                family=(row.get("model_family") or "").strip() or None,
                docker_image=(row.get("docker_image") or "").strip() or None,
                requirements=[package] if package else [],
                metadata={
                    k: row[k] for k in ("framework", "python_package", "module", "class_name") if row.get(k)
                },
            )
        )
    return entries


def load_catalogue_file(path: Path) -> list[CatalogueEntry]:
    """Entries of one catalogue file: YAML/JSON ``models: [...]`` or the prototype CSV."""
    if not path.is_file():
        raise ConfigError(f"model catalogue not found: {path}", hint="check the path in 'catalogues'")
    if path.suffix.lower() == ".csv":
        return _load_csv(path)
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
        for entry in load_catalogue_file(path):
            catalogue[entry.name] = entry
    for entry in inline:
        catalogue[entry.name] = entry
    return catalogue
