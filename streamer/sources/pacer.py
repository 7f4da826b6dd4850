"""Real-time pacing for sources that play something as if it were live: the demo scene, a looped
file or image, a benchmark's synthetic camera."""

from __future__ import annotations

import time

from streamer.errors import ConfigError


class Pacer:
    """Frame ``n`` (counting calls of :meth:`wait`) is due ``n / fps`` seconds after the first call.

    ``wait`` sleeps until the next frame is due. A pacer that has fallen more than ``max_lag_s``
    behind (a slow disk, a paused process) moves its start instead of racing through frames to
    catch up: a live source never bursts.
    """

    def __init__(self, fps: float, max_lag_s: float = 1.0) -> None:
        if fps <= 0:
            raise ConfigError(f"a paced source needs a positive frame rate, not {fps}")
        self.fps = fps
        self.max_lag_s = max_lag_s
        self._start: float | None = None
        self._n = 0

    def wait(self) -> None:
        now = time.monotonic()
        if self._start is None:
            self._start = now
        delay = self._start + self._n / self.fps - now
        if delay > 0:
            time.sleep(delay)
        elif delay < -self.max_lag_s:
            self._start -= delay
        self._n += 1
