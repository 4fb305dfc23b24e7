"""``vlmhb serve``: the API Wrapper, an OpenAI-compatible server with per-request telemetry."""

from __future__ import annotations

import asyncio
import json
import logging
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

from pydantic import ValidationError
from typer import Option

from ..backends import ModelBackend
from ..config import CatalogueEntry, load_catalogue
from ..core import ConfigError, SourceLocation, UserError, problems_from_validation_error
from ._common import err_console, friendly_errors, require_extra, setup_logging

__all__ = ["serve"]

logger = logging.getLogger(__name__)

LOG_LEVELS = ("debug", "info", "warning", "error")


class ServeBackend(str, Enum):
    """How the model is reached."""

    hf = "hf"
    proxy = "proxy"


SERVE_MODULES = {"fastapi": "fastapi", "uvicorn": "uvicorn", "prometheus_client": "prometheus-client"}
"""What the API Wrapper imports (module → distribution), all in the ``serve`` extra."""


def require_serve_extra() -> None:
    """Check, before anything loads, that the ``serve`` extra is installed.

    Raises:
        MissingDependency: one of its packages is missing, named with the command that installs it.
    """
    require_extra("vlmhb serve", SERVE_MODULES, "serve")


def _options(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"--options is not valid JSON: {exc}", hint="""e.g. --options '{"dtype": "bfloat16"}'"""
        ) from None
    if not isinstance(value, dict):
        raise ConfigError(
            "--options must be a JSON object", hint="""e.g. --options '{"dtype": "bfloat16"}'"""
        )
    return value


def build_backend(
    model: str, kind: ServeBackend, upstream: str | None, options: dict[str, Any], request_timeout_s: float
) -> tuple[ModelBackend, str]:
    """The backend to serve and the name to serve it under (the catalogue name when there is one).

    Raises:
        UserError: an option is invalid, or the model cannot be served this way.
    """
    from ..backends.hf import HFBackend
    from ..backends.openai import OpenAIBackend

    entry: CatalogueEntry | None = load_catalogue().get(model)
    if options.get("trust_remote_code") and not (entry and entry.trust_remote_code):
        raise ConfigError(
            "trust_remote_code can only be turned on by the model's catalogue entry",
            location=SourceLocation(key="--options.trust_remote_code"),
            hint="review the model's code, then set trust_remote_code: true in its catalogue entry",
        )
    expected = "hf" if kind is ServeBackend.hf else "openai"
    if entry is not None and entry.backend != expected:
        raise ConfigError(
            f"catalogue model '{model}' uses backend '{entry.backend}', which --backend {kind.value} cannot serve",
            hint="--backend hf loads hf models in process; --backend proxy forwards to an OpenAI-compatible server",
        )
    merged = {**(entry.options if entry else {}), **options}
    model_id = (entry.model_id if entry else None) or model
    cls: type[ModelBackend]
    if kind is ServeBackend.hf:
        cls, merged = HFBackend, {"model": model_id, **merged}
        if entry is not None:
            merged["trust_remote_code"] = entry.trust_remote_code
    else:
        base_url = upstream or merged.pop("base_url", None)
        if not base_url:
            raise ConfigError(
                "--backend proxy needs --upstream URL", hint="e.g. --upstream http://localhost:8001/v1"
            )
        # One attempt: the client of the wrapper decides about retries, and sees every failure.
        defaults = {
            "model": model_id,
            "max_attempts": 1,
            "timeout_s": request_timeout_s,
            "check_endpoint": True,
        }
        cls, merged = OpenAIBackend, {**defaults, **merged, "base_url": base_url}
    try:
        return cls(**merged), (entry.name if entry else model)
    except ValidationError as exc:
        problems = problems_from_validation_error(exc, base=SourceLocation(key="--options"))
        raise ConfigError(problems=problems) from None


async def _serve(
    backend: ModelBackend, model_name: str, host: str, port: int, log_level: str, **app_options: Any
) -> None:
    import uvicorn

    from ..serve import create_app

    try:
        await backend.start()
    except UserError:
        raise
    except Exception as exc:  # a load failure of any kind is the user's to fix: say what it was
        logger.debug("backend start failed", exc_info=True)
        raise UserError(
            f"cannot start backend '{backend.name}' for {model_name}: {type(exc).__name__}: {exc}",
            hint="run with --log-level debug for the traceback",
        ) from None
    app = create_app(backend, model_name=model_name, close_backend=True, **app_options)
    err_console.print(f"serving [bold]{model_name}[/] on http://{host}:{port}/v1", highlight=False)
    await uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level=log_level)).serve()


@friendly_errors
def serve(
    model: Annotated[
        str, Option("--model", "-m", help="Catalogue entry name, local checkpoint folder, or Hub id.")
    ],
    backend: Annotated[
        ServeBackend, Option("--backend", help="hf: load in process; proxy: forward.")
    ] = ServeBackend.hf,
    upstream: Annotated[
        str | None, Option("--upstream", help="proxy: the vLLM/SGLang URL, with /v1.")
    ] = None,
    host: Annotated[str, Option("--host", envvar="VLMHB_SERVE_HOST")] = "127.0.0.1",
    port: Annotated[int, Option("--port", envvar="VLMHB_SERVE_PORT", min=0, max=65535)] = 8000,
    options: Annotated[
        str | None, Option("--options", help='Backend options, JSON: {"dtype": "bfloat16"}.')
    ] = None,
    served_model_name: Annotated[
        str | None, Option("--served-model-name", help="Name in /v1/models.")
    ] = None,
    hang_after_s: Annotated[
        float, Option("--hang-after-s", min=0.01, help="No token for this long: a hang event.")
    ] = 120.0,
    request_timeout_s: Annotated[
        float, Option("--request-timeout-s", min=0.01, help="Unfinished then: HTTP 504.")
    ] = 600.0,
    watch_interval_s: Annotated[
        float, Option("--watch-interval-s", min=0.01, help="Watchdog sampling period.")
    ] = 1.0,
    events: Annotated[
        Path | None, Option("--events", help="Append watchdog events to this JSONL file.")
    ] = None,
    log_level: Annotated[str, Option("--log-level", help="debug, info, warning or error.")] = "info",
) -> None:
    """Serve a model behind an OpenAI-compatible API that measures every request."""
    from ..monitor import Watchdog

    require_serve_extra()
    level = log_level.lower()
    if level not in LOG_LEVELS:
        raise ConfigError(f"unknown --log-level '{log_level}'", hint=f"use one of: {', '.join(LOG_LEVELS)}")
    setup_logging(level in ("debug", "info"))
    if level == "debug":  # setup_logging stops at info; debug also shows tracebacks of load failures
        for handler in logging.getLogger("vlmhyperbench").handlers:
            handler.setLevel(logging.DEBUG)
    chosen, name = build_backend(model, backend, upstream, _options(options), request_timeout_s)
    watchdog = Watchdog(interval_s=watch_interval_s, hang_after_s=hang_after_s, events_path=events)
    try:
        asyncio.run(
            _serve(
                chosen,
                served_model_name or name,
                host,
                port,
                level,
                watchdog=watchdog,
                request_timeout_s=request_timeout_s,
            )
        )
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it handled, after a graceful shutdown
        err_console.print("server stopped")
