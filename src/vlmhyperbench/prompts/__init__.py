"""Prompts: collections (prototype CSV, YAML) and the per-sample `PromptManager`."""

from ._builtin import BUILTIN_PROMPTS, BuiltinPrompt, builtin_prompt
from ._collections import load_prompt_collection, prompt_formats
from ._manager import PromptManager, make_prompt_spec

__all__ = [
    "BUILTIN_PROMPTS",
    "BuiltinPrompt",
    "PromptManager",
    "builtin_prompt",
    "load_prompt_collection",
    "make_prompt_spec",
    "prompt_formats",
]
