"""A tiny random-weights Qwen2-VL checkpoint, built locally, that loads like a real one.

``build_tiny_qwen2_vl`` writes a folder that ``AutoProcessor.from_pretrained`` and
``AutoModelForImageTextToText.from_pretrained`` read exactly as they read
``Qwen/Qwen2-VL-2B-Instruct``, with nothing fetched from the Hub:

* tokenizer: a byte-level BPE (the Qwen2 pre-tokenizer, NFC) trained in memory on a
  small Russian + English corpus, plus Qwen2-VL's 14 special tokens appended in the
  real order (``<|endoftext|>`` first, ``<|image_pad|>`` 12th, ...), wrapped as
  ``Qwen2Tokenizer`` with Qwen2-VL's chat template;
* image/video processors: Qwen2-VL's, with ``max_pixels`` so small that a 224x224
  page becomes 8x8 patches, i.e. 16 vision tokens;
* model: ``Qwen2VLForConditionalGeneration`` with 2-layer/64-wide text and vision
  towers, seeded random init, float32 safetensors (~2 MB), greedy
  ``generation_config.json``.

The answers are gibberish; the point is exercising the real loading, chat-template,
preprocessing, batching and ``generate`` code paths of a real architecture on CPU.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from transformers import Qwen2Tokenizer, Qwen2VLConfig

# Set before transformers is imported: nothing here ever comes from the Hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
#: What a finished checkpoint folder holds (the chat template also goes to ``chat_template.jinja``).
_FILES = ("config.json", "model.safetensors", "tokenizer.json", "processor_config.json")

#: Qwen2-VL's added tokens, in the order (hence relative ids) of the real tokenizer.
SPECIAL_TOKENS: tuple[str, ...] = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
)

#: Qwen2-VL-Instruct's chat template, rewritten: default system prompt, images and videos
#: as ``<|vision_start|><|image_pad|><|vision_end|>``, optional "Picture N: " labels.
CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}"
    "{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}"
    "{% endfor %}<|im_end|>\n{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

#: 224x224 -> smart_resize -> 112x112 -> 8x8 patches of 14 px -> 16 tokens after 2x2 merge.
MIN_PIXELS = 56 * 56
MAX_PIXELS = 112 * 112
BPE_VOCAB_SIZE = 1536

_CORPUS = """\
Счёт-фактура № 1547 от 12 марта 2024 г. Продавец: ООО «Ромашка», ИНН 7707083893, КПП 770701001.
Адрес: 125009, г. Москва, ул. Тверская, д. 7, стр. 2. Покупатель: АО «Северный ветер».
Наименование товара, единица измерения, количество, цена за единицу, стоимость без НДС.
Итого к оплате: 125 400,00 руб., в том числе НДС 20 % — 20 900,00 руб.
Банк получателя: ПАО Сбербанк, БИК 044525225, расчётный счёт 40702810938000012345.
Паспорт гражданина Российской Федерации. Серия 45 12, номер 345678. Выдан отделом УФМС России.
Фамилия, имя, отчество: Иванов Иван Иванович. Дата рождения: 01.02.1985. Место рождения: г. Казань.
Договор поставки заключён между сторонами на следующих условиях. Срок действия договора один год.
Генеральный директор подписал акт выполненных работ; главный бухгалтер проверил накладную.
Какой ИНН? Какая дата документа? Кто является получателем? Ответьте кратко, одним словом.
Invoice No. 2024-0312 dated March 12, 2024. Seller: Acme Corporation Ltd, VAT ID GB123456789.
Bill to: Northwind Traders, 42 Market Street, Springfield. Payment terms: net 30 days.
Description, quantity, unit price, amount. Subtotal 1,250.00; tax 250.00; total due 1,500.00 USD.
Passport of the holder. Surname, given names, date of birth, place of issue, date of expiry.
What is the total amount? Which company issued the document? Answer with a single word or phrase.
The quick brown fox jumps over the lazy dog. Съешь же ещё этих мягких французских булок, да выпей чаю.
Уважаемые коллеги! Направляем вам уведомление о проведении ежегодного собрания акционеров общества.
Справка о доходах физического лица за отчётный период; налоговый агент; код дохода; сумма вычета.
Водительское удостоверение, категория транспортных средств, особые отметки, подпись владельца.
Свидетельство о государственной регистрации юридического лица, основной государственный номер.
Please find attached the quarterly financial statements, balance sheet and cash flow report.
Shipping address, delivery date, purchase order number, customer reference, signature required.
Receipt: coffee 3.50, sandwich 7.25, service charge included; thank you for shopping with us!
Table: | Name | Value |\n| ИНН | 7707083893 |\n| Date | 2024-03-12 |\n{"answer": "Москва", "page": 1}
"""


@functools.lru_cache(maxsize=1)
def _tokenizer_json() -> str:
    """Train the byte-level BPE and return its ``tokenizer.json`` text (specials appended)."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from tokenizers.trainers import BpeTrainer
    from transformers.models.qwen2.tokenization_qwen2 import PRETOKENIZE_REGEX

    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(PRETOKENIZE_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = BpeTrainer(
        vocab_size=BPE_VOCAB_SIZE,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_CORPUS.splitlines(), trainer=trainer)
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS])
    return str(tok.to_str())


