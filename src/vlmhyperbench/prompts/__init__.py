"""Prompts: collections (prototype CSV, YAML) and the per-sample `PromptManager`."""

from ._collections import load_prompt_collection, prompt_formats
from ._manager import PromptManager, make_prompt_spec

__all__ = ["PromptManager", "load_prompt_collection", "make_prompt_spec", "prompt_formats"]
