"""`PromptManager`: the system and user prompt for each sample, and why.

Resolution order for the user prompt: the run's fixed override (or a built-in prompt
chosen by name, `BUILTIN_PROMPTS`) → the mapping
(prompt collection) by ``"<doc_class> <question_type>"``, then by ``"<doc_class>"`` →
the task's default template, which uses the dataset question. Templates are Jinja2
(sandboxed, undefined variables are errors) over the sample: ``question``,
``doc_class``, ``question_type``, ``task``, ``split``, ``id``, ``fields`` (keys only
are safe to show), ``json_schema``, ``metadata``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from ..core import ConfigError, PromptRecord, PromptSpec, Sample, SourceLocation
from ..tasks import Task
from ._builtin import builtin_prompt
from ._collections import load_prompt_collection

__all__ = ["PromptManager", "make_prompt_spec"]


def _json_filter(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
_env.filters["json"] = _json_filter


def make_prompt_spec(
    *,
    system: str | None = None,
    user: str | None = None,
    collection: Path | None = None,
    mapping: dict[str, str] | None = None,
    builtin: str | None = None,
    builtin_location: SourceLocation | None = None,
) -> PromptSpec:
    """Resolve the run's prompt settings (loading a collection file) into a `PromptSpec`.

    ``builtin`` names a built-in prompt; its user and system prompts fill in the ones not
    given, and answers record ``builtin:<name>`` as the source of the user prompt.

    Raises:
        ConfigError: an unknown built-in prompt, a missing collection file, a template
            that is not valid Jinja2.
    """
    merged: dict[str, str] = {}
    source = None
    user_source = None
    if builtin is not None:
        chosen = builtin_prompt(builtin, builtin_location)
        if user is None:
            user, user_source = chosen.user, f"builtin:{chosen.name}"
        system = system if system is not None else chosen.system
    if collection is not None:
        loaded, collection_system = load_prompt_collection(collection)
        merged.update(loaded)
        source = str(collection)
        system = system if system is not None else collection_system
    merged.update({" ".join(k.split()): v for k, v in (mapping or {}).items()})
    for name, template in [("system", system), ("user", user), *merged.items()]:
        if template is not None:
            _compile(template, name)
    # user_source joins the hash only when set, so older runs keep their fingerprint
    parts: list[object] = [system, user, merged, *([user_source] if user_source else [])]
    payload = json.dumps(parts, ensure_ascii=False, sort_keys=True)
    digest = "sha256:" + hashlib.sha256(payload.encode()).hexdigest()[:16]
    return PromptSpec(
        system=system,
        user=user,
        mapping=merged,
        mapping_source=source,
        user_source=user_source,
        fingerprint=digest,
    )


def _compile(template: str, name: str) -> Any:
    try:
        return _env.from_string(template)
    except TemplateError as exc:
        raise ConfigError(
            f"prompt template '{name}' is not valid Jinja2: {exc}", hint="escape literal braces as {{ '{{' }}"
        ) from None


class PromptManager:
    """Renders the prompts of each sample from a `PromptSpec` and the run's task."""

    def __init__(self, spec: PromptSpec, task: Task) -> None:
        self.spec = spec
        self.task = task
        self._cache: dict[str, Any] = {}

    def _render(self, template: str, name: str, sample: Sample) -> str:
        compiled = self._cache.get(template)
        if compiled is None:
            compiled = self._cache[template] = _compile(template, name)
        context = {
            "id": sample.id,
            "question": sample.question,
            "doc_class": sample.doc_class,
            "question_type": sample.question_type,
            "task": sample.task,
            "split": sample.split,
            "fields": sample.fields or {},
            "json_schema": sample.json_schema,
            "metadata": sample.metadata,
        }
        try:
            return str(compiled.render(**context)).strip()
        except TemplateError as exc:
            raise ConfigError(
                f"prompt template '{name}' failed for sample '{sample.id}': {exc}",
                hint="available variables: " + ", ".join(context),
            ) from None

    def resolve(self, sample: Sample) -> PromptRecord:
        """The prompts sent for ``sample`` and the rule that chose the user prompt."""
        system = self._render(self.spec.system, "system", sample) if self.spec.system else None
        if self.spec.user is not None:
            return PromptRecord(
                system=system,
                user=self._render(self.spec.user, "user", sample),
                source=self.spec.user_source or "override",
            )
        for key in (f"{sample.doc_class} {' '.join(sample.question_type.split())}", sample.doc_class):
            template = self.spec.mapping.get(key)
            if template is not None:
                where = self.spec.mapping_source or "mapping"
                return PromptRecord(
                    system=system,
                    user=self._render(template, key, sample),
                    source=f"collection:{Path(where).name}:{key}",
                )
        source = "question" if sample.question.strip() else "task_default"
        return PromptRecord(
            system=system, user=self._render(self.task.default_prompt, self.task.name, sample), source=source
        )
