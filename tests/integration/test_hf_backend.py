"""The `hf` backend on a tiny random-weights Qwen2-VL checkpoint loaded by path, on CPU."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import anyio
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from tests.factories import make_kie_dataset, render_page, write_experiment
from tests.support.tiny_vlm import tiny_vlm_checkpoint  # noqa: F401
from vlmhyperbench.backends import GenerationRequest, backends
from vlmhyperbench.core import GenerationParams, RunDir, UserError
from vlmhyperbench.orchestrator import run_experiment


def _hf_experiment(tmp_path: Path, dataset: Path, checkpoint: Path, **extra: object) -> Path:
    import yaml

    cfg = write_experiment(tmp_path / "e.yaml", dataset, base_url="unused")
    data = yaml.safe_load(cfg.read_text("utf-8"))
    data["runs"][0]["model"] = {
        "backend": "hf",
        "options": {"model": str(checkpoint), "batch_size": 2, **extra},
    }
    data["runs"][0]["generation"] = {"max_tokens": 6}
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return cfg


def test_inference_stage_through_hf(tiny_dataset: Path, tiny_vlm_checkpoint: Path, tmp_path: Path) -> None:
    result = run_experiment(_hf_experiment(tmp_path, tiny_dataset, tiny_vlm_checkpoint))
    assert result.ok, result.runs
    records = RunDir(result.runs[0].run_dir).read_answers()
    assert len(records) == 3 and all(r.ok and isinstance(r.answer, str) for r in records)
    rec = records[0]
    assert rec.backend == "hf" and rec.usage.source == "server" and rec.usage.completion_tokens <= 6
    assert rec.timings.ttft_s is not None and rec.timings.latency_s >= rec.timings.ttft_s
    assert rec.extra["performance"]["image_tokens"] > 0
    manifest = RunDir(result.runs[0].run_dir).read_manifest()
    assert "transformers" in manifest.registry["backend:describe"]


async def _generate_all(
    backend_options: dict[str, object], requests: list[GenerationRequest]
) -> list[object]:
    backend = backends.get("hf")(**backend_options)
    await backend.start()
    results: list[object] = [None] * len(requests)
    try:
        async with anyio.create_task_group() as tg:

            async def one(i: int) -> None:
                results[i] = await backend.generate(requests[i])

            for i in range(len(requests)):
                tg.start_soon(one, i)
    finally:
        await backend.aclose()
    return results


def _request(page: Path, i: int = 0, **kw: object) -> GenerationRequest:
    return GenerationRequest(
        sample_id=str(i),
        images=(page,),
        user="Какой ИНН?",
        system="Ты OCR.",
        params=GenerationParams(max_tokens=kw.pop("max_tokens", 6)),
        **kw,
    )  # type: ignore[arg-type]


def test_batched_greedy_generation_is_deterministic(tiny_vlm_checkpoint: Path, tmp_path: Path) -> None:
    page = render_page(tmp_path / "p.png", ["ИНН: 7707083893"])
    options = {"model": str(tiny_vlm_checkpoint), "batch_size": 3}
    first = anyio.run(_generate_all, options, [_request(page, i) for i in range(3)])
    again = anyio.run(_generate_all, {**options, "batch_size": 1}, [_request(page, 0)])
    texts = {r.text for r in first}  # type: ignore[attr-defined]
    assert len(texts) == 1 and texts == {again[0].text}  # type: ignore[attr-defined]
    assert {r.extra["performance"]["batch_size"] for r in first} == {3}  # type: ignore[attr-defined]


def test_json_schema_constrains_decoding(tiny_vlm_checkpoint: Path, tmp_path: Path) -> None:
    page = render_page(tmp_path / "p.png", ["ИНН: 7707083893"])
    schema = {
        "type": "object",
        "properties": {"inn": {"type": "string", "maxLength": 12}, "ok": {"type": "boolean"}},
        "required": ["inn", "ok"],
        "additionalProperties": False,
    }
    (result,) = anyio.run(
        _generate_all,
        {"model": str(tiny_vlm_checkpoint)},
        [_request(page, json_schema=schema, max_tokens=60)],
    )
    value = json.loads(result.text)  # type: ignore[attr-defined]
    assert set(value) == {"inn", "ok"} and isinstance(value["ok"], bool) and len(value["inn"]) <= 12


def test_dummy_load_format_needs_no_weights(tiny_vlm_checkpoint: Path, tmp_path: Path) -> None:
    config_only = tmp_path / "config-only"
    shutil.copytree(tiny_vlm_checkpoint, config_only)
    for weights in config_only.glob("*.safetensors"):
        weights.unlink()
    page = render_page(tmp_path / "p.png", ["x"])
    (result,) = anyio.run(
        _generate_all, {"model": str(config_only), "load_format": "dummy"}, [_request(page)]
    )
    assert result.error is None and isinstance(result.text, str)  # type: ignore[attr-defined]


def test_bad_images_fail_only_their_request(tiny_vlm_checkpoint: Path, tmp_path: Path) -> None:
    good = render_page(tmp_path / "good.png", ["x"])
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    big = render_page(tmp_path / "big.png", ["x"], size=(2000, 1500))
    results = anyio.run(
        _generate_all,
        {"model": str(tiny_vlm_checkpoint), "max_image_pixels": 1_000_000},
        [_request(good, 0), _request(corrupt, 1), _request(big, 2)],
    )
    ok, bad, bomb = results
    assert ok.error is None  # type: ignore[attr-defined]
    assert bad.error.kind == "image" and not bad.error.retryable  # type: ignore[attr-defined]
    assert bomb.error.kind == "image" and "decompression bomb" in bomb.error.message  # type: ignore[attr-defined]


def test_missing_checkpoint_and_unknown_architecture(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="checkpoint directory not found"):
        anyio.run(backends.get("hf")(model=str(tmp_path / "nope")).start)
    weird = tmp_path / "weird"
    weird.mkdir()
    (weird / "config.json").write_text(json.dumps({"model_type": "no_such_architecture"}))
    with pytest.raises(UserError, match="cannot load") as info:
        anyio.run(backends.get("hf")(model=str(weird)).start)
    assert "upgrade transformers" in str(info.value) or "check the Hub id" in str(info.value)


def test_trust_remote_code_only_from_the_catalogue(
    tiny_dataset: Path, tiny_vlm_checkpoint: Path, tmp_path: Path
) -> None:
    cfg = _hf_experiment(tmp_path, tiny_dataset, tiny_vlm_checkpoint, trust_remote_code=True)
    with pytest.raises(
        UserError, match="trust_remote_code can only be turned on by the model's catalogue entry"
    ):
        run_experiment(cfg)


def test_kie_run_with_schema_gets_valid_json(tiny_vlm_checkpoint: Path, tmp_path: Path) -> None:
    dataset = make_kie_dataset(tmp_path / "kie")
    import yaml

    cfg = _hf_experiment(tmp_path, dataset, tiny_vlm_checkpoint)
    data = yaml.safe_load(cfg.read_text("utf-8"))
    data["runs"][0].update(
        task="kie", metrics=["structural_fidelity", "field_f1"], generation={"max_tokens": 120}
    )
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    result = run_experiment(cfg)
    assert result.ok
    (record,) = RunDir(result.runs[0].run_dir).read_answers()
    assert set(json.loads(record.answer)) <= {"inn", "kpp"}
