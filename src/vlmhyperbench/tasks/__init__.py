"""Tasks: what is asked of the model, its default prompt, parser and metrics."""

from ._base import PARSE_PROMPT, ParsedAnswer, Task, parse_json_answer, tasks

__all__ = ["PARSE_PROMPT", "ParsedAnswer", "Task", "parse_json_answer", "tasks"]
