"""``report.html``: one page that works offline, from its folder, with no CDN.

Plotly draws the charts. Its 4.8 MB JavaScript bundle is put once per folder, as
``plotly-<version>.min.js`` next to the page (`plotly_js_file`), and the page loads it
with a relative ``<script src>``; each figure is a ``<div>`` plus a small script. That file
is a hard link to the installed plotly package's bundle, so every report shares one copy on
disk while each folder still holds the whole file (a folder copied elsewhere still opens).
Thumbnails are JPEG data URIs. Jinja2 autoescapes every value, so model answers
(untrusted) cannot inject markup.
"""

from __future__ import annotations

import base64
import functools
import io
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup
from PIL import Image, ImageOps

from ..core import AggregateRow, atomic_write_text
from ._model import RunReport, WorstSample, report_writers
from ._stats import fmt_ci, fmt_num, fmt_time, fmt_with_ci, timing_note

if TYPE_CHECKING:
    from plotly.graph_objects import Figure

__all__ = [
    "HtmlReport",
    "Thumbnail",
    "environment",
    "figure_html",
    "make_thumbnail",
    "plotly_js_file",
    "plotly_package_js",
]

logger = logging.getLogger(__name__)

THUMB_WIDTH = 240
"""Largest thumbnail width in pixels."""
_THUMB_MAX_HEIGHT = 480
_PLOT_CONFIG = {"displaylogo": False, "responsive": True}
_IMAGE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError)
"""What Pillow raises for a missing, truncated, unknown or oversized image."""


