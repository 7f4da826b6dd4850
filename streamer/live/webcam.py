"""Frames pushed by a browser's webcam, enhanced newest-first: the service behind the Webcam tab.

The browser sends a frame every few tens of milliseconds whatever the server's speed. Each
visitor gets a :class:`WebcamSession` that keeps at most one frame in the model: a frame that
arrives while the previous one is still being enhanced is dropped (counted, never queued), so
the picture sent back is always of the newest frame the server took, never of a backlog.

The models are the server's one :class:`~streamer.live.pool.ModelPool`, shared with the live
channels, so each model is loaded once per server. A webcam frame for the model a live channel
runs waits for that channel's frame in the model; the page stops a tab's live view while the tab
shows its webcam, so with one visitor nothing else is in the model.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from streamer.buffer import BurstBuffer
from streamer.live.adjust import adjust
from streamer.live.pool import LONGEST_BURST, ModelPool
from streamer.meter import RateMeter


@dataclass(frozen=True)
class WebcamStats:
    """What the Webcam tab's stats line shows: output fps, the time this server adds to a frame
    (from the handler receiving it to the enhanced picture, median of the last frames), frames
    dropped because the previous one was still in the model, and the model and backend."""

    fps: float
    latency_ms: float | None
    dropped: int
    frames: int
    model: str
    backend: str

    def line(self) -> str:
        latency = f"{self.latency_ms:.0f} ms" if self.latency_ms is not None else "-"
        return (f"webcam: {self.fps:.1f} fps · added latency {latency} · dropped {self.dropped} (stale) · "
                f"{self.model} on {self.backend}")


class WebcamSession:
    """One visitor's webcam: a burst buffer and the newest-only gate in front of the model."""

    def __init__(self, pool: ModelPool) -> None:
        self._pool = pool
        self._buffer = BurstBuffer(LONGEST_BURST)
        self._busy = threading.Lock()
        self._meter = RateMeter(30)
        self.dropped = 0
        self.frames = 0
        self.model = ""
        self.backend = "-"

    @property
    def busy(self) -> bool:
        """A frame is in the model now (the next one that arrives is dropped)."""
        return self._busy.locked()

    def enhance(self, rgb: np.ndarray, model: str, strength: float, exposure: float) -> np.ndarray | None:
        """The enhanced ``rgb`` ((H, W, 3) uint8 RGB), or ``None`` when the previous frame is still
        in the model (then this one is dropped: the next call brings a newer one)."""
        start = time.monotonic_ns()
        if not self._busy.acquire(blocking=False):
            self.dropped += 1
            return None
        try:
            self._buffer.push(rgb)
            enhanced = self._pool.enhance(model, self._buffer.burst())
            out = adjust(rgb, enhanced, strength, exposure)
            loaded = self._pool.get(model)
            self.model, self.backend = model, f"{loaded.name}/{loaded.device}"
            now = time.monotonic_ns()
            self._meter.add(now, (now - start) / 1e6)
            self.frames += 1
            return out
        finally:
            self._busy.release()

    def stats(self) -> WebcamStats:
        return WebcamStats(self._meter.fps(), self._meter.latency_ms(), self.dropped, self.frames,
                           self.model or "-", self.backend)


class WebcamService:
    """Every visitor's :class:`WebcamSession`, by a key (the page's session), on the server's model pool
    (the caller's: ``close`` forgets the sessions, not the models)."""

    def __init__(self, pool: ModelPool) -> None:
        self.pool = pool
        self._sessions: dict[str, WebcamSession] = {}
        self._lock = threading.Lock()

    def session(self, key: str) -> WebcamSession:
        with self._lock:
            return self._sessions.setdefault(key, WebcamSession(self.pool))

    def forget(self, key: str) -> None:
        with self._lock:
            self._sessions.pop(key, None)

    def close(self) -> None:
        with self._lock:
            self._sessions.clear()
