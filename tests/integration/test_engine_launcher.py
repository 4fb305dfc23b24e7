"""The ``vllm`` and ``sglang`` backends: exact command lines, and the engine lifecycle run
with a real child process that speaks the protocol (the scripted OpenAI server)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import time
from pathlib import Path

import anyio
import httpx
import pytest
from PIL import Image

from vlmhyperbench.backends import GenerationRequest, GenerationResult, backends
from vlmhyperbench.backends._engine import group_running
from vlmhyperbench.backends.sglang import SGLangBackend
from vlmhyperbench.backends.vllm import VLLMBackend
from vlmhyperbench.core import MissingDependency, UserError

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable


def scripted_server(tmp_path: Path, *extra: str) -> list[str]:
    """The launch command of the scripted OpenAI server, run as its own process."""
    port_file = str(tmp_path / "port")
    return [PY, "-m", "tests.support.openai_server", "--port", "{port}", "--port-file", port_file,
            "--answer", "ok", *extra]  # fmt: skip


def stand_in(tmp_path: Path, command: list[str], **options: object) -> VLLMBackend:
    options = {"startup_timeout_s": 30, "stop_timeout_s": 5, **options}
    return VLLMBackend(
        model="stand-in", command=command, cwd=REPO, log_file=tmp_path / "engine.log", **options
    )


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def request(tmp_path: Path) -> GenerationRequest:
    page = tmp_path / "page.png"
    Image.new("RGB", (32, 16), "white").save(page)
    return GenerationRequest(sample_id="s-1", images=(page,), user="What is written?")


def test_backends_are_registered() -> None:
    assert backends.get("vllm") is VLLMBackend and backends.get("sglang") is SGLangBackend


def test_vllm_command_line_with_every_option() -> None:
    backend = VLLMBackend(
        model="Qwen/Qwen2.5-VL-7B-Instruct", served_model_name="qwen", host="0.0.0.0", port=8001,
        tensor_parallel_size=2, max_model_len=16384, limit_mm_per_prompt={"image": 4},
        gpu_memory_utilization=0.85, dtype="bfloat16", trust_remote_code=True,
        extra_args=["--enforce-eager", "--seed", "0"],
    )  # fmt: skip
    assert backend.engine_command() == [
        "vllm", "serve", "Qwen/Qwen2.5-VL-7B-Instruct", "--host", "0.0.0.0", "--port", "8001",
        "--served-model-name", "qwen", "--tensor-parallel-size", "2", "--gpu-memory-utilization", "0.85",
        "--dtype", "bfloat16", "--max-model-len", "16384", "--limit-mm-per-prompt", '{"image": 4}',
        "--trust-remote-code", "--enforce-eager", "--seed", "0",
    ]  # fmt: skip


def test_vllm_command_line_defaults() -> None:
    assert VLLMBackend(model="m", port=8000).engine_command() == [
        "vllm", "serve", "m", "--host", "127.0.0.1", "--port", "8000", "--served-model-name", "m",
        "--tensor-parallel-size", "1", "--gpu-memory-utilization", "0.9", "--dtype", "auto",
    ]  # fmt: skip


def test_sglang_command_line_with_every_option() -> None:
    backend = SGLangBackend(
        model="Qwen/Qwen2.5-VL-7B-Instruct", served_model_name="qwen", host="0.0.0.0", port=30000,
        tensor_parallel_size=2, max_model_len=16384, gpu_memory_utilization=0.8, dtype="float16",
        trust_remote_code=True, extra_args=["--chat-template", "qwen2-vl"],
    )  # fmt: skip
    assert backend.engine_command() == [
        PY, "-m", "sglang.launch_server", "--model-path", "Qwen/Qwen2.5-VL-7B-Instruct",
        "--host", "0.0.0.0", "--port", "30000", "--served-model-name", "qwen", "--tp-size", "2",
        "--mem-fraction-static", "0.8", "--dtype", "float16", "--context-length", "16384",
        "--trust-remote-code", "--chat-template", "qwen2-vl",
    ]  # fmt: skip
    assert SGLangBackend(model="m", port=1).engine_command() == [
        PY, "-m", "sglang.launch_server", "--model-path", "m", "--host", "127.0.0.1", "--port", "1",
        "--served-model-name", "m", "--tp-size", "1", "--dtype", "auto",
    ]  # fmt: skip


def test_command_override_fills_placeholders_and_describe_hides_secrets() -> None:
    backend = VLLMBackend(
        model="org/m", served_model_name="m", port=9000,
        command=["engine", "--port={port}", "{model}", "--name", "{served_model_name}", '{"k": 1}'],
        extra_args=["--api-key", "s3cret"],
    )  # fmt: skip
    assert backend.engine_command() == ["engine", "--port=9000", "org/m", "--name", "m", '{"k": 1}']
    described = VLLMBackend(
        model="m", port=1, extra_args=["--api-key", "s3cret", "--hf-token=t0k"]
    ).describe()
    assert "s3cret" not in described["command"] and "t0k" not in described["command"]
    assert "--api-key '***'" in described["command"] and described["engine"] == "vLLM"


def test_engine_lifecycle_with_a_real_child_process(tmp_path: Path) -> None:
    backend = stand_in(tmp_path, scripted_server(tmp_path))

    async def main() -> None:
        await backend.start()
        try:
            assert backend.engine is not None and running(backend.engine.pid or 0)
            port = int((tmp_path / "port").read_text())
            assert f"--port {port}" in backend.describe()["command"]
            async with httpx.AsyncClient(trust_env=False) as client:
                assert (await client.get(f"http://127.0.0.1:{port}/health")).status_code == 200
            result = await backend.generate(request(tmp_path))
            assert result.error is None and result.text == "ok"
            streamed = [item async for item in backend.generate_stream(request(tmp_path))]
            assert streamed[0] == "ok" and isinstance(streamed[-1], GenerationResult)
        finally:
            await backend.aclose()

    anyio.run(main)
    assert backend.engine is not None and backend.engine.pid is not None
    assert not running(backend.engine.pid) and not group_running(backend.engine.pid)
    log = (tmp_path / "engine.log").read_text()
    assert log.startswith(f"$ {PY} -m tests.support.openai_server") and "serving http://127.0.0.1:" in log
    assert backend.describe()["log_file"] == str(tmp_path / "engine.log")
    anyio.run(backend.aclose)  # idempotent


def test_exit_during_startup_fails_fast_with_code_and_log(tmp_path: Path) -> None:
    backend = stand_in(tmp_path, [PY, "-c", "import sys; print('boom'); sys.exit(3)"])
    started = time.monotonic()
    with pytest.raises(UserError) as err:
        anyio.run(backend.start)
    assert time.monotonic() - started < 5
    assert "exited with exit code 3 during startup" in str(err.value) and "boom" in str(err.value)


def test_startup_timeout_stops_the_engine(tmp_path: Path) -> None:
    backend = stand_in(tmp_path, [PY, "-c", "import time; time.sleep(60)"], startup_timeout_s=1.5)
    with pytest.raises(UserError, match=r"did not become healthy within 1\.5 s"):
        anyio.run(backend.start)
    assert backend.engine is not None and not running(backend.engine.pid or 0)


def test_engine_that_ignores_sigterm_is_killed(tmp_path: Path) -> None:
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    backend = stand_in(tmp_path, [PY, "-c", code], startup_timeout_s=0.5, stop_timeout_s=0.5)
    started = time.monotonic()
    with pytest.raises(UserError, match="did not become healthy"):
        anyio.run(backend.start)
    assert time.monotonic() - started < 5
    assert backend.engine is not None and not running(backend.engine.pid or 0)


def test_cancelled_start_stops_the_whole_process_group(tmp_path: Path) -> None:
    grandchild = tmp_path / "grandchild"
    script = f"sleep 60 & echo $! > {grandchild}; exec {PY} -c 'import time; time.sleep(60)'"
    backend = stand_in(tmp_path, ["sh", "-c", script])

    async def main() -> bool:
        with anyio.move_on_after(1.0) as scope:
            await backend.start()
        return scope.cancelled_caught

    assert anyio.run(main)
    assert backend.engine is not None and not running(backend.engine.pid or 0)
    assert not running(int(grandchild.read_text()))


def test_cancelled_generate_then_aclose_stops_the_engine(tmp_path: Path) -> None:
    backend = stand_in(tmp_path, scripted_server(tmp_path, "--first-token-delay", "30"))

    async def main() -> None:
        await backend.start()
        try:
            with anyio.fail_after(0.5):
                await backend.generate(request(tmp_path))
        finally:
            await backend.aclose()

    with pytest.raises(TimeoutError):
        anyio.run(main)
    assert backend.engine is not None and not running(backend.engine.pid or 0)


def test_engine_is_stopped_at_interpreter_exit_without_aclose(tmp_path: Path) -> None:
    program = (
        "import anyio, sys\n"
        "from vlmhyperbench.backends.vllm import VLLMBackend\n"
        f"b = VLLMBackend(model='x', command={scripted_server(tmp_path)!r}, log_file={str(tmp_path / 'e.log')!r})\n"
        "anyio.run(b.start)\n"
        "print(b.engine.pid, flush=True)\n"
    )
    out = subprocess.run(
        [PY, "-c", program], cwd=REPO, capture_output=True, text=True, timeout=30, check=True
    )
    assert not running(int(out.stdout.split()[-1]))


@pytest.mark.skipif(shutil.which("vllm") is not None, reason="vllm is installed")
def test_missing_vllm_says_how_to_install_it() -> None:
    with pytest.raises(MissingDependency) as err:
        anyio.run(VLLMBackend(model="m").start)
    assert "pip install vllm" in str(err.value)


@pytest.mark.skipif(importlib.util.find_spec("sglang") is not None, reason="sglang is installed")
def test_missing_sglang_says_how_to_install_it() -> None:
    with pytest.raises(MissingDependency) as err:
        anyio.run(SGLangBackend(model="m").start)
    assert 'pip install "sglang[all]"' in str(err.value)
