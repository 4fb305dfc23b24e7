"""LaTeX rendered by KaTeX in headless Chromium: the innermost text boxes and the MathML.

olmOCR-bench's ``math`` test (olmocr 0.4.27, ``olmocr/bench/katex/render.py``) renders each
formula with KaTeX 0.16.21 in display mode, 24 px, centred in an 800×400 page, reads every leaf
``<span>`` with visible text and its box, and KaTeX's MathML. We lay out the same page (same
style, same KaTeX files injected as text, so KaTeX's fonts are not loaded there either and the
browser's serif stands in, as in the official run), so the boxes are the same numbers.

Unlike the official code, which opens a fresh page and injects KaTeX for every formula (~0.8 s
each), one browser and one page with KaTeX loaded serve the whole process: the page is cleared
and reused. Playwright's synchronous API is bound to the thread that started it, so one worker
thread owns the browser and every call, from any thread or from inside an asyncio loop, is
queued to it. The browser is ``$VLMHB_CHROMIUM``, else ``chromium`` on PATH (Debian's package);
Playwright only drives it (``playwright install`` is never needed). It is closed at exit.
"""

from __future__ import annotations

import atexit
import importlib
import os
import queue
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from ..core.errors import MissingDependency
from ._katex_assets import katex_assets

__all__ = ["CHROMIUM_ENV", "KatexRenderer", "RenderedEquation", "Span", "chromium_path", "render_equation"]

CHROMIUM_ENV = "VLMHB_CHROMIUM"
_EXTRA_HINT = "pip install 'vlmhyperbench[parse]' (it drives your system Chromium: no `playwright install`)"
_BROWSER_HINT = (
    f"install Chromium (Debian/Ubuntu: `apt-get install chromium`) or set {CHROMIUM_ENV} to a Chromium or "
    "Chrome binary"
)

_PAGE = """<!DOCTYPE html>
<html>
<head>
<style>
body { display: flex; justify-content: center; align-items: center; height: 100vh; margin: 0;
       background-color: white; color: black; }
#equation-container { padding: 0; font-size: 24px; }
</style>
</head>
<body><div id="equation-container"></div></body>
</html>"""

_RENDER = """(latex) => {
  const box = document.getElementById("equation-container");
  box.textContent = "";
  try {
    katex.render(latex, box, {displayMode: true, throwOnError: true});
  } catch (error) {
    return {error: String(error && error.message !== undefined ? error.message : error)};
  }
  const spans = [];
  for (const span of document.querySelectorAll("span")) {
    if (span.children.length === 0 && /\\S/.test(span.textContent)) {
      const r = span.getBoundingClientRect();
      spans.push([span.textContent.trim(), r.x, r.y, r.width, r.height]);
    }
  }
  const math = document.querySelector(".katex-mathml math");
  return {mathml: math ? math.outerHTML : "", spans: spans};
}"""

T = TypeVar("T")


@dataclass(frozen=True)
class Span:
    """A leaf element of KaTeX's HTML output: its trimmed text and its box in CSS pixels."""

    text: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class RenderedEquation:
    """What KaTeX made of one formula, or why it could not."""

    mathml: str
    """KaTeX's MathML (``<math>…</math>`` as the browser serialises it); "" on error."""
    spans: tuple[Span, ...]
    """Leaf spans with visible text, in document order; empty on error."""
    error: str | None = None
    """KaTeX's message when it refused the formula (``throwOnError``)."""


def chromium_path() -> str:
    """The browser to drive: ``$VLMHB_CHROMIUM``, else ``chromium`` (or ``chromium-browser``) on PATH.

    Raises:
        MissingDependency: the variable names no executable file, or no Chromium is installed.
    """
    given = os.environ.get(CHROMIUM_ENV)
    if given:
        if not (os.path.isfile(given) and os.access(given, os.X_OK)):
            raise MissingDependency(
                f"{CHROMIUM_ENV}={given} is not an executable file",
                hint=f"set {CHROMIUM_ENV} to a Chromium or Chrome binary, or unset it to use `chromium` on PATH",
            )
        return given
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise MissingDependency(
        "the math test renders formulas with KaTeX in headless Chromium, and no Chromium was found",
        hint=_BROWSER_HINT,
    )


