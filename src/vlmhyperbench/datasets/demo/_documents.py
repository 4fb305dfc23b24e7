"""Content of the demo documents: lines to draw and the fields they hold.

A :class:`Document` is a list of :class:`Line` objects in reading order plus
the :class:`Field` objects whose values appear verbatim in ``Label: value``
lines. Nothing here draws; :mod:`._render` draws documents with Pillow.
Builders live in :mod:`._personal` (passport, SNILS, INN) and
:mod:`._invoices` (invoices, receipt).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Document",
    "Field",
    "Line",
    "Page",
    "family_fonts",
    "field_specs",
]


@dataclass(frozen=True)
class Field:
    """One key-information field of a document.

    Attributes:
        key: snake_case English key used in ``fields`` and the JSON Schema.
        label: Text printed before ``": "`` (the schema property title).
        value: Exact value string as drawn.
        question: Natural question in the document's language.
        description: Schema property description.
        alternatives: Other accepted spellings of the same value.
    """

    key: str
    label: str
    value: str
    question: str
    description: str
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class Line:
    """One drawn line of text.

    Attributes:
        cells: Text pieces; several cells make a table row placed at ``columns``.
        style: Key of the document's ``fonts`` mapping.
        align: ``left``, ``center`` or ``right`` (single-cell lines only).
        columns: Left x of each cell as a fraction of the text width.
        space_before: Extra vertical gap before the line, in line heights.
        rule_below: Draw a horizontal rule under the line.
    """

    cells: tuple[str, ...]
    style: str = "body"
    align: str = "left"
    columns: tuple[float, ...] = ()
    space_before: float = 0.0
    rule_below: bool = False

    @property
    def text(self) -> str:
        """The line as it appears in the OCR reference (cells joined by a space)."""
        return " ".join(self.cells)


@dataclass(frozen=True)
class Page:
    """Page geometry and decoration.

    Attributes:
        width: Width in pixels.
        height: Height in pixels; ``0`` fits the height to the content.
        margin: Left/right margin in pixels.
        top: Top margin in pixels.
        text_left: Extra left offset of the text block (room for a photo).
        background: Grey level of the paper.
        frame: Draw a rounded border (cards).
        photo: Draw a photo placeholder box left of the text.
    """

    width: int
    height: int
    margin: int = 50
    top: int = 50
    text_left: int = 0
    background: int = 255
    frame: bool = False
    photo: bool = False


@dataclass
class Document:
    """A generated document ready to render.

    Attributes:
        doc_id: Identifier such as ``passport-003``.
        doc_class: One of the demo document classes.
        lang: ``ru`` or ``en``.
        title: Human title of the document kind (JSON Schema title).
        page: Page geometry.
        fonts: Style name to ``(font file name, pixel size)``.
        lines: Lines in reading order.
        fields: Key-information fields, in printed order.
        specs: Field key to ``(label, question, description)``, see :func:`field_specs`.
    """

    doc_id: str
    doc_class: str
    lang: str
    title: str
    page: Page
    fonts: dict[str, tuple[str, int]]
    lines: list[Line] = field(default_factory=list)
    fields: list[Field] = field(default_factory=list)
    specs: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """Full page text in reading order, one drawn line per text line."""
        return "\n".join(line.text for line in self.lines)

    @property
    def font_files(self) -> list[str]:
        """Sorted names of the font files used by the drawn lines."""
        return sorted({self.fonts[line.style][0] for line in self.lines})

    def add(
        self,
        text: str,
        style: str = "body",
        align: str = "left",
        *,
        space: float = 0.0,
        rule: bool = False,
    ) -> None:
        """Append a plain single-cell line."""
        self.lines.append(Line((text,), style, align, (), space, rule))

    def row(
        self,
        cells: tuple[str, ...],
        columns: tuple[float, ...],
        *,
        style: str = "body",
        space: float = 0.0,
        rule: bool = False,
    ) -> None:
        """Append a table row."""
        self.lines.append(Line(cells, style, "left", columns, space, rule))

    def put(self, key: str, value: str, *alternatives: str, style: str = "body", space: float = 0.0) -> None:
        """Append a ``Label: value`` line and record it as a field described by ``specs``."""
        label, question, description = self.specs[key]
        self.add(f"{label}: {value}", style, space=space)
        alts = tuple(dict.fromkeys(a for a in alternatives if a != value))
        self.fields.append(Field(key, label, value, question, description, alts))


def field_specs(table: str) -> dict[str, tuple[str, str, str]]:
    """Parse a field table with one ``key | label | question | description`` row per line."""
    rows = (line.split("|") for line in table.strip().splitlines())
    return {key.strip(): (lab.strip(), q.strip(), d.strip()) for key, lab, q, d in rows}


def family_fonts(family: str, body: int, bold: int, title: int) -> dict[str, tuple[str, int]]:
    """Styles ``body``, ``bold`` and ``title`` of a DejaVu family such as ``DejaVuSerif``."""
    return {
        "body": (f"{family}.ttf", body),
        "bold": (f"{family}-Bold.ttf", bold),
        "title": (f"{family}-Bold.ttf", title),
    }
