"""Seeded "photographed page" conditions at graded severities (splits ``photo-1``..``photo-3``).

A page is treated as a sheet that was folded, laid on a desk and taken with a phone:
fold → perspective → rotate → shadow → vignette → low_light → blur → noise → jpeg.
Every page of severity ``k`` gets every condition (one of the two blurs), each at
strength ``k``: its values are drawn from the level's ranges in `PHOTO_LEVELS` by a
per-page `random.Random` and recorded in the page's ``metadata.degradation``; the same
generator then draws the noise pixels.

Only Pillow and numpy are used. Pixels are computed with integer and elementwise
float arithmetic (``+ - * /``, which IEEE 754 rounds the same on every CPU); the
gamma curve is a 256-entry table built with :mod:`math`; the homography is solved in
Python. So the same seed gives the same bytes, with the same Pillow and libjpeg.
"""

from __future__ import annotations

import math
import random
from typing import Any, NamedTuple

import numpy as np
from PIL import Image

__all__ = ["PHOTO_LEVELS", "PHOTO_STEPS", "PhotoLevel", "apply_photo", "choose_photo"]

PHOTO_STEPS = (
    "fold",
    "perspective",
    "rotate",
    "shadow",
    "vignette",
    "low_light",
    "motion_blur",
    "defocus_blur",
    "noise",
    "jpeg",
)
"""Step types, in the order in which they are applied (a page gets one of the blurs)."""

Range = tuple[float, float]


class PhotoLevel(NamedTuple):
    """Ranges of one severity level; each value is drawn uniformly from its range."""

    fold_depth: Range
    """Darkening at the centre of the crease (fraction of the paper's brightness)."""
    fold_shift: tuple[int, int]
    """Pixels the far side of the fold is displaced along the crease."""
    keystone: Range
    """How much the far edge is shorter than the near one (fraction of its length)."""
    jitter: float
    """Largest random shift of each corner (fraction of the page's shorter side)."""
    scale: Range
    """Size of the photo relative to the page (a phone farther away)."""
    rotate: Range
    """In-plane angle in degrees (its sign is drawn too)."""
    shadow: Range
    """Darkening inside a cast shadow (fraction)."""
    vignette: Range
    """Darkening at the frame's corners (fraction)."""
    gain: Range
    """Exposure: brightness multiplier of the whole frame."""
    gamma: Range
    """Tone curve exponent (above 1 darkens mid-tones: dim light)."""
    motion: tuple[int, int]
    """Motion blur length in pixels."""
    defocus: Range
    """Defocus blur radius in pixels (a disk)."""
    noise: Range
    """Sensor noise standard deviation in grey levels."""
    jpeg: tuple[int, int]
    """JPEG quality."""


PHOTO_LEVELS: dict[int, PhotoLevel] = {
    1: PhotoLevel(
        fold_depth=(0.10, 0.18), fold_shift=(1, 1), keystone=(0.02, 0.04), jitter=0.01,
        scale=(0.85, 0.90), rotate=(0.5, 1.5), shadow=(0.10, 0.20), vignette=(0.08, 0.15),
        gain=(0.88, 0.96), gamma=(1.0, 1.1), motion=(2, 3), defocus=(1.0, 1.3),
        noise=(2.0, 4.0), jpeg=(65, 80),
    ),
    2: PhotoLevel(
        fold_depth=(0.25, 0.35), fold_shift=(2, 3), keystone=(0.05, 0.08), jitter=0.02,
        scale=(0.75, 0.80), rotate=(2.0, 3.5), shadow=(0.30, 0.40), vignette=(0.18, 0.25),
        gain=(0.72, 0.82), gamma=(1.2, 1.35), motion=(3, 4), defocus=(1.3, 1.7),
        noise=(5.0, 8.0), jpeg=(40, 55),
    ),
    3: PhotoLevel(
        fold_depth=(0.40, 0.50), fold_shift=(3, 5), keystone=(0.09, 0.12), jitter=0.03,
        scale=(0.68, 0.72), rotate=(4.0, 6.0), shadow=(0.45, 0.55), vignette=(0.28, 0.35),
        gain=(0.58, 0.68), gamma=(1.4, 1.6), motion=(4, 6), defocus=(1.8, 2.3),
        noise=(8.0, 11.0), jpeg=(22, 32),
    ),
}  # fmt: skip
"""Severity level → ranges: ``photo-1`` mild, ``photo-2`` medium, ``photo-3`` severe."""

_MARGIN = 0.04
"""Desk visible around the page, as a fraction of each side."""


def _draw(rng: random.Random, bounds: Range, digits: int = 2) -> float:
    return round(rng.uniform(*bounds), digits)


