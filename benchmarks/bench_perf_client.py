"""Benchmark the ``vlmhb perf`` client (and peer tools) against a timing server in another process.

Two measurements, per tool:

1. **Fidelity**: TTFT/ITL error against server truth, closed loop at each concurrency in
   ``--levels`` (default 1,4,16,32,64,128), ``4 x concurrency`` requests per level. The server
   (``tests/support/timing_server.py``) waits ``first_token_delay`` (50 ms) before the first content
   chunk and ``token_delay`` (10 ms) between the 32 content chunks, and logs when it wrote each event.
   It runs in its own process (own event loop, own core when one is free), as a real server would.
2. **Max rate**: completed requests/s, closed loop at ``--rate-concurrency`` (64) with
   ``--rate-requests`` (3,000) requests against a zero-latency server (no delays, 8 tokens).

Clocks: both processes stamp with ``time.perf_counter()`` and convert to ``time.time()`` with an
offset taken at start-up; on Linux ``perf_counter`` is ``CLOCK_MONOTONIC``, one clock for every
process, so the raw stamps are comparable too (the JSON gives both errors, they agree to µs).

Truth for ``vlmhb perf`` (it sends ``X-Request-Id``, requests are matched by id):
``TTFT_true = server wrote first content − client t_send`` (t_send caught by wrapping
``ChatClient.send``), ``ITL_true`` = gaps between the server's content writes, paired per gap.
Peer tools send no request id and expose no t_send, so their truth is server-side:
``TTFT_server = first content written − request fully read``, which is *smaller* than the true
TTFT by the send→read transit (measured for our client: ``median_transit_ms``); a peer's
error against it is an upper bound on its real error. Our client gets the same server-side
comparison, for a like-for-like column.

Usage::

    python benchmarks/bench_perf_client.py --out docs/figures/bench_perf_client.json
    python benchmarks/bench_perf_client.py --levels 1,4,16 --skip-peers
    python benchmarks/bench_perf_client.py --guidellm /tmp/venv-guidellm/bin/guidellm \\
        --evalscope /tmp/venv-evalscope/bin/evalscope --tokenizer /tmp/tiny-qwen2-vl

Every server process and peer command has a time limit; request counts are bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from time import perf_counter
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # for tests.support.timing_server

from tests.support.timing_server import RequestLog, TimingConfig, TimingServer
from vlmhyperbench.perf import LevelSettings
from vlmhyperbench.perf._client import ChatClient, Exchange, run
from vlmhyperbench.perf.runner import run_level

BODY = {"messages": [{"role": "user", "content": "Read the page."}]}
SERVER_LIFETIME_S = 900.0
PEER_TIMEOUT_S = 300.0


def wall_offset() -> float:
    """``time.time() - perf_counter()``, the median of a few samples."""
    samples = []
    for _ in range(7):
        a = perf_counter()
        w = time.time()
        b = perf_counter()
        samples.append(w - (a + b) / 2)
    return statistics.median(samples)


# --------------------------------------------------------------------------- server process


class LoggingServer(TimingServer):
    """The timing server, also answering ``GET`` (``/v1/models``, health checks) and odd bodies.

    Peer tools probe the endpoint before the load; a ``GET`` gets a one-model list and no log.
    Logs of ``POST`` requests are kept in arrival order (the key is ``X-Request-Id`` or the
    arrival index).
    """

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while request_line := await reader.readline():
                headers = {}
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode().partition(":")
                    headers[name.strip().lower()] = value.strip()
                raw = await reader.readexactly(int(headers.get("content-length", "0")))
                if not request_line.startswith(b"POST"):
                    data = json.dumps({"object": "list", "data": [{"id": "m", "object": "model"}]}).encode()
                    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
                    writer.write(head.encode() + data)
                    await writer.drain()
                    continue
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError:
                    body = {}
                log = RequestLog(perf_counter(), body.get("x_mode", self.config.mode))
                self.logs[headers.get("x-request-id", f"#{len(self.logs)}")] = log
                if not await self._respond(reader, writer, body, log):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            self._tasks.discard(task)


def serve_main(args: argparse.Namespace) -> None:
    """Child process: serve until SIGTERM (or ``SERVER_LIFETIME_S``), then write the logs as JSON."""
    cfg = TimingConfig(
        first_token_delay=args.first_token_delay, token_delay=args.token_delay, tokens=args.tokens
    )
    loop = asyncio.new_event_loop()
    server = LoggingServer(cfg)
    loop.run_until_complete(server.start())
    offset = wall_offset()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    cpu0, t0 = time.process_time(), perf_counter()
    print(json.dumps({"port": server.port}), flush=True)
    with contextlib.suppress(asyncio.TimeoutError):
        loop.run_until_complete(asyncio.wait_for(stop.wait(), SERVER_LIFETIME_S))
    cpu_s = time.process_time() - cpu0
    cpu = 100.0 * cpu_s / max(perf_counter() - t0, 1e-9)
    # CPU over the busy window (first request read to last event written): the server idles
    # outside it while a peer tool starts up, so this is its load while serving.
    window = [(log.received, log.event_times[-1]) for log in server.logs.values() if log.event_times]
    busy_s = max(e for _, e in window) - min(r for r, _ in window) if window else 0.0
    busy_cpu = 100.0 * cpu_s / busy_s if busy_s > 0 else None
    loop.run_until_complete(server.stop())
    logs = [
        {
            "id": key,
            "received": log.received + offset,
            "events": [t + offset for t in log.event_times],
            "content": [t + offset for t in log.content_times],
            "tokens": log.content_tokens,
        }
        for key, log in server.logs.items()
    ]
    Path(args.log).write_text(
        json.dumps({"offset": offset, "cpu_percent": cpu, "busy_cpu_percent": busy_cpu, "logs": logs})
    )


@dataclass
class ServerLogs:
    """What a finished server process wrote: per-request truth (``time.time()`` seconds)."""

    logs: list[dict[str, Any]] = field(default_factory=list)
    offset: float = 0.0
    cpu_percent: float | None = None
    busy_cpu_percent: float | None = None
    """Server CPU seconds / (last event written - first request read), 100 = one core."""

    def by_id(self) -> dict[str, dict[str, Any]]:
        return {e["id"]: e for e in self.logs}

    def content(self) -> list[dict[str, Any]]:
        return [e for e in self.logs if e["content"]]


@contextlib.contextmanager
def server_process(
    first_token_delay: float, token_delay: float, tokens: int
) -> Iterator[tuple[str, ServerLogs]]:
    """Run the timing server in a child process; yields its base URL and, after exit, its logs."""
    with tempfile.TemporaryDirectory() as tmp:
        log_path = Path(tmp) / "server.json"
        cmd = [sys.executable, __file__, "_serve", "--log", str(log_path)]
        cmd += ["--first-token-delay", str(first_token_delay), "--token-delay", str(token_delay)]
        cmd += ["--tokens", str(tokens)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=REPO)
        out = ServerLogs()
        try:
            assert proc.stdout is not None
            port = json.loads(proc.stdout.readline())["port"]
            yield f"http://127.0.0.1:{port}", out
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if log_path.exists():
            data = json.loads(log_path.read_text())
            out.logs, out.offset, out.cpu_percent = data["logs"], data["offset"], data["cpu_percent"]
            out.busy_cpu_percent = data["busy_cpu_percent"]


def _itl(entry: dict[str, Any]) -> list[float]:
    times, tokens = entry["content"], entry["tokens"]
    out: list[float] = []
    for j in range(1, len(times)):
        out += [(times[j] - times[j - 1]) / tokens[j]] * tokens[j]
    return out


def _ms(x: float | None) -> float | None:
    return None if x is None else round(x * 1e3, 3)


def _mean(xs: list[float]) -> float | None:
    return statistics.fmean(xs) if xs else None


def _median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


# --------------------------------------------------------------------------- our client


@contextlib.contextmanager
def catch_t_send(offset: float) -> Iterator[dict[int, tuple[float, float]]]:
    """Wrap ``ChatClient.send``: request id -> (t_send perf_counter, t_send as ``time.time()``)."""
    seen: dict[int, tuple[float, float]] = {}
    original = ChatClient.send

    async def spy(self: ChatClient, body: bytes, request_id: int) -> Exchange:
        ex = await original(self, body, request_id)
        if ex.t_send is not None:
            seen[request_id] = (ex.t_send, ex.t_send + offset)
        return ex

    ChatClient.send = spy  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        ChatClient.send = original  # type: ignore[method-assign]


def ours_fidelity(concurrency: int, per_level: int, cfg: TimingConfig) -> dict[str, Any]:
    """One closed-loop level of ``run_level`` against the server process, errors against truth."""
    offset = wall_offset()
    n = per_level * concurrency
    settings = LevelSettings(mode="closed", concurrency=concurrency, num_requests=n, timeout_s=60.0)
    with (
        server_process(cfg.first_token_delay, cfg.token_delay, cfg.tokens) as (url, srv),
        catch_t_send(offset) as t_sends,
    ):
        records, summary = run(run_level(url, "m", [BODY], settings))
    truth = srv.by_id()
    ttft_err, ttft_err_raw, itl_err, transit, ttft_true, ttft_server = [], [], [], [], [], []
    truth_gaps: list[float] = []
    for r in records:
        t = truth.get(str(r.request_id))
        if r.ttft_s is None or t is None or r.request_id not in t_sends:
            continue
        perf_send, wall_send = t_sends[r.request_id]
        true_ttft = t["content"][0] - wall_send
        ttft_true.append(true_ttft)
        ttft_err.append(r.ttft_s - true_ttft)
        ttft_err_raw.append(r.ttft_s - (t["content"][0] - srv.offset - perf_send))
        ttft_server.append(t["content"][0] - t["received"])
        transit.append(t["received"] - wall_send)
        truth_itl = _itl(t)
        truth_gaps += truth_itl
        if len(truth_itl) == len(r.itl_s):
            itl_err += [a - b for a, b in zip(r.itl_s, truth_itl, strict=True)]
    measured = [r.ttft_s for r in records if r.ttft_s is not None]
    return {
        "concurrency": concurrency,
        "requests": n,
        "completed": summary.completed,
        "failed": summary.failed,
        "matched": len(ttft_err),
        "mean_ttft_ms": _ms(_mean(measured)),
        "true_mean_ttft_ms": _ms(_mean(ttft_true)),
        "mean_ttft_error_ms": _ms(_mean(ttft_err)),
        "median_ttft_error_ms": _ms(_median(ttft_err)),
        "max_abs_ttft_error_ms": _ms(max((abs(e) for e in ttft_err), default=None)),
        "mean_ttft_error_perf_counter_ms": _ms(_mean(ttft_err_raw)),
        "mean_itl_error_ms": _ms(_mean(itl_err)),
        "median_itl_error_ms": _ms(_median(itl_err)),
        "median_itl_minus_truth_median_ms": _ms(_diff(summary.itl_s.median, _median(truth_gaps))),
        "itl_gaps_compared": len(itl_err),
        "mean_ttft_error_vs_server_side_ms": _ms(_diff(_mean(measured), _mean(ttft_server))),
        "median_transit_ms": _ms(_median(transit)),
        "client_bottleneck": summary.client.bottleneck,
        "client_reasons": summary.client.reasons,
        "client_cpu_percent": _round(summary.client.cpu_percent),
        "server_busy_cpu_percent": _round(srv.busy_cpu_percent),
    }


def ours_max_rate(concurrency: int, requests: int, tokens: int) -> dict[str, Any]:
    """Closed loop against the zero-latency server; warm-up of one request per connection."""
    settings = LevelSettings(
        mode="closed",
        concurrency=concurrency,
        num_requests=requests,
        warmup_requests=concurrency,
        timeout_s=60.0,
    )
    with server_process(0.0, 0.0, tokens) as (url, srv):
        _, summary = run(run_level(url, "m", [BODY], settings))
    return {
        "concurrency": concurrency,
        "requests": requests,
        "completed": summary.completed,
        "failed": summary.failed,
        "duration_s": round(summary.duration_s, 3),
        "requests_per_s": round(summary.request_throughput, 1),
        "client_bottleneck": summary.client.bottleneck,
        "client_reasons": summary.client.reasons,
        "client_cpu_percent": _round(summary.client.cpu_percent),
        "loop_lag_max_ms": _ms(summary.client.loop_lag_max_s),
        "server_busy_cpu_percent": _round(srv.busy_cpu_percent),
    }


# --------------------------------------------------------------------------- peer tools


@dataclass
class PeerRun:
    """A peer's reported numbers for one run, and how the run went."""

    ok: bool
    mean_ttft_s: float | None = None
    median_itl_s: float | None = None
    requests_per_s: float | None = None
    completed: int | None = None
    error: str | None = None
    command: str = ""