def build_tiny_tokenizer() -> Qwen2Tokenizer:
    """Return the tiny Qwen2 tokenizer (BPE + Qwen2-VL specials + chat template).

    Returns:
        A ``Qwen2Tokenizer`` with ``eos=<|im_end|>`` and ``pad=<|endoftext|>``, as in Qwen2-VL-Instruct.
    """
    from tokenizers import Tokenizer
    from transformers import Qwen2Tokenizer

    tokenizer = Qwen2Tokenizer(
        tokenizer_object=Tokenizer.from_str(_tokenizer_json()),
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token=None,  # type: ignore[arg-type]  # as in Qwen2-VL: byte-level BPE never needs one
        model_max_length=32768,
        chat_template=CHAT_TEMPLATE,
    )
    return tokenizer


def _token_ids() -> dict[str, int]:
    vocab: dict[str, int] = json.loads(_tokenizer_json())["model"]["vocab"]
    first = len(vocab)
    return {tok: first + i for i, tok in enumerate(SPECIAL_TOKENS)}


def build_tiny_qwen2_vl_config() -> Qwen2VLConfig:
    """Return the tiny Qwen2-VL config whose vocabulary and token ids match the tiny tokenizer.

    Usable on its own with ``AutoModelForImageTextToText.from_config`` (dummy weights).

    Returns:
        A ``Qwen2VLConfig``: text 2 layers x 64 (4 heads, 2 KV heads, head_dim 16, mrope
        [2, 3, 3] summing to head_dim / 2), vision 2 layers x 64 (4 heads, 14 px patches, 2x2 merge).
    """
    from transformers import Qwen2VLConfig

    ids = _token_ids()
    vocab_size = ids[SPECIAL_TOKENS[-1]] + 1
    text_config = {
        "vocab_size": vocab_size,
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 4096,
        "max_window_layers": 2,
        "rope_parameters": {"rope_type": "default", "rope_theta": 1_000_000.0, "mrope_section": [2, 3, 3]},
        "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": ids["<|im_end|>"],
        "pad_token_id": ids["<|endoftext|>"],
    }
    vision_config = {
        "depth": 2,
        "embed_dim": 64,
        "hidden_size": 64,  # merger output = text hidden size
        "mlp_ratio": 2,
        "num_heads": 4,
        "patch_size": 14,
        "spatial_merge_size": 2,
        "temporal_patch_size": 2,
    }
    return Qwen2VLConfig(
        text_config=text_config,
        vision_config=vision_config,
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=False,
    )


def build_tiny_qwen2_vl(path: Path, *, seed: int = 0) -> Path:
    """Write a tiny random Qwen2-VL checkpoint (model, processor, generation config) to ``path``.

    Idempotent: a folder that already holds a finished checkpoint is returned untouched.
    The folder is written next to ``path`` and renamed into place, so readers never see
    a half-written checkpoint and concurrent builders (pytest-xdist workers) do not clash.

    Args:
        path: Destination folder (created; parents too).
        seed: ``torch.manual_seed`` for the weights; same seed -> same weights.

    Returns:
        ``path``.

    Raises:
        FileExistsError: ``path`` is a non-empty folder that is not a finished checkpoint.
    """
    import torch
    from transformers import GenerationConfig, Qwen2VLForConditionalGeneration, Qwen2VLProcessor
    from transformers.models.qwen2_vl import Qwen2VLImageProcessor, Qwen2VLVideoProcessor

    path = Path(path)
    if all((path / name).is_file() for name in _FILES):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}-", dir=path.parent))
    staging.chmod(0o755)
    try:
        tokenizer = build_tiny_tokenizer()
        pixels = {"min_pixels": MIN_PIXELS, "max_pixels": MAX_PIXELS}
        processor = Qwen2VLProcessor(  # type: ignore[no-untyped-call]
            image_processor=Qwen2VLImageProcessor(**pixels),
            tokenizer=tokenizer,
            video_processor=Qwen2VLVideoProcessor(**pixels),
            chat_template=CHAT_TEMPLATE,
        )
        config = build_tiny_qwen2_vl_config()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = Qwen2VLForConditionalGeneration(config)
        ids = _token_ids()
        model.generation_config = GenerationConfig(  # type: ignore[no-untyped-call]
            do_sample=False,
            bos_token_id=ids["<|endoftext|>"],
            eos_token_id=[ids["<|im_end|>"], ids["<|endoftext|>"]],
            pad_token_id=ids["<|endoftext|>"],
        )
        model.save_pretrained(staging, safe_serialization=True)
        processor.save_pretrained(staging)
        try:
            staging.rename(path)  # atomic; replaces an empty folder, fails on a non-empty one
        except OSError as err:
            if not all((path / name).is_file() for name in _FILES):  # else: another builder won
                raise FileExistsError(f"{path} exists and is not a tiny Qwen2-VL checkpoint") from err
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return path


@pytest.fixture(scope="session")
def tiny_vlm_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Session-wide tiny Qwen2-VL checkpoint folder (built once, seed 0)."""
    pytest.importorskip("transformers")
    pytest.importorskip("torchvision")
    return build_tiny_qwen2_vl(tmp_path_factory.mktemp("tiny_vlm") / "qwen2-vl-tiny")
