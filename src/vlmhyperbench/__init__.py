"""VLMHyperBench: evaluate vision-language models on documents.

The public API: `run_experiment` / `run_experiment_async` run a whole experiment;
`evaluate_answers` re-scores an answers file; `Sample` and `AnswerRecord` are the data.
"""

from .core import AnswerRecord, Sample, UserError

__version__ = "0.2.0"

__all__ = [
    "AnswerRecord",
    "Sample",
    "UserError",
    "__version__",
    "evaluate_answers",
    "run_experiment",
    "run_experiment_async",
]


def __getattr__(name: str) -> object:  # lazy: importing the package stays cheap
    if name in {"run_experiment", "run_experiment_async"}:
        from . import orchestrator

        return getattr(orchestrator, name)
    if name == "evaluate_answers":
        from .stages.evaluate import evaluate_answers

        return evaluate_answers
    raise AttributeError(name)
