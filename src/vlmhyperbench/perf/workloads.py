"""What ``vlmhb perf`` sends: a run's requests, document pages from a dataset, synthetic pages, or text.

Dataset samples become the bodies a run sends (`sample_workload`: the run's own prompt and
body builders, not a copy of them). A workload is a list of `WorkloadItem`: the chat-completions body (without ``model``,
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
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageDraw, ImageFont

from ..core import ConfigError, DatasetSpec, PluginRef, PromptSpec, RunSpec, Sample

if TYPE_CHECKING:
    from ..backends.openai import OpenAIBackend

__all__ = [
    "WorkloadItem",
    "bust",
    "dataset_workload",
    "sample_workload",
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
    """The body's other fields (``max_tokens``, ``temperature``, ``response_format``, ``ignore_eos``...)."""


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


def sample_workload(spec: RunSpec, samples: Sequence[Sample], builder: OpenAIBackend) -> list[WorkloadItem]:
    """What a run of ``spec`` sends for ``samples``, through the functions the run uses.

    The infer stage's `build_requests` resolves the prompts (and JSON schemas, generation
    settings); the ``openai`` backend's `OpenAIBackend.build_body` makes the body, images as
    the data URLs it sends. ``model`` and the stream settings are left out: perf sets them
    per level.
    """
    from ..stages.infer import build_requests

    out = []
    for sample, (request, _) in zip(samples, build_requests(spec, samples)):
        body = builder.build_body(request)
        for key in ("model", "stream", "stream_options"):
            body.pop(key, None)
        messages = body.pop("messages")
        out.append(WorkloadItem(messages, sample.id, sample.answers, _pixels(sample.images), body))
    return out


def _pixels(paths: Sequence[Path]) -> int:
    total = 0
    for path in paths:
        with Image.open(path) as img:  # reads the header only
            total += img.width * img.height
    return total


def dataset_workload(
    root: Path,
    *,
    task: str | None = None,
    limit: int | None = None,
    seed: int = 0,
    builder: OpenAIBackend,
) -> list[WorkloadItem]:
    """The samples of a dataset, as a run with the default prompts and settings would send them.

    Samples are shuffled with ``seed`` and cut to ``limit``; each task's samples get that
    task's default prompt (the sample's question where it has one).
    """
    from ..datasets import load_dataset

    data = load_dataset(root)
    samples = [s for s in data.samples if task is None or s.task == task]
    if not samples:
        raise ConfigError(f"no samples{f' of task {task!r}' if task else ''} in {root}")
    random.Random(seed).shuffle(samples)
    samples = samples[: limit or len(samples)]
    items: dict[str, WorkloadItem] = {}
    for name in dict.fromkeys(s.task for s in samples):
        spec = RunSpec(
            experiment="perf",
            run_id="perf",
            task=name,
            dataset=DatasetSpec(path=str(data.root), layout=data.layout, fingerprint=data.fingerprint),
            backend=PluginRef(name="openai", options={"base_url": builder.base_url, "model": builder.model}),
            model=builder.model,
            prompts=PromptSpec(),
            metrics=[],
            aggregators=[],
        )
        of_task = [s for s in samples if s.task == name]
        items.update((item.sample_id or "", item) for item in sample_workload(spec, of_task, builder))
    return [items[s.id] for s in samples]


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
