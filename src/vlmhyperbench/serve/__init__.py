"""The API Wrapper: an OpenAI-compatible server over any backend, with per-request telemetry."""

from ._images import DEFAULT_MAX_IMAGE_PIXELS
from ._protocol import ChatCompletionRequest, Performance
from .app import create_app

__all__ = ["DEFAULT_MAX_IMAGE_PIXELS", "ChatCompletionRequest", "Performance", "create_app"]
