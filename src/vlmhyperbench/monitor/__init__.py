"""Runtime monitoring: the `Watchdog` samples memory and GPUs and reports hangs and OOM."""

from .watchdog import MAX_EVENTS, RequestTracker, Watchdog

__all__ = ["MAX_EVENTS", "RequestTracker", "Watchdog"]
