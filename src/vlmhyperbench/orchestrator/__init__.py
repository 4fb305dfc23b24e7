"""Orchestrator: plan runs from a config, execute them, compare them."""

from ..core.events import Event, EventSink
from .planner import ExperimentPlan, PlannedRun, plan_experiment
from .runner import ExperimentResult, RunOutcome, run_experiment, run_experiment_async, run_plan

__all__ = [
    "Event",
    "EventSink",
    "ExperimentPlan",
    "ExperimentResult",
    "PlannedRun",
    "RunOutcome",
    "plan_experiment",
    "run_experiment",
    "run_experiment_async",
    "run_plan",
]
