"""Temporal smoothing of a single-frame model's output brightness on video (less flicker).

:class:`StabilizedBackend` wraps any loaded backend: per frame it pools the input and the enhanced
frame by ``scale``, asks a :class:`models.temporal.BrightnessStabilizer` for a low-resolution gain
map (the scene's moving-average brightness over this frame's, reset on a scene cut) and multiplies
it, upsampled, onto the enhanced frame. The Zero-DCE++ lookup-table path does the same on its own
curve map (:class:`models.temporal.CurveSmoother`) and needs no wrapper.

Frames are (H, W, 3) uint8 RGB; numpy and OpenCV only.
"""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np

from models.curve_lut import pool
from models.errors import ConfigError, ModelError
from models.temporal import BrightnessStabilizer, SmoothingConfig

# A gain within half a uint8 level of 1 everywhere changes nothing: the multiply is skipped.
_NO_CHANGE = 0.5 / 255.0
# Thumbnails of the smoothing: 1/12 of the frame, Zero-DCE++'s curve-map scale.
THUMBNAIL_SCALE = 12


class GainApplier:
    """``apply(rgb, gain)``: the (3, h, w) gain map upsampled bilinearly to the frame and multiplied
    onto it (rounded, saturated). Reuses its full-size buffer between frames of one size."""

    def __init__(self) -> None:
        self._buffer = np.empty(0, np.float32)

    def apply(self, rgb: np.ndarray, gain: np.ndarray) -> np.ndarray:
        if float(np.abs(gain - 1.0).max()) < _NO_CHANGE:
            return rgb
        height, width, _ = rgb.shape
        if self._buffer.shape != rgb.shape:
            self._buffer = np.empty(rgb.shape, np.float32)
        small = np.ascontiguousarray(gain.transpose(1, 2, 0))
        cv2.resize(small, (width, height), dst=self._buffer, interpolation=cv2.INTER_LINEAR)
        return cv2.multiply(rgb, self._buffer, dtype=cv2.CV_8U)


class StabilizedBackend:
    """A backend whose output brightness is smoothed over time; same interface as the one it wraps
    (``submit``/``fetch``/``drain`` too, where the wrapped backend has them). Keeps state: call it
    once per frame, in order, for one video."""

    def __init__(self, inner, config: SmoothingConfig, scale: int = THUMBNAIL_SCALE) -> None:
        if config.curve_strength:
            raise ConfigError("averaging the curve map needs the zero-dce++ lookup-table path (ONNX Runtime on a CPU)")
        self.inner = inner
        self.name, self.device, self.burst = inner.name, inner.device, inner.burst
        self.path = getattr(inner, "path", "exact")
        self.scale = scale
        self.stabilizer = BrightnessStabilizer(config)
        self._gain = GainApplier()
        self._thumbnails: deque[np.ndarray] = deque()  # of the submitted frames, waiting for fetch()
        if hasattr(inner, "submit"):
            self.submit, self.fetch, self.drain = self._submit, self._fetch, self._drain

    def _thumbnail(self, rgb: np.ndarray) -> np.ndarray:
        try:
            return pool(np.ascontiguousarray(rgb), self.scale)[0]
        except ValueError as e:
            raise ModelError(str(e)) from e

    def _stabilize(self, thumbnail: np.ndarray, enhanced: np.ndarray) -> np.ndarray:
        return self._gain.apply(enhanced, self.stabilizer(thumbnail, self._thumbnail(enhanced)))

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        return self._stabilize(self._thumbnail(frames[-1]), self.inner.enhance(frames))

    def _submit(self, frames: np.ndarray) -> None:
        self.inner.submit(frames)
        self._thumbnails.append(self._thumbnail(frames[-1]))

    def _fetch(self) -> np.ndarray:
        return self._stabilize(self._thumbnails.popleft(), self.inner.fetch())

    def _drain(self) -> list[np.ndarray]:
        return [self._stabilize(self._thumbnails.popleft(), out) for out in self.inner.drain()]

    def close(self) -> None:
        self.inner.close()
