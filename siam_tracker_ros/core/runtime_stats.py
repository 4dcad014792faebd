"""Sliding-window rate and latency statistics for a running tracker (ROS-free, thread-safe).

Times are seconds from any monotonic clock the caller chooses (``time.monotonic()``).
"""
from __future__ import annotations

import collections
import math
import threading
from dataclasses import dataclass
from typing import Deque, Tuple


class RateMeter:
    """Events per second over the last ``window_s`` seconds."""

    def __init__(self, window_s: float = 2.0) -> None:
        if window_s <= 0:
            raise ValueError(f"window_s must be > 0, got {window_s}")
        self._window_s = float(window_s)
        self._times: Deque[float] = collections.deque()
        self._lock = threading.Lock()

    def tick(self, now_s: float) -> None:
        with self._lock:
            self._times.append(now_s)
            self._trim(now_s)

    def _trim(self, now_s: float) -> None:
        while self._times and self._times[0] < now_s - self._window_s:
            self._times.popleft()

    def rate_hz(self, now_s: float) -> float:
        """Events per second: (events - 1) / span of the events still in the window, 0 with fewer
        than two events."""
        with self._lock:
            self._trim(now_s)
            if len(self._times) < 2:
                return 0.0
            span = self._times[-1] - self._times[0]
            return (len(self._times) - 1) / span if span > 0 else 0.0


@dataclass(frozen=True)
class Summary:
    """Summary of the values in the window: count, mean, p95 and max (NaN when empty)."""

    count: int
    mean: float
    p95: float
    max: float


class RollingValues:
    """The last ``size`` values of a measurement (latency in ms, stamp age in ms ...)."""

    def __init__(self, size: int = 300) -> None:
        if size < 1:
            raise ValueError(f"size must be >= 1, got {size}")
        self._values: Deque[float] = collections.deque(maxlen=int(size))
        self._lock = threading.Lock()

    def add(self, value: float) -> None:
        with self._lock:
            self._values.append(float(value))

    def summary(self) -> Summary:
        with self._lock:
            values = sorted(self._values)
        if not values:
            nan = float("nan")
            return Summary(0, nan, nan, nan)
        p95 = values[min(len(values) - 1, int(math.ceil(0.95 * len(values))) - 1)]
        return Summary(len(values), sum(values) / len(values), p95, values[-1])

    def last(self) -> Tuple[bool, float]:
        """(has_value, last value)."""
        with self._lock:
            return (True, self._values[-1]) if self._values else (False, float("nan"))
