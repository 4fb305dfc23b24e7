"""``vlmhb models|metrics|tasks|executors|packages list``, ``executors cache|prune``, ``datasets ...``.

Names in these tables are never cut; long descriptions fold (`name_table`).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer
from rich.table import Table

from ..aggregators import aggregators
from ..backends import backends
from ..config import load_catalogue
from ..datasets import dataset_loaders, load_dataset
from ..metrics import metrics
from ..tasks import tasks
from ._common import console, friendly_errors, name_table

__all__ = ["datasets_app", "executors_app", "metrics_app", "models_app", "packages_app", "tasks_app"]

models_app = typer.Typer(help="Model backends and the model catalogue.", no_args_is_help=True)
metrics_app = typer.Typer(help="Metrics and aggregators.", no_args_is_help=True)
tasks_app = typer.Typer(help="Tasks (ocr, vqa, kie...).", no_args_is_help=True)
datasets_app = typer.Typer(
    help="Dataset layouts, import of public benchmarks, validation and the demo dataset.",
    no_args_is_help=True,
)
executors_app = typer.Typer(help="Executors: local, venv, docker, apptainer.", no_args_is_help=True)
packages_app = typer.Typer(
    help="The package registry (dependencies injected at start).", no_args_is_help=True
)


@models_app.command("list")
@friendly_errors
def models_list(
    catalogue: list[Path] | None = typer.Option(
        None, "--catalogue", "-c", help="Extra catalogue file (YAML or CSV)."
    ),
) -> None:
    """Registered backends and catalogue entries."""
    rows = [(entry.name, entry.version or "", entry.origin) for entry in backends]
    console.print(name_table("backends", ("name", "version", "from"), rows, whole=2))
    entries = [
        (item.name, item.backend, item.model_id or "", item.description)
        for item in load_catalogue(list(catalogue or [])).values()
    ]
    columns = ("name", "backend", "model id", "description")
    console.print(name_table("model catalogue", columns, entries, whole=2))


@metrics_app.command("list")
@friendly_errors
def metrics_list() -> None:
    """Registered metrics (name@version) and aggregators."""
    rows = [
        (
            entry.name,
            entry.version or "",
            "higher" if entry.obj.higher_is_better else "lower",
            ", ".join(f"{k}={f.default!r}" for k, f in entry.obj.model_fields.items()),
            entry.description,
        )
        for entry in metrics
    ]
    columns = ("name", "version", "better", "options", "description")
    console.print(name_table("metrics", columns, rows, whole=3))
    named = [(aggregator.name, aggregator.description) for aggregator in aggregators]
    console.print(name_table("aggregators", ("name", "description"), named))


@tasks_app.command("list")
@friendly_errors
def tasks_list() -> None:
    """Registered tasks with their default metrics."""
    rows = [(entry.name, ", ".join(entry.obj.default_metrics), entry.description) for entry in tasks]
    console.print(name_table("tasks", ("name", "default metrics", "description"), rows))


@datasets_app.command("list")
@friendly_errors
def datasets_list() -> None:
    """Dataset layouts (loaders) and the shipped demo dataset."""
    from .._paths import demo_dataset_path
    from ..datasets.sources import source_formats

    rows = [(entry.name, entry.obj.annotation_name, entry.description) for entry in dataset_loaders]
    console.print(name_table("dataset layouts", ("name", "annotation file", "description"), rows, whole=2))
    formats = [(entry.name, entry.obj.expects, entry.description) for entry in source_formats]
    console.print(
        name_table(
            "source formats (vlmhb datasets import)", ("name", "expects", "description"), formats, whole=1
        )
    )
    console.print(f"demo dataset: {demo_dataset_path()}")


@datasets_app.command("validate")
@friendly_errors
def datasets_validate(
    path: Path = typer.Argument(..., help="Dataset folder."),
    layout: str = typer.Option("auto", help="auto, prototype_csv or jsonl."),
) -> None:
    """Check every row and image of a dataset; print a summary."""
    data = load_dataset(path, layout=layout)
    console.print(
        f"[green]ok[/]: {len(data.samples)} samples, layout {data.layout}, fingerprint {data.fingerprint}"
    )
    for attribute in ("task", "doc_class", "split"):
        counts = Counter(getattr(s, attribute) for s in data.samples)
        console.print(f"  {attribute}: " + ", ".join(f"{k or '—'}={v}" for k, v in sorted(counts.items())))


@datasets_app.command("make-demo")
@friendly_errors
def datasets_make_demo(
    out: Path = typer.Argument(..., help="Folder to write the dataset into."),
    seed: int | None = typer.Option(None, help="Random seed (default: the shipped dataset's)."),
    n_per_class: int = typer.Option(8, help="Documents per document class."),
    omnidocbench: bool = typer.Option(
        False,
        "--omnidocbench",
        help="Write only the Russian page-parsing pages, in OmniDocBench's layout "
        "(OmniDocBench.json + images/), which `datasets import --format omnidocbench` reads.",
    ),
) -> None:
    """Render the synthetic Russian/English demo documents with full ground truth."""
    from rich.progress import Progress

    from ..datasets.demo import DEMO_SEED, generate_demo, generate_omnidocbench

    if omnidocbench:
        console.print(f"wrote {generate_omnidocbench(out, seed=seed)}")
        return

    with Progress(console=console) as bar:
        task = bar.add_task("rendering", total=None)
        path = generate_demo(
            out,
            seed=DEMO_SEED if seed is None else seed,
            n_per_class=n_per_class,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    console.print(f"wrote {path}")


@executors_app.command("list")
@friendly_errors
def executors_list() -> None:
    """Executors: where a run's stages can execute (``executor.kind``)."""
    from ..envs import executors

    rows = [("inline", "(built in)", "in the orchestrator's own process: no isolation (debugging)")]
    rows += [(entry.name, entry.origin, entry.description) for entry in executors]
    console.print(name_table("executors", ("name", "origin", "description"), rows))


