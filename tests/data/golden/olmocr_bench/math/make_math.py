"""Regenerate math.json by running olmOCR-bench's own ``math`` test on every case below.

The checker is ``olmocr.bench.tests.MathTest`` of olmocr 0.4.27 (PyPI, Apache-2.0), which renders
with ``olmocr.bench.katex.render`` (KaTeX 0.16.21 in Playwright's Chromium). It is not kept here.
In a scratch venv, with Debian's Chromium installed (never `playwright install`):

    python -m venv /tmp/olmocr && /tmp/olmocr/bin/pip install 'olmocr[bench]==0.4.27' numpy
    /tmp/olmocr/bin/python tests/data/golden/olmocr_bench/math/make_math.py

Two patches, both here and only for this run: the official browser launch is pointed at
``$VLMHB_CHROMIUM`` (default ``/usr/bin/chromium``) instead of Playwright's own download, and its
equation cache (a SQLite file under ``~/.cache/olmocr``) is moved to a temporary file so no earlier
run's results are reused. For each case, math.json keeps the test, the page, and the official
``passed`` and ``explanation``; ``renders`` keeps, per formula the checker rendered, the official
MathML, error and span texts (positions depend on the machine's fonts, so they are not kept).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import tempfile
import weakref
from importlib.metadata import version
from pathlib import Path
from typing import Any

from olmocr.bench import tests as bench_tests
from olmocr.bench.katex import render
from playwright.sync_api import sync_playwright

HERE = Path(__file__).parent
CHROMIUM = os.environ.get("VLMHB_CHROMIUM", "/usr/bin/chromium")

# (id, reference LaTeX, page Markdown, ignore_dollar_delimited)
CASES: list[tuple[str, str, str, bool]] = [
    ("exact_inline", r"E = mc^2", "The energy is $E = mc^2$ as shown.", False),
    ("exact_after_strip", r"\frac{a}{b}", "Ratio:\n\n$$ \\frac{a}{b} $$\n", False),
    ("spacing_differs", r"\frac{a}{b}+c", "$$\\frac{a}{b} + c$$", False),
    ("frac_shorthand", r"\int_0^1 x\,dx = \frac{1}{2}", "\\[ \\int_0^1 x \\, dx = \\frac12 \\]", False),
    ("reordered_terms", r"a + b", "Sum: $$b + a$$", False),
    ("other_superscript", r"x^2 + y^2", "$$x^3 + y^2$$", False),
    ("sub_instead_of_sup_long", r"x_{ij} + y", "$$x^{ij} + y$$", False),
    ("fraction_vs_slash", r"\frac{1}{2}", "$$1/2$$", False),
    ("dfrac_vs_frac", r"\dfrac{a}{b}", "$$\\frac{a}{b}$$", False),
    ("fraction_swapped", r"\frac{a+1}{b}", "$$\\frac{b}{a+1}$$", False),
    (
        "cyrillic_around_inline",
        r"S=\pi r^2",
        "Площадь круга равна \\(S = \\pi r^{2}\\), где $r$ — радиус окружности.",
        False,
    ),
    (
        "cyrillic_in_formula",
        r"\text{скорость} = \frac{s}{t}",
        "Скорость:\n\n$$\\text{скорость}=\\frac{s}{t}$$",
        False,
    ),
    (
        "cyrillic_in_formula_differs",
        r"\text{скорость} = \frac{s}{t}",
        "$$\\text{время}=\\frac{s}{v}$$",
        False,
    ),
    ("ignore_dollar_with_dollars", r"a^2+b^2=c^2", "Теорема: $$a^2 + b^2 = c^2$$", True),
    ("ignore_dollar_with_brackets", r"a^2+b^2=c^2", "Теорема: \\[a^2 + b^2 = c^2\\]", True),
    # KaTeX writes a space as &nbsp;, which BeautifulSoup's XML parser drops, and with it the
    # &lt;/&gt; after it: the MathML step then finds "<" where the page has ">"
    ("nbsp_hides_operator", r"a\ <b", "Неравенство $$a\\ >b$$ неверно.", False),
    ("unicode_greek", r"\alpha + \beta", "$α + β$", False),
    ("part_of_longer", r"a^2+b^2", "$$a^2+b^2=c^2$$", False),
    ("longer_than_page", r"a^2+b^2=c^2", "$a^2+b^2$", False),
    (
        "one_of_many",
        r"\sum_{i=1}^{n} i = \frac{n(n+1)}{2}",
        "$x$, $y^2$, $$\\sum_{i=1}^n i=\\frac{n(n+1)}2$$, $z$",
        False,
    ),
    (
        "pmatrix_vs_bmatrix",
        r"\begin{pmatrix}1&0\\0&1\end{pmatrix}",
        "$$\\begin{bmatrix}1&0\\\\0&1\\end{bmatrix}$$",
        False,
    ),
    (
        "matrix_entries_swapped",
        r"\begin{pmatrix}1&2\\3&4\end{pmatrix}",
        "$$\\begin{pmatrix}2&1\\\\3&4\\end{pmatrix}$$",
        False,
    ),
    ("sqrt_scope", r"\sqrt{x+1}", "$$\\sqrt{x}+1$$", False),
    ("left_right_parens", r"\left( x+y \right)^2", "$$(x+y)^2$$", False),
    ("money_dollar_breaks_pairs", r"x+y", "Цена $5, а формула $x+y$.", False),
    ("unparsable_reference", r"\frac{a}{", "Любая формула: $x$", False),
    ("unparsable_reference_no_formula", r"\frac{a}{", "Формул нет.", False),
    ("unparsable_on_page", r"x^2", "$x^{2$", False),
    ("repeated_symbols", r"1+1+1=3", "$$1+1+1+1=4$$ and $$1+1+1=3$$", False),
    ("empty_page", r"x^2", "", False),
]


def _launch_debian_chromium(self: Any) -> None:
    """``render._BrowserOwner.__init__`` with ``executable_path`` added to the launch."""
    p = sync_playwright().start()
    b = p.chromium.launch(executable_path=CHROMIUM)
    self.p, self.browser, self._closed = p, b, False
    self._finalizer = weakref.finalize(self, render._cleanup_playwright, p, b)


def main() -> None:
    render._BrowserOwner.__init__ = _launch_debian_chromium  # type: ignore[method-assign]
    render.equation_cache = render.EquationCache(db_path=tempfile.mktemp(prefix="olmocr-math-", suffix=".db"))
    formulas: set[str] = set()
    official_render = bench_tests.render_equation

    def recording_render(latex: str, *args: Any, **kwargs: Any) -> Any:
        formulas.add(latex)
        return official_render(latex, *args, **kwargs)

    bench_tests.render_equation = recording_render  # see which formulas the checker renders
    rows = []
    for case_id, math, markdown, ignore_dollars in CASES:
        test = bench_tests.MathTest(
            pdf="golden.pdf",
            page=1,
            id=case_id,
            type="math",
            math=math,
            ignore_dollar_delimited=ignore_dollars,
        )
        passed, explanation = test.run(markdown)
        rows.append(
            {
                "id": case_id,
                "math": math,
                "markdown": markdown,
                "ignore_dollar_delimited": ignore_dollars,
                "passed": passed,
                "explanation": explanation,
            }
        )
    renders = {}
    for latex in sorted(formulas):
        eq = render.render_equation(latex, use_cache=False)
        renders[latex] = {"mathml": eq.mathml, "error": eq.error, "span_texts": [s.text for s in eq.spans]}
    chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    out = {
        "reference": f"olmocr {version('olmocr')} (olmocr.bench.tests.MathTest, olmocr.bench.katex.render)",
        "playwright": version("playwright"),
        "chromium": chromium,
        "python": platform.python_version(),
        "katex_sha256": {  # the KaTeX files of olmocr's wheel
            name: hashlib.sha256((Path(render.__file__).parent / name).read_bytes()).hexdigest()
            for name in ("katex.min.js", "katex.min.css")
        },
        "cases": rows,
        "renders": renders,
    }
    (HERE / "math.json").write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(rows)} cases, {sum(r['passed'] for r in rows)} pass; {len(renders)} formulas rendered")


if __name__ == "__main__":
    main()
