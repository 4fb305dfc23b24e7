"""Page images as base64 data URLs, cached (VQA asks many questions per page)."""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path

from PIL import Image

__all__ = ["image_data_url"]

_MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}


@lru_cache(maxsize=64)
def _encode(path: Path, mtime_ns: int) -> str:
    data = path.read_bytes()
    with Image.open(path) as img:
        fmt = img.format or ""
    mime = _MIME.get(fmt)
    if mime is None:  # TIFF, BMP...: servers accept PNG everywhere
        import io

        with Image.open(path) as img:
            buf = io.BytesIO()
            img.save(buf, format="PNG")
        data, mime = buf.getvalue(), "image/png"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def image_data_url(path: Path) -> str:
    """``data:<mime>;base64,...`` of an image file (re-encoded as PNG if unusual)."""
    return _encode(path, path.stat().st_mtime_ns)
