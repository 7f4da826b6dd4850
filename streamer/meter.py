"""Rolling statistics of a stream of frames for a stats line: frame rate and added latency."""

from __future__ import annotations

import threading
import time
from collections import deque

import numpy as np


class RateMeter:
    """Frame rate and latency over the last ``size`` frames; safe to use from several threads.

    ``fps()`` counts the frames of the last ``window_s`` seconds before the newest one, and is 0
    once the newest is older than ``window_s`` (a stream that stopped shows 0, not its last rate).
    ``latency_ms()`` is the median of the recorded latencies, ``None`` before the first frame.
    """

    def __init__(self, size: int, window_s: float = 2.0) -> None:
        self._times: deque[int] = deque(maxlen=size)
        self._latency: deque[float] = deque(maxlen=size)
        self._window_ns = int(window_s * 1e9)
        self._lock = threading.Lock()

    def add(self, now_ns: int, latency_ms: float) -> None:
        """A frame done at ``now_ns`` (``time.monotonic_ns()``) that took ``latency_ms``."""
        with self._lock:
            self._times.append(now_ns)
            self._latency.append(latency_ms)

    def fps(self) -> float:
        with self._lock:
            times = list(self._times)
        if len(times) < 2 or time.monotonic_ns() - times[-1] > self._window_ns:
            return 0.0
        recent = [t for t in times if times[-1] - t <= self._window_ns]
        return (len(recent) - 1) / max((recent[-1] - recent[0]) / 1e9, 1e-9) if len(recent) > 1 else 0.0

    def latency_ms(self) -> float | None:
        with self._lock:
            values = list(self._latency)
        return float(np.median(values)) if values else None
