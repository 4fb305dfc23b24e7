"""Deterministic generation of the synthetic demo dataset (images + annotation.jsonl)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from PIL import Image

from ._degrade import apply_degradations, choose_degradations
from ._documents import Document
from ._invoices import build_invoice, build_invoice_en, build_receipt
from ._omnidoc import parsing_copies, parsing_sample
from ._parsing import PARSING_BUILDERS
from ._personal import build_inn, build_passport, build_snils
from ._photo import PHOTO_LEVELS, apply_photo, choose_photo
from ._render import render, save_page

__all__ = ["BUILDERS", "DEMO_SEED", "SPLITS", "build_documents", "document_samples", "generate_demo"]

DEMO_SEED = 1234
"""Seed of the shipped copy of the demo dataset."""

SPLITS = ("clean", "degraded", *(f"photo-{k}" for k in PHOTO_LEVELS))
"""The dataset's splits, from clean to the most degraded: the order of ``annotation.jsonl``."""

BUILDERS: dict[str, Callable[[random.Random, str], Document]] = {
    "passport": build_passport,
    "invoice": build_invoice,
    "receipt": build_receipt,
    "snils": build_snils,
    "inn": build_inn,
    "invoice_en": build_invoice_en,
}
"""Document class to builder, in generation order."""

_OCR_QUESTION = {
    "ru": "Распознай весь текст на изображении.",
    "en": "Transcribe all text in the image.",
}
_KIE_QUESTION = {
    "ru": "Извлеки из документа поля и верни только JSON-объект с ключами: {keys}. "
    "Значения переписывай точно так, как они напечатаны.",
    "en": "Extract the fields from the document and return only a JSON object with the keys: "
    "{keys}. Copy the values exactly as printed.",
}


def build_documents(seed: int, n_per_class: int) -> list[Document]:
    """Build the documents of every class; document ``k`` depends only on seed, class and k.

    Args:
        seed: Dataset seed.
        n_per_class: Number of documents per class.

    Returns:
        Documents ordered by class, then number.
    """
    docs = []
    for doc_class, builder in BUILDERS.items():
        for k in range(1, n_per_class + 1):
            doc_id = f"{doc_class}-{k:03d}"
            doc = builder(random.Random(f"{seed}:{doc_id}"), doc_id)
            _validate(doc)
            docs.append(doc)
    return docs


def _validate(doc: Document) -> None:
    """Check the invariants the annotations rely on."""
    labels = [f.label for f in doc.fields]
    if not 4 <= len(doc.fields) <= 8 or len(set(labels)) != len(labels):
        raise ValueError(f"{doc.doc_id}: need 4-8 fields with unique labels, got {labels}")
    lines = {line.text for line in doc.lines}
    for f in doc.fields:
        if f"{f.label}: {f.value}" not in lines:
            raise ValueError(f"{doc.doc_id}: field {f.key!r} is not drawn as 'label: value'")


def json_schema(doc: Document) -> dict[str, Any]:
    """JSON Schema of the document's fields (all strings, all required)."""
    return {
        "type": "object",
        "title": doc.title,
        "properties": {
            f.key: {"type": "string", "title": f.label, "description": f.description} for f in doc.fields
        },
        "required": [f.key for f in doc.fields],
        "additionalProperties": False,
    }


def document_samples(
    doc: Document,
    image: str,
    split: str,
    seed: int,
    degradation: list[dict[str, Any]] | None = None,
    doc_id: str | None = None,
    severity: int = 0,
) -> list[dict[str, Any]]:
    """Build the ocr, vqa and kie samples of one document image.

    Args:
        doc: The rendered document.
        image: Image path relative to the dataset root.
        split: ``clean``, ``degraded`` or ``photo-<severity>``.
        seed: Dataset seed (recorded in metadata).
        degradation: Applied degradation records, ``None`` for clean pages.
        doc_id: Identifier of this copy (defaults to ``doc.doc_id``).
        severity: 0 for clean pages, 1 for ``degraded``, k for ``photo-k``.

    Returns:
        Sample dicts with keys in annotation order.
    """
    doc_id = doc_id or doc.doc_id

    def sample(
        sid: str,
        question: str,
        answers: list[str],
        qtype: str,
        task: str,
        fields: dict[str, str] | None = None,
        schema: dict[str, Any] | None = None,
        field: str | None = None,
    ) -> dict[str, Any]:
        meta = {
            "doc_id": doc_id,
            "seed": seed,
            "fonts": doc.font_files,
            "degradation": degradation,
            "severity": severity,
            "lang": doc.lang,
            "field": field,
        }
        return {
            "id": f"{doc_id}-{sid}",
            "images": [image],
            "question": question,
            "answers": answers,
            "doc_class": doc.doc_class,
            "question_type": qtype,
            "task": task,
            "split": split,
            "fields": fields,
            "json_schema": schema,
            "metadata": meta,
        }

    out = [sample("ocr", _OCR_QUESTION[doc.lang], [doc.text], "full_text", "ocr")]
    for i, f in enumerate(doc.fields, 1):
        out.append(
            sample(f"vqa-{i:02d}", f.question, [f.value, *f.alternatives], f.label, "vqa", field=f.key)
        )
    fields = {f.key: f.value for f in doc.fields}
    question = _KIE_QUESTION[doc.lang].format(keys=", ".join(fields))
    answer = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    out.append(sample("kie", question, [answer], "fields", "kie", fields, json_schema(doc)))
    return out


