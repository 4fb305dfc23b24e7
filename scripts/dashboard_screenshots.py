"""Screenshots of the dashboard's main pages for docs/dashboard.md, over real run folders.

Make the run folders first with the demo experiment, then point this script at them::

    .venv/bin/vlmhb run --output-dir /tmp/shots/runs          # the demo, ~2-4 min (Tesseract)
    .venv/bin/python scripts/dashboard_screenshots.py /tmp/shots/runs [--out docs/figures/dashboard]

It starts the real server (``vlmhb dashboard``, a free port, its index and queue in a
temporary cache folder), drives Debian's Chromium (``/usr/bin/chromium``) through Playwright at
1280 × 800 and writes one PNG per page, reduced to a 256-colour palette (Pillow) to keep each
file small (a page that stays over 190 KB, such as one with a photographed document, is
written as JPEG instead). For the queue page it queues a small valid config (OCR with
Tesseract on a demo dataset of one document per class, experiment ``demo-queued``), waits
until it is running, pastes an invalid config so the page shows the validation messages,
then cancels the item and removes the ``demo-queued`` folder it made in RUNS_DIR.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from PIL import Image
from playwright.sync_api import Page, sync_playwright
from sqlalchemy import select

from vlmhyperbench.dashboard import open_index
from vlmhyperbench.dashboard._diff import count_confusions
from vlmhyperbench.dashboard.db import Run, SampleRow

CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 800}
QUEUED = "demo-queued"
"""The experiment the queue page's example run writes (removed afterwards)."""
TASK_ORDER = ("vqa", "kie", "ocr", "parse")
"""Where to look first for a sample with a Latin/Cyrillic look-alike: short answers first."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def confused_sample(runs_dir: Path, db_url: str, experiment: str) -> tuple[str, str]:
    """``(run_id, sample_id)`` of a short answer with a Latin/Cyrillic look-alike (else any
    answer with a confusion, else the first answer)."""
    index = open_index(runs_dir, db_url)
    try:
        index.refresh()
        with index.session() as session:
            runs = session.scalars(select(Run).where(Run.experiment == experiment)).all()
            runs = sorted(runs, key=lambda r: TASK_ORDER.index(r.task) if r.task in TASK_ORDER else 99)
            fallback: tuple[str, str] | None = None
            for run in runs:
                rows = session.scalars(
                    select(SampleRow).where(SampleRow.run_pk == run.id).order_by(SampleRow.sample_id)
                )
                for row in rows:
                    counts = count_confusions(row.answer, row.references or [])
                    if counts.homoglyph and row.answer and len(row.answer) < 300:
                        return run.run_id, row.sample_id
                    if fallback is None and counts.total:
                        fallback = (run.run_id, row.sample_id)
            if fallback is None:
                first = session.execute(select(Run.run_id, SampleRow.sample_id).join(Run).limit(1)).one()
                fallback = (first[0], first[1])
            return fallback
    finally:
        index.close()


MAX_BYTES = 190 * 1024


def save(page: Page, out: Path, name: str) -> Path:
    """A viewport screenshot as a 256-colour PNG, or a JPEG when the PNG stays too large."""
    raw = out / f"{name}.raw.png"
    page.screenshot(path=str(raw))
    path = out / f"{name}.png"
    with Image.open(raw) as image:
        rgb = image.convert("RGB")
        rgb.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
        if path.stat().st_size > MAX_BYTES:
            path.unlink()
            path = out / f"{name}.jpg"
            rgb.save(path, quality=80, optimize=True)
    raw.unlink()
    for stale in (out / f"{name}.png", out / f"{name}.jpg"):
        if stale != path and stale.exists():
            stale.unlink()
    print(f"{path} ({path.stat().st_size // 1024} KB)")
    return path


def queue_config(name: str, dataset: Path) -> str:
    """A one-run OCR experiment on ``dataset`` (Tesseract, no model download)."""
    return (
        f"name: {name}\nruns:\n  - name: ocr-tesseract-rus-eng\n    task: ocr\n    dataset: {dataset}\n"
        f"    model: tesseract-rus-eng\n    metrics: [cer, wer]\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("runs_dir", type=Path, help="RUNS_DIR holding the demo experiment's runs")
    parser.add_argument("--experiment", default="demo")
    parser.add_argument("--out", type=Path, default=Path("docs/figures/dashboard"))
    parser.add_argument("--a", default="ocr-tesseract-rus-eng", help="run A of the comparison")
    parser.add_argument("--b", default="ocr-tesseract-eng", help="run B of the comparison")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    exp, runs_dir = args.experiment, args.runs_dir.resolve()
    cache = Path(tempfile.mkdtemp(prefix="vlmhb-shots-"))
    db_url = f"sqlite:///{cache / 'index.sqlite'}"
    run_id, sample_id = confused_sample(runs_dir, db_url, exp)
    small = cache / "small-demo"  # one document per class: the queued run is short
    subprocess.run(
        [sys.executable, "-m", "vlmhyperbench", "datasets", "make-demo", str(small), "--n-per-class", "1"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    queued_dir = runs_dir / QUEUED
    made_queued = not queued_dir.exists()
    port = free_port()
    env = {**os.environ, "VLMHB_CACHE_DIR": str(cache)}
    cmd = [
        sys.executable,
        "-m",
        "vlmhyperbench",
        "dashboard",
        str(runs_dir),
        "--db",
        db_url,
        "--port",
        str(port),
    ]
    server = subprocess.Popen(cmd, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline or server.poll() is not None:
                raise SystemExit("vlmhb dashboard did not start")
            time.sleep(0.3)
        a, b = f"{exp}/{args.a}", f"{exp}/{args.b}"
        samples = f"/runs/{exp}/{args.a}/samples"
        shots: list[tuple[str, str, Callable[[Page], None] | None]] = [
            ("experiments", "/", None),
            (
                "leaderboard",
                f"/leaderboard?experiment={exp}&metric=cer",
                lambda p: scroll_to(p, ".js-plotly-plot"),
            ),
            ("run", f"/runs/{exp}/{args.a}", None),
            ("samples", f"{samples}?doc_class=passport&metric=cer&min=0.05&sort=metric&order=desc", None),
            ("sample", f"/runs/{exp}/{run_id}/samples/{sample_id}", lambda p: scroll_to(p, ".diff")),
            ("compare", f"/compare?a={a}&b={b}&metric=cer&threshold=0.1", None),
            ("queue", "/queue", lambda p: fill_queue(p, small)),
        ]
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM)
            page = browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]
            for name, url, action in shots:
                page.goto(base + url, wait_until="networkidle")
                if action is not None:
                    action(page)
                page.wait_for_timeout(500)
                save(page, args.out, name)
            cancel_queued(page, base)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        if made_queued and queued_dir.exists():
            shutil.rmtree(queued_dir)


def scroll_to(page: Page, selector: str) -> None:
    """Scroll so that the first ``selector`` element is in view (charts: drawn first)."""
    element = page.locator(selector).first
    if element.count():
        element.scroll_into_view_if_needed()


def fill_queue(page: Page, dataset: Path) -> None:
    """Queue a small valid config, wait until it runs, then paste an invalid one."""
    page.fill("textarea[name=text]", queue_config(QUEUED, dataset))
    page.click("#queue-form button[type=submit]")
    page.wait_for_selector("[data-queue-item]")
    for second in range(1, 91):  # until its run shows live progress (answers/s, ETA)
        if "answers/s" in page.locator("[data-queue-item]").first.inner_text():
            break
        page.wait_for_timeout(1000)
        if second % 15 == 0:
            page.reload(wait_until="networkidle")
    invalid = queue_config(QUEUED, dataset).replace("[cer, wer]", "[cer, wr]")
    page.fill("textarea[name=text]", invalid)
    page.click("#queue-form button[type=submit]")
    page.wait_for_selector("#queue-errors")


def cancel_queued(page: Page, base: str) -> None:
    """Cancel every queue item still queued or running (the screenshot's run)."""
    for item in httpx.get(f"{base}/api/queue", timeout=10).json():
        if item["status"] in ("queued", "running"):
            response = page.request.post(f"{base}/queue/{item['id']}/cancel", headers={"Origin": base})
            print(f"cancelled queue item {item['id']}: {response.status}")


if __name__ == "__main__":
    main()
