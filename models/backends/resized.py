"""A network run at a working size: frames larger than its architecture's ``max_pixels`` are shrunk
to that many pixels (aspect kept) before the network and its output is scaled back up.

For the burst model on CPUs: its cost grows with the pixel count (an encoder pass per new frame and
a decoder pass, all at the frame's size), so a 720p or a 1080p frame runs at 640x360, about the
cost of a 360p frame. The size is the largest that fits, not a whole factor: LOL's 600x400 images,
just over 640x360's pixel count, run at 586x390 (at 300x200, half each way, their validation SSIM
fell from 0.712 to 0.630). What is fused is the clean, brightened
picture at that size; the scale-up is bilinear (measured on the night clips at 640x360 run at
320x180: GT-mean SSIM 0.788 against 0.768 at full size on the static shot, 0.778 against 0.793 on
the pan). Frames are (T, H, W, 3) uint8 RGB in and (H, W, 3) uint8 RGB out; every frame of a
burst is shrunk the same way, so a streaming backend still recognises a burst that moved on by one.

A network that keeps only part of its prediction and the rest of its input (the burst model moves
back to the frame as the frame gets exposed, :func:`models.nets.tone.strength_blend`) gets the
frame's own detail back in that proportion: ``up(out) + (1 - s) * (frame - up(small frame))``, what
the blend would be at full size. An exposed frame comes out as it went in, where the scale-up had
blurred it (the exposed 1080p night clip's blockiness 1.358 against its own 1.283, the camera's
blocks kept and the detail between them lost); a dark frame (``s`` = 1) gets none of the input's
noise back (guided upsampling from the full-size frame had brought the noise back: static temporal
noise 5.9 against 3.9).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import cv2
import numpy as np


def working_size(height: int, width: int, max_pixels: int) -> tuple[int, int]:
    """(height, width) scaled by one factor to at most ``max_pixels`` pixels, each even; the frame's own
    size where it fits."""
    if height * width <= max_pixels:
        return height, width
    scale = math.sqrt(max_pixels / (height * width))
    return max(2, int(height * scale) // 2 * 2), max(2, int(width * scale) // 2 * 2)


class ResizedBackend:
    """``inner`` run on frames shrunk to at most ``max_pixels`` (INTER_AREA), its output scaled back
    (bilinear). Frames that already fit go straight through.

    A burst that is the previous one moved on by one frame (what the pipeline's burst buffer hands
    over) shrinks only its new frame: the others were shrunk on earlier calls (at 1080p, shrinking
    all six frames of the burst model's burst cost about 20 ms a frame). It is recognised by its
    two ends, the oldest frame and the one before the newest, each equal to what the previous burst
    held there: comparing every frame at full size cost as much as shrinking them. A burst that
    does not follow (a seek, a reconnect, another caller) is shrunk in full."""

    def __init__(self, inner, max_pixels: int, strength: Callable[[np.ndarray], float] | None = None) -> None:
        self.inner = inner
        self.strength = strength  # the share of its prediction ``inner`` keeps (module docstring)
        self.name, self.device, self.burst, self.path = inner.name, inner.device, inner.burst, inner.path
        self.max_pixels = max_pixels
        self._frames: list[np.ndarray] = []  # copies of the last burst's frames, full size, oldest first
        self._small: np.ndarray | None = None  # the same, shrunk

    def _follows(self, frames: np.ndarray, size: tuple[int, int]) -> bool:
        last, small = self._frames, self._small
        return (len(frames) > 1 and len(last) == len(frames) and last[0].shape == frames.shape[1:]
                and small.shape[1:3] == (size[1], size[0])
                and np.array_equal(frames[-2], last[-1]) and np.array_equal(frames[0], last[1]))

    def _shrink(self, frames: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        new = cv2.resize(frames[-1], size, interpolation=cv2.INTER_AREA)
        if self._follows(frames, size):
            small = np.concatenate([self._small[1:], new[None]])
            self._frames = [*self._frames[1:], frames[-1].copy()]
        else:
            small = np.stack([cv2.resize(frame, size, interpolation=cv2.INTER_AREA) for frame in frames[:-1]] + [new])
            self._frames = [frame.copy() for frame in frames]
        self._small = small
        return small

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        height, width = frames.shape[1:3]
        h, w = working_size(height, width, self.max_pixels)
        if (h, w) == (height, width):
            return self.inner.enhance(frames)
        small = self._shrink(np.asarray(frames), (w, h))
        enhanced = self.inner.enhance(small)  # every frame: a streaming network keeps its ring
        keep = 1.0 - self.strength(small[-1]) if self.strength is not None else 0.0
        if keep >= 1.0:  # none of its prediction kept: the frame itself, with no scale-up to undo
            return np.array(frames[-1])
        out = cv2.resize(enhanced, (width, height), interpolation=cv2.INTER_LINEAR)
        if keep <= 0.0:
            return out
        up = cv2.resize(small[-1], (width, height), interpolation=cv2.INTER_LINEAR)
        detail = cv2.subtract(frames[-1], up, dtype=cv2.CV_16S).astype(np.float32)
        return cv2.scaleAdd(detail, keep, out.astype(np.float32)).clip(0, 255).round().astype(np.uint8)

    def close(self) -> None:
        self.inner.close()