def _pick_order(docs: list[Document], rng: random.Random) -> list[str]:
    """Document ids in the order they get degraded copies: round-robin over shuffled classes.

    Any prefix is spread evenly over the classes; its first ``k * n_classes`` ids are
    ``k`` documents of each class.
    """
    by_class: dict[str, list[str]] = {}
    for doc in docs:
        by_class.setdefault(doc.doc_class, []).append(doc.doc_id)
    classes = list(by_class)
    rng.shuffle(classes)
    for ids in by_class.values():
        rng.shuffle(ids)
    return [by_class[c][k] for k in range(len(docs)) for c in classes if k < len(by_class[c])]


def _readme(seed: int, n_docs: int, n_degraded: int, n_photo: int, n_samples: int, n_pages: int) -> str:
    """Text of the dataset's README.md."""
    classes = ", ".join(f"`{c}`" for c in BUILDERS)
    kinds = ", ".join(f"`{c}`" for c in PARSING_BUILDERS)
    return f"""# VLMHyperBench demo dataset

Synthetic Russian and English documents drawn with Pillow by
`vlmhyperbench.datasets.demo.generate_demo` (seed {seed}).
All names, numbers, companies and addresses are invented; INN and SNILS
values only have valid checksums.

- Document classes: {classes}
- Documents: {n_docs} clean pages, {n_degraded} degraded copies (`split: degraded`),
  {n_photo} photographed copies at each of {len(PHOTO_LEVELS)} severities (`split: photo-1`..`photo-{len(PHOTO_LEVELS)}`)
- Parsing pages (task `parse`, OmniDocBench ground truth in `metadata.omnidocbench`):
  {n_pages} Russian page images of {kinds}, clean and photographed
- Samples: {n_samples} in `annotation.jsonl` (tasks `ocr`, `vqa`, `kie`, `parse`)
- Fonts: DejaVu (fonts-dejavu-core)

Regenerate (byte-identical with the same seed, Pillow and FreeType):

```python
from pathlib import Path
from vlmhyperbench.datasets.demo import generate_demo

generate_demo(Path("src/vlmhyperbench/datasets/demo/data"))
```

## Licence

Generated data, dedicated to the public domain under CC0 1.0
(https://creativecommons.org/publicdomain/zero/1.0/). The DejaVu fonts used
to draw it are under their own free licence; no font file is included here.
"""


class _Copy(NamedTuple):
    """One image of a document: the clean page or a degraded or photographed copy."""

    split: str
    doc_id: str
    file: str
    image: Image.Image
    quality: int | None
    """JPEG quality; None for the clean PNG."""
    steps: list[dict[str, Any]] | None
    severity: int


def _copies(doc: Document, page: Image.Image, seed: int, degraded: bool, photo: bool) -> Iterator[_Copy]:
    """The clean page, then its degraded copy and its photographed copies, as asked."""
    yield _Copy("clean", doc.doc_id, f"{doc.doc_id}.png", page, None, None, 0)
    if degraded:
        rng = random.Random(f"{seed}:{doc.doc_id}:degrade")
        steps = choose_degradations(rng)
        img, quality = apply_degradations(page, steps, rng)
        yield _Copy("degraded", f"{doc.doc_id}-deg", f"{doc.doc_id}_degraded.jpg", img, quality, steps, 1)
    for severity in PHOTO_LEVELS if photo else ():
        split = f"photo-{severity}"
        rng = random.Random(f"{seed}:{doc.doc_id}:{split}")
        steps = choose_photo(rng, severity)
        img, quality = apply_photo(page, steps, rng)
        yield _Copy(
            split, f"{doc.doc_id}-ph{severity}", f"{doc.doc_id}_{split}.jpg", img, quality, steps, severity
        )


