"""Drawing parsing pages with Pillow while recording each block as OmniDocBench annotates it.

A :class:`Canvas` draws one block at a time (a wrapped paragraph, a title, a table
with merged cells, a display formula, a round stamp) and appends the block's
ground-truth element in the shape of the official ``OmniDocBench.json``
(``category_type``, ``poly``, ``ignore``, ``order``, ``anno_id``, ``text`` /
``latex`` / ``html``, ``line_with_spans``, ``attribute``). Body blocks get the
next reading-order number in drawing order; page furniture (headers, footers,
page numbers, stamps) gets ``order: null``, as in the official data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from ._render import find_font

__all__ = ["FURNITURE", "Canvas", "Cell", "table_html", "table_latex"]

FURNITURE = frozenset({"header", "footer", "page_number", "abandon"})
"""Categories drawn outside the reading order (``order`` is null)."""

_TEXT_ATTRIBUTE = {"text_language": "Russian", "text_background": "white", "text_rotate": "normal"}


@dataclass(frozen=True)
class Cell:
    """One cell of a table as HTML writes it: cells covered by a span are not listed."""

    text: str
    rowspan: int = 1
    colspan: int = 1
    header: bool = False


def _grid(rows: list[list[Cell]]) -> list[tuple[int, int, Cell]]:
    """``(row, column, cell)`` of every listed cell, placing spans as HTML does."""
    taken: set[tuple[int, int]] = set()
    out = []
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            out.append((r, c, cell))
            taken |= {(r + i, c + j) for i in range(cell.rowspan) for j in range(cell.colspan)}
            c += cell.colspan
    return out


def table_html(rows: list[list[Cell]]) -> str:
    """The table as OmniDocBench's ``html`` field: header rows in ``<thead>``, spans as attributes."""

    def tr(row: list[Cell]) -> str:
        cells = []
        for cell in row:
            tag = "th" if cell.header else "td"
            spans = "".join(
                f' {name}="{n}"'
                for name, n in (("rowspan", cell.rowspan), ("colspan", cell.colspan))
                if n > 1
            )
            cells.append(f"<{tag}{spans}>{escape(cell.text, quote=False)}</{tag}>")
        return "<tr>" + "".join(cells) + "</tr>"

    head = [row for row in rows if row and all(cell.header for cell in row)]
    body = rows[len(head) :]
    return (
        "<table><thead>"
        + "".join(map(tr, head))
        + "</thead><tbody>"
        + "".join(map(tr, body))
        + "</tbody></table>"
    )


def table_latex(rows: list[list[Cell]], n_cols: int) -> str:
    """The table as OmniDocBench's ``latex`` field (``tabular`` with ``\\multirow``/``\\multicolumn``)."""
    placed = _grid(rows)
    lines = [f"\\begin{{tabular}}{{|{'l|' * n_cols}}} \\hline"]
    for r in range(len(rows)):
        parts: list[str] = []
        c = 0
        while c < n_cols:
            hit = next((p for p in placed if p[0] == r and p[1] == c), None)
            above = next((p for p in placed if p[0] < r < p[0] + p[2].rowspan and p[1] == c), None)
            if hit is not None:
                cell = hit[2]
                text = cell.text.replace("%", "\\%")
                if cell.rowspan > 1:
                    text = f"\\multirow{{{cell.rowspan}}}{{*}}{{{text}}}"
                if cell.colspan > 1:
                    text = f"\\multicolumn{{{cell.colspan}}}{{l|}}{{{text}}}"
                parts.append(text)
                c += cell.colspan
            else:
                parts.append("")
                c += above[2].colspan if above is not None else 1
        open_below = [p for p in placed if p[0] <= r < p[0] + p[2].rowspan - 1]
        if open_below:
            closed = [
                c for c in range(n_cols) if not any(p[1] <= c < p[1] + p[2].colspan for p in open_below)
            ]
            rule = " ".join(f"\\cline{{{c + 1}-{c + 1}}}" for c in closed)
        else:
            rule = "\\hline"
        lines.append(" & ".join(parts) + f" \\\\ {rule}".rstrip())
    lines.append("\\end{tabular}")
    return "\n".join(lines)


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(find_font(name)), size, layout_engine=ImageFont.Layout.BASIC)