def _ago(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit} ago"
    return "just now"


@executors_app.command("cache")
@friendly_errors
def executors_cache() -> None:
    """What the executors keep in the cache folder: environments, wheels, images, page cache."""
    import time

    from rich.filesize import decimal

    from .._paths import cache_dir
    from ..envs.cache import cache_folders, cached_items

    console.print(f"cache folder: {cache_dir()} (set VLMHB_CACHE_DIR to move it)")
    now = time.time()
    rows = [
        (
            item.kind,
            item.path.name,
            decimal(item.size_bytes),
            _ago(now - item.last_used),
            "ready" if item.complete else "unfinished",
            " ".join(item.requirements[1:]) or ("(the project only)" if item.kind == "venv" else ""),
        )
        for item in cached_items()
    ]
    columns = ("kind", "id", "size", "last used", "state", "installs")
    console.print(name_table("environments and wheels (vlmhb executors prune)", columns, rows, whole=2))
    folders = cache_folders()
    table = Table(title="folders", title_justify="left")
    table.add_column("folder")
    table.add_column("size", justify="right")
    for name, size in folders.items():
        table.add_row(name, decimal(size))
    table.add_row("[bold]total[/]", f"[bold]{decimal(sum(folders.values()))}[/]")
    console.print(table)


@executors_app.command("prune")
@friendly_errors
def executors_prune(
    older_than: float = typer.Option(
        30.0, "--older-than", min=0.0, help="Remove environments and wheels unused for this many days."
    ),
    everything: bool = typer.Option(
        False, "--all", help="Remove every environment and wheel (not while runs are going on)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", "-n", help="Only list what would be removed."),
) -> None:
    """Free disk: remove cached venvs and project wheels unused for a while, and unfinished builds."""
    from rich.filesize import decimal

    from ..envs.cache import cached_items, prune

    removed, busy = prune(
        cached_items(), older_than_s=None if everything else older_than * 86400, dry_run=dry_run
    )
    verb = "would remove" if dry_run else "removed"
    for item in removed:
        state = "" if item.complete else " (unfinished)"
        console.print(f"{verb} {item.kind} {item.path}{state}: {decimal(item.size_bytes)}")
    for item in busy:
        console.print(f"[yellow]skipped[/] {item.kind} {item.path}: being built right now")
    total = sum(item.size_bytes for item in removed)
    console.print(f"{verb} {len(removed)} item(s), {decimal(total)}")


@packages_app.command("list")
@friendly_errors
def packages_list(
    folder: list[Path] = typer.Argument(None, help="Package registry folders (default: ./packages)."),
    run_mode: str | None = typer.Option(None, "--run-mode", help="prod or dev (default: $RUN_MODE, prod)."),
) -> None:
    """Packages of a package registry and what each installs in the current run mode."""
    from ..envs.packages import PackageRegistry, run_mode_from_env

    mode = run_mode or run_mode_from_env()
    registry = PackageRegistry.load(folder or [Path("packages")], mode)
    rows = [
        (definition.name, " ".join(registry.install_item(definition.name).args()), definition.description)
        for definition in registry
    ]
    console.print(name_table(f"packages ({mode})", ("name", "installs", "description"), rows))
