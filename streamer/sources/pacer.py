"""Real-time pacing for sources that play something as if it were live: the demo scene, a looped
file or image, a file published as a stream, a benchmark's synthetic camera."""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING

from streamer.errors import ConfigError
from streamer.frame import Frame, StreamInfo

if TYPE_CHECKING:
    from streamer.sources import Source


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


class Paced:
    """A finite source (a file, the demo) played as a live stream: each frame is handed out when it is
    due by its own timestamp (variable frame rates included) and stamped with the capture time then.

    Like :class:`Pacer`, a reader that has fallen more than ``max_lag_s`` behind moves its start
    instead of bursting frames out to catch up.
    """

    def __init__(self, source: Source, max_lag_s: float = 1.0) -> None:
        self._source = source
        self.max_lag_s = max_lag_s
        self.info: StreamInfo = dataclasses.replace(source.info, live=True)
        self._start: float | None = None  # monotonic time at which pts_s 0 is due

    def read(self) -> Frame | None:
        frame = self._source.read()
        if frame is None:
            return None
        now = time.monotonic()
        if self._start is None:
            self._start = now - frame.pts_s
        delay = self._start + frame.pts_s - now
        if delay > 0:
            time.sleep(delay)
        elif delay < -self.max_lag_s:
            self._start -= delay
        return dataclasses.replace(frame, captured_ns=time.monotonic_ns())

    def close(self) -> None:
        self._source.close()