def _run_cmd(cmd: list[str], env: dict[str, str], cwd: Path, log: Path) -> tuple[int, str]:
    with log.open("w") as fh:
        try:
            rc = subprocess.run(
                cmd,
                check=False,
                env=env,
                cwd=cwd,
                stdout=fh,
                stderr=subprocess.STDOUT,
                timeout=PEER_TIMEOUT_S,
            ).returncode
        except subprocess.TimeoutExpired:
            rc = 124
    return rc, log.read_text(errors="replace")[-3000:]


def _peer_env(tool_bin: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIRTUAL_ENV")}
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    env["PATH"] = f"{Path(tool_bin).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_guidellm(
    tool: str, url: str, tokenizer: str, concurrency: int, n: int, tokens: int, work: Path
) -> PeerRun:
    """``guidellm run`` (0.8 CLI), concurrent profile, synthetic text; reads its JSON report."""
    out = work / f"guidellm-c{concurrency}-{n}.json"
    cmd = [tool, "run", "--backend", f"kind=openai_http,target={url},model=m"]
    cmd += [
        "--profile",
        f"kind=concurrent,streams={concurrency}",
        "--constraint",
        f"kind=max_requests,count={n}",
    ]
    cmd += ["--data", f"kind=synthetic_text,prompt_tokens=16,output_tokens={tokens}"]
    cmd += ["--tokenizer", f"kind=huggingface_auto,model={tokenizer}"]
    cmd += ["--output", f"kind=json,path={out}", "--disable-console-interactive"]
    rc, tail = _run_cmd(cmd, _peer_env(tool), work, work / f"guidellm-c{concurrency}.log")
    res = PeerRun(ok=False, command=" ".join(cmd))
    if rc != 0 or not out.exists():
        res.error = f"rc={rc}: {tail[-1500:]}"
        return res
    bench = json.loads(out.read_text())["benchmarks"][0]
    metrics = bench["metrics"]

    def successful(name: str, stat: str) -> float | None:
        v = (metrics.get(name) or {}).get("successful", {}).get(stat)
        return float(v) if isinstance(v, (int, float)) else None

    ttft_ms = successful("time_to_first_token_ms", "mean")
    itl_ms = successful("inter_token_latency_ms", "median")
    res.mean_ttft_s = ttft_ms / 1e3 if ttft_ms is not None else None
    res.median_itl_s = itl_ms / 1e3 if itl_ms is not None else None
    res.completed = (metrics.get("request_totals") or {}).get("successful")
    duration = bench.get("duration")
    if res.completed and isinstance(duration, (int, float)) and duration > 0:
        res.requests_per_s = res.completed / duration  # completed / measured window, as for the others
    res.ok = ttft_ms is not None
    if not res.ok:
        res.error = f"no time_to_first_token_ms in {out}"
    return res


