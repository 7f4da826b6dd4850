"""The sliding burst buffer: a preallocated ring of the last N frames.

Frames are stored twice in a ring of 2N slots (at ``i`` and ``i + N``), so the burst, oldest
first, is always one contiguous zero-copy view ``ring[head : head + N]`` handed straight to the
model. Until N frames have arrived, the first frame fills the missing older slots, so a model
always receives a full burst. A frame of a new size resets the buffer (e.g. a camera that
reconnects at another resolution).
"""

from __future__ import annotations

import numpy as np

from streamer.errors import ConfigError


class BurstBuffer:
    """The last ``length`` frames of (H, W, 3) uint8 RGB."""

    def __init__(self, length: int) -> None:
        if length < 1:
            raise ConfigError(f"burst length must be at least 1, not {length}")
        self.length = length
        self._ring: np.ndarray | None = None
        self._next = 0  # slot the next frame goes to, in [0, length)
        self.count = 0  # frames pushed since the last reset

    @property
    def shape(self) -> tuple[int, int, int] | None:
        return None if self._ring is None else self._ring.shape[1:]

    def reset(self) -> None:
        self._ring = None
        self._next = 0
        self.count = 0

    def push(self, rgb: np.ndarray) -> None:
        """Copy one (H, W, 3) uint8 frame in, evicting the oldest."""
        if self._ring is None or self._ring.shape[1:] != rgb.shape:
            slots = 1 if self.length == 1 else 2 * self.length
            self._ring = np.empty((slots, *rgb.shape), np.uint8)
            self._next = 0
            self.count = 0
        n = self.length
        if n == 1:
            self._ring[0] = rgb
        else:
            if self.count == 0:
                self._ring[:] = rgb  # warm-up: the first frame stands in for older ones
            i = self._next
            self._ring[i] = rgb
            self._ring[i + n] = rgb
            self._next = (i + 1) % n
        self.count += 1

    def burst(self) -> np.ndarray:
        """(N, H, W, 3) uint8 view, oldest first; valid until the next ``push``."""
        if self._ring is None:
            raise ConfigError("the burst buffer is empty: push a frame first")
        if self.length == 1:
            return self._ring
        # After a push at slot i, the oldest frame is at i + 1 == self._next.
        return self._ring[self._next : self._next + self.length]
