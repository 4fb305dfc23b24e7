"""Decode speed of the `hf` backend: plain `model.generate` vs the fast path vs `vlmhb serve`.

Prepared for a GPU machine (one short run, ~5 minutes); it also runs on the CPU with a
tiny checkpoint as a smoke test. For each architecture it builds a DUMMY-weights model
of real size from its config (no download: the configs of Qwen2-VL-2B-Instruct and
Qwen2.5-VL-7B-Instruct are written below, the tokenizer/processor are the tiny local
ones), and measures on one document page at batch 1:

- plain loop: ``model.generate`` (eager, dynamic cache): TTFT and TPOT;
- fast path: ``cache_implementation="static"`` + ``torch.compile(mode="reduce-overhead")``;
- the memory-bandwidth lower bound of TPOT: weight bytes / HBM bandwidth of the card;
- peak VRAM: ``torch.cuda.max_memory_allocated`` (what the wrapper reports);
- with ``--serve``: the same request through ``vlmhb serve`` (official openai client,
  streaming): TTFT/TPOT seen by a client, and the wrapper's overhead as a ratio.

    python benchmarks/bench_hf_decode.py --arch qwen2-vl-2b --arch qwen2.5-vl-7b \\
        --dtype bfloat16 --new-tokens 128 --serve --out docs/figures/hf_decode.json
    python benchmarks/bench_hf_decode.py --checkpoint /tmp/tiny --dtype float32 --new-tokens 16  # CPU smoke
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

HBM_BYTES_PER_S = {"H200": 4.8e12, "H100": 3.35e12, "A100": 2.0e12, "L40S": 0.864e12}
ARCHS: dict[str, dict[str, Any]] = {
    "qwen2-vl-2b": {
        "model_type": "qwen2_vl",
        "architectures": ["Qwen2VLForConditionalGeneration"],
        "hidden_size": 1536,
        "num_hidden_layers": 28,
        "num_attention_heads": 12,
        "num_key_value_heads": 2,
        "intermediate_size": 8960,
        "vocab_size": 151936,
        "tie_word_embeddings": True,
        "rope_theta": 1e6,
        "max_position_embeddings": 32768,
        "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]},
        "vision_config": {
            "depth": 32,
            "embed_dim": 1280,
            "hidden_size": 1536,
            "num_heads": 16,
            "mlp_ratio": 4,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
        },
    },
    "qwen2.5-vl-7b": {
        "model_type": "qwen2_5_vl",
        "architectures": ["Qwen2_5_VLForConditionalGeneration"],
        "hidden_size": 3584,
        "num_hidden_layers": 28,
        "num_attention_heads": 28,
        "num_key_value_heads": 4,
        "intermediate_size": 18944,
        "vocab_size": 152064,
        "tie_word_embeddings": False,
        "rope_theta": 1e6,
        "max_position_embeddings": 128000,
        "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]},
        "vision_config": {
            "depth": 32,
            "hidden_size": 1280,
            "intermediate_size": 3420,
            "num_heads": 16,
            "out_hidden_size": 3584,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "window_size": 112,
            "fullatt_block_indexes": [7, 15, 23, 31],
        },
    },
}


def dummy_checkpoint(arch: str, workdir: Path) -> Path:
    """A folder with the real-size config and the tiny local tokenizer/processor."""
    from tests.support.tiny_vlm import build_tiny_qwen2_vl

    tiny = build_tiny_qwen2_vl(workdir / "tiny")
    folder = workdir / arch
    shutil.copytree(tiny, folder, ignore=shutil.ignore_patterns("*.safetensors", "config.json"))
    ids = json.loads((tiny / "config.json").read_text())
    config = {
        **ARCHS[arch],
        **{
            k: ids[k]
            for k in (
                "image_token_id",
                "video_token_id",
                "vision_start_token_id",
                "vision_end_token_id",
                "bos_token_id",
                "eos_token_id",
            )
            if k in ids
        },
    }
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def page() -> Any:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (896, 1260), "white")
    draw = ImageDraw.Draw(img)
    for i in range(30):
        draw.text((40, 40 + 38 * i), f"Строка {i}: ИНН 7707083893, сумма 12 345,67 руб.", fill="black")
    return img


def measure_generate(
    model: Any, inputs: dict[str, Any], new_tokens: int, repeats: int, **kwargs: Any
) -> dict[str, float]:
    """Median TTFT (1-token generate) and TPOT ((full − TTFT) / (n − 1)) over repeats."""
    import torch

    def run(n: int) -> float:
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        start = time.perf_counter()
        model.generate(**inputs, max_new_tokens=n, min_new_tokens=n, do_sample=False, **kwargs)
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        return time.perf_counter() - start

    run(new_tokens)  # warm-up (and compilation on the fast path)
    ttft = statistics.median(run(1) for _ in range(repeats))
    full = statistics.median(run(new_tokens) for _ in range(repeats))
    return {"ttft_s": ttft, "tpot_s": (full - ttft) / (new_tokens - 1), "e2e_s": full}


def measure_serve(checkpoint: Path, dtype: str, new_tokens: int, repeats: int) -> dict[str, float]:
    """TTFT/TPOT seen by the official openai client streaming from `vlmhb serve`."""
    import base64
    import io

    import openai

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    options = json.dumps({"load_format": "dummy", "dtype": dtype})
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vlmhyperbench",
            "serve",
            "--model",
            str(checkpoint),
            "--port",
            str(port),
            "--options",
            options,
        ],
        cwd=REPO,
    )
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="none", max_retries=0)
        for _ in range(600):
            try:
                client.models.list()
                break
            except openai.APIConnectionError:
                time.sleep(1)
        buf = io.BytesIO()
        page().save(buf, format="PNG")
        url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
        messages = [
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": url}},
                    {"type": "text", "text": "Transcribe the page."},
                ],
            }
        ]
        rows = []
        for _ in range(repeats + 1):
            start = time.perf_counter()
            times = []
            for chunk in client.chat.completions.create(
                model=str(checkpoint),
                messages=messages,
                stream=True,  # type: ignore[arg-type]
                max_tokens=new_tokens,
                temperature=0,
                extra_body={"min_tokens": new_tokens},
            ):
                if chunk.choices and chunk.choices[0].delta.content:
                    times.append(time.perf_counter() - start)
            if len(times) > 1:
                rows.append((times[0], (times[-1] - times[0]) / (len(times) - 1)))
        rows = rows[1:] or rows
        return {
            "ttft_s": statistics.median(r[0] for r in rows),
            "tpot_s": statistics.median(r[1] for r in rows),
        }
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def bench(checkpoint: Path, label: str, args: argparse.Namespace) -> dict[str, Any]:
    import torch
    from transformers import AutoConfig, AutoModelForImageTextToText, AutoProcessor

    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = getattr(torch, args.dtype)
    config = AutoConfig.from_pretrained(checkpoint)
    model = AutoModelForImageTextToText.from_config(config, dtype=dtype).to(device).eval()
    processor = AutoProcessor.from_pretrained(checkpoint)
    messages = [
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Transcribe the page."}]}
    ]
    text = processor.apply_chat_template(messages, add_generation_prompt=True)
    inputs = processor(text=[text], images=[page()], return_tensors="pt").to(device)
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    card = torch.cuda.get_device_name() if device == "cuda" else "cpu"
    bandwidth = next((bw for name, bw in HBM_BYTES_PER_S.items() if name in card), None)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    result: dict[str, Any] = {
        "arch": label,
        "card": card,
        "dtype": args.dtype,
        "weight_bytes": weight_bytes,
        "prompt_tokens": int(inputs["input_ids"].shape[1]),
        "new_tokens": args.new_tokens,
    }
    with torch.inference_mode():
        result["plain"] = measure_generate(model, inputs, args.new_tokens, args.repeats)
        if device == "cuda":
            result["peak_vram_bytes"] = int(torch.cuda.max_memory_allocated())
        if args.fast:
            model.forward = torch.compile(model.forward, mode="reduce-overhead", fullgraph=False)
            result["fast"] = measure_generate(
                model, inputs, args.new_tokens, args.repeats, cache_implementation="static"
            )
    if bandwidth:
        bound = weight_bytes / bandwidth
        result["tpot_bound_s"] = bound
        for mode in ("plain", "fast"):
            if mode in result:
                result[mode]["x_bound"] = result[mode]["tpot_s"] / bound
    del model
    if args.serve:
        result["serve"] = measure_serve(checkpoint, args.dtype, args.new_tokens, args.repeats)
        result["serve"]["tpot_overhead_ratio"] = result["serve"]["tpot_s"] / result["plain"]["tpot_s"]
        result["serve"]["ttft_overhead_ratio"] = result["serve"]["ttft_s"] / result["plain"]["ttft_s"]
    print(json.dumps(result, indent=1))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arch", action="append", choices=sorted(ARCHS), default=[])
    parser.add_argument("--checkpoint", type=Path, help="an existing checkpoint folder (its config is used)")
    parser.add_argument("--dtype", default="bfloat16")
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fast", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--serve", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        targets = [(dummy_checkpoint(a, Path(tmp)), a) for a in args.arch]
        if args.checkpoint:
            targets.append((args.checkpoint, args.checkpoint.name))
        for checkpoint, label in targets:
            results.append(bench(checkpoint, label, args))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
