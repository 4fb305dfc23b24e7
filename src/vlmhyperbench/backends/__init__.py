"""Model backends behind one async interface: ``openai``, ``tesseract`` (and plugins)."""

from ._base import GenerationRequest, GenerationResult, ModelBackend, backends, register_backend

__all__ = ["GenerationRequest", "GenerationResult", "ModelBackend", "backends", "register_backend"]
