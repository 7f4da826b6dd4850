"""Temporal stability for the single-frame models (Zero-DCE, Zero-DCE++) on video.

Run frame by frame, a curve network answers every small change of the input (sensor noise,
exposure hunting, codec pumping) with a slightly different output brightness: the video flickers.
Everything here works on the **low-resolution curve map** (Zero-DCE++'s 1/scale alphas, before
upsampling) and the thumbnail it was estimated from, so it costs nothing at full resolution:

- ``strength``: the output brightness is stabilised: the enhanced thumbnail's luma (curves applied
  at low resolution) is averaged over time, per thumbnail pixel (exponential moving average), and
  the frame gets one gain, the median over the thumbnail of ``average / current`` (bounded by
  ``max_gain``), multiplied onto all three channels of the enhanced frame (the colours stay the
  model's). A change of the whole frame's brightness that is not in the scene's recent history
  (exposure hunting, codec pumping) is removed; a change of a part of it (a headlight coming in, a
  walker) is left to the model, since the median does not see it.

  It was a gain map, ``average / current`` per thumbnail pixel, until measured on a moving camera:
  the average does not follow the camera, so the map printed the last frames' picture onto the new
  one (up to the 1.25 bound). Measured (``benchmarks/eval_burst.py --frames 24``, the unseen
  camera's panning and static shots, ``streamer enhance``'s default chain, GT-mean PSNR / SSIM and
  the mean luma's flicker in levels): the map 24.83 / 0.695, 0.082 and 27.55 / 0.678, 0.041; no
  smoothing 25.62 / 0.704, 0.082 and 27.91 / 0.680, 0.053; the map blurred (Gaussian, 2 thumbnail
  pixels) 25.44 / 0.703, 0.068 and 27.78 / 0.679, 0.037; one gain, the median (shipped) 25.62 /
  0.704, 0.078 and 27.91 / 0.679, 0.050; the ratio of the means 25.62 / 0.704, 0.065 and
  27.90 / 0.679, 0.041 (a headlight coming into a dark street darkens the whole frame with it); the
  interquartile mean as the median. On the pan, the map had cost the noise-free shot 1.35 dB
  (27.30 without smoothing, 25.95 with).
- ``curve_strength``: an EMA of the curve map itself. Off by default: measured on our clips, it
  *raises* flicker, because Zero-DCE++'s per-frame curve partly compensates a darker or brighter
  input frame and averaging the curve removes that compensation (see ``tests/models/runtime/test_temporal.py``).
- both restart on a scene cut, detected on the thumbnail: the mean absolute difference of two
  mean-normalised thumbnails (a global brightness change is not a cut, a new picture is).

Pure numpy, float32, so every path can call it: :class:`models.backends.stabilized.StabilizedBackend`
feeds :class:`CurveSmoother` the curve map of a backend that hands one over (the CPU fast path,
``models/backends/onnxruntime_backend.py``) and :class:`BrightnessStabilizer` thumbnails of the input
and of the enhanced frame otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.errors import ConfigError


@dataclass(frozen=True)
class SmoothingConfig:
    """``strength``: weight of the past in the brightness average (0 = off; 0.8 is about a 5-frame
    memory); ``max_gain``: the stabilising gain stays within [1/max_gain, max_gain];
    ``curve_strength``: weight of the past in an EMA of the curve map (0 = off, the default);
    ``cut_threshold``: scene-change score above which a frame starts a new scene."""

    strength: float = 0.8
    max_gain: float = 1.25
    curve_strength: float = 0.0
    cut_threshold: float = 0.25

    def __post_init__(self) -> None:
        if not (0.0 <= self.strength < 1.0 and 0.0 <= self.curve_strength < 1.0):
            raise ConfigError(f"smoothing strengths must be in [0, 1), not {self.strength}, {self.curve_strength}")
        if self.max_gain < 1.0:
            raise ConfigError("the stabilising gain bound must be at least 1")
        if self.cut_threshold <= 0:
            raise ConfigError("the scene-cut threshold must be positive")

    @property
    def enabled(self) -> bool:
        return self.strength > 0.0 or self.curve_strength > 0.0


def ema_step(previous: np.ndarray, current: np.ndarray, strength: float) -> np.ndarray:
    """One step of the moving average: ``strength * previous + (1 - strength) * current``."""
    return (strength * previous + (1.0 - strength) * current).astype(np.float32, copy=False)


def scene_change(previous: np.ndarray, current: np.ndarray) -> float:
    """How different two thumbnails (any layout, any range) are as pictures: mean absolute
    difference after dividing each by its own mean (0 for the same picture at another brightness;
    about 0.5-1 for unrelated pictures)."""
    p = previous.astype(np.float32)
    c = current.astype(np.float32)
    p = p / max(float(p.mean()), 1e-6)
    c = c / max(float(c.mean()), 1e-6)
    return float(np.abs(p - c).mean())


def apply_curves_np(x: np.ndarray, alphas: np.ndarray, iterations: int = 8, curve_rule: str = "per-channel") -> np.ndarray:
    """Zero-DCE++'s curve ``x + a x (1 - x)`` applied ``iterations`` times (numpy, float32);
    ``alphas`` has x's shape (one shared map) or 3 * iterations channels first (Zero-DCE).

    ``curve_rule`` ``colour-true``: the curve of the brightest channel, with the channels' mean map,
    as one gain for all three, mixed with the exposure gain with a shared map (:mod:`models.nets.tone`;
    the brightness it gives, without the colour fade near black and the curve's toe, which change
    brightness little: the toe acts on the curve's fifth of the output below 12 levels; smoothing
    compares this brightness only with its own over time)."""
    if curve_rule == "colour-true":
        from models.runtime.tone import EXPOSURE_MIX, exposure_curve, exposure_gain

        value = x.max(0, keepdims=True)
        if alphas.shape[0] == 3:
            y = apply_curves_np(value, alphas.mean(0, keepdims=True), iterations)
            curved = x * (y / np.maximum(value, 1.0 / 255.0))
            lifted = exposure_curve(x, exposure_gain(x, y))
            return (1.0 - EXPOSURE_MIX) * curved + EXPOSURE_MIX * lifted
        y = apply_curves_np(value, alphas.reshape(iterations, 3, *alphas.shape[1:]).mean(1), iterations)
        return x * (y / np.maximum(value, 1.0 / 255.0))
    shared = alphas.shape[0] == x.shape[0]
    for i in range(iterations):
        a = alphas if shared else alphas[3 * i : 3 * i + 3]
        x = x + a * x * (1.0 - x)
    return x


class BrightnessStabilizer:
    """Temporal state of the output brightness of one video: ``__call__(thumbnail, enhanced) -> gain``.

    ``thumbnail``: the input frame downscaled, (3, h, w) float32 in [0, 1] (scene cuts are detected
    on it); ``enhanced``: the enhanced frame at the same size. Returns a (1, h, w) gain map, one gain
    for the three channels and the whole frame, that pulls the enhanced frame's luma towards the
    moving average of the scene's recent enhanced frames' (the median of the ratio over the
    thumbnail), bounded by ``max_gain``; all ones on the first frame of a scene. Works with any single-frame
    model (it only looks at thumbnails). ``cuts`` counts the scene cuts seen after the first frame.
    """

    def __init__(self, config: SmoothingConfig = SmoothingConfig()) -> None:
        self.config = config
        self.cuts = 0
        self.reset()

    def reset(self) -> None:
        self.level: np.ndarray | None = None
        self.thumbnail: np.ndarray | None = None

    def new_scene(self, thumbnail: np.ndarray) -> bool:
        """Record ``thumbnail``; ``True`` on the first frame, a new frame size or a scene cut."""
        thumbnail = np.asarray(thumbnail, np.float32)
        fresh = self.thumbnail is None or self.thumbnail.shape != thumbnail.shape
        if not fresh and scene_change(self.thumbnail, thumbnail) > self.config.cut_threshold:
            fresh = True
            self.cuts += 1
        self.thumbnail = thumbnail.copy()
        return fresh

    def gain(self, enhanced: np.ndarray, fresh: bool) -> np.ndarray:
        """The gain map for ``enhanced`` (a new scene starts the average afresh)."""
        from models.runtime.tone import LUMA

        cfg = self.config
        enhanced = np.clip(np.tensordot(np.asarray(LUMA, np.float32), np.asarray(enhanced, np.float32), 1)[None], 1e-3, 1.0)
        if fresh or not cfg.strength or self.level is None or self.level.shape != enhanced.shape:
            self.level = enhanced
            return np.ones_like(enhanced)
        self.level = ema_step(self.level, enhanced, cfg.strength)
        # One gain for the frame: the median over the thumbnail of average / current (see the module's
        # docstring for why not a gain map).
        ratio = float(np.median(self.level / enhanced))
        return np.full_like(enhanced, np.clip(ratio, 1.0 / cfg.max_gain, cfg.max_gain))

    def __call__(self, thumbnail: np.ndarray, enhanced: np.ndarray) -> np.ndarray:
        return self.gain(enhanced, self.new_scene(thumbnail))


class CurveSmoother:
    """Temporal state for one video: ``__call__(alphas, thumbnail) -> (alphas, gain)``.

    ``alphas``: the frame's low-resolution curve map (C, h, w) float32 in [-1, 1] (C = 3, or
    3 * iterations for Zero-DCE); ``thumbnail``: (3, h, w) float32 in [0, 1], the frame downscaled to
    the map's size (Zero-DCE++'s average-pooled input). Returns the curve map to use and a
    (1, h, w) gain map to multiply onto the enhanced frame after upsampling both: the
    :class:`BrightnessStabilizer` of the curves applied to the thumbnail. ``cuts`` counts the scene
    cuts seen after the first frame.
    """

    def __init__(self, config: SmoothingConfig = SmoothingConfig(), iterations: int = 8,
                 curve_rule: str = "per-channel") -> None:
        self.config = config
        self.iterations = iterations
        self.curve_rule = curve_rule
        self.stabilizer = BrightnessStabilizer(config)
        self.curve: np.ndarray | None = None

    @property
    def cuts(self) -> int:
        return self.stabilizer.cuts

    def reset(self) -> None:
        self.curve = None
        self.stabilizer.reset()

    def __call__(self, alphas: np.ndarray, thumbnail: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cfg = self.config
        alphas = np.asarray(alphas, np.float32)
        thumbnail = np.asarray(thumbnail, np.float32)
        fresh = self.stabilizer.new_scene(thumbnail) or self.curve is None or self.curve.shape != alphas.shape
        self.curve = alphas.copy() if fresh or not cfg.curve_strength else ema_step(self.curve, alphas, cfg.curve_strength)
        enhanced = apply_curves_np(thumbnail, self.curve, self.iterations, self.curve_rule)
        return self.curve, self.stabilizer.gain(enhanced, fresh)
