"""olmOCR-bench's math test: KaTeX in headless Chromium, equal to olmocr 0.4.27 per test.

math.json is made by tests/data/golden/olmocr_bench/math/make_math.py with the official checker.
Tests that need the browser skip where Playwright or Chromium is missing, and fail on CI.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import stat
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ON_CI
from vlmhyperbench.core.errors import MissingDependency, UserError
from vlmhyperbench.metrics import _katex, _katex_assets, _katex_render
from vlmhyperbench.metrics._katex import find_equations, math_test_passes, render_equation, same_formula
from vlmhyperbench.metrics._katex_render import KatexRenderer, RenderedEquation, Span

GOLDEN = json.loads(
    (Path(__file__).parents[2] / "data/golden/olmocr_bench/math/math.json").read_text(encoding="utf-8")
)
CASES = {case["id"]: case for case in GOLDEN["cases"]}


@pytest.fixture(scope="module")
def browser() -> None:
    """Playwright, Chromium and KaTeX 0.16.21 (fetched once into the user's cache), or a skip (CI: a failure)."""
    try:
        render_equation("x")
    except (MissingDependency, UserError) as err:
        message = f"the math test cannot render here: {err}"
        if ON_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_math_test_equals_olmocr(browser: None, case_id: str) -> None:
    case = CASES[case_id]
    got = math_test_passes(
        case["math"], case["markdown"], ignore_dollar_delimited=case["ignore_dollar_delimited"]
    )
    assert got == (case["passed"], case["explanation"])


def test_our_katex_is_the_one_in_olmocrs_wheel() -> None:
    assert GOLDEN["katex_sha256"] == _katex_assets.FILE_SHA256


def test_golden_covers_both_outcomes_and_the_quirks() -> None:
    assert 15 <= len(CASES) <= 30
    assert {c["passed"] for c in CASES.values()} == {True, False}
    assert CASES["unparsable_reference"]["passed"] is True  # a reference KaTeX refuses matches any formula
    assert CASES["money_dollar_breaks_pairs"]["passed"] is False
    assert CASES["nbsp_hides_operator"]["passed"] is True  # decided by the MathML step alone


@pytest.mark.parametrize("latex", sorted(GOLDEN["renders"]))
def test_rendering_equals_olmocr(browser: None, latex: str) -> None:
    """Same MathML, same error, same leaf spans as olmocr's renderer (positions: machine fonts)."""
    want = GOLDEN["renders"][latex]
    got = render_equation(latex)
    if want["error"] is not None:
        assert (got.mathml, got.spans, got.error) == ("", (), want["error"])
    else:
        assert (got.mathml, got.error) == (want["mathml"], None)
        assert [s.text for s in got.spans] == want["span_texts"]


def test_find_equations_order_and_dollar_pairs() -> None:
    page = "a $x$ b \\(y\\) c $$z$$ d \\[w\\] e"
    assert find_equations(page) == ["y", "w", "z", "x"]
    assert find_equations(page, ignore_dollar_delimited=True) == ["y", "w"]
    assert find_equations("Цена $5, а формула $x+y$.") == ["5, а формула"]
    assert find_equations("$$\n a \n$$") == ["a"]
    assert find_equations("") == []


_SERIAL = iter(range(10**6))


def _eq(*spans: tuple[str, float, float], mathml: str | None = None) -> RenderedEquation:
    """Spans 10×20 px at (x, y); MathML unique unless given, so that only the layout decides."""
    mathml = f"<math><mi>{next(_SERIAL)}</mi></math>" if mathml is None else mathml
    return RenderedEquation(mathml=mathml, spans=tuple(Span(t, x, y, 10.0, 20.0) for t, x, y in spans))


def test_layout_match_needs_neighbours_kept() -> None:
    """No browser: characters on one row must keep their left/right neighbours."""
    ab = _eq(("ab", 0, 0))  # one span, cut into a at x=5 and b at x=10 (centres)
    assert same_formula(_eq(("a", 0, 0), ("b", 5, 0)), ab)
    assert not same_formula(_eq(("b", 0, 0), ("a", 5, 0)), ab)
    assert same_formula(_eq(("a", 0, 0)), ab)  # a part of the candidate
    assert not same_formula(ab, _eq(("a", 0, 0)))
    # a superscript more than 5 px above its base is no neighbour: it only has to exist
    assert same_formula(_eq(("x", 0, 0), ("2", 10, -8)), _eq(("x", 0, 0), ("2", 10, 8)))
    assert same_formula(_eq(("\u200b", 0, 0), ("x", 10, 0)), _eq(("x", 40, 40)))  # a lone zero-width space


def test_mathml_containment_decides_first() -> None:
    sem = '<math><semantics><mrow><mi>a</mi></mrow><annotation encoding="application/x-tex">{}</annotation></semantics></math>'
    assert same_formula(_eq(("q", 0, 0), mathml=sem.format("a")), _eq(mathml=sem.format("other tex")))


def test_search_budget_gives_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lone, equal characters with no neighbours and one missing: the search tries every mapping."""
    ref = _eq(*[("1", 100.0 * k, 30.0 * k) for k in range(8)])
    hyp = _eq(*[("1", 100.0 * k, 30.0 * k) for k in range(7)])
    assert not same_formula(ref, hyp)
    ref7 = _eq(*[("1", 100.0 * k, 30.0 * k) for k in range(7)])
    assert same_formula(ref7, hyp)
    monkeypatch.setattr(_katex, "SEARCH_BUDGET", 3)
    assert not same_formula(ref7, _eq(*[("1", 100.0 * k, 30.0 * k) for k in reversed(range(7))]))


def test_renderer_is_thread_safe(browser: None) -> None:
    formulas = [f"x_{{{k}}}^{{{k}}}" for k in range(24)]
    expected = [render_equation(f) for f in formulas]
    results: list[RenderedEquation | None] = [None] * len(formulas)

    def work(k: int) -> None:
        results[k] = _katex_render._DEFAULT.render(formulas[k])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(formulas))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == expected


def test_renders_from_inside_an_event_loop(browser: None) -> None:
    """Playwright's sync API refuses a thread with a running loop; the worker thread has none."""
    import asyncio

    async def inside() -> RenderedEquation:
        return _katex_render._DEFAULT.render("y^3")

    assert asyncio.run(inside()).mathml == render_equation("y^3").mathml


def test_vlmhb_chromium_takes_effect(browser: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "launched"
    wrapper = tmp_path / "my-chromium"
    wrapper.write_text(f'#!/bin/sh\necho "$@" > {marker}\nexec {_katex_render.chromium_path()} "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("VLMHB_CHROMIUM", str(wrapper))
    renderer = KatexRenderer()
    try:
        assert renderer.render("a+b").mathml == render_equation("a+b").mathml
    finally:
        renderer.close()
    assert "--headless" in marker.read_text()


def test_a_browser_that_died_is_started_again(
    browser: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pids = tmp_path / "pids"
    wrapper = tmp_path / "chromium"
    wrapper.write_text(f'#!/bin/sh\necho $$ >> {pids}\nexec {_katex_render.chromium_path()} "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("VLMHB_CHROMIUM", str(wrapper))
    renderer = KatexRenderer()
    try:
        first = renderer.render("a+b")
        os.kill(int(pids.read_text().split()[0]), signal.SIGKILL)
        time.sleep(0.5)
        assert renderer.render("a+b") == first
    finally:
        renderer.close()
    assert len(pids.read_text().split()) == 2


def test_vlmhb_chromium_not_a_program(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VLMHB_CHROMIUM", str(tmp_path / "nowhere"))
    with pytest.raises(MissingDependency, match=r"VLMHB_CHROMIUM=.*nowhere is not an executable file"):
        _katex_render.chromium_path()


def test_no_chromium_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VLMHB_CHROMIUM", raising=False)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(MissingDependency, match="no Chromium was found") as err:
        _katex_render.chromium_path()
    assert "apt-get install chromium" in str(err.value) and "VLMHB_CHROMIUM" in str(err.value)


def test_no_playwright_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)  # import fails
    renderer = KatexRenderer()
    try:
        with pytest.raises(MissingDependency, match="playwright") as err:
            renderer.render("x")
    finally:
        renderer.close()
    assert "pip install 'vlmhyperbench[parse]'" in str(err.value)


def test_vlmhb_katex_dir_takes_effect(browser: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = _katex_assets.katex_assets().folder
    good = tmp_path / "dist"
    good.mkdir()
    for name in _katex_assets.FILE_SHA256:
        shutil.copy(real / name, good / name)
    monkeypatch.setenv("VLMHB_KATEX_DIR", str(good))
    assert _katex_assets.katex_assets().folder == good
    (good / "katex.min.js").write_text("/* KaTeX 0.16.4 */", encoding="utf-8")
    with pytest.raises(UserError, match=r"VLMHB_KATEX_DIR=.*is not katex\.min\.js of KaTeX 0\.16\.21"):
        _katex_assets.katex_assets()


@pytest.fixture
def fake_registry() -> Iterator[str]:
    """An npm registry on localhost that serves a tarball that is not KaTeX's."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"not katex" if self.path == "/katex/-/katex-0.16.21.tgz" else b""
            self.send_response(200 if body else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_download_checks_integrity(
    fake_registry: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VLMHB_KATEX_DIR", raising=False)
    monkeypatch.setenv("VLMHB_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("VLMHB_NPM_REGISTRY", fake_registry)
    with pytest.raises(UserError, match=r"is not katex@0\.16\.21 as published") as err:
        _katex_assets.katex_assets()
    assert "npm pack katex@0.16.21" in str(err.value)
    assert not (tmp_path / "katex-0.16.21").exists()
    monkeypatch.setenv("VLMHB_NPM_REGISTRY", fake_registry + "/missing")
    with pytest.raises(UserError, match=r"could not download KaTeX 0\.16\.21"):
        _katex_assets.katex_assets()


def test_download_from_the_registry(browser: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real tarball: checked, unpacked into the cache with its licence."""
    monkeypatch.delenv("VLMHB_KATEX_DIR", raising=False)
    monkeypatch.delenv("VLMHB_NPM_REGISTRY", raising=False)
    monkeypatch.setenv("VLMHB_CACHE_DIR", str(tmp_path))
    assets = _katex_assets.katex_assets()
    assert assets.folder == tmp_path / "katex-0.16.21"
    assert sorted(os.listdir(assets.folder)) == ["LICENSE", "katex.min.css", "katex.min.js"]
    assert 'version:"0.16.21"' in assets.js
