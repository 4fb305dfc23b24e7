"""``tesseract``: Tesseract OCR (rus+eng) as an offline baseline for OCR, VQA, KIE and parsing.

- ``ocr``: the page text, as Tesseract reads it.
- ``parse``: Markdown-ish text: each paragraph Tesseract finds (its TSV output's
  block and paragraph numbers) on one line, paragraphs separated by blank lines; no
  headings, tables or formulas — the floor a page parser has to beat.
- ``vqa`` and ``kie`` ("KIE by OCR"): the page is read once (cached per image, on disk
  under ``$VLMHB_CACHE_DIR/tesseract`` so that runs in other processes share it), then
  each field is looked up by its printed label: the line whose text before ``:`` best
  matches the field's label (``question_type`` for VQA, the JSON-schema property
  ``title`` for KIE) gives the value after ``:``. This is how a rule-based OCR
  pipeline works, and the floor a VLM has to beat.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any, Literal

import anyio
from pydantic import Field, PrivateAttr
from rapidfuzz import fuzz

from .._paths import cache_dir
from ..core import ErrorInfo, MissingDependency, Timings, Usage, atomic_write_text
from ._base import GenerationRequest, GenerationResult, ModelBackend, register_backend

__all__ = ["TesseractBackend", "find_labelled_value", "tsv_paragraphs"]

INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-rus tesseract-ocr-eng"

_PAGE_CACHE: dict[tuple[str, ...], str] = {}
"""Page text by (image, mtime, settings), shared by the runs of one process: a VQA run
asks many questions about each page, and OCR, VQA and KIE runs read the same pages."""
_PAGE_CACHE_LIMIT = 2048


@register_backend("tesseract", version="1.1.0")
class TesseractBackend(ModelBackend):
    """Tesseract OCR through its command-line program."""

    lang: str = Field(default="rus+eng", description="tesseract -l value")
    psm: int = Field(default=3, ge=0, le=13, description="page segmentation mode")
    oem: int | None = Field(default=None, ge=0, le=3, description="OCR engine mode")
    binary: str = "tesseract"
    timeout_s: float = Field(default=120.0, gt=0)
    threads_per_process: int = Field(default=1, ge=1, description="OMP_THREAD_LIMIT for each tesseract")
    label_match_threshold: float = Field(default=75.0, ge=0, le=100)
    mode: Literal["auto", "text", "paragraphs", "fields"] = Field(
        default="auto",
        description="auto: text for ocr, paragraphs split by blank lines for parse, label lookup for vqa/kie",
    )

    _path: str | None = PrivateAttr(default=None)
    _version: str = PrivateAttr(default="")
    _locks: dict[Path, anyio.Lock] = PrivateAttr(default_factory=dict)

    def model_label(self) -> str:
        return f"tesseract-{self.lang}-psm{self.psm}"

    async def start(self) -> None:
        self._path = shutil.which(self.binary)
        if self._path is None:
            raise MissingDependency(
                f"backend 'tesseract' needs the '{self.binary}' program", hint=INSTALL_HINT
            )
        out = await anyio.run_process([self._path, "--version"], check=False)
        text = (out.stdout or out.stderr).decode(errors="replace")
        self._version = text.splitlines()[0] if text else ""
        langs = await anyio.run_process([self._path, "--list-langs"], check=False)
        have = {line.strip() for line in langs.stdout.decode(errors="replace").splitlines()[1:]}
        missing = [code for code in self.lang.split("+") if code not in have]
        if missing:
            raise MissingDependency(
                f"tesseract has no language data for {', '.join(missing)} (installed: {', '.join(sorted(have)) or 'none'})",
                hint=" ".join(f"apt-get install tesseract-ocr-{code}" for code in missing),
            )

    def describe(self) -> dict[str, Any]:
        return {"version": self._version, "lang": self.lang, "psm": self.psm}

    async def _ocr(self, image: Path, disk: bool, output: str = "txt") -> tuple[str, bool]:
        """Page text (``output`` ``txt``) or TSV (``tsv``), and whether it came from the cache
        (in memory; on disk across processes when ``disk``)."""
        key = (
            str(image),
            str(image.stat().st_mtime_ns),  # noqa: ASYNC240 (one stat, cheaper than a thread hop)
            self.binary,
            self.lang,
            str(self.psm),
            str(self.oem),
            output,
        )
        lock = self._locks.setdefault(image, anyio.Lock())
        async with lock:
            if key in _PAGE_CACHE:
                return _PAGE_CACHE[key], True
            stored = await anyio.to_thread.run_sync(lambda: self._disk_key(image, output))
            if disk and stored.exists():
                text, cached = stored.read_text(encoding="utf-8"), True
            else:
                text, cached = await self._run(image, output), False
                with contextlib.suppress(OSError):  # a read-only home only loses the cache
                    stored.parent.mkdir(parents=True, exist_ok=True)
                    atomic_write_text(stored, text)
            if len(_PAGE_CACHE) >= _PAGE_CACHE_LIMIT:
                _PAGE_CACHE.pop(next(iter(_PAGE_CACHE)))
            _PAGE_CACHE[key] = text
            return text, cached

    def _disk_key(self, image: Path, output: str) -> Path:
        """The page's cache file: by image content, engine version, settings and output kind."""
        digest = hashlib.sha256(image.read_bytes())
        digest.update(f"|{self._version}|{self.lang}|{self.psm}|{self.oem}".encode())
        return cache_dir("tesseract", digest.hexdigest()[:2], f"{digest.hexdigest()}.{output}")

    async def _run(self, image: Path, output: str) -> str:
        assert self._path is not None, "start() was not called"
        cmd = [self._path, str(image), "stdout", "-l", self.lang, "--psm", str(self.psm)]
        if self.oem is not None:
            cmd += ["--oem", str(self.oem)]
        if output == "tsv":
            cmd.append("tsv")
        env = {**os.environ, "OMP_THREAD_LIMIT": str(self.threads_per_process)}
        with anyio.fail_after(self.timeout_s):
            result = await anyio.run_process(cmd, env=env, check=False)
        if result.returncode != 0:
            raise RuntimeError(
                result.stderr.decode(errors="replace").strip()[-300:] or f"exit {result.returncode}"
            )
        return result.stdout.decode("utf-8", errors="replace")

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        started, t0 = time.time(), time.perf_counter()
        mode: str = self.mode
        if mode == "auto":
            mode = {"ocr": "text", "parse": "paragraphs"}.get(request.task, "fields")
        output = "tsv" if mode == "paragraphs" else "txt"
        try:
            # field lookups share one read of each page, also across runs (disk cache);
            # page OCR itself is always timed for real
            pages = [await self._ocr(p, disk=mode == "fields", output=output) for p in request.images]
        except TimeoutError:
            return _failed("timeout", f"tesseract took longer than {self.timeout_s:g} s")
        except (RuntimeError, OSError) as exc:
            return _failed("backend", f"tesseract failed: {exc}")
        if mode == "paragraphs":
            text = "\n\n".join(filter(None, (tsv_paragraphs(page) for page, _ in pages)))
        else:
            text = "\n".join(_clean(page) for page, _ in pages)
        if mode == "fields":
            text = self._fields_answer(text, request)
        latency = time.perf_counter() - t0
        return GenerationResult(
            text=text,
            finish_reason="stop",
            usage=Usage(),
            timings=Timings(started_at=started, latency_s=latency),
            extra={"engine": self._version, "cached": all(cached for _, cached in pages)},
        )

    def _fields_answer(self, page: str, request: GenerationRequest) -> str:
        lines = page.splitlines()
        schema = request.json_schema
        if schema and isinstance(schema.get("properties"), dict):
            found = {
                key: find_labelled_value(lines, str(spec.get("title") or key), self.label_match_threshold)
                for key, spec in schema["properties"].items()
                if isinstance(spec, dict)
            }
            return json.dumps(found, ensure_ascii=False)
        label = str(request.hints.get("question_type") or "")
        return find_labelled_value(lines, label, self.label_match_threshold) if label else ""


