"""JSON Schema → Pydantic models, to validate structured answers.

A schema is turned into a Pydantic model once (cached by its canonical JSON) and the
answer is validated with it, so a structured answer is checked by the same library
that checks everything else here. Supported: ``type`` (object, array, string, number,
integer, boolean, null, or a list of them), ``properties``, ``required``,
``additionalProperties`` (bool), ``items``, ``enum``, ``const``, ``anyOf``/``oneOf``
(as a union), ``nullable``, ``$ref`` to ``#/$defs/...`` or ``#/definitions/...``,
``minLength``/``maxLength``/``pattern``, ``minimum``/``maximum``, ``minItems``/``maxItems``.
Anything else raises `UnsupportedSchema` naming the keyword, rather than being ignored.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

__all__ = ["UnsupportedSchema", "schema_errors", "schema_model"]

_IGNORED = {
    "title",
    "description",
    "examples",
    "default",
    "$schema",
    "$id",
    "$comment",
    "format",
    "$defs",
    "definitions",
    "readOnly",
    "writeOnly",
    "deprecated",
}
_HANDLED = {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "const",
    "anyOf",
    "oneOf",
    "nullable",
    "$ref",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minItems",
    "maxItems",
}


class UnsupportedSchema(ValueError):
    """The schema uses a keyword this converter does not implement (or is not a schema)."""


class _Builder:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.count = 0

    def ref(self, ref: str) -> dict[str, Any]:
        for prefix in ("#/$defs/", "#/definitions/"):
            if ref.startswith(prefix):
                target = self.root.get(prefix[2:-1], {}).get(ref[len(prefix) :])
                if isinstance(target, dict):
                    return target
        raise UnsupportedSchema(f"cannot resolve $ref {ref!r}")

    def build(self, schema: Any, name: str) -> Any:
        if schema is True or schema == {}:
            return Any
        if not isinstance(schema, dict):
            raise UnsupportedSchema(f"{name}: a schema must be an object, got {type(schema).__name__}")
        unknown = set(schema) - _IGNORED - _HANDLED
        if unknown:
            raise UnsupportedSchema(f"{name}: unsupported keyword(s) {', '.join(sorted(unknown))}")
        if "$ref" in schema:
            return self.build(self.ref(schema["$ref"]), name)
        if "const" in schema:
            return Literal[schema["const"]]
        if "enum" in schema:
            return Literal[tuple(schema["enum"])]
        if "anyOf" in schema or "oneOf" in schema:
            options: list[Any] = schema.get("anyOf") or schema.get("oneOf") or []
            return Union[tuple(self.build(o, f"{name}[{i}]") for i, o in enumerate(options))]  # noqa: UP007
        kind = schema.get("type")
        if isinstance(kind, list):
            return Union[tuple(self.build({**schema, "type": k}, name) for k in kind)]  # noqa: UP007
        built = self._typed(kind, schema, name)
        return Optional[built] if schema.get("nullable") else built  # noqa: UP045 (built at run time)

    def _typed(self, kind: Any, schema: dict[str, Any], name: str) -> Any:
        if kind == "object" or (kind is None and "properties" in schema):
            return self._object(schema, name)
        if kind == "array":
            item: Any = self.build(schema.get("items", True), f"{name}[]")
            bounds = Field(min_length=schema.get("minItems"), max_length=schema.get("maxItems"))
            return Annotated[list[item], bounds]
        if kind == "string":
            return Annotated[
                str,
                Field(
                    strict=True,
                    min_length=schema.get("minLength"),
                    max_length=schema.get("maxLength"),
                    pattern=schema.get("pattern"),
                ),
            ]
        if kind in ("number", "integer"):
            base = int if kind == "integer" else float
            return Annotated[
                base,
                Field(
                    strict=kind == "integer",
                    ge=schema.get("minimum"),
                    le=schema.get("maximum"),
                    gt=schema.get("exclusiveMinimum"),
                    lt=schema.get("exclusiveMaximum"),
                ),
            ]
        if kind == "boolean":
            return Annotated[bool, Field(strict=True)]
        if kind == "null":
            return type(None)
        if kind is None:
            return Any
        raise UnsupportedSchema(f"{name}: unknown type {kind!r}")

    def _object(self, schema: dict[str, Any], name: str) -> type[BaseModel]:
        self.count += 1
        required = set(schema.get("required", []))
        fields: dict[str, Any] = {}
        for key, sub in (schema.get("properties") or {}).items():
            annotation = self.build(sub, f"{name}.{key}")
            fields[f"f{len(fields)}"] = (annotation, Field(... if key in required else None, alias=key))
        config = ConfigDict(extra="forbid" if schema.get("additionalProperties") is False else "allow")
        model: type[BaseModel] = create_model(f"Schema{self.count}", __config__=config, **fields)
        return model


@lru_cache(maxsize=256)
def _model_for(canonical: str) -> Any:
    schema = json.loads(canonical)
    return _Builder(schema).build(schema, "$")


def schema_model(schema: dict[str, Any]) -> Any:
    """The Pydantic type that validates instances of ``schema`` (cached)."""
    return _model_for(json.dumps(schema, sort_keys=True))


def schema_errors(value: Any, schema: dict[str, Any]) -> list[str]:
    """Why ``value`` does not satisfy ``schema`` (empty when it does).

    Raises:
        UnsupportedSchema: the schema uses a keyword the converter does not implement.
    """
    adapter = _adapter(json.dumps(schema, sort_keys=True))
    try:
        adapter.validate_python(value)
    except ValidationError as exc:
        return [
            f"{'.'.join(str(p) for p in e['loc']) or '$'}: {e['msg']}" for e in exc.errors(include_url=False)
        ]
    return []


@lru_cache(maxsize=256)
def _adapter(canonical: str) -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(_model_for(canonical))
