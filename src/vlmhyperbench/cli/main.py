"""The ``vlmhb`` command: assembles the command groups."""

from __future__ import annotations

import typer

from ._help import HelpGroup
from .benchmarks import benchmarks_app
from .dashboard import dashboard
from .evaluate import evaluate, report
from .export import export_app
from .perf import perf
from .registries import datasets_app, executors_app, metrics_app, models_app, packages_app, tasks_app
from .run import infer, run
from .serve import serve
from .stage import stage
from .validate import validate

__all__ = ["app"]

app = typer.Typer(
    name="vlmhb",
    help="VLMHyperBench: evaluate vision-language models on documents — accuracy, speed, weight.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    cls=HelpGroup,
)
app.command()(run)
app.command()(infer)
app.command()(evaluate)
app.command()(report)
app.command()(validate)
app.command()(perf)
app.command()(stage)
app.command()(serve)
app.command()(dashboard)
app.add_typer(export_app, name="export")
app.add_typer(benchmarks_app, name="benchmarks")
app.add_typer(datasets_app, name="datasets")
app.add_typer(models_app, name="models")
app.add_typer(metrics_app, name="metrics")
app.add_typer(tasks_app, name="tasks")
app.add_typer(executors_app, name="executors")
app.add_typer(packages_app, name="packages")
