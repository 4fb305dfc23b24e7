"""Prometheus metrics of the API Wrapper, in a registry of its own per app.

Request metrics are updated as requests finish; the watchdog's figures (memory, CPU,
GPUs, heartbeat, event counts) are read from its latest sample when ``/metrics`` is
scraped, so they are never older than one sampling interval.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ..monitor import Watchdog
from ._protocol import Performance

__all__ = ["ServeMetrics"]

_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0)
_TPOT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 1.0, 2.5)


class _WatchdogCollector(Collector):
    """Gauges of the watchdog's latest sample and counters of its events."""

    def __init__(self, watchdog: Watchdog) -> None:
        self.watchdog = watchdog

    def collect(self) -> Iterator[Metric]:
        sample = self.watchdog.snapshot()
        for name, key, doc in (
            ("vlmhb_process_rss_bytes", "rss_bytes", "Resident memory of the serving process."),
            ("vlmhb_process_cpu_percent", "cpu_percent", "CPU use of the serving process (100 = one core)."),
        ):
            if sample.get(key) is not None:
                yield GaugeMetricFamily(name, doc, value=float(sample[key]))
        gpu_metrics = [
            GaugeMetricFamily("vlmhb_gpu_memory_used_bytes", "GPU memory in use (NVML).", labels=["gpu"]),
            GaugeMetricFamily("vlmhb_gpu_memory_total_bytes", "GPU memory in total (NVML).", labels=["gpu"]),
            GaugeMetricFamily("vlmhb_gpu_utilization_percent", "GPU utilisation (NVML).", labels=["gpu"]),
        ]
        keys = ("memory_used_bytes", "memory_total_bytes", "utilization_percent")
        for gpu in sample.get("gpus") or []:
            for metric, key in zip(gpu_metrics, keys):
                if gpu.get(key) is not None:
                    metric.add_metric([str(gpu["index"])], float(gpu[key]))
        yield from gpu_metrics
        age = self.watchdog.heartbeat_age_s
        if age is not None:
            yield GaugeMetricFamily(
                "vlmhb_watchdog_heartbeat_age_seconds",
                "Seconds since the watchdog thread last ran.",
                value=age,
            )
        events = CounterMetricFamily(
            "vlmhb_watchdog_events", "Watchdog events by kind (hang, oom).", labels=["kind"]
        )
        counts = self.watchdog.event_counts()
        for kind in sorted({"hang", "oom", *counts}):
            events.add_metric([kind], float(counts.get(kind, 0)))
        yield events


class ServeMetrics:
    """The app's Prometheus registry and the metrics that requests update."""

    def __init__(self, watchdog: Watchdog | None) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "vlmhb_requests", "Chat-completion requests by outcome (HTTP status).", ["status"], registry=r
        )
        self.in_flight = Gauge(
            "vlmhb_requests_in_flight", "Chat-completion requests being answered.", registry=r
        )
        self.latency = Histogram(
            "vlmhb_request_latency_seconds",
            "Latency of successful requests.",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.ttft = Histogram(
            "vlmhb_time_to_first_token_seconds",
            "Time to the first token.",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.tpot = Histogram(
            "vlmhb_time_per_output_token_seconds",
            "Time per output token after the first.",
            buckets=_TPOT_BUCKETS,
            registry=r,
        )
        self.prompt_tokens = Counter("vlmhb_prompt_tokens", "Prompt tokens processed.", registry=r)
        self.completion_tokens = Counter(
            "vlmhb_completion_tokens", "Completion tokens generated.", registry=r
        )
        self.image_tokens = Counter("vlmhb_image_tokens", "Prompt tokens that stand for images.", registry=r)
        self.peak_vram = Gauge(
            "vlmhb_last_peak_vram_bytes", "torch peak GPU memory of the last request.", registry=r
        )
        if watchdog is not None:
            r.register(_WatchdogCollector(watchdog))

    def finished(self, status: int, performance: Performance | None) -> None:
        """Count a finished request; observe its measurements when it succeeded."""
        self.requests.labels(status=str(status)).inc()
        if performance is None:
            return
        self.latency.observe(performance.latency_s)
        if performance.ttft_s is not None:
            self.ttft.observe(performance.ttft_s)
        if performance.tpot_s is not None:
            self.tpot.observe(performance.tpot_s)
        for counter, value in (
            (self.prompt_tokens, performance.prompt_tokens),
            (self.completion_tokens, performance.completion_tokens),
            (self.image_tokens, performance.image_tokens),
        ):
            if value:
                counter.inc(value)
        if performance.peak_vram_bytes is not None:
            self.peak_vram.set(performance.peak_vram_bytes)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)
