"""Who may use the dashboard, and what never reaches the browser.

- The dashboard listens on 127.0.0.1 by default. Another address needs a token (``--token``
  or ``VLMHB_DASHBOARD_TOKEN``) or ``--read-only``; `check_bind` refuses otherwise.
- With a token, every request must carry it: ``Authorization: Bearer <token>``, or the
  ``vlmhb_dashboard_token`` cookie that ``/login?token=<token>`` sets (HttpOnly, SameSite=Strict).
  Tokens are compared in constant time.
- Read-only mode shows everything and changes nothing: queue actions answer 403. Actions
  also answer 403 to requests from other sites' pages (`require_writable`).
- Secrets: configs are shown with secret-looking values masked (`mask_secret_text`), and text
  from a run's process (its log) also has the values of secret-named environment variables
  (``OPENAI_API_KEY``, ``HF_TOKEN``...) masked. The environment itself is never rendered.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from html import escape
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ..core import ConfigError
from ..core.secrets import MASK, is_secret_key, mask_secret_text

__all__ = [
    "TOKEN_COOKIE",
    "TOKEN_ENV",
    "check_bind",
    "install_access",
    "is_loopback",
    "redact_text",
    "require_writable",
]

TOKEN_COOKIE = "vlmhb_dashboard_token"
TOKEN_ENV = "VLMHB_DASHBOARD_TOKEN"
_OPEN_PATHS = ("/login",)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine (127.0.0.0/8, ::1, ``localhost``)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None, read_only: bool) -> None:
    """Refuse to serve a non-loopback ``host`` without a token or read-only mode.

    Raises:
        ConfigError: ``host`` is reachable from other machines and nothing guards it.
    """
    if is_loopback(host) or token or read_only:
        return
    raise ConfigError(
        f"--host {host} makes the dashboard reachable from other machines, and it can start and "
        "stop experiments",
        hint=f"pass --token <secret> (or set {TOKEN_ENV}) so that only holders of the token get in, "
        "or --read-only to serve pages without any action; the default --host 127.0.0.1 needs neither",
    )


def redact_text(text: str) -> str:
    """``text`` (a config, a log) with secret-looking values and secret env values masked."""
    text = mask_secret_text(text)
    for name, value in os.environ.items():
        if len(value) >= 4 and is_secret_key(name) and value in text:
            text = text.replace(value, MASK)
    return text


def require_writable(request: Request) -> None:
    """A route dependency of every action: 403 in read-only mode, and for a request that does not
    come from the dashboard's own pages.

    A page of another site open in the same browser can send a form to ``127.0.0.1`` (no token
    guards the default address), or reach it under its own name (DNS rebinding); an action could
    then start an experiment that installs packages. So an action's ``Origin`` must be the
    dashboard itself, and on a loopback address its ``Host`` must be a loopback name.

    Raises:
        HTTPException: read-only mode, or a cross-site request.
    """
    if getattr(request.app.state, "read_only", False):
        raise HTTPException(
            403, "the dashboard is read-only (--read-only): the queue cannot be changed from here"
        )
    host = request.headers.get("host", "")
    origin = request.headers.get("origin")
    if request.headers.get("sec-fetch-site") == "cross-site" or (
        origin is not None and urlsplit(origin).netloc != host
    ):
        raise HTTPException(
            403, "cross-site request refused: actions must come from the dashboard's own pages"
        )
    bound = getattr(request.app.state, "bind_host", "127.0.0.1")
    if is_loopback(bound) and not is_loopback(urlsplit(f"//{host}").hostname or ""):
        raise HTTPException(
            403, f"the dashboard listens on {bound}: an action sent to host '{host}' is refused"
        )


class _TokenGate:
    """ASGI middleware: only requests carrying the token get through (``/login`` aside)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode("utf-8")

    def _allowed(self, request: Request) -> bool:
        auth = request.headers.get("authorization", "")
        scheme, _, given = auth.partition(" ")
        candidates = [given.strip()] if scheme.lower() == "bearer" else []
        candidates.append(request.cookies.get(TOKEN_COOKIE, ""))
        return any(c and hmac.compare_digest(c.encode("utf-8"), self.token) for c in candidates)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if request.url.path in _OPEN_PATHS or self._allowed(request):
            await self.app(scope, receive, send)
            return
        response = _refused(request)
        await response(scope, receive, send)


def _refused(request: Request) -> Response:
    if "text/html" in request.headers.get("accept", ""):
        return HTMLResponse(_LOGIN_PAGE.format(message=""), status_code=401)
    return JSONResponse(
        {
            "detail": "this dashboard needs its token: Authorization: Bearer <token>, or open /login?token=<token>"
        },
        status_code=401,
        headers={"WWW-Authenticate": "Bearer"},
    )


_LOGIN_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>VLMHyperBench dashboard: token</title>
</head><body><main><h1>This dashboard needs its token</h1><p>{message}</p>
<form method="get" action="/login"><label>Token <input type="password" name="token" autofocus></label>
<button type="submit">Open</button></form>
<p>The token is the one the dashboard was started with (<code>--token</code> or <code>VLMHB_DASHBOARD_TOKEN</code>).</p>
</main></body></html>"""


def install_access(app: FastAPI, settings: Any) -> None:
    """Guard ``app`` as ``settings`` says (its ``token`` and ``read_only``); call in `create_app`.

    Adds the token middleware and ``/login`` when there is a token, and records read-only mode
    in ``app.state.read_only`` (read by `require_writable` and the templates).
    """
    token: str | None = getattr(settings, "token", None)
    app.state.read_only = bool(getattr(settings, "read_only", False))
    app.state.bind_host = str(getattr(settings, "host", "127.0.0.1"))
    if not token:
        return
    app.add_middleware(_TokenGate, token=token)
    expected = token.encode("utf-8")

    @app.get("/login", include_in_schema=False)
    def login(token: str = "", next: str = "/") -> Response:
        if not hmac.compare_digest(token.encode("utf-8"), expected):
            message = "That token is not this dashboard's." if token else ""
            return HTMLResponse(_LOGIN_PAGE.format(message=escape(message)), status_code=401)
        target = next if next.startswith("/") and not next.startswith("//") else "/"
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        return response
