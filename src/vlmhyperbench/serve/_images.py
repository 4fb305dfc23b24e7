"""Images of a chat request: base64 data URLs, checked with Pillow, as temp files.

Backends take image files, so each ``data:image/...;base64,`` URL is decoded, opened
with Pillow (its size is checked before any pixel is decoded, then the pixels are
decoded to prove the data whole) and written unchanged to a temporary folder that
lives as long as the request. Anything else is refused with a message that says why:
remote URLs (the wrapper fetches nothing), bad base64, data that is not an image,
truncated data and decompression bombs (a small file declaring a huge canvas).
"""

from __future__ import annotations

import binascii
import io
import re
import shutil
import tempfile
import warnings
from base64 import b64decode
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, UnidentifiedImageError

__all__ = ["DEFAULT_MAX_IMAGE_PIXELS", "ImageRejected", "RequestImages", "decode_images"]

DEFAULT_MAX_IMAGE_PIXELS = 50_000_000
"""Larger images are refused: about 7000 × 7000, well above any scanned page at 600 dpi."""

_DATA_URL = re.compile(r"^data:(image/[\w.+-]+)((?:;[\w.+-]+=[^;,]*)*);base64,", re.IGNORECASE)


class ImageRejected(Exception):
    """An image of the request cannot be used; the message says which one and why."""


class RequestImages:
    """The decoded images of one request, in order, as files deleted by `close`."""

    def __init__(self) -> None:
        self.paths: list[Path] = []
        self._dir: Path | None = None

    def add(self, data: bytes, suffix: str) -> Path:
        """Write one image's bytes to the request's temp folder."""
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="vlmhb-serve-"))
        path = self._dir / f"image-{len(self.paths) + 1}{suffix}"
        path.write_bytes(data)
        self.paths.append(path)
        return path

    def close(self) -> None:
        """Delete the temp files (idempotent)."""
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


def _check(data: bytes, where: str, max_image_pixels: int) -> str:
    """Open and fully decode ``data``; return the file suffix of its format."""
    with warnings.catch_warnings():
        # We apply our own limit below; Pillow's warning would only be noise.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as img:
                width, height, fmt = img.width, img.height, img.format or "PNG"
                if width * height > max_image_pixels:
                    raise ImageRejected(
                        f"{where}: {width}×{height} = {width * height:,} pixels is over the limit of "
                        f"{max_image_pixels:,} pixels (max_image_pixels): refusing a possible decompression bomb"
                    )
                img.load()
        except Image.DecompressionBombError as exc:
            raise ImageRejected(f"{where}: refusing a decompression bomb ({exc})") from None
        except UnidentifiedImageError:
            raise ImageRejected(
                f"{where}: the data is not an image Pillow can read (corrupt, or an unsupported format)"
            ) from None
        except (OSError, SyntaxError, ValueError) as exc:
            raise ImageRejected(f"{where}: the image data is corrupt or truncated ({exc})") from None
    return "." + fmt.lower().replace("jpeg", "jpg")


def decode_images(urls: Sequence[str], *, max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS) -> RequestImages:
    """Decode every image URL of a request into temp files (blocking: run it in a thread).

    Args:
        urls: The ``image_url.url`` values, in request order.
        max_image_pixels: Width × height above which an image is refused.

    Returns:
        The files, which the caller deletes with `RequestImages.close`.

    Raises:
        ImageRejected: an image is remote, not base64, not an image, corrupt or too large.
    """
    images = RequestImages()
    try:
        for index, url in enumerate(urls, start=1):
            where = f"image {index}"
            if url.lower().startswith(("http://", "https://")):
                raise ImageRejected(
                    f"{where}: remote image URLs are not fetched: send a base64 data URL "
                    "(data:image/png;base64,...)"
                )
            match = _DATA_URL.match(url)
            if match is None:
                raise ImageRejected(
                    f"{where}: expected a data URL like data:image/png;base64,... (got {url[:40]!r})"
                )
            try:
                data = b64decode("".join(url[match.end() :].split()), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ImageRejected(f"{where}: the base64 data is invalid ({exc})") from None
            if not data:
                raise ImageRejected(f"{where}: the data URL is empty")
            images.add(data, _check(data, where, max_image_pixels))
    except BaseException:
        images.close()
        raise
    return images
