"""A sink for viewers: it keeps only the newest (before, after) pair and wakes whoever waits for it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from streamer.frame import Frame
from streamer.meter import RateMeter


@dataclass(frozen=True)
class LiveFrame:
    """What a viewer gets: the captured frame and the enhanced one, (H, W, 3) uint8 RGB each.

    ``seq`` counts published frames of the sink (strictly increasing); ``captured_ns`` is the
    capture clock (``time.monotonic_ns``) and ``ready_ns`` when the model finished.
    """

    seq: int
    before: np.ndarray
    after: np.ndarray
    index: int
    captured_ns: int
    ready_ns: int
    model: str


class LatestFrameSink:
    """Keeps the newest (before, after) pair and wakes the waiting viewers; ``model_of()`` names the
    model that made it.

    Also measures what a stats line shows: output fps over the last second or two, added latency
    (capture to model output) and frames skipped because the model fell behind (gaps in the
    source's frame index).
    """

    address = "viewers"

    def __init__(self, model_of: Callable[[], str]) -> None:
        self._model_of = model_of
        self._cond = threading.Condition()
        self.latest: LiveFrame | None = None
        self.meter = RateMeter(60)
        self._last_index: int | None = None
        self.dropped = 0
        self.frames = 0

    def write(self, frame: Frame, rgb: np.ndarray) -> None:
        now = time.monotonic_ns()
        with self._cond:
            if self._last_index is not None and frame.index > self._last_index + 1:
                self.dropped += frame.index - self._last_index - 1
            self._last_index = frame.index
            seq = self.latest.seq + 1 if self.latest else 1
            self.latest = LiveFrame(seq, frame.rgb, rgb, frame.index, frame.captured_ns, now, self._model_of())
            self.frames += 1
            self.meter.add(now, (now - frame.captured_ns) / 1e6)
            self._cond.notify_all()

    def new_source(self) -> None:
        """A reopened source starts its frame index again."""
        with self._cond:
            self._last_index = None

    def wait_after(self, seq: int, timeout: float) -> LiveFrame | None:
        """The newest frame if newer than ``seq``, waiting up to ``timeout`` s for one."""
        with self._cond:
            self._cond.wait_for(lambda: self.latest is not None and self.latest.seq > seq, timeout)
            latest = self.latest
            return latest if latest is not None and latest.seq > seq else None

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def close(self, complete: bool = True) -> None:
        pass
