"""A network run at a working size: frames larger than its architecture's ``max_pixels`` are shrunk
by a whole factor before the network and its output is scaled back up.

For the burst model on CPUs: its cost grows with the pixel count (an encoder pass per new frame and
a decoder pass, all at the frame's size), so a 720p frame runs at 640x360 (factor 2) and a 1080p
frame at 640x360 (factor 3), about the cost of a 360p frame. What is fused is the clean, brightened
picture at that size; the scale-up is bilinear (measured on the night clips at 640x360 run at
320x180: GT-mean SSIM 0.788 against 0.768 at full size on the static shot, 0.778 against 0.793 on
the pan). Frames are (T, H, W, 3) uint8 RGB in and (H, W, 3) uint8 RGB out; every frame of a
burst is shrunk the same way, so a streaming backend still recognises a burst that moved on by one.
"""

from __future__ import annotations

import math

import cv2
import numpy as np


def factor_for(height: int, width: int, max_pixels: int) -> int:
    """The smallest whole factor that brings ``height`` x ``width`` to at most ``max_pixels``."""
    return max(1, math.ceil(math.sqrt(height * width / max_pixels)))


class ResizedBackend:
    """``inner`` run on frames shrunk to at most ``max_pixels`` (INTER_AREA), its output scaled back
    (bilinear). Frames that already fit go straight through."""

    def __init__(self, inner, max_pixels: int) -> None:
        self.inner = inner
        self.name, self.device, self.burst, self.path = inner.name, inner.device, inner.burst, inner.path
        self.max_pixels = max_pixels

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        height, width = frames.shape[1:3]
        f = factor_for(height, width, self.max_pixels)
        if f == 1:
            return self.inner.enhance(frames)
        size = (max(1, width // f), max(1, height // f))
        small = np.stack([cv2.resize(frame, size, interpolation=cv2.INTER_AREA) for frame in frames])
        return cv2.resize(self.inner.enhance(small), (width, height), interpolation=cv2.INTER_LINEAR)

    def close(self) -> None:
        self.inner.close()
