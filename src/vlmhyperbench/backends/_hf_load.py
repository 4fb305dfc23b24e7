"""Loading a Hugging Face vision-language model: real weights or the dummy format.

Imported only by the ``hf`` backend's `start`, so torch and transformers stay out of
every other code path.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core import ConfigError, MissingDependency, UserError

__all__ = ["LoadedModel", "load_model", "resolve_attention", "resolve_device"]

logger = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'vlmhyperbench[hf]' (torch, torchvision, transformers)"


@dataclass
class LoadedModel:
    """What generation needs: the model, its processor and where it runs."""

    model: Any
    processor: Any
    device: str
    dtype: Any
    attention: str
    dummy: bool
    transformers_version: str


def _imports() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise MissingDependency(
            f"backend 'hf' needs torch and transformers ({exc.name} is missing)", hint=INSTALL_HINT
        ) from None
    return torch, transformers


def resolve_device(device_map: str, torch: Any) -> str:
    """``auto`` → ``cuda`` when a GPU is visible, else ``cpu``."""
    if device_map != "auto":
        return device_map
    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_attention(requested: str, device: str) -> str:
    """``auto`` → FlashAttention 2 when installed and on a GPU, else PyTorch SDPA."""
    if requested != "auto":
        if requested == "flash_attention_2" and importlib.util.find_spec("flash_attn") is None:
            raise MissingDependency(
                "attn_implementation 'flash_attention_2' needs flash-attn",
                hint="pip install flash-attn --no-build-isolation, or use 'sdpa'",
            )
        return requested
    if device.startswith("cuda") and importlib.util.find_spec("flash_attn") is not None:
        return "flash_attention_2"
    return "sdpa"


def _dtype(name: str, device: str, torch: Any) -> Any:
    if name == "auto":
        return torch.bfloat16 if device.startswith("cuda") else torch.float32
    return getattr(torch, name)


def _check_source(model: str) -> None:
    path = Path(model).expanduser()
    looks_local = model.startswith(("/", ".", "~")) or model.count("/") > 1
    if looks_local and not path.exists():
        raise ConfigError(
            f"checkpoint directory not found: {model}",
            hint="give an existing folder made with save_pretrained, or a Hub id like Qwen/Qwen2-VL-2B-Instruct",
        )
    if path.is_dir() and not (path / "config.json").is_file():
        raise ConfigError(
            f"{model} is not a checkpoint: config.json is missing",
            hint="the folder must hold what save_pretrained wrote (config.json, weights, processor files)",
        )


def load_model(
    model_id: str,
    *,
    revision: str | None,
    dtype: str,
    device_map: str,
    attention: str,
    processor_options: dict[str, Any],
    trust_remote_code: bool,
    dummy: bool,
) -> LoadedModel:
    """Load processor and model (random weights with ``dummy``), or raise a `UserError`."""
    torch, transformers = _imports()
    _check_source(model_id)
    offline = os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0")
    common: dict[str, Any] = {"revision": revision, "trust_remote_code": trust_remote_code}
    if offline:
        common["local_files_only"] = True
    device = resolve_device(device_map, torch)
    attn = resolve_attention(attention, device)
    torch_dtype = _dtype(dtype, device, torch)
    try:
        config = transformers.AutoConfig.from_pretrained(model_id, **common)
        processor = transformers.AutoProcessor.from_pretrained(model_id, **common, **processor_options)
        cls = transformers.AutoModelForImageTextToText
        if dummy:
            torch.manual_seed(0)
            model = cls.from_config(
                config, dtype=torch_dtype, attn_implementation=attn, trust_remote_code=trust_remote_code
            )
        else:
            model = cls.from_pretrained(model_id, **common, dtype=torch_dtype, attn_implementation=attn)
    except ValueError as exc:
        text = str(exc)
        if "Unrecognized" in text or "does not recognize" in text or "not supported" in text:
            raise UserError(
                f"transformers {transformers.__version__} cannot load '{model_id}': {text.splitlines()[0]}",
                hint="upgrade transformers to the version the model's catalogue entry names, or set "
                "trust_remote_code: true in its catalogue entry if the model ships its own code",
            ) from None
        raise
    except OSError as exc:
        raise UserError(
            f"cannot load '{model_id}': {str(exc).splitlines()[0]}",
            hint="check the Hub id or path; offline (HF_HUB_OFFLINE=1) only cached or local "
            "checkpoints can be loaded",
        ) from None
    model.to(device)
    model.eval()
    if getattr(processor, "tokenizer", None) is not None:
        processor.tokenizer.padding_side = "left"
    logger.info(
        "loaded %s (%s, %s, attention %s%s)",
        model_id,
        device,
        torch_dtype,
        attn,
        ", dummy weights" if dummy else "",
    )
    return LoadedModel(model, processor, device, torch_dtype, attn, dummy, transformers.__version__)
