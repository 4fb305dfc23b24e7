"""What ``vlmhb perf`` sends: document pages from a dataset, synthetic pages, or text.

A workload is a list of `WorkloadItem`: the chat-completions body (without ``model``,
``stream``, ``max_tokens``, set per level) and what is known about it (sample id,
references for correctness, image pixels). Synthetic pages are A4 text pages rendered
at a chosen DPI (or pixel width), so a sweep over DPIs sweeps image tokens. With
``cache_bust`` every request gets a unique first line of text and a unique pixel, so
neither a prefix cache nor an image cache can serve it from an earlier request (`bust`).
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

__all__ = [
    "WorkloadItem",
    "bust",
    "dataset_workload",
    "synthetic_workload",
    "text_workload",
    "with_output_lengths",
]

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
class WorkloadItem:
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


def bust(item: WorkloadItem, nonce: str, index: int) -> WorkloadItem:
    """A copy of ``item`` no cache has seen: a unique text part first, a changed pixel per image."""
    messages = []
    for message in item.messages:
        content = message["content"]
        if message["role"] != "user":
            messages.append(message)
            continue
        parts: list[Any] = [{"type": "text", "text": content}] if isinstance(content, str) else list(content)
        busted: list[Any] = [{"type": "text", "text": f"[{nonce}]"}]
        for part in parts:
            if part.get("type") == "image_url":
                busted.append(
                    {"type": "image_url", "image_url": {"url": _bust_image(part["image_url"]["url"], index)}}
                )
            else:
                busted.append(part)
        messages.append({**message, "content": busted})
    return WorkloadItem(messages, item.sample_id, item.references, item.image_pixels, dict(item.extra))


def _bust_image(url: str, index: int) -> str:
    _header, _, data = url.partition(",")
    with Image.open(io.BytesIO(base64.b64decode(data))) as img:
        image = img.convert("RGB")
    color = (index % 256, (index >> 8) % 256, (index >> 16) % 256)  # unique for 16 M requests
    image.putpixel((0, 0), color)
    return _data_url(image, "PNG")


def synthetic_workload(
    *,
    dpis: list[int] | None = None,
    widths: list[int] | None = None,
    n: int,
    question: str,
    seed: int = 0,
) -> list[WorkloadItem]:
    """``n`` requests per page size: A4 pages at each DPI (or pixel width)."""
    sizes = [round(d * A4_INCHES[0]) for d in (dpis or [])] + list(widths or [])
    if not sizes:
        raise ConfigError("a synthetic workload needs page sizes", hint="give --dpi 100,200 or --width 1240")
    out = []
    for width in sizes:
        page = render_page(width, seed)
        url = _data_url(page)
        for i in range(n):
            out.append(
                WorkloadItem(
                    _user(question, [url]),
                    sample_id=f"page{width}-{i}",
                    image_pixels=page.width * page.height,
                )
            )
    return out


def text_workload(*, n: int, words: int, seed: int = 0) -> list[WorkloadItem]:
    """Text-only prompts of about ``words`` words."""
    rng = random.Random(seed)
    vocabulary = " ".join(_LINES).split()
    out = []
    for i in range(n):
        body = " ".join(rng.choice(vocabulary) for _ in range(words))
        out.append(WorkloadItem([{"role": "user", "content": body}], sample_id=f"text-{i}"))
    return out


def dataset_workload(
    root: Path,
    *,
    task: str | None = None,
    limit: int | None = None,
    seed: int = 0,
) -> list[WorkloadItem]:
    """The samples of a registered dataset: page images with their questions and answers."""
    from ..datasets import load_dataset
    from ..tasks import tasks

    data = load_dataset(root)
    samples = [s for s in data.samples if task is None or s.task == task]
    if not samples:
        raise ConfigError(f"no samples{f' of task {task!r}' if task else ''} in {root}")
    random.Random(seed).shuffle(samples)
    out = []
    for sample in samples[: limit or len(samples)]:
        images, pixels = [], 0
        for path in sample.images:
            with Image.open(path) as img:
                pixels += img.width * img.height
                images.append(_data_url(img.copy(), img.format or "PNG"))
        question = sample.question or tasks.get(sample.task).description
        out.append(
            WorkloadItem(
                _user(question, images), sample_id=sample.id, references=sample.answers, image_pixels=pixels
            )
        )
    return out


def with_output_lengths(
    requests: list[WorkloadItem],
    *,
    fixed: int | None = None,
    low: int | None = None,
    high: int | None = None,
    ignore_eos: bool = False,
    seed: int = 0,
) -> list[WorkloadItem]:
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
            WorkloadItem(request.messages, request.sample_id, request.references, request.image_pixels, extra)
        )
    return out
