"""Font lookup and Pillow rendering of :class:`~._documents.Document` pages."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from ._documents import Document, Line

__all__ = ["find_font", "render", "save_page"]

FONT_DIRS: tuple[str, ...] = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "/Library/Fonts",
    "/System/Library/Fonts",
    "/opt/homebrew/share/fonts",
    "C:/Windows/Fonts",
)
"""Directories searched (recursively) for font files, in order."""

_LINE_SPACING = 1.55
_MIN_SIZE = 16


@functools.cache
def find_font(name: str) -> Path:
    """Locate a font file by its file name, e.g. ``DejaVuSans.ttf``.

    Standard font directories are searched first, then ``fc-match`` is asked
    if it is installed (its answer counts only if the file name matches).

    Args:
        name: Font file name.

    Returns:
        Path of the font file.

    Raises:
        RuntimeError: If the font cannot be found.
    """
    for base in FONT_DIRS:
        root = Path(os.path.expanduser(base))
        if (root / name).is_file():
            return root / name
        if root.is_dir():
            for hit in sorted(root.rglob(name)):
                if hit.is_file():
                    return hit
    fc_match = shutil.which("fc-match")
    if fc_match:
        family = name.rsplit(".", 1)[0]
        try:
            out = subprocess.run(
                [fc_match, "--format=%{file}", family],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out and Path(out).name == name and Path(out).is_file():
            return Path(out)
    raise RuntimeError(f"font {name!r} not found; install it with: apt-get install fonts-dejavu-core")


@functools.cache
def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    """Load a font with the basic layout engine (identical output with or without raqm)."""
    return ImageFont.truetype(str(find_font(name)), size, layout_engine=ImageFont.Layout.BASIC)


def _fitted(name: str, size: int, text: str, width: int) -> ImageFont.FreeTypeFont:
    """Return the font at ``size``, shrunk (not below 16 px) until ``text`` fits ``width``."""
    font = _font(name, size)
    while font.getlength(text) > width and size > _MIN_SIZE:
        size -= 1
        font = _font(name, size)
    if font.getlength(text) > width:
        raise ValueError(f"text does not fit in {width} px: {text!r}")
    return font


def _line_height(doc: Document, line: Line) -> int:
    """Vertical advance of a line in pixels."""
    return round(doc.fonts[line.style][1] * _LINE_SPACING)


def _content_height(doc: Document) -> int:
    """Height needed by all lines including the extra gaps."""
    return sum(round(_line_height(doc, ln) * (1 + ln.space_before)) for ln in doc.lines)


def render(doc: Document) -> Image.Image:
    """Draw a document on a grayscale page.

    Args:
        doc: The document to draw.

    Returns:
        An ``L`` mode image of the page.
    """
    page = doc.page
    height = page.height or page.top * 2 + _content_height(doc) + 10
    img = Image.new("L", (page.width, height), page.background)
    draw = ImageDraw.Draw(img)
    if page.frame:
        draw.rounded_rectangle((8, 8, page.width - 9, height - 9), radius=18, outline=90, width=3)
    full_left, full_right = page.margin, page.width - page.margin
    y = page.top
    for line in doc.lines:
        advance = _line_height(doc, line)
        y += round(advance * line.space_before)
        name, size = doc.fonts[line.style]
        # Centered headings span the whole page; the rest leaves room for the photo.
        left = full_left if line.align == "center" else full_left + page.text_left
        width = full_right - left
        if line.columns:
            xs = [left + round(c * width) for c in line.columns] + [full_right]
            for cell, x0, x1 in zip(line.cells, xs, xs[1:], strict=False):
                font = _fitted(name, size, cell, x1 - x0 - 8)
                draw.text((x0, y), cell, fill=0, font=font)
        else:
            font = _fitted(name, size, line.cells[0], width)
            text_w = font.getlength(line.cells[0])
            x = {"left": left, "center": left + (width - text_w) / 2, "right": full_right - text_w}[
                line.align
            ]
            draw.text((round(x), y), line.cells[0], fill=0, font=font)
        if line.rule_below:
            rule_y = y + advance - max(3, advance // 6)
            draw.line((full_left, rule_y, full_right, rule_y), fill=60, width=2)
        y += advance
    if y > height - 10:
        raise ValueError(f"{doc.doc_id}: content ({y}px) does not fit the page ({height}px)")
    if page.photo:
        top = page.top + 2 * _line_height(doc, doc.lines[0]) + 30
        x0, x1 = page.margin, page.margin + page.text_left - 40
        draw.rectangle((x0, top, x1, top + 260), outline=110, width=2, fill=page.background - 17)
        cx = (x0 + x1) // 2  # a grey silhouette, no text
        draw.ellipse((cx - 45, top + 50, cx + 45, top + 150), fill=170)
        draw.pieslice((cx - 85, top + 160, cx + 85, top + 360), 180, 360, fill=170)
    return img


def save_page(img: Image.Image, path: Path, quality: int | None = None) -> None:
    """Write a page with fixed options and no metadata (equal pixels give equal bytes).

    Args:
        img: ``L`` mode page.
        path: Destination file.
        quality: JPEG quality; ``None`` writes a 4-bit PNG with 16 grey levels.
    """
    if quality is not None:
        img.save(path, "JPEG", quality=quality, optimize=False, progressive=False)
        return
    index = img.point([min(15, (v + 8) // 17) for v in range(256)])
    png = Image.frombytes("P", img.size, index.tobytes())
    png.putpalette([level * 17 for level in range(16) for _ in range(3)])
    png.save(path, "PNG", optimize=True)