def choose_photo(rng: random.Random, severity: int) -> list[dict[str, Any]]:
    """Draw the steps of one photographed page of the given severity.

    Args:
        rng: Source of randomness (one per page).
        severity: 1 (mild), 2 (medium) or 3 (severe): a key of `PHOTO_LEVELS`.

    Returns:
        Step records in application order, each ``{"type": ..., <parameters>}``.
    """
    lv = PHOTO_LEVELS[severity]
    sign = rng.choice((-1, 1))
    jitter = [[_draw(rng, (-lv.jitter, lv.jitter), 4) for _ in range(2)] for _ in range(4)]
    blur: dict[str, Any] = (
        {"type": "motion_blur", "length": rng.randint(*lv.motion), "angle": _draw(rng, (0.0, 180.0), 1)}
        if rng.random() < 0.5
        else {"type": "defocus_blur", "radius": _draw(rng, lv.defocus)}
    )
    return [
        {
            "type": "fold",
            "orientation": rng.choice(("horizontal", "vertical")),
            "position": _draw(rng, (0.3, 0.7)),
            "depth": _draw(rng, lv.fold_depth),
            "width": rng.randint(4, 10),
            "shift": rng.randint(*lv.fold_shift),
        },
        {
            "type": "perspective",
            "far_edge": rng.choice(("top", "bottom", "left", "right")),
            "keystone": _draw(rng, lv.keystone, 3),
            "corner_jitter": jitter,
            "scale": _draw(rng, lv.scale),
            "margin": _MARGIN,
            "background": rng.randint(70, 120),
        },
        {"type": "rotate", "angle": sign * _draw(rng, lv.rotate)},
        {
            "type": "shadow",
            "angle": _draw(rng, (0.0, 360.0), 1),
            "offset": _draw(rng, (0.15, 0.45)),
            "depth": _draw(rng, lv.shadow),
            "softness": rng.randint(20, 60),
        },
        {"type": "vignette", "strength": _draw(rng, lv.vignette)},
        {"type": "low_light", "gain": _draw(rng, lv.gain), "gamma": _draw(rng, lv.gamma)},
        blur,
        {"type": "noise", "std": _draw(rng, lv.noise, 1), "distribution": "irwin_hall_3"},
        {"type": "jpeg", "quality": rng.randint(*lv.jpeg)},
    ]


def _fold(a: np.ndarray, step: dict[str, Any]) -> np.ndarray:
    """A crease: a dark band across the page, the far side displaced along it."""
    if step["orientation"] == "horizontal":
        return np.ascontiguousarray(_fold(a.T, {**step, "orientation": "vertical"}).T)
    h, w = a.shape
    x0 = round(w * step["position"])
    out = a.copy()
    shift = step["shift"]
    out[shift:, x0:] = a[: h - shift, x0:]
    out[:shift, x0:] = 255
    dist = np.abs(np.arange(w, dtype=np.float32) - np.float32(x0)) / np.float32(step["width"])
    gain = np.float32(1) - np.float32(step["depth"]) * np.clip(np.float32(1) - dist, 0, 1)
    return np.asarray(np.rint(out * gain[None, :]), dtype=np.uint8)


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting, in Python (the same result everywhere)."""
    n = len(b)
    m = [[*row, b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(col + 1, n):
            f = m[r][col] / m[col][col]
            for c in range(col, n + 1):
                m[r][c] -= f * m[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][c] * x[c] for c in range(r + 1, n))) / m[r][r]
    return x


def _homography(dst: list[tuple[float, float]], src: list[tuple[float, float]]) -> list[float]:
    """Pillow's PERSPECTIVE coefficients: output point in ``dst`` → input point in ``src``."""
    rows: list[list[float]] = []
    rhs: list[float] = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -x * u, -y * u])
        rows.append([0, 0, 0, x, y, 1, -x * v, -y * v])
        rhs += [u, v]
    return _solve(rows, rhs)


def _perspective(img: Image.Image, step: dict[str, Any]) -> Image.Image:
    """The page on a desk, seen at an angle: its far edge shorter, corners jittered."""
    w, h = img.size
    scale, margin = step["scale"], step["margin"]
    out_w, out_h = round(w * (1 + 2 * margin) * scale), round(h * (1 + 2 * margin) * scale)
    pw, ph, mx, my = w * scale, h * scale, w * margin * scale, h * margin * scale
    corners = [[mx, my], [mx + pw, my], [mx + pw, my + ph], [mx, my + ph]]  # tl, tr, br, bl
    k = step["keystone"]
    far = {"top": (0, 1), "bottom": (3, 2), "left": (0, 3), "right": (1, 2)}[step["far_edge"]]
    horizontal = step["far_edge"] in ("top", "bottom")
    span = pw if horizontal else ph
    for i, sign in zip(far, (1, -1), strict=True):  # pull the far edge's ends towards each other
        corners[i][0 if horizontal else 1] += sign * k * span / 2
    side = min(pw, ph)
    for corner, (jx, jy) in zip(corners, step["corner_jitter"], strict=True):
        corner[0] += jx * side
        corner[1] += jy * side
    src = [(0.0, 0.0), (float(w), 0.0), (float(w), float(h)), (0.0, float(h))]
    coeffs = _homography([(x, y) for x, y in corners], src)
    return img.transform(
        (out_w, out_h),
        Image.Transform.PERSPECTIVE,
        tuple(coeffs),
        Image.Resampling.BICUBIC,
        fillcolor=step["background"],
    )


