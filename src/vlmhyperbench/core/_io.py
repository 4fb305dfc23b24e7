"""Atomic JSON writes and validated JSONL reads/appends: the only file primitives."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

from pydantic import BaseModel, ValidationError
from typing_extensions import Self

from .errors import ConfigError, DatasetError, Problem, SourceLocation, problems_from_validation_error

M = TypeVar("M", bound=BaseModel)

__all__ = [
    "JsonlAppender",
    "atomic_write_text",
    "log_tail",
    "prepare_output_dir",
    "read_json_model",
    "read_jsonl_models",
    "read_text_utf8",
    "write_json_model",
]


def log_tail(path: Path, lines: int = 20) -> str:
    """The last ``lines`` lines of a log file ("" when it cannot be read); reads at most
    its last 64 KiB."""
    try:
        with path.open("rb") as fh:
            fh.seek(max(0, fh.seek(0, os.SEEK_END) - 64 * 1024))
            text = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def prepare_output_dir(path: Path, what: str) -> Path:
    """Create the output folder ``path`` (and its parents), or say plainly why it cannot be.

    Args:
        path: The folder.
        what: How the user named it, for the message (``--out``, ``--output-dir / output_dir``).

    Raises:
        ConfigError: a file is in the way, or the folder cannot be created.
    """
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), path)
        raise ConfigError(
            f"{what}: {path} cannot be a folder because {blocker} is a file",
            hint="give a folder path (it is created if missing), or move the file away",
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"{what}: cannot create the folder {path}: {exc.strerror or exc}",
            hint="choose a folder you can write to",
        ) from None
    return path


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temp file in the same folder, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; results are meant to be shared
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_model(path: Path, model: BaseModel) -> None:
    """Atomically write a pydantic model as indented UTF-8 JSON."""
    atomic_write_text(path, model.model_dump_json(indent=2) + "\n")


def read_json_model(path: Path, cls: type[M]) -> M:
    """Read and validate a JSON document; errors name the file and key."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetError(f"{path.name} is missing", location=SourceLocation(path)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatasetError(f"not valid UTF-8 JSON: {exc}", location=SourceLocation(path)) from None
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise DatasetError(problems=problems_from_validation_error(exc, SourceLocation(path))) from None


def read_jsonl_models(path: Path, cls: type[M], *, skip_torn_tail: bool = True) -> Iterator[tuple[int, M]]:
    """Yield ``(line_number, record)`` for each non-empty line, validated.

    A last line without a newline that does not parse is a write torn by a kill; it is
    skipped (with ``skip_torn_tail``) because nothing completed was in it.
    """
    with path.open("rb") as fh:
        raw_lines = fh.read().split(b"\n")
    problems: list[Problem] = []
    for number, raw in enumerate(raw_lines, start=1):
        if not raw.strip():
            continue
        is_tail = number == len(raw_lines)
        try:
            yield number, cls.model_validate_json(raw)
        except ValidationError as exc:
            if is_tail and skip_torn_tail and _is_json_error(exc):
                return
            problems.extend(problems_from_validation_error(exc, SourceLocation(path, number)))
            if len(problems) >= 20:
                break
    if problems:
        raise DatasetError(problems=problems)


def _is_json_error(exc: ValidationError) -> bool:
    return any(e["type"] == "json_invalid" for e in exc.errors())


class JsonlAppender:
    """Appends one record per line and flushes it to disk before returning."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        _repair_torn_tail(path)
        self._fh: IO[str] = path.open("a", encoding="utf-8", newline="\n")

    def append(self, record: BaseModel | dict[str, Any]) -> None:
        """Write one line and fsync it, so a kill right after loses nothing."""
        line = (
            record.model_dump_json()
            if isinstance(record, BaseModel)
            else json.dumps(record, ensure_ascii=False)
        )
        self._fh.write(line + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        """Close the file."""
        self._fh.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _repair_torn_tail(path: Path) -> None:
    """Cut a partial last line (a write interrupted by a kill) before appending."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb+") as fh:
        data = fh.read()
        if data.endswith(b"\n"):
            return
        cut = data.rfind(b"\n") + 1
        fh.seek(cut)
        fh.truncate()


def read_text_utf8(path: Path) -> str:
    """Read a text file as UTF-8 (BOM allowed) or explain how to convert it."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DatasetError(f"file not found: {path}", hint="check the path") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        guess = "cp1251" if _looks_cp1251(data) else "your encoding"
        raise DatasetError(
            f"not UTF-8: byte 0x{data[exc.start]:02x} at byte {exc.start} cannot be decoded",
            location=SourceLocation(path, line),
            hint=f"re-save the file as UTF-8, e.g. `iconv -f {guess} -t utf-8 {path.name} > fixed`",
        ) from None


def _looks_cp1251(data: bytes) -> bool:
    high = bytes(b for b in data if b >= 0x80)
    if not high:
        return False
    text = high.decode("cp1251", errors="replace")
    cyrillic = sum(1 for ch in text if "\u0400" <= ch <= "\u04ff")
    return cyrillic >= 0.8 * len(text)
