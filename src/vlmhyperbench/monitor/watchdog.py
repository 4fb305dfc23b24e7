"""`Watchdog`: background sampling of the process and GPUs, hang and OOM events.

A daemon thread samples, every ``interval_s``, the process's resident memory and CPU
share (psutil, else ``/proc/self/status`` and `os.times`) and, when NVML initialises
(``pynvml`` from nvidia-ml-py, with a driver), each GPU's memory used/total and
utilisation; it stamps a heartbeat on every pass. Requests are tracked with
`Watchdog.track`: a request that goes ``hang_after_s`` without a token produces one
``hang`` event, so a stuck generation is reported rather than silent. ``oom`` events
are recorded by whoever sees the error (`Watchdog.record_oom`). Events are kept in
memory and appended to ``events_path`` (JSONL, flushed per line) when one is given.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
from collections import Counter, deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import JsonlAppender

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["RequestTracker", "Watchdog"]

logger = logging.getLogger(__name__)

MAX_EVENTS = 10_000
"""Events kept in memory (the file keeps all of them; counts cover all of them)."""


class _ProcessSampler:
    """RSS and CPU share of this process: psutil when installed, else /proc and `os.times`."""

    def __init__(self) -> None:
        self._psutil: Any = None
        try:
            self._psutil = importlib.import_module("psutil").Process()
            self._psutil.cpu_percent(None)  # the first call only sets the reference point
        except ImportError:
            pass
        self._last_cpu = self._cpu_seconds()
        self._last_wall = time.monotonic()

    @staticmethod
    def _cpu_seconds() -> float:
        t = os.times()
        return t.user + t.system

    def sample(self) -> dict[str, Any]:
        if self._psutil is not None:
            return {
                "rss_bytes": int(self._psutil.memory_info().rss),
                "cpu_percent": self._psutil.cpu_percent(None),
            }
        cpu, wall = self._cpu_seconds(), time.monotonic()
        percent = 100.0 * (cpu - self._last_cpu) / (wall - self._last_wall) if wall > self._last_wall else 0.0
        self._last_cpu, self._last_wall = cpu, wall
        return {"rss_bytes": _proc_rss_bytes(), "cpu_percent": round(percent, 1)}


def _proc_rss_bytes() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024  # the kernel reports kB
    except (OSError, ValueError, IndexError):
        pass
    return None


class _GpuSampler:
    """Per-GPU memory and utilisation through NVML; silent and empty where NVML is absent."""

    def __init__(self) -> None:
        self._nvml: Any = None
        self._handles: list[Any] = []

    def open(self) -> None:
        try:
            pynvml = importlib.import_module("pynvml")
        except ImportError:
            logger.debug("pynvml (nvidia-ml-py) is not installed: GPUs are not sampled")
            return
        try:
            pynvml.nvmlInit()
            self._handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
            self._nvml = pynvml
        except pynvml.NVMLError as exc:  # no driver or no GPU: GPUs are simply not sampled
            logger.debug("NVML unavailable, GPUs are not sampled: %s", exc)
            self._nvml, self._handles = None, []

    def close(self) -> None:
        if self._nvml is not None:
            try:
                self._nvml.nvmlShutdown()
            except self._nvml.NVMLError as exc:
                logger.debug("nvmlShutdown failed: %s", exc)
            self._nvml, self._handles = None, []

    def sample(self) -> list[dict[str, Any]] | None:
        """One entry per NVML device (NVML's index, not CUDA_VISIBLE_DEVICES's), or None."""
        if self._nvml is None:
            return None
        gpus = []
        for index, handle in enumerate(self._handles):
            gpu: dict[str, Any] = {"index": index}
            try:
                memory = self._nvml.nvmlDeviceGetMemoryInfo(handle)
                gpu["memory_used_bytes"], gpu["memory_total_bytes"] = int(memory.used), int(memory.total)
                gpu["utilization_percent"] = float(self._nvml.nvmlDeviceGetUtilizationRates(handle).gpu)
            except self._nvml.NVMLError as exc:  # e.g. utilisation is not supported on this device (MIG)
                logger.debug("NVML query failed for GPU %d: %s", index, exc)
            gpus.append(gpu)
        return gpus


class RequestTracker:
    """Progress of one generation, as the watchdog sees it.

    Use it as a context manager, or call `finish` when the request ends.
    """

    def __init__(self, watchdog: Watchdog, request_id: str) -> None:
        self.request_id = request_id
        """The request's id, repeated in its events."""
        self.started = time.monotonic()
        self.last_token = self.started
        """Monotonic time of the last token (of the start, before the first)."""
        self.tokens = 0
        self.hung = False
        """Whether a ``hang`` event was recorded for this request."""
        self.peak_gpu_memory_used_bytes: int | None = None
        """Highest NVML memory use (all GPUs together) sampled while the request ran."""
        self._watchdog = watchdog

    def token(self, count: int = 1) -> None:
        """Record progress: ``count`` tokens (or text deltas) just arrived."""
        self.tokens += count
        self.last_token = time.monotonic()

    def finish(self) -> None:
        """Stop tracking this request (idempotent)."""
        self._watchdog._untrack(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()


class Watchdog:
    """Samples resources in a daemon thread and reports hung or out-of-memory requests.

    Args:
        interval_s: Seconds between resource samples.
        hang_after_s: A tracked request with no token for this long is reported as hung.
        events_path: JSONL file that every event is appended to, if given.
    """

    def __init__(
        self, interval_s: float = 1.0, hang_after_s: float = 120.0, events_path: Path | None = None
    ) -> None:
        if interval_s <= 0 or hang_after_s <= 0:
            raise ValueError("interval_s and hang_after_s must be positive")
        self.interval_s = interval_s
        self.hang_after_s = hang_after_s
        self.events_path = events_path
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._tracked: dict[int, RequestTracker] = {}
        self._events: deque[dict[str, Any]] = deque(maxlen=MAX_EVENTS)
        self._counts: Counter[str] = Counter()
        self._appender: JsonlAppender | None = None
        self._sample: dict[str, Any] = {}
        self._heartbeat: float | None = None
        self._process = _ProcessSampler()
        self._gpus = _GpuSampler()

    # -- lifecycle ---------------------------------------------------------------
    def start(self) -> None:
        """Start the sampling thread (a no-op when it runs already)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._gpus.open()
        self._take_sample()
        self._heartbeat = time.time()
        self._thread = threading.Thread(target=self._run, name="vlmhb-watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread, release NVML and close the events file."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=max(5.0, 2 * self.interval_s))
            self._thread = None
        self._gpus.close()
        with self._lock:
            if self._appender is not None:
                self._appender.close()
                self._appender = None

    # -- requests and events -----------------------------------------------------
    def track(self, request_id: str) -> RequestTracker:
        """Start watching a request; call `RequestTracker.token` as tokens arrive."""
        tracker = RequestTracker(self, request_id)
        with self._lock:
            self._tracked[id(tracker)] = tracker
        return tracker

    def _untrack(self, tracker: RequestTracker) -> None:
        with self._lock:
            self._tracked.pop(id(tracker), None)

    def record_oom(self, request_id: str | None, message: str) -> dict[str, Any]:
        """Record that a request ran out of (GPU) memory; returns the event."""
        return self.record("oom", request_id=request_id, message=message[:500])

    def record(self, kind: str, **details: Any) -> dict[str, Any]:
        """Record an event of ``kind`` with its details; returns it."""
        event = {"kind": kind, "time": time.time(), **details}
        logger.warning("watchdog event: %s", event)
        with self._lock:
            self._events.append(event)
            self._counts[kind] += 1
            if self.events_path is not None:
                try:
                    if self._appender is None:
                        self._appender = JsonlAppender(self.events_path)
                    self._appender.append(event)
                except OSError as exc:  # a full disk must not stop the server
                    logger.error("cannot write watchdog event to %s: %s", self.events_path, exc)
        return event

    @property
    def events(self) -> list[dict[str, Any]]:
        """Events so far (the latest `MAX_EVENTS`), oldest first."""
        with self._lock:
            return list(self._events)

    def events_for(self, request_id: str) -> list[dict[str, Any]]:
        """The events of one request."""
        return [e for e in self.events if e.get("request_id") == request_id]

    def event_counts(self) -> dict[str, int]:
        """How many events of each kind were recorded since the watchdog was made."""
        with self._lock:
            return dict(self._counts)

    # -- samples -----------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The latest sample: ``time``, ``rss_bytes``, ``cpu_percent``, ``gpus`` (with NVML)."""
        with self._lock:
            return dict(self._sample)

    @property
    def heartbeat_age_s(self) -> float | None:
        """Seconds since the sampling thread last ran; None before `start`."""
        return None if self._heartbeat is None else max(0.0, time.time() - self._heartbeat)

    def _take_sample(self) -> None:
        sample: dict[str, Any] = {"time": time.time(), "pid": os.getpid(), **self._process.sample()}
        gpus = self._gpus.sample()
        if gpus is not None:
            sample["gpus"] = gpus
            used = sum(g.get("memory_used_bytes", 0) for g in gpus)
            with self._lock:
                for tracker in self._tracked.values():
                    peak = tracker.peak_gpu_memory_used_bytes
                    tracker.peak_gpu_memory_used_bytes = used if peak is None else max(peak, used)
        with self._lock:
            self._sample = sample

    def _check_hangs(self) -> None:
        now = time.monotonic()
        with self._lock:
            hung = [
                t for t in self._tracked.values() if not t.hung and now - t.last_token >= self.hang_after_s
            ]
            for tracker in hung:
                tracker.hung = True
        for tracker in hung:
            self.record(
                "hang",
                request_id=tracker.request_id,
                seconds_since_token=round(now - tracker.last_token, 3),
                tokens=tracker.tokens,
            )

    def _run(self) -> None:
        # Hangs are checked more often than resources are sampled, so a short
        # hang_after_s is reported on time even with a long sampling interval.
        tick = max(0.01, min(self.interval_s, self.hang_after_s / 4))
        next_sample = time.monotonic() + self.interval_s
        while not self._stop.wait(tick):
            try:
                if time.monotonic() >= next_sample:
                    self._take_sample()
                    next_sample = time.monotonic() + self.interval_s
                self._check_hangs()
            except Exception as exc:  # the sampler must outlive a failing probe
                logger.exception("watchdog sampling failed")
                self.record("sampler_error", message=str(exc)[:500])
            self._heartbeat = time.time()