def _grid(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates relative to the frame's centre: a column and a row vector."""
    h, w = shape
    ys = (np.arange(h, dtype=np.float32) - np.float32(h / 2))[:, None]
    xs = (np.arange(w, dtype=np.float32) - np.float32(w / 2))[None, :]
    return xs, ys


def _shadow_map(shape: tuple[int, int], step: dict[str, Any]) -> np.ndarray:
    """Brightness multiplier of a soft-edged cast shadow over ``offset`` of the frame."""
    h, w = shape
    xs, ys = _grid(shape)
    theta = math.radians(step["angle"])
    reach = (abs(math.cos(theta)) * w + abs(math.sin(theta)) * h) / 2
    edge = np.float32(reach * (1 - 2 * step["offset"]))
    dist = xs * np.float32(math.cos(theta)) + ys * np.float32(math.sin(theta)) - edge
    inside = np.clip(dist / np.float32(step["softness"]) + np.float32(0.5), 0, 1)
    return np.asarray(np.float32(1) - np.float32(step["depth"]) * inside, dtype=np.float32)


def _vignette_map(shape: tuple[int, int], step: dict[str, Any]) -> np.ndarray:
    """Brightness multiplier falling off with the squared distance: ``1 - strength`` at the corners."""
    h, w = shape
    xs, ys = _grid(shape)
    r2 = (xs / np.float32(w / 2)) ** 2 + (ys / np.float32(h / 2)) ** 2  # 2 at the corners
    return np.asarray(np.float32(1) - np.float32(step["strength"] / 2) * r2, dtype=np.float32)


def _lit(img: Image.Image, light: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(np.rint(np.asarray(img) * light), 0, 255).astype(np.uint8))


def _shifted_mean(a: np.ndarray, offsets: list[tuple[int, int]]) -> np.ndarray:
    """Mean of ``a`` shifted by each (dx, dy), edges repeated: a blur with a flat kernel."""
    pad = max(max(abs(dx), abs(dy)) for dx, dy in offsets)
    p = np.pad(a, pad, mode="edge").astype(np.uint32)
    h, w = a.shape
    total = np.zeros((h, w), dtype=np.uint32)
    for dx, dy in offsets:
        total += p[pad + dy : pad + dy + h, pad + dx : pad + dx + w]
    n = len(offsets)
    return ((total + n // 2) // n).astype(np.uint8)


def _blur_offsets(step: dict[str, Any]) -> list[tuple[int, int]]:
    if step["type"] == "motion_blur":
        n, theta = step["length"], math.radians(step["angle"])
        ts = [i - (n - 1) / 2 for i in range(n)]
        return [(round(t * math.cos(theta)), round(t * math.sin(theta))) for t in ts]
    r = step["radius"]
    span = math.ceil(r)
    return [
        (dx, dy)
        for dy in range(-span, span + 1)
        for dx in range(-span, span + 1)
        if dx * dx + dy * dy <= r * r
    ]


def _noise(a: np.ndarray, std: float, rng: random.Random) -> np.ndarray:
    """Zero-mean noise: the sum of three uniform bytes (Irwin-Hall), scaled to ``std``."""
    size = a.size
    total = sum(np.frombuffer(rng.randbytes(size), dtype=np.uint8).astype(np.float32) for _ in range(3))
    unit = (total - np.float32(3 * 127.5)) / np.float32(math.sqrt(3 * (256**2 - 1) / 12))
    return np.asarray(np.clip(np.rint(a + unit.reshape(a.shape) * np.float32(std)), 0, 255), dtype=np.uint8)


def apply_photo(img: Image.Image, steps: list[dict[str, Any]], rng: random.Random) -> tuple[Image.Image, int]:
    """Apply the records of `choose_photo` to a clean grayscale page.

    Args:
        img: Clean ``L`` mode page.
        steps: Records from `choose_photo` (in their order).
        rng: Source of randomness for the noise pixels.

    Returns:
        The photographed page and the JPEG quality to save it with.
    """
    quality = 90
    background = 255
    for step in steps:
        kind = step["type"]
        if kind == "fold":
            img = Image.fromarray(_fold(np.asarray(img), step))
        elif kind == "perspective":
            img, background = _perspective(img, step), step["background"]
        elif kind == "rotate":  # the frame grows to keep the page whole; the desk fills it
            img = img.rotate(step["angle"], Image.Resampling.BICUBIC, expand=True, fillcolor=background)
        elif kind == "shadow":
            img = _lit(img, _shadow_map((img.height, img.width), step))
        elif kind == "vignette":
            img = _lit(img, _vignette_map((img.height, img.width), step))
        elif kind == "low_light":
            table = [round(255 * (min(255.0, v * step["gain"]) / 255) ** step["gamma"]) for v in range(256)]
            img = img.point(table)
        elif kind in ("motion_blur", "defocus_blur"):
            img = Image.fromarray(_shifted_mean(np.asarray(img), _blur_offsets(step)))
        elif kind == "noise":
            img = Image.fromarray(_noise(np.asarray(img), step["std"], rng))
        elif kind == "jpeg":
            quality = step["quality"]
        else:
            raise ValueError(f"unknown photo step {kind!r}")
    return img, quality
