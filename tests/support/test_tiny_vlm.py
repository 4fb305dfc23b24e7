"""Tests of the tiny local Qwen2-VL checkpoint used as a stand-in for a real VLM."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")
transformers = pytest.importorskip("transformers")

from PIL import Image, ImageDraw

from . import tiny_vlm
from .tiny_vlm import build_tiny_qwen2_vl, build_tiny_qwen2_vl_config

tiny_vlm_checkpoint = tiny_vlm.tiny_vlm_checkpoint  # the fixture under test, re-exported like conftest

QUESTION = "Какой ИНН?"
USER_WITH_IMAGE = {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": QUESTION}]}


def _page(text: str = "ИНН 7707083893", size: tuple[int, int] = (224, 224)) -> Image.Image:
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).text((10, 10), text.encode("ascii", "replace").decode(), fill="black")
    return image


@pytest.fixture(scope="module")
def processor(tiny_vlm_checkpoint: Path) -> Any:
    """The processor, loaded by path (fresh per module)."""
    return transformers.AutoProcessor.from_pretrained(tiny_vlm_checkpoint)


@pytest.fixture(scope="module")
def model(tiny_vlm_checkpoint: Path) -> Any:
    """The model, loaded by path in float32, eval mode."""
    return transformers.AutoModelForImageTextToText.from_pretrained(
        tiny_vlm_checkpoint, dtype=torch.float32
    ).eval()


def test_loads_by_path_with_auto_classes_and_no_network(
    tiny_vlm_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    processor = transformers.AutoProcessor.from_pretrained(tiny_vlm_checkpoint)
    model = transformers.AutoModelForImageTextToText.from_pretrained(tiny_vlm_checkpoint, dtype=torch.float32)

    assert type(processor).__name__ == "Qwen2VLProcessor"
    assert type(processor.tokenizer).__name__ == "Qwen2Tokenizer"
    assert type(processor.image_processor).__name__ == "Qwen2VLImageProcessor"
    assert type(model).__name__ == "Qwen2VLForConditionalGeneration"
    assert model.config.model_type == "qwen2_vl"
    assert model.dtype == torch.float32
    assert (tiny_vlm_checkpoint / "model.safetensors").is_file()
    size = sum(f.stat().st_size for f in tiny_vlm_checkpoint.iterdir())
    assert size < 20 * 1024 * 1024


def test_chat_template_renders_system_and_user_with_image(processor: Any) -> None:
    messages = [{"role": "system", "content": "Ты извлекаешь поля из документов."}, USER_WITH_IMAGE]
    text = processor.apply_chat_template(messages, add_generation_prompt=True)
    assert text == (
        "<|im_start|>system\nТы извлекаешь поля из документов.<|im_end|>\n"
        "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Какой ИНН?<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    default_system = processor.apply_chat_template([USER_WITH_IMAGE], add_generation_prompt=False)
    assert default_system.startswith("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n")
    assert not default_system.endswith("<|im_start|>assistant\n")


def test_image_processor_gives_few_vision_tokens(processor: Any) -> None:
    assert processor.image_processor.size["longest_edge"] == tiny_vlm.MAX_PIXELS
    assert processor.image_processor.size["shortest_edge"] == tiny_vlm.MIN_PIXELS
    text = processor.apply_chat_template([USER_WITH_IMAGE], add_generation_prompt=True)
    inputs = processor(text=[text], images=[_page()], return_tensors="pt")
    assert inputs["image_grid_thw"].tolist() == [[1, 8, 8]]
    assert inputs["pixel_values"].shape == (64, 3 * 2 * 14 * 14)
    image_token_id = processor.tokenizer.convert_tokens_to_ids("<|image_pad|>")
    assert int((inputs["input_ids"] == image_token_id).sum()) == 16


def test_special_tokens_and_vocab_size_match_config(processor: Any, model: Any) -> None:
    tok = processor.tokenizer
    ids = tok.convert_tokens_to_ids(list(tiny_vlm.SPECIAL_TOKENS))
    assert ids == list(range(ids[0], ids[0] + len(ids)))  # contiguous, in Qwen2-VL's order
    for token in tiny_vlm.SPECIAL_TOKENS:
        assert tok.tokenize(token) == [token]
    cfg = model.config
    assert cfg.image_token_id == tok.convert_tokens_to_ids("<|image_pad|>")
    assert cfg.video_token_id == tok.convert_tokens_to_ids("<|video_pad|>")
    assert cfg.vision_start_token_id == tok.convert_tokens_to_ids("<|vision_start|>")
    assert cfg.vision_end_token_id == tok.convert_tokens_to_ids("<|vision_end|>")
    assert tok.eos_token == "<|im_end|>" and tok.pad_token == "<|endoftext|>"
    gen = model.generation_config
    assert gen.do_sample is False
    assert gen.eos_token_id == [tok.eos_token_id, tok.pad_token_id]
    assert gen.pad_token_id == tok.pad_token_id
    # transformers 5: Qwen2-VL keeps vocab_size in text_config only (real checkpoints too).
    vocab_size = cfg.get_text_config().vocab_size
    assert 1000 <= vocab_size <= 3000
    assert vocab_size == len(tok) == max(tok.get_vocab().values()) + 1
    assert model.get_input_embeddings().num_embeddings == vocab_size
    assert model.get_output_embeddings().out_features == vocab_size


@pytest.mark.parametrize(
    "text",
    [
        "Какой ИНН? 7707083893",
        "Счёт-фактура № 15 от «12» марта: итого 1 500,00 руб.",
        "Mixed текст, ЁЖ ёж, tabs\tand\nnewlines, emoji 📄, 中文",
        "  leading and trailing spaces  ",
    ],
)
def test_cyrillic_and_any_text_round_trips(processor: Any, text: str) -> None:
    tok = processor.tokenizer
    ids = tok.encode(text, add_special_tokens=False)
    assert tok.decode(ids) == text
    assert tok.unk_token_id is None or tok.unk_token_id not in ids


def _generate(processor: Any, model: Any, texts: list[str], images: list[Image.Image]) -> Any:
    inputs = processor(text=texts, images=images, return_tensors="pt", padding=True)
    with torch.inference_mode():
        out = model.generate(**inputs, max_new_tokens=8, do_sample=False)
    return inputs, out[:, inputs["input_ids"].shape[1] :]


def test_generate_batch_of_one_is_deterministic(processor: Any, model: Any) -> None:
    text = processor.apply_chat_template([USER_WITH_IMAGE], add_generation_prompt=True)
    _, first = _generate(processor, model, [text], [_page()])
    _, second = _generate(processor, model, [text], [_page()])
    assert first.shape[0] == 1 and 1 <= first.shape[1] <= 8
    assert torch.equal(first, second)
    decoded = processor.batch_decode(first, skip_special_tokens=True)
    assert len(decoded) == 1 and isinstance(decoded[0], str)


def test_generate_batch_of_two_with_left_padding(
    processor: Any, model: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(processor.tokenizer, "padding_side", "left")
    long_question = {
        "role": "user",
        "content": [{"type": "image"}, {"type": "text", "text": "Назовите дату документа и продавца."}],
    }
    texts = [
        processor.apply_chat_template([USER_WITH_IMAGE], add_generation_prompt=True),
        processor.apply_chat_template([long_question], add_generation_prompt=True),
    ]
    images = [_page(), _page("Invoice 2024-03-12", (300, 200))]
    inputs, first = _generate(processor, model, texts, images)
    _, second = _generate(processor, model, texts, images)
    mask = inputs["attention_mask"]
    assert mask[0, 0] == 0 and mask[0, -1] == 1 and bool(mask[1].all())  # left padded
    assert inputs["input_ids"][0, 0] == processor.tokenizer.pad_token_id
    assert first.shape[0] == 2
    assert torch.equal(first, second)
    decoded = processor.batch_decode(first, skip_special_tokens=True)
    assert len(decoded) == 2 and all(isinstance(answer, str) for answer in decoded)


def test_from_config_gives_dummy_model_that_runs() -> None:
    config = build_tiny_qwen2_vl_config()
    model = transformers.AutoModelForImageTextToText.from_config(config).eval()
    assert type(model).__name__ == "Qwen2VLForConditionalGeneration"
    ids = torch.tensor([[config.text_config.bos_token_id, 5, 6, 7]])
    with torch.inference_mode():
        logits = model(input_ids=ids).logits
    assert logits.shape == (1, 4, config.text_config.vocab_size)


def test_build_is_idempotent_and_reproducible(tmp_path: Path, tiny_vlm_checkpoint: Path) -> None:
    weights = (tiny_vlm_checkpoint / "model.safetensors").read_bytes()
    mtime = (tiny_vlm_checkpoint / "model.safetensors").stat().st_mtime_ns
    assert build_tiny_qwen2_vl(tiny_vlm_checkpoint) == tiny_vlm_checkpoint
    assert (tiny_vlm_checkpoint / "model.safetensors").stat().st_mtime_ns == mtime
    again = build_tiny_qwen2_vl(tmp_path / "again")
    assert (again / "model.safetensors").read_bytes() == weights
    assert (again / "tokenizer.json").read_bytes() == (tiny_vlm_checkpoint / "tokenizer.json").read_bytes()
    other = build_tiny_qwen2_vl(tmp_path / "seed1", seed=1)
    assert (other / "model.safetensors").read_bytes() != weights
    (tmp_path / "empty").mkdir()
    assert (build_tiny_qwen2_vl(tmp_path / "empty") / "model.safetensors").read_bytes() == weights
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        build_tiny_qwen2_vl(tmp_path / "foreign")
    assert (tmp_path / "foreign" / "notes.txt").read_text() == "keep me"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging leftovers