def _failed(kind: Literal["timeout", "backend"], message: str) -> GenerationResult:
    return GenerationResult(text=None, error=ErrorInfo(kind=kind, message=message))


def _clean(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\f", "").splitlines()]
    return "\n".join(line for line in lines if line.strip())


def tsv_paragraphs(tsv: str) -> str:
    """Paragraphs of Tesseract's TSV output, one per line, separated by blank lines.

    Words (level 5 rows) are grouped by ``(page_num, block_num, par_num)`` in the order
    Tesseract lists them; the lines of a paragraph are joined by single spaces.

    Args:
        tsv: What ``tesseract IMAGE stdout tsv`` printed (header row first).

    Returns:
        The Markdown-ish text; ``""`` when no word was read.
    """
    paragraphs: dict[tuple[str, str, str], list[str]] = {}
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        paragraphs.setdefault((cols[1], cols[2], cols[3]), []).append(cols[11].strip())
    return "\n\n".join(" ".join(words) for words in paragraphs.values())


def find_labelled_value(lines: list[str], label: str, threshold: float = 75.0) -> str:
    """The value printed after ``label:`` on the best-matching line, or ``""``."""
    best, best_score = "", threshold
    wanted = label.strip().lower()
    for line in lines:
        if ":" not in line:
            continue
        head, _, tail = line.partition(":")
        score = fuzz.ratio(head.strip().lower(), wanted)
        if score > best_score or (score == best_score and not best):
            best, best_score = tail.strip(), score
    return best