def generate_demo(
    out_dir: Path,
    *,
    seed: int = DEMO_SEED,
    n_per_class: int = 8,
    degraded_fraction: float = 0.4,
    photo_per_class: int = 1,
    parse_per_kind: int = 4,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Generate the demo dataset.

    Writes ``annotation.jsonl``, ``images/<doc_id>.png``, ``images/<doc_id>_degraded.jpg``
    for the degraded copies, ``images/<doc_id>_photo-<k>.jpg`` for the photographed
    ones, and ``README.md``. Samples are written by split: ``clean``, ``degraded``,
    ``photo-1``, ``photo-2``, ``photo-3``; then the ``parse`` samples of the Russian
    parsing pages (``images/<kind>-<k>.png`` and their photographed copies), also by
    split. The same arguments give byte-identical files.

    Args:
        out_dir: Output directory (created if missing; stale images are removed).
        seed: Seed of every random choice.
        n_per_class: Documents per document class.
        degraded_fraction: Fraction of documents that also get a degraded copy.
        photo_per_class: Documents per class that also get a photographed copy at each
            severity (the first ones picked for degraded copies); also the number of
            parsing pages of each kind photographed (the first ones).
        parse_per_kind: Parsing pages of each kind (``payment_invoice``, ``business_letter``).
        progress: Called as ``progress(done, total)`` after each written image.

    Returns:
        Path of the written ``annotation.jsonl``.
    """
    if n_per_class < 1 or not 0.0 <= degraded_fraction <= 1.0 or not 0 <= photo_per_class <= n_per_class:
        raise ValueError(
            "need n_per_class >= 1, 0 <= degraded_fraction <= 1 and 0 <= photo_per_class <= n_per_class"
        )
    if parse_per_kind < 0:
        raise ValueError("need parse_per_kind >= 0")
    out_dir = Path(out_dir)
    images = out_dir / "images"
    images.mkdir(parents=True, exist_ok=True)
    docs = build_documents(seed, n_per_class)
    order = _pick_order(docs, random.Random(f"{seed}:degraded"))
    degraded = set(order[: int(len(docs) * degraded_fraction + 0.5)])
    photo = set(order[: photo_per_class * len(BUILDERS)])
    parse_photo = min(photo_per_class, parse_per_kind)
    n_pages = len(PARSING_BUILDERS) * (parse_per_kind + parse_photo * len(PHOTO_LEVELS))
    total, done = len(docs) + len(degraded) + len(photo) * len(PHOTO_LEVELS) + n_pages, 0
    by_split: dict[str, list[dict[str, Any]]] = {split: [] for split in SPLITS}
    written: set[str] = set()
    for doc in docs:
        page = render(doc)
        for copy in _copies(doc, page, seed, doc.doc_id in degraded, doc.doc_id in photo):
            save_page(copy.image, images / copy.file, copy.quality)
            written.add(copy.file)
            by_split[copy.split] += document_samples(
                doc, f"images/{copy.file}", copy.split, seed, copy.steps, copy.doc_id, copy.severity
            )
            done += 1
            if progress:
                progress(done, total)
    parse_by_split: dict[str, list[dict[str, Any]]] = {split: [] for split in SPLITS}
    for item in parsing_copies(seed, parse_per_kind, parse_photo):
        save_page(item.image, images / item.file, item.quality)
        written.add(item.file)
        parse_by_split[item.split].append(parsing_sample(item, seed))
        done += 1
        if progress:
            progress(done, total)
    for stale in sorted(images.iterdir()):
        if stale.suffix in (".png", ".jpg") and stale.name not in written:
            stale.unlink()
    samples = [s for split in SPLITS for s in by_split[split]]
    samples += [s for split in SPLITS for s in parse_by_split[split]]
    ids = [s["id"] for s in samples]
    if len(set(ids)) != len(ids):
        raise RuntimeError("duplicate sample ids")
    annotation = out_dir / "annotation.jsonl"
    with annotation.open("w", encoding="utf-8", newline="\n") as fh:
        for s in samples:
            fh.write(json.dumps(s, ensure_ascii=False) + "\n")
    (out_dir / "README.md").write_text(
        _readme(seed, len(docs), len(degraded), len(photo), len(samples), n_pages),
        encoding="utf-8",
        newline="\n",
    )
    return annotation