@dataclass(frozen=True, slots=True)
class Thumbnail:
    """A small JPEG of a page as a ``data:`` URI, or why there is none."""

    data_uri: str | None
    note: str = ""


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja2 environment for the report templates (autoescape on)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("vlmhyperbench.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = fmt_num
    env.globals["with_ci"] = fmt_with_ci
    env.globals["ci"] = fmt_ci
    env.filters["time"] = fmt_time
    env.globals["timing_note"] = timing_note
    return env


@functools.lru_cache(maxsize=1)
def _plotly_bundle() -> tuple[str, str, int]:
    """File name, text and UTF-8 size of the bundle."""
    from plotly.offline import get_plotlyjs, get_plotlyjs_version

    text = get_plotlyjs()
    return f"plotly-{get_plotlyjs_version()}.min.js", text, len(text.encode("utf-8"))


def plotly_package_js() -> Path:
    """The plotly.js bundle file of the installed plotly package (what `plotly_js_file` links)."""
    return Path(str(resources.files("plotly").joinpath("package_data").joinpath("plotly.min.js")))


_WRITTEN: dict[int, Path] = {}
"""A bundle this process had to copy, by file system (``st_dev``): the next folders there link
to it rather than copy again."""


def plotly_js_file(folder: Path) -> str:
    """Put the plotly.js bundle into ``folder`` unless it is there; return its file name.

    A page in ``folder`` loads it with ``<script src="NAME">``: it works offline, from
    disk, as long as the folder travels whole. The name carries the plotly.js version,
    so a page never loads a bundle older or newer than the figures it was written for.
    The file is a hard link to the installed plotly package's bundle (`plotly_package_js`):
    one copy on disk for every report. Where no link can be made (another file system, a
    package file the user may not link), it is copied once and later folders on that file
    system link to that copy.
    """
    name, text, size = _plotly_bundle()
    path = Path(folder) / name
    if path.is_file() and path.stat().st_size == size:
        return name
    path.parent.mkdir(parents=True, exist_ok=True)
    device = path.parent.stat().st_dev
    for source in (plotly_package_js(), _WRITTEN.get(device)):
        if source is not None and _link(source, path, size):
            return name
    atomic_write_text(path, text)
    _WRITTEN[device] = path
    return name


def _link(source: Path, path: Path, size: int) -> bool:
    """Hard-link ``source`` (when it has the bundle's size) to ``path``, replacing it atomically."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.link")
    try:
        if source.stat().st_size != size:
            return False
        tmp.unlink(missing_ok=True)
        os.link(source, tmp)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        return False
    return True


def figure_html(fig: Figure) -> Markup:
    """A figure as a ``<div>`` and script that expect plotly.js already on the page."""
    import plotly.io as pio

    fig.update_layout(template="plotly_white", margin={"l": 50, "r": 20, "t": 50, "b": 50})
    text = pio.to_html(
        fig, include_plotlyjs=False, full_html=False, config=_PLOT_CONFIG, default_height="340px"
    )
    return Markup(text)


def make_thumbnail(path: str | Path | None, width: int = THUMB_WIDTH) -> Thumbnail:
    """Downscale the image at ``path`` to at most ``width`` pixels wide, as a JPEG data URI."""
    if path is None:
        return Thumbnail(None, "no image")
    if not Path(path).is_file():
        return Thumbnail(None, "image not found")
    try:
        with Image.open(path) as img:
            img.seek(0)
            page = ImageOps.exif_transpose(img).convert("RGB")
    except _IMAGE_ERRORS as exc:  # a bad page image must not stop the report
        logger.warning("cannot read image %s: %s", path, exc)
        return Thumbnail(None, "image could not be read")
    page.thumbnail((width, _THUMB_MAX_HEIGHT))
    buf = io.BytesIO()
    page.save(buf, format="JPEG", quality=80)
    return Thumbnail("data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii"))


def _doc_class_charts(report: RunReport) -> list[Markup]:
    """One bar chart per metric: its mean (and pooled value) per document class."""
    import plotly.graph_objects as go

    classes = [r.group.get("doc_class", "") or "(none)" for r in report.by_doc_class]
    charts: list[Markup] = []
    for metric in report.metrics if report.by_doc_class else []:
        fig = go.Figure()
        series = [("mean", [r.values.get(metric.name) for r in report.by_doc_class])]
        if metric.pooled:
            series.append(("pooled", [r.pooled.get(metric.name) for r in report.by_doc_class]))
        for label, values in series:
            fig.add_bar(
                x=classes, y=values, name=label, text=[fmt_num(v) for v in values], textposition="auto"
            )
        better = "higher" if metric.higher_is_better else "lower"
        title = f"{metric.name}@{metric.version} by document class ({better} is better)"
        fig.update_layout(title=title, barmode="group", yaxis_title=metric.name)
        charts.append(figure_html(fig))
    return charts


def _latency_chart(report: RunReport) -> Markup | None:
    hist = report.performance.latency_histogram
    if hist is None:
        return None
    import plotly.graph_objects as go

    bins = list(zip(hist.edges[:-1], hist.edges[1:], strict=True))
    centers = [(a + b) / 2 for a, b in bins]
    widths = [max(b - a, 1e-9) for a, b in bins]
    fig = go.Figure(go.Bar(x=centers, y=hist.counts, width=widths, name="requests"))
    fig.update_layout(
        title="Request latency (successful requests)",
        xaxis_title="latency, s",
        yaxis_title="requests",
        bargap=0.02,
    )
    return figure_html(fig)


def _worst_rows(samples: Sequence[WorstSample]) -> list[dict[str, Any]]:
    return [{"sample": w, "thumb": make_thumbnail(w.image)} for w in samples]


def _field_groups(report: RunReport) -> list[tuple[str, list[AggregateRow]]]:
    """``by_field`` rows grouped by document class, in first-seen order."""
    groups: dict[str, list[AggregateRow]] = {}
    for row in report.by_field:
        groups.setdefault(row.group.get("doc_class", ""), []).append(row)
    return list(groups.items())


def render_html(report: RunReport, plotly_src: str) -> str:
    """The whole HTML page for ``report``, loading plotly.js from ``plotly_src``."""
    perf = report.performance
    distributions = [
        (name, d)
        for name, d in (
            ("latency_s", perf.latency_s),
            ("ttft_s", perf.ttft_s),
            ("tpot_s", perf.tpot_s),
            ("output_tokens_per_s", perf.output_tokens_per_s),
        )
        if d is not None
    ]
    from ._benchmark import benchmark_html  # it renders with this module's environment
    from ._page_attributes import page_attributes_html  # likewise
    from ._robustness import robustness_html  # likewise

    return (
        environment()
        .get_template("report.html.j2")
        .render(
            report=report,
            benchmark_block=benchmark_html([report]),
            robustness_block=robustness_html(report),
            page_attributes_block=page_attributes_html(report),
            plotly_src=plotly_src,
            doc_class_charts=_doc_class_charts(report),
            latency_chart=_latency_chart(report),
            worst=_worst_rows(report.worst_samples),
            field_groups=_field_groups(report),
            distributions=distributions,
        )
    )


@report_writers.register("html", version="1.0.0")
class HtmlReport:
    """An offline HTML page with charts and thumbnails: ``report/report.html``.

    plotly.js goes next to it once (`plotly_js_file`), so the folder is what travels.
    """

    filename = "report.html"

    def write(self, report: RunReport, out_dir: Path) -> Path:
        """Write ``report.html`` (and the plotly.js bundle, if missing) into ``out_dir``."""
        path = out_dir / self.filename
        atomic_write_text(path, render_html(report, plotly_js_file(out_dir)))
        logger.debug("wrote %s", path)
        return path
