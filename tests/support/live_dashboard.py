"""The dashboard served for real (uvicorn in a thread, a free port of 127.0.0.1), for tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from vlmhyperbench.dashboard.app import DashboardSettings, create_app
from vlmhyperbench.dashboard.db import open_index

__all__ = ["CHROMIUM", "LiveDashboard", "wait_for"]

CHROMIUM = "/usr/bin/chromium"
"""Debian's Chromium, which the browser tests drive (never a browser Playwright downloads)."""


class LiveDashboard:
    """`create_app` served by uvicorn in a thread on a free port of 127.0.0.1; ``db`` is a SQLite
    file or a database URL."""

    def __init__(self, runs_dir: Path, db: Path | str, **settings: Any) -> None:
        index = open_index(runs_dir, db if isinstance(db, str) else f"sqlite:///{db}")
        settings = {"refresh_interval_s": 0.5, **settings}
        self.app = create_app(DashboardSettings(runs_dir=runs_dir, **settings), index)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(self.app, log_level="warning", timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "the dashboard did not start"
            time.sleep(0.02)
        self.client = httpx.Client(base_url=self.url, timeout=30)

    def stop(self) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(15)
        self.app.state.index.close()

    def submit(self, text: str, filename: str = "exp.yaml") -> httpx.Response:
        return self.client.post("/queue", files={"file": (filename, text.encode(), "application/yaml")})

    def items(self) -> list[dict[str, Any]]:
        response = self.client.get("/api/queue")
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]


def wait_for(what: str, check: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
