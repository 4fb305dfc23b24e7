"""Seeded image degradations for the ``degraded`` split of the demo dataset.

Only Pillow and :class:`random.Random` are used, so a degradation is fully
determined by its recorded parameters and the seed of the generator.
"""

from __future__ import annotations

import random
from typing import Any

from PIL import Image, ImageChops, ImageFilter

__all__ = ["DEGRADED_JPEG_QUALITY", "KINDS", "apply_degradations", "choose_degradations"]

DEGRADED_JPEG_QUALITY = 60
"""JPEG quality of degraded pages without a ``jpeg`` step (clean pages are PNG)."""

KINDS = ("rotate", "gaussian_blur", "noise", "jpeg")
"""Degradation kinds, in the order in which they are applied."""

_TRIANGULAR_STD = 255 / (2 * 6**0.5)
"""Standard deviation of the mean of two independent uniform bytes (about 52)."""


def choose_degradations(rng: random.Random) -> list[dict[str, Any]]:
    """Draw one or two degradations with their parameters.

    Args:
        rng: Source of randomness (one per document).

    Returns:
        Degradation records in application order, e.g.
        ``[{"type": "gaussian_blur", "radius": 1.04}, {"type": "jpeg", "quality": 25}]``.
    """
    kinds = rng.sample(KINDS, rng.choice((1, 2)))
    steps: list[dict[str, Any]] = []
    for kind in sorted(kinds, key=KINDS.index):
        if kind == "rotate":
            angle = round(rng.uniform(0.5, 2.0), 2) * rng.choice((-1, 1))
            steps.append({"type": "rotate", "angle": angle})
        elif kind == "gaussian_blur":
            steps.append({"type": "gaussian_blur", "radius": round(rng.uniform(0.8, 1.2), 2)})
        elif kind == "noise":
            steps.append(
                {
                    "type": "noise",
                    "std": round(rng.uniform(6.0, 12.0), 1),
                    "distribution": "triangular",
                }
            )
        else:
            steps.append({"type": "jpeg", "quality": rng.randint(18, 35)})
    return steps


def _noise(img: Image.Image, std: float, rng: random.Random) -> Image.Image:
    """Add zero-mean triangular noise with standard deviation ``std`` grey levels."""
    size = img.size
    a = Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))
    b = Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))
    mean = ImageChops.add(a, b, scale=2.0)  # (a + b) / 2, centered on 127.5
    k = std / _TRIANGULAR_STD
    table = [min(255, max(0, round(128 + (v - 127.5) * k))) for v in range(256)]
    return ImageChops.add(img, mean.point(table), scale=1.0, offset=-128)


def apply_degradations(
    img: Image.Image, steps: list[dict[str, Any]], rng: random.Random
) -> tuple[Image.Image, int]:
    """Apply degradation records to a grayscale page.

    Args:
        img: Clean ``L`` mode page.
        steps: Records from :func:`choose_degradations`.
        rng: Source of randomness for the noise pixels.

    Returns:
        The degraded image and the JPEG quality to save it with.
    """
    quality = DEGRADED_JPEG_QUALITY
    for step in steps:
        kind = step["type"]
        if kind == "rotate":
            img = img.rotate(step["angle"], resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
        elif kind == "gaussian_blur":
            img = img.filter(ImageFilter.GaussianBlur(step["radius"]))
        elif kind == "noise":
            img = _noise(img, step["std"], rng)
        elif kind == "jpeg":
            quality = step["quality"]
        else:
            raise ValueError(f"unknown degradation {kind!r}")
    return img, quality