def run_evalscope(
    tool: str, url: str, tokenizer: str, concurrency: int, n: int, tokens: int, work: Path
) -> PeerRun:
    """``evalscope perf`` with the random dataset; reads ``benchmark_summary.json``."""
    outdir = work / f"evalscope-c{concurrency}-{n}"
    cmd = [tool, "perf", "--url", f"{url}/v1/chat/completions", "--api", "openai", "--model", "m"]
    cmd += ["--parallel", str(concurrency), "--number", str(n), "--stream", "--dataset", "random"]
    cmd += ["--tokenizer-path", tokenizer, "--min-prompt-length", "128", "--max-prompt-length", "128"]
    cmd += ["--min-tokens", str(tokens), "--max-tokens", str(tokens), "--outputs-dir", str(outdir)]
    cmd += ["--no-test-connection"]
    rc, tail = _run_cmd(cmd, _peer_env(tool), work, work / f"evalscope-c{concurrency}.log")
    res = PeerRun(ok=False, command=" ".join(cmd))
    summaries = sorted(outdir.rglob("benchmark_summary.json"))
    if rc != 0 or not summaries:
        res.error = f"rc={rc}: {tail[-1500:]}"
        return res
    summary = json.loads(summaries[-1].read_text())

    def pick(pattern: str, row: dict[str, Any] = summary) -> float | None:
        """The first numeric field whose name matches, in seconds when the name says ``(ms)``."""
        for k, v in row.items():
            if re.search(pattern, k, re.IGNORECASE) and isinstance(v, (int, float)):
                return float(v) / 1e3 if "(ms)" in k else float(v)
        return None

    res.mean_ttft_s = pick(r"TTFT")
    res.requests_per_s = pick(r"Req Throughput")
    succ = pick(r"Success Requests")
    res.completed = int(succ) if succ is not None else None
    pct = sorted(outdir.rglob("benchmark_percentile.json"))
    if pct:
        rows = json.loads(pct[-1].read_text())
        median = next((r for r in rows if r.get("Percentiles") == "50%"), None)
        res.median_itl_s = pick(r"^ITL", median) if median else None
    res.ok = res.mean_ttft_s is not None
    if not res.ok:
        res.error = f"no TTFT in {summaries[-1]}: {sorted(summary)}"
    return res


