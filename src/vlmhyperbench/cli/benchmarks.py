"""``vlmhb benchmarks list|show`` and ``vlmhb datasets import|info``."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from ..benchmarks import benchmarks
from ..core import DatasetError
from ..datasets import load_dataset
from ..datasets.sources import IMPORT_REPORT, ImportReport, ReadOptions, import_source, source_formats
from ._common import console, friendly_errors, name_table
from .registries import datasets_app

__all__ = ["benchmarks_app"]

benchmarks_app = typer.Typer(
    help="Public document benchmarks as presets (benchmark: NAME in a run).", no_args_is_help=True
)


@benchmarks_app.command("list")
@friendly_errors
def benchmarks_list() -> None:
    """Every preset: task, formats, headline metric, splits."""
    rows = [
        (
            entry.name,
            entry.obj.task,
            entry.obj.headline.name,
            ", ".join(entry.obj.splits),
            ", ".join(entry.obj.formats),
            entry.obj.title,
        )
        for entry in benchmarks
    ]
    columns = ("name", "task", "reports", "splits", "formats", "title")
    console.print(name_table("benchmarks (vlmhb benchmarks show NAME)", columns, rows, whole=2))


@benchmarks_app.command("show")
@friendly_errors
def benchmarks_show(name: str = typer.Argument(..., help="A preset name (vlmhb benchmarks list).")) -> None:
    """Everything a preset sets: source, licence, formats, prompt, metric, rule, published scores."""
    b = benchmarks.get(name)
    console.print(f"[bold]{escape(b.title)}[/] ([cyan]{b.name}[/], version {b.version})")
    if b.description:
        console.print(escape(b.description))
    table = Table(show_header=False, box=None, padding=(0, 1))
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    metrics = [m if isinstance(m, str) else json.dumps(m, ensure_ascii=False) for m in b.metrics]
    for key, value in (
        ("homepage", b.homepage),
        ("licence", b.licence),
        ("task", b.task),
        ("formats", ", ".join(b.formats)),
        ("splits", ", ".join(b.splits) + (f" (default {b.default_split})" if b.default_split else "")),
        ("subsets", ", ".join(b.subsets) + (f" (default {b.default_subset})" if b.default_subset else "")),
        ("prompt", repr(b.prompt)),
        ("prompt from", b.prompt_source),
        ("metrics", ", ".join(metrics)),
        ("reports", f"{b.headline.name}: {b.headline.describe()}"),
        ("generation", json.dumps(dict(b.generation)) if b.generation else ""),
        ("notes", b.notes),
    ):
        if value:
            table.add_row(key, escape(value))
    console.print(table)
    if b.published:
        rows = [(p.model, f"{p.value:g}", p.split, p.source, p.note) for p in b.published]
        console.print(name_table("published scores", ("model", "score", "split", "source", "note"), rows))
    for fmt in b.formats:
        console.print(f"  format [cyan]{fmt}[/] expects {escape(source_formats.get(fmt).expects)}")


@datasets_app.command("import")
@friendly_errors
def datasets_import(
    source: Path = typer.Argument(..., help="The downloaded benchmark: a folder or a file."),
    format_name: str = typer.Option(..., "--format", "-f", help="Source format (vlmhb datasets list)."),
    out: Path = typer.Option(..., "--out", "-o", help="New folder for the native dataset."),
    split: str | None = typer.Option(None, help="Split to import (val, test...)."),
    subset: str | None = typer.Option(None, help="Configuration or subset (e.g. an HF config folder)."),
    limit: int | None = typer.Option(None, min=1, help="Import only the first N questions."),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Leave out invalid rows (listed in import.json) instead of failing."
    ),
    dpi: int | None = typer.Option(
        None,
        min=36,
        max=1200,
        help="PDF pages are rendered at this resolution (default: the format's; pdf: 144).",
    ),
    pages: str | None = typer.Option(None, help="PDF page ranges, 1-based: 1-3,5."),
) -> None:
    """Convert a public benchmark into the native layout (images extracted once, by content hash)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    options = ReadOptions(split=split, subset=subset, dpi=dpi, pages=pages)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("reading", total=None)
        report = import_source(
            format_name,
            source,
            out,
            options,
            limit=limit,
            skip_invalid=skip_invalid,
            progress=lambda n: bar.update(task, description=f"read {n} rows"),
        )
    console.print(
        f"[green]imported[/] {report.samples} samples, {report.images} images "
        f"({report.image_bytes / 1e6:.1f} MB) into {out} in {report.seconds:.1f} s"
    )
    if report.skipped:
        console.print(f"[yellow]skipped[/] {report.skipped} invalid rows (listed in {out / IMPORT_REPORT})")
    _print_counts(report.counts)


def _print_counts(counts: dict[str, dict[str, int]]) -> None:
    for attribute in ("split", "doc_class", "question_type", "task"):
        values = counts.get(attribute) or {}
        shown = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
        more = f", ... ({len(shown) - 12} more)" if len(shown) > 12 else ""
        console.print(f"  {attribute}: " + ", ".join(f"{k or '—'}={v}" for k, v in shown[:12]) + more)


@datasets_app.command("info")
@friendly_errors
def datasets_info(path: Path = typer.Argument(..., help="Dataset folder.")) -> None:
    """Counts by split, doc class, question type and task; where an imported dataset came from."""
    data = load_dataset(path, check_images=False)
    console.print(
        f"{data.root}: {len(data.samples)} samples, layout {data.layout}, fingerprint {data.fingerprint}"
    )
    images = {img for s in data.samples for img in s.images}
    console.print(f"  images: {len(images)} distinct")
    counts = {
        attribute: dict(Counter(str(getattr(s, attribute)) for s in data.samples))
        for attribute in ("split", "doc_class", "question_type", "task")
    }
    _print_counts(counts)
    report_file = data.root / IMPORT_REPORT
    if report_file.is_file():
        try:
            report = ImportReport.model_validate_json(report_file.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise DatasetError(f"{report_file} is not a valid import report: {exc}") from None
        part = ", ".join(f"{k} {v}" for k, v in (("split", report.split), ("subset", report.subset)) if v)
        console.print(f"  imported from {report.source} ({report.format}{', ' + part if part else ''})")
        if report.skipped:
            console.print(f"  [yellow]{report.skipped} invalid source rows were left out[/]")