class KatexRenderer:
    """One headless Chromium with KaTeX loaded in one page, driven by one worker thread.

    Started on the first `render`; `close` (also run at exit) stops it, and a later `render`
    starts it again. Safe to call from any number of threads: calls are served one at a time.
    """

    def __init__(self, executable: str | None = None) -> None:
        """A renderer driving ``executable``; by default `chromium_path()` when it starts."""
        self._executable = executable
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]] | None] | None = None
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._state: dict[str, Any] = {}  # Playwright's objects: touched by the worker thread only
        atexit.register(self.close)

    def render(self, latex: str) -> RenderedEquation:
        """Render ``latex`` as olmOCR-bench does; a formula KaTeX refuses comes back with ``error`` set.

        Raises:
            MissingDependency: Playwright or Chromium is missing.
            UserError: KaTeX 0.16.21 cannot be had (see `katex_assets`).
        """
        return self._call(lambda: self._render_here(latex))

    def close(self) -> None:
        """Close the browser and stop the worker thread (a no-op when not started)."""
        with self._lock:
            jobs, thread = self._jobs, self._thread
            self._jobs = self._thread = None
        if jobs is None or thread is None or self._pid != os.getpid():
            return
        done: Future[None] = Future()
        jobs.put((self._shut_here, done))
        jobs.put(None)
        thread.join(timeout=30)

    def _call(self, job: Callable[[], T]) -> T:
        with self._lock:
            if self._jobs is None or self._pid != os.getpid():  # not started, closed, or forked
                self._jobs = queue.SimpleQueue()
                self._pid = os.getpid()
                self._state = {}
                self._thread = threading.Thread(
                    target=_serve, args=(self._jobs,), name="vlmhb-katex", daemon=True
                )
                self._thread.start()
            jobs = self._jobs
        done: Future[T] = Future()
        jobs.put((job, done))
        return done.result()

    def _render_here(self, latex: str) -> RenderedEquation:
        try:
            out = self._page_here().evaluate(_RENDER, latex)
        except Exception as err:
            # Playwright's error (a crashed page or browser): start again, once
            if not isinstance(err, self._state.get("Error", ())):
                raise
            self._shut_here()
            out = self._page_here().evaluate(_RENDER, latex)
        if "error" in out:
            return RenderedEquation(mathml="", spans=(), error=out["error"])
        spans = tuple(Span(t, float(x), float(y), float(w), float(h)) for t, x, y, w, h in out["spans"])
        return RenderedEquation(mathml=out["mathml"], spans=spans)

    def _page_here(self) -> Any:
        page = self._state.get("page")
        if page is not None and not page.is_closed():
            return page
        self._shut_here()
        try:
            sync_api = importlib.import_module("playwright.sync_api")
        except ImportError:
            raise MissingDependency(
                "the math test needs the Python package playwright to drive Chromium", hint=_EXTRA_HINT
            ) from None
        self._state["Error"] = sync_api.Error
        executable = self._executable or chromium_path()
        assets = katex_assets()
        playwright = sync_api.sync_playwright().start()
        self._state["playwright"] = playwright
        try:
            browser = playwright.chromium.launch(executable_path=executable, headless=True)
        except sync_api.Error as err:
            self._shut_here()
            raise MissingDependency(
                f"Chromium at {executable} did not start: {str(err).splitlines()[0]}", hint=_BROWSER_HINT
            ) from None
        self._state["browser"] = browser
        page = browser.new_context(viewport={"width": 800, "height": 400}).new_page()
        page.set_content(_PAGE)
        page.add_style_tag(content=assets.css)
        page.add_script_tag(content=assets.js)
        if not page.evaluate("typeof katex !== 'undefined'"):
            self._shut_here()
            raise RuntimeError(f"KaTeX from {assets.folder} did not load in Chromium at {executable}")
        self._state["page"] = page
        return page

    def _shut_here(self) -> None:
        browser, playwright = self._state.pop("browser", None), self._state.pop("playwright", None)
        self._state.pop("page", None)  # "Error" stays: Playwright's exception class
        for stop in (browser.close if browser else None, playwright.stop if playwright else None):
            if stop is not None:
                try:
                    stop()
                except Exception:  # noqa: BLE001  (closing a browser that already died)
                    pass


def _serve(jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]] | None]) -> None:
    while (item := jobs.get()) is not None:
        job, done = item
        if done.set_running_or_notify_cancel():
            try:
                done.set_result(job())
            except BaseException as err:  # noqa: BLE001  (handed to the caller's thread)
                done.set_exception(err)


_DEFAULT = KatexRenderer()


@lru_cache(maxsize=8192)
def render_equation(latex: str) -> RenderedEquation:
    """``latex`` rendered by the process's shared browser (cached per formula).

    Raises:
        MissingDependency: Playwright or Chromium is missing (the extra to install is named).
        UserError: KaTeX 0.16.21 cannot be had.
    """
    return _DEFAULT.render(latex)