PEERS = {"guidellm": run_guidellm, "evalscope": run_evalscope}
VLLM_NOT_RUN = (
    "not run: `pip download vllm --no-deps` gives vllm-0.33.0 (336 MB wheel), which pins torch==2.14.0, "
    "torchvision, torchaudio and flashinfer-python (CUDA builds; the guidellm venv with torch + CUDA "
    "libraries alone is 6.0 GB), too heavy for this CPU-only machine"
)


def peer_version(tool: str, name: str) -> str | None:
    py = Path(tool).parent / "python"
    dist = {"guidellm": "guidellm", "evalscope": "evalscope"}[name]
    try:
        out = subprocess.run(
            [str(py), "-c", f"import importlib.metadata as m; print(m.version('{dist}'))"],
            check=False, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def peer_fidelity(
    name: str, tool: str, tokenizer: str, concurrency: int, per_level: int, cfg: TimingConfig, work: Path
) -> dict[str, Any]:
    """A peer at one level, compared with server-side truth (first content / first event − read)."""
    n = per_level * concurrency
    with server_process(cfg.first_token_delay, cfg.token_delay, cfg.tokens) as (url, srv):
        res = PEERS[name](tool, url, tokenizer, concurrency, n, cfg.tokens, work)
    logs = srv.content()
    server_ttft = [e["content"][0] - e["received"] for e in logs]
    server_first_event = [e["events"][0] - e["received"] for e in logs]
    server_itl = [g for e in logs for g in _itl(e)]
    row: dict[str, Any] = {
        "concurrency": concurrency,
        "requests": n,
        "ok": res.ok,
        "server_logged_requests": len(logs),
        "reported_completed": res.completed,
        "reported_mean_ttft_ms": _ms(res.mean_ttft_s),
        "server_side_mean_ttft_ms": _ms(_mean(server_ttft)),
        "server_side_mean_first_event_ms": _ms(_mean(server_first_event)),
        "mean_ttft_error_vs_server_side_ms": _ms(_diff(res.mean_ttft_s, _mean(server_ttft))),
        "reported_median_itl_ms": _ms(res.median_itl_s),
        "median_itl_error_ms": _ms(_diff(res.median_itl_s, _median(server_itl))),
        "server_busy_cpu_percent": _round(srv.busy_cpu_percent),
        "command": res.command,
    }
    if res.error:
        row["error"] = res.error
    return row


def peer_max_rate(
    name: str, tool: str, tokenizer: str, concurrency: int, n: int, tokens: int, work: Path
) -> dict[str, Any]:
    with server_process(0.0, 0.0, tokens) as (url, srv):
        res = PEERS[name](tool, url, tokenizer, concurrency, n, tokens, work)
    row: dict[str, Any] = {
        "concurrency": concurrency,
        "requests": n,
        "ok": res.ok,
        "reported_completed": res.completed,
        "server_logged_requests": len(srv.content()),
        "requests_per_s": None if res.requests_per_s is None else round(res.requests_per_s, 1),
        "server_busy_cpu_percent": _round(srv.busy_cpu_percent),
        "command": res.command,
    }
    if res.error:
        row["error"] = res.error
    return row


# --------------------------------------------------------------------------- main


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "cpu_model": next(
            (
                ln.split(":", 1)[1].strip()
                for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")
            ),
            platform.processor(),
        ),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "event_loop": "uvloop" if _has_uvloop() else "asyncio (uvloop not installed)",
        "note": "client and server share these cores; the server is one single-threaded asyncio process",
    }


