"""The browser tab the dashboard's browser tests drive."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.live_dashboard import CHROMIUM, LiveDashboard


@pytest.fixture
def page(dashboard: LiveDashboard) -> Iterator[Any]:
    """A 1400 × 1000 tab of headless Chromium, opened once the test module's ``dashboard`` fixture
    is serving and closed before it stops. The test fails if a page it opened had a JavaScript
    error: an uncaught exception, or an error logged to the console (a failed fetch, a bad script)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            tab = browser.new_page(viewport={"width": 1400, "height": 1000})
            problems: list[str] = []
            tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            tab.on("pageerror", lambda exc: problems.append(str(exc)))
            yield tab
            assert not problems, problems
        finally:
            browser.close()
