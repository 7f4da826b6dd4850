"""Temporal smoothing of a single-frame model's output brightness on video (less flicker).

:class:`StabilizedBackend` wraps any loaded backend (the one implementation of smoothing): per frame
it pools the input and the enhanced frame by ``scale``, asks a
:class:`models.runtime.temporal.BrightnessStabilizer` for a gain (the scene's moving-average
brightness over this frame's, one value for the frame held in a low-resolution map, reset on a scene
cut) and multiplies it, upsampled, onto the enhanced frame. A backend that can hand over its curve
map (Zero-DCE++'s lookup-table path, :class:`models.backends.CurveMapped`) gives the thumbnails for
free: the map's own input and the curves applied to it (:class:`models.runtime.temporal.CurveSmoother`).

Frames are (H, W, 3) uint8 RGB; numpy and OpenCV only.
"""

from __future__ import annotations

import cv2
import numpy as np

from models.backends.output_layer import OutputLayer, output_layer
from models.errors import ConfigError, ModelError
from models.runtime.curve_lut import pool
from models.runtime.temporal import BrightnessStabilizer, CurveSmoother, SmoothingConfig
from models.runtime.tone import LUMA, strength_of_mean

# A gain within half a uint8 level of 1 everywhere changes nothing: the multiply is skipped.
_NO_CHANGE = 0.5 / 255.0
# Thumbnails of the smoothing: 1/12 of the frame, Zero-DCE++'s curve-map scale.
THUMBNAIL_SCALE = 12


class GainApplier:
    """``apply(rgb, gain)``: the (1, h, w) gain map (one gain for the three channels) upsampled
    bilinearly to the frame and multiplied onto it (rounded), at most as far as takes a pixel's
    brightest channel to 254: the smoothing never clips a highlight the model left below white (a
    channel the model took to 255 stays). The fast path does the same in its own pass
    (:class:`models.runtime.tone.ColourTrueCurves`). Reuses its full-size buffers between frames of
    one size."""

    def __init__(self) -> None:
        self._buffer = np.empty(0, np.float32)
        self._buffer3 = np.empty(0, np.float32)

    def apply(self, rgb: np.ndarray, gain: np.ndarray) -> np.ndarray:
        if float(np.abs(gain - 1.0).max()) < _NO_CHANGE:
            return rgb
        height, width, _ = rgb.shape
        if self._buffer.shape != (height, width):
            self._buffer = np.empty((height, width), np.float32)
            self._buffer3 = np.empty(rgb.shape, np.float32)
        cv2.resize(np.ascontiguousarray(gain.reshape(gain.shape[-2:]), np.float32), (width, height),
                   dst=self._buffer, interpolation=cv2.INTER_LINEAR)
        top = np.maximum(rgb.max(2), 1).astype(np.float32)
        np.minimum(self._buffer, np.maximum(np.float32(254.0) / top, np.float32(1.0)), out=self._buffer)
        cv2.cvtColor(self._buffer, cv2.COLOR_GRAY2RGB, dst=self._buffer3)
        return cv2.multiply(rgb, self._buffer3, dtype=cv2.CV_8U)


def exposed(gain: np.ndarray, thumbnail: np.ndarray) -> np.ndarray:
    """The stabilising ``gain`` faded out as the frame gets exposed, like the models' own effect
    (:func:`models.runtime.tone.exposure_strength`): smoothing steadies what the model does, never
    the footage of a frame the model leaves alone. ``thumbnail``: (3, h, w) float32 in [0, 1]."""
    strength = strength_of_mean(float(np.dot(LUMA, thumbnail.reshape(3, -1).mean(1))))
    if strength >= 1.0:
        return gain
    return np.power(gain, np.float32(strength))


class StabilizedBackend(OutputLayer):
    """A backend whose output brightness is smoothed over time; same interface as the one it wraps.
    Keeps state: call it once per frame, in order, for one video.

    ``smoother`` is the temporal state: a :class:`CurveSmoother` on the curve map and thumbnail of a
    :class:`~models.backends.CurveMapped` backend (nothing is pooled at full resolution), else a
    :class:`BrightnessStabilizer` on thumbnails of the input and of the enhanced frame. Build one
    with :func:`stabilize`, which keeps ``submit``/``fetch``/``drain`` where the wrapped backend has them
    (an :class:`~models.backends.output_layer.OutputLayer`: the input thumbnail of each submitted frame
    waits beside it).
    """

    def __init__(self, inner, config: SmoothingConfig, scale: int = THUMBNAIL_SCALE) -> None:
        from models.backends import CurveMapped

        super().__init__(inner)
        self.scale = scale
        self._curves = inner if isinstance(inner, CurveMapped) else None
        if self._curves is None and config.curve_strength:
            raise ConfigError("averaging the curve map needs the zero-dce++ lookup-table path (ONNX Runtime on a CPU)")
        self.smoother = (CurveSmoother(config, inner.iterations, inner.curve_rule) if self._curves is not None
                         else BrightnessStabilizer(config))
        self._gain = GainApplier()

    def _thumbnail(self, rgb: np.ndarray) -> np.ndarray:
        try:
            return pool(np.ascontiguousarray(rgb), self.scale)[0]
        except ValueError as e:
            raise ModelError(str(e)) from e

    def keep(self, frames: np.ndarray) -> np.ndarray:
        return self._thumbnail(frames[-1])

    def post(self, enhanced: np.ndarray, thumbnail: np.ndarray) -> np.ndarray:
        gain = self.smoother(thumbnail, self._thumbnail(enhanced))
        return self._gain.apply(enhanced, exposed(gain, thumbnail))

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        if self._curves is not None:
            alphas, thumbnail = self._curves.curve_map(frames)
            curve, gain = self.smoother(alphas, thumbnail)
            return self._curves.apply_curve_map(frames, curve, thumbnail, exposed(gain, thumbnail))
        return super().enhance(frames)


def stabilize(inner, config: SmoothingConfig) -> StabilizedBackend:
    """``inner`` smoothed over time, pipelined where ``inner`` is."""
    return output_layer(StabilizedBackend, inner, config)