def _has_uvloop() -> bool:
    return importlib.util.find_spec("uvloop") is not None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["_serve"]:
        p = argparse.ArgumentParser(prog="bench_perf_client.py _serve")
        p.add_argument("--log", required=True)
        p.add_argument("--first-token-delay", type=float, default=0.05)
        p.add_argument("--token-delay", type=float, default=0.01)
        p.add_argument("--tokens", type=int, default=32)
        ns = p.parse_args(argv[1:])
        ns.serve = True
        return ns
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=REPO / "docs/figures/bench_perf_client.json")
    p.add_argument("--levels", default="1,4,16,32,64,128", help="concurrencies for the fidelity measurement")
    p.add_argument("--per-level", type=int, default=4, help="requests per level = this x concurrency")
    p.add_argument("--rate-concurrency", type=int, default=64)
    p.add_argument("--rate-requests", type=int, default=3000)
    p.add_argument("--skip-peers", action="store_true")
    p.add_argument("--peer-levels", default=None, help="fidelity levels for peers (default: --levels)")
    p.add_argument("--peer-rate-requests", type=int, default=None, help="default: --rate-requests")
    p.add_argument("--guidellm", default="/tmp/venv-guidellm/bin/guidellm", help="guidellm executable")
    p.add_argument("--evalscope", default="/tmp/venv-evalscope/bin/evalscope", help="evalscope executable")
    p.add_argument("--tokenizer", default="/tmp/tiny-qwen2-vl", help="local tokenizer folder for the peers")
    p.add_argument("--peer-workdir", type=Path, default=Path("/tmp/bench_perf_client_peers"))
    p.add_argument("--tables", type=Path, help="only print the Markdown tables of this results JSON")
    ns = p.parse_args(argv)
    ns.serve = False
    return ns


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.serve:
        serve_main(args)
        return
    if args.tables:
        print(markdown_tables(json.loads(args.tables.read_text())))
        return
    levels = [int(x) for x in args.levels.split(",") if x]
    cfg = TimingConfig(first_token_delay=0.05, token_delay=0.01, tokens=32)
    result: dict[str, Any] = {
        "machine": machine(),
        "server": {
            "fidelity": asdict(cfg),
            "max_rate": {"first_token_delay": 0.0, "token_delay": 0.0, "tokens": 8},
        },
        "definitions": {
            "ttft_error": "measured TTFT - (server wrote first content - client t_send), per request",
            "itl_error": "measured gap - server write gap, per gap (paired)",
            "vs_server_side": "mean measured TTFT - mean(server wrote first content - server read request); "
            "server-side truth misses the send->read transit, so this error is >= the true one",
        },
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "tools": {},
    }
    ours: dict[str, Any] = {"version": _version(), "fidelity": [], "max_rate": None}
    result["tools"]["vlmhb perf"] = ours
    for c in levels:
        row = ours_fidelity(c, args.per_level, cfg)
        print(f"vlmhb c={c}: {json.dumps(row)}", flush=True)
        ours["fidelity"].append(row)
    ours["max_rate"] = ours_max_rate(args.rate_concurrency, args.rate_requests, 8)
    print(f"vlmhb max rate: {json.dumps(ours['max_rate'])}", flush=True)
    _write(args.out, result)

    if not args.skip_peers:
        args.peer_workdir.mkdir(parents=True, exist_ok=True)
        peer_levels = [int(x) for x in (args.peer_levels or args.levels).split(",") if x]
        result["tools"]["vllm bench serve"] = {"version": None, "error": VLLM_NOT_RUN}
        for name in PEERS:
            tool = getattr(args, name)
            entry: dict[str, Any] = {"version": None, "fidelity": [], "max_rate": None}
            result["tools"][name] = entry
            if not Path(tool).exists():
                entry["error"] = f"{tool} not found (not installed)"
                continue
            entry["version"] = peer_version(tool, name)
            for c in peer_levels:
                row = peer_fidelity(name, tool, args.tokenizer, c, args.per_level, cfg, args.peer_workdir)
                print(f"{name} c={c}: {json.dumps(row)}", flush=True)
                entry["fidelity"].append(row)
                _write(args.out, result)
            n = args.peer_rate_requests or args.rate_requests
            entry["max_rate"] = peer_max_rate(
                name, tool, args.tokenizer, args.rate_concurrency, n, 8, args.peer_workdir
            )
            print(f"{name} max rate: {json.dumps(entry['max_rate'])}", flush=True)
            _write(args.out, result)
    result["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    _write(args.out, result)
    print(markdown_tables(result))


def markdown_tables(result: dict[str, Any]) -> str:
    """The doc's two tables from a results JSON."""
    lines = [
        (
            "| tool | version | concurrency | mean TTFT error (ms) | median TTFT error (ms) "
            "| mean TTFT error vs server-side (ms) | median ITL − truth median (ms) | median paired ITL error (ms) |"
        ),
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]

    def f(x: Any) -> str:
        return "n/a" if x is None else f"{x:+.2f}"

    for name, tool in result["tools"].items():
        for row in tool.get("fidelity", []):
            itl_of_medians = row.get("median_itl_minus_truth_median_ms", row.get("median_itl_error_ms"))
            paired = row.get("median_itl_error_ms") if "median_itl_minus_truth_median_ms" in row else None
            lines.append(
                f"| {name} | {tool.get('version')} | {row['concurrency']} | {f(row.get('mean_ttft_error_ms'))} "
                f"| {f(row.get('median_ttft_error_ms'))} | {f(row.get('mean_ttft_error_vs_server_side_ms'))} "
                f"| {f(itl_of_medians)} | {f(paired)} |"
            )
    lines += [
        "",
        "| tool | version | concurrency | requests | completed | req/s | client flagged bottleneck | server CPU while busy (%) |",
        "|---|---|---:|---:|---:|---:|---|---:|",
    ]
    for name, tool in result["tools"].items():
        row = tool.get("max_rate")
        if not row:
            continue
        flag = row.get("client_bottleneck")
        flag_s = (
            "n/a" if flag is None else ("yes: " + "; ".join(row.get("client_reasons", [])) if flag else "no")
        )
        done = row.get("completed", row.get("reported_completed"))
        lines.append(
            f"| {name} | {tool.get('version')} | {row['concurrency']} | {row['requests']} | {done} "
            f"| {row.get('requests_per_s')} | {flag_s} | {row.get('server_busy_cpu_percent')} |"
        )
    return "\n".join(lines)


def _version() -> str:
    try:
        return importlib.metadata.version("vlmhyperbench")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _write(path: Path, result: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
