"""What ``vlmhb perf`` sends: document pages from a dataset, synthetic pages, or text.

A workload is a list of `PerfRequest`: the chat-completions body (without ``model``,
``stream``, ``max_tokens``, set per level) and what is known about it (sample id,
references for correctness, image pixels). Synthetic pages are A4 text pages rendered
at a chosen DPI (or pixel width), so a sweep over DPIs sweeps image tokens. With
``cache_bust`` every request gets a unique first line of text and a unique pixel, so
neither a prefix cache nor an image cache can serve it from an earlier request.
"""

from __future__ import annotations

import base64
import io
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from ..core import ConfigError

__all__ = ["PerfRequest", "dataset_workload", "synthetic_workload", "text_workload", "with_output_lengths"]

A4_INCHES = (8.27, 11.69)
_LINES = [
    "СЧЕТ-ФАКТУРА № {n} от 17.05.2024",
    "Продавец: ООО «Ромашка», ИНН 7707083893, КПП 770701001",
    "Покупатель: АО «Вектор», ИНН 5001007322",
    "Наименование товара        Кол-во    Цена       Сумма",
    "Бумага офисная А4           10       350,00     3 500,00",
    "Invoice total: 12,345.67 USD, VAT 20%",
    "Итого к оплате: 14 814,80 руб.",
]


@dataclass(frozen=True)
class PerfRequest:
    """One request of a workload."""

    messages: list[dict[str, Any]]
    sample_id: str | None = None
    references: tuple[str, ...] = ()
    image_pixels: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """Extra body fields (``ignore_eos``, ``min_tokens``, ``max_tokens`` per request)."""


def _data_url(image: Image.Image, fmt: str = "PNG") -> str:
    buf = io.BytesIO()
    image.save(buf, format=fmt)
    return f"data:image/{fmt.lower()};base64,{base64.b64encode(buf.getvalue()).decode('ascii')}"


def _user(text: str, images: list[str]) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = [{"type": "image_url", "image_url": {"url": u}} for u in images]
    return [{"role": "user", "content": [*parts, {"type": "text", "text": text}]}]


def render_page(width_px: int, seed: int = 0) -> Image.Image:
    """An A4 text page ``width_px`` wide (e.g. 1240 for 150 DPI)."""
    from ..datasets.demo import find_font

    height = round(width_px * A4_INCHES[1] / A4_INCHES[0])
    img = Image.new("L", (width_px, height), 255)
    draw = ImageDraw.Draw(img)
    size = max(8, width_px // 60)
    font = ImageFont.truetype(str(find_font("DejaVuSans.ttf")), size)
    rng = random.Random(seed)
    y = size * 2
    while y < height - size * 2:
        draw.text((size * 2, y), rng.choice(_LINES).format(n=rng.randint(1, 999)), fill=0, font=font)
        y += int(size * 1.6)
    return img


def _bust(image: Image.Image, index: int) -> Image.Image:
    busted = image.copy()
    busted.putpixel((index % busted.width, 0), (index * 37) % 256)
    return busted


def synthetic_workload(
    *,
    dpis: list[int] | None = None,
    widths: list[int] | None = None,
    n: int,
    question: str,
    cache_bust: bool = False,
    seed: int = 0,
) -> list[PerfRequest]:
    """``n`` requests per page size: A4 pages at each DPI (or pixel width)."""
    sizes = [round(d * A4_INCHES[0]) for d in (dpis or [])] + list(widths or [])
    if not sizes:
        raise ConfigError("a synthetic workload needs page sizes", hint="give --dpi 100,200 or --width 1240")
    out = []
    for width in sizes:
        page = render_page(width, seed)
        for i in range(n):
            image = _bust(page, i) if cache_bust else page
            text = f"[request {seed}-{width}-{i}]\n{question}" if cache_bust else question
            out.append(
                PerfRequest(
                    _user(text, [_data_url(image)]),
                    sample_id=f"page{width}-{i}",
                    image_pixels=image.width * image.height,
                )
            )
    return out


def text_workload(*, n: int, words: int, cache_bust: bool = False, seed: int = 0) -> list[PerfRequest]:
    """Text-only prompts of about ``words`` words."""
    rng = random.Random(seed)
    vocabulary = " ".join(_LINES).split()
    out = []
    for i in range(n):
        body = " ".join(rng.choice(vocabulary) for _ in range(words))
        text = f"[request {seed}-{i}] {body}" if cache_bust else body
        out.append(PerfRequest([{"role": "user", "content": text}], sample_id=f"text-{i}"))
    return out


def dataset_workload(
    root: Path,
    *,
    task: str | None = None,
    limit: int | None = None,
    cache_bust: bool = False,
    seed: int = 0,
) -> list[PerfRequest]:
    """The samples of a registered dataset: page images with their questions and answers."""
    from ..datasets import load_dataset
    from ..tasks import tasks

    data = load_dataset(root)
    samples = [s for s in data.samples if task is None or s.task == task]
    if not samples:
        raise ConfigError(f"no samples{f' of task {task!r}' if task else ''} in {root}")
    random.Random(seed).shuffle(samples)
    out = []
    for i, sample in enumerate(samples[: limit or len(samples)]):
        images, pixels = [], 0
        for path in sample.images:
            with Image.open(path) as img:
                image = _bust(img.convert("L"), i) if cache_bust else img.copy()
                pixels += image.width * image.height
                images.append(_data_url(image, "PNG" if cache_bust else (img.format or "PNG")))
        question = sample.question or tasks.get(sample.task).description
        text = f"[request {seed}-{i}]\n{question}" if cache_bust else question
        out.append(
            PerfRequest(
                _user(text, images), sample_id=sample.id, references=sample.answers, image_pixels=pixels
            )
        )
    return out


def with_output_lengths(
    requests: list[PerfRequest],
    *,
    fixed: int | None = None,
    low: int | None = None,
    high: int | None = None,
    ignore_eos: bool = False,
    seed: int = 0,
) -> list[PerfRequest]:
    """Give every request an output length: fixed, or uniform in [low, high] (seeded).

    With ``ignore_eos`` the server is asked (vLLM's ``ignore_eos``/``min_tokens``) to
    produce exactly that many tokens.
    """
    rng = random.Random(seed)
    out = []
    for request in requests:
        n = fixed if fixed is not None else (rng.randint(low, high) if low and high else None)
        extra = dict(request.extra)
        if n is not None:
            extra["max_tokens"] = n
            if ignore_eos:
                extra.update(ignore_eos=True, min_tokens=n)
        out.append(
            PerfRequest(request.messages, request.sample_id, request.references, request.image_pixels, extra)
        )
    return out