def _poly(x0: float, y0: float, x1: float, y1: float) -> list[int]:
    x0, y0, x1, y1 = round(x0), round(y0), round(x1), round(y1)
    return [x0, y0, x1, y0, x1, y1, x0, y1]


class Canvas:
    """A page being drawn, and the OmniDocBench elements of what was drawn on it."""

    def __init__(self, width: int, height: int, fonts: dict[str, tuple[str, int]]) -> None:
        self.width, self.height, self.fonts = width, height, fonts
        self.image = Image.new("L", (width, height), 255)
        self.draw = ImageDraw.Draw(self.image)
        self.elements: list[dict[str, Any]] = []
        self.used_fonts: set[str] = set()
        self._order = 0

    def font(self, style: str, size: int | None = None) -> ImageFont.FreeTypeFont:
        """The font of a style (``body``, ``bold``, ``title``, ``small``...), optionally resized."""
        name, default = self.fonts[style]
        self.used_fonts.add(name)
        return _font(name, size or default)

    def _add(self, category: str, box: tuple[float, float, float, float], **content: Any) -> dict[str, Any]:
        order = None
        if category not in FURNITURE:
            self._order += 1
            order = self._order
        element = {
            "category_type": category,
            "poly": _poly(*box),
            "ignore": False,
            "order": order,
            "anno_id": len(self.elements),
            **content,
        }
        self.elements.append(element)
        return element

    def wrap(self, text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
        """Greedy word wrap; a word longer than the width gets a line of its own."""
        lines: list[str] = []
        for word in text.split():
            if lines and font.getlength(f"{lines[-1]} {word}") <= width:
                lines[-1] += f" {word}"
            else:
                lines.append(word)
        return lines

    def text(
        self,
        category: str,
        text: str,
        x0: float,
        x1: float,
        y: float,
        style: str = "body",
        align: str = "left",
        fill: int = 0,
    ) -> float:
        """Draw a paragraph wrapped between ``x0`` and ``x1`` from ``y``; return the y below it."""
        font = self.font(style)
        size = self.fonts[style][1]
        advance = round(size * 1.45)
        lines = self.wrap(text, font, x1 - x0)
        spans: list[dict[str, Any]] = []
        left, right = x1, x0
        for i, line in enumerate(lines):
            w = font.getlength(line)
            x = {"left": x0, "center": (x0 + x1 - w) / 2, "right": x1 - w}[align]
            top = y + i * advance
            self.draw.text((round(x), round(top)), line, fill=fill, font=font)
            box = (x, top, x + w, top + size * 1.2)
            spans.append({"category_type": "text_span", "poly": _poly(*box), "text": line})
            left, right = min(left, x), max(right, x + w)
        bottom = y + (len(spans) - 1) * advance + size * 1.2
        joined = " ".join(lines)
        self._add(
            category,
            (left, y, right, bottom),
            text=joined,
            line_with_spans=spans,
            attribute=dict(_TEXT_ATTRIBUTE),
        )
        return y + len(spans) * advance

    def table(self, rows: list[list[Cell]], widths: list[float], x0: float, x1: float, y: float) -> float:
        """Draw a fully ruled table (column widths as fractions); return the y below it.

        Numbers are right-aligned, the second column's body text (item names) left-aligned,
        everything else centred; a cell's font shrinks until its text fits.
        """
        n_cols = len(widths)
        xs = [x0]
        for f in widths:
            xs.append(xs[-1] + f * (x1 - x0))
        row_h = round(self.fonts["table"][1] * 2.0)
        for r, c, cell in _grid(rows):
            left, right = xs[c], xs[c + cell.colspan]
            top, bottom = y + r * row_h, y + (r + cell.rowspan) * row_h
            self.draw.rectangle((round(left), round(top), round(right), round(bottom)), outline=0, width=2)
            style = "table_bold" if cell.header else "table"
            font = self.font(style)
            size = self.fonts[style][1]
            while font.getlength(cell.text) > right - left - 12 and size > 12:
                size -= 1
                font = self.font(style, size)
            w = font.getlength(cell.text)
            numeric = cell.text.replace(" ", "").replace(",", "").isdigit() and not cell.header
            tx = (
                right - 6 - w
                if numeric
                else (left + 6 if c == 1 and not cell.header else (left + right - w) / 2)
            )
            ty = (top + bottom) / 2 - size * 0.6
            self.draw.text((round(tx), round(ty)), cell.text, fill=0, font=font)
        bottom = y + len(rows) * row_h
        attribute = {
            "table_layout": "horizontal",
            "with_span": any(cell.rowspan > 1 or cell.colspan > 1 for row in rows for cell in row),
            "line": "full_line",
            "language": "Russian",
            "include_equation": False,
            "include_photo": False,
            "include_background": False,
            "with_structured_text": False,
        }
        self._add(
            "table",
            (x0, y, x1, bottom),
            latex=table_latex(rows, n_cols),
            html=table_html(rows),
            attribute=attribute,
            table_edit_status="good",
        )
        return bottom

    def fraction_formula(self, left: str, num: str, den: str, right: str, latex: str, y: float) -> float:
        """Draw ``left num/den right`` centred on the page, the fraction stacked; return the y below."""
        font = self.font("formula")
        small = self.font("formula", round(self.fonts["formula"][1] * 0.8))
        size = self.fonts["formula"][1]
        frac_w = max(small.getlength(num), small.getlength(den)) + 8
        total = font.getlength(left) + frac_w + font.getlength(right)
        x = (self.width - total) / 2
        base = y + size * 0.9
        self.draw.text((round(x), round(base - size * 0.6)), left, fill=0, font=font)
        fx = x + font.getlength(left)
        self.draw.text(
            (round(fx + (frac_w - small.getlength(num)) / 2), round(base - size * 1.35)), num, 0, small
        )
        self.draw.line((round(fx + 2), round(base), round(fx + frac_w - 2), round(base)), fill=0, width=2)
        self.draw.text((round(fx + (frac_w - small.getlength(den)) / 2), round(base + 3)), den, 0, small)
        self.draw.text((round(fx + frac_w), round(base - size * 0.6)), right, fill=0, font=font)
        bottom = base + size * 1.2
        block = f"$$\n{latex}\n$$"
        box = (x, y, x + total, bottom)
        span = {"category_type": "equation_isolated", "poly": _poly(*box), "latex": block}
        self._add(
            "equation_isolated", box, latex=block, line_with_spans=[span], attribute={"formula_type": "print"}
        )
        return bottom + size * 0.5

    def stamp(self, cx: float, cy: float, radius: float, ring: str, middle: str, shade: int = 120) -> None:
        """A round seal: two circles, ``ring`` text around them, ``middle`` across; an ``abandon`` block."""
        d = self.draw
        for r in (radius, radius - 4, radius * 0.62):
            d.ellipse((round(cx - r), round(cy - r), round(cx + r), round(cy + r)), outline=shade, width=3)
        font = self.font("stamp")
        size = self.fonts["stamp"][1]
        rr = radius * 0.81
        n = len(ring)
        for i, ch in enumerate(ring):
            angle = 2 * math.pi * i / n - math.pi / 2
            glyph = Image.new("L", (size * 2, size * 2), 0)
            ImageDraw.Draw(glyph).text((size // 2, size // 2), ch, fill=255, font=font)
            glyph = glyph.rotate(-math.degrees(angle) - 90, resample=Image.Resampling.BILINEAR)
            px, py = cx + rr * math.cos(angle) - size, cy + rr * math.sin(angle) - size
            ink = Image.new("L", glyph.size, shade)
            self.image.paste(ink, (round(px), round(py)), glyph)
        w = font.getlength(middle)
        d.text((round(cx - w / 2), round(cy - size * 0.6)), middle, fill=shade, font=font)
        self._add("abandon", (cx - radius, cy - radius, cx + radius, cy + radius))

    def watermark(self, text: str, shade: int = 232) -> None:
        """A large diagonal word in light grey across the page (drawn first, under the text)."""
        font = self.font("title", min(120, round(self.width * 0.75 / max(len(text), 1))))
        layer = Image.new("L", (self.width, self.width // 3), 0)
        ImageDraw.Draw(layer).text((self.width // 2, self.width // 6), text, fill=255, font=font, anchor="mm")
        layer = layer.rotate(35, expand=True, resample=Image.Resampling.BILINEAR)
        x, y = (self.width - layer.width) // 2, (self.height - layer.height) // 2
        self.image.paste(Image.new("L", layer.size, shade), (x, y), layer)
