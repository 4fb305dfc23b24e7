"""The demo's photographed pages get harder for Tesseract as their severity rises."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest
from rapidfuzz.distance import Levenshtein

from vlmhyperbench._paths import demo_dataset_path
from vlmhyperbench.backends import GenerationRequest, backends


async def _read(pages: list[Path]) -> list[str]:
    backend = backends.get("tesseract")()
    await backend.start()
    try:
        results = [
            await backend.generate(GenerationRequest(sample_id=p.name, images=(p,), user="", task="ocr"))
            for p in pages
        ]
    finally:
        await backend.aclose()
    assert all(r.error is None for r in results)
    return [r.text or "" for r in results]


@pytest.mark.tesseract
def test_tesseract_cer_rises_with_photo_severity_on_a_shipped_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VLMHB_CACHE_DIR", str(tmp_path))
    root = demo_dataset_path()
    ocr = {}
    for line in (root / "annotation.jsonl").read_text("utf-8").splitlines():
        sample = json.loads(line)
        if sample["task"] == "ocr" and sample["doc_class"] == "passport":
            ocr.setdefault(sample["split"], {})[sample["metadata"]["doc_id"]] = sample
    (photo_doc,) = ocr["photo-1"].values()
    doc_id = photo_doc["metadata"]["doc_id"].removesuffix("-ph1")
    splits = ["clean", "photo-1", "photo-2", "photo-3"]
    samples = [ocr["clean"][doc_id], *(ocr[s][f"{doc_id}-ph{s[-1]}"] for s in splits[1:])]
    assert [s["metadata"]["severity"] for s in samples] == [0, 1, 2, 3]
    texts = anyio.run(_read, [root / s["images"][0] for s in samples])
    cer = [
        Levenshtein.normalized_distance(s["answers"][0], t.strip())
        for s, t in zip(samples, texts, strict=True)
    ]
    assert cer[0] < 0.05 and cer[1] < cer[2] < cer[3], dict(zip(splits, cer, strict=True))
    assert cer[3] > 0.4
