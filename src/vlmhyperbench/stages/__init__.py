"""Stages: infer, evaluate, report. Each reads its run directory and writes only into it.

`STAGES` lists them in the order a run goes through them; the orchestrator and
``vlmhb stage`` know them only through the `Stage` protocol.
"""

from ..core import ConfigError
from ._base import Stage, StageContext, StageResult
from .evaluate import EvaluateStage
from .infer import InferStage
from .report import ReportStage

__all__ = ["STAGES", "Stage", "StageContext", "StageResult", "stage_named"]

STAGES: dict[str, Stage] = {s.name: s for s in (InferStage(), EvaluateStage(), ReportStage())}
"""Every stage by name, in run order."""


def stage_named(name: str) -> Stage:
    """The stage called ``name``.

    Raises:
        ConfigError: there is no such stage.
    """
    if name not in STAGES:
        raise ConfigError(f"unknown stage '{name}'", hint="stages: " + ", ".join(STAGES))
    return STAGES[name]
