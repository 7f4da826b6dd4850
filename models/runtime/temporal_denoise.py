"""Noise that stays still is averaged away: a recursive temporal denoiser for a single-frame model's
video, steered by the input.

A curve model brightens each frame on its own, so the sensor's noise, different in every frame,
comes out brightened and dancing: on a fixed camera the static background boils, and that noise is
what costs the encoder most of its bits. Where the scene did not change, the average of the last
frames is the better picture. Per pixel, the input frame's luma (3x3 box average) is compared with
the previous input frame's: where it did not change, the output is ``strength`` of the running
average of the enhanced frames and the rest the newest enhanced frame; the weight of the average
falls to 0 as the change grows to the frame's threshold, as ``1 - r ** 3`` of the change's share
``r`` of the threshold (flat while the change is the camera's noise, steep towards the threshold),
so anything that moves (a headlight, a walker) is the newest frame alone. When the camera itself moves (a pan, a hand-held
phone), the last frame and the average are first shifted by the camera's motion, to a fraction of a
pixel (:mod:`models.runtime.camera_motion`; bilinear where the shift has a fraction), so the still
scene is averaged along it; what the shift does not line up (parallax, zoom) fails the same test and
is the newest frame. A scene cut changes every pixel and starts the average again. The decision is made in
input levels, where the camera's noise is a few levels whatever the model's gain, and the average is
of the output.

While the average is young it is the plain mean of the frames so far: the weight of the average is
at most ``n / (n + 1)`` after ``n`` frames (a half at the second frame, two thirds at the third)
until that reaches ``strength``; a fixed 0.85 from the second frame on kept 0.85 of one noisy frame.
A scene cut (the median change at least ``threshold``: most of the frame moved) starts it young again.

The threshold follows the input's own noise: ``noise_scale`` times the median change of the averaged
luma since the last frame, between ``least`` (1 level) and ``threshold`` (6). A fixed 4 levels
smeared the dark phone clip of the night clips: its camera's H.264 repeats still blocks exactly
(the median change is 0), so there was no noise to average, while a dark hood moving by two or three
input levels a frame, at a gain of 6, was averaged into streaks of 15 output levels.

The effect fades with the frame's exposure (:func:`models.runtime.tone.exposure_strength`), like
the curve models' own: an already exposed frame is left to the model alone.

Measured (``benchmarks/eval_burst.py``, the synthetic night clips' camera that training never saw;
``benchmarks/eval_ghost.py`` for lights): see ``TemporalDenoiseConfig``.

Frames are (H, W, 3) uint8 RGB; the input is never changed.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from models.errors import ConfigError
from models.runtime.camera_motion import CameraMotion, change, grid_step
from models.runtime.parallel import run_bands
from models.runtime.tone import exposure_strength


@dataclass(frozen=True)
class TemporalDenoiseConfig:
    """``threshold``: the largest change of the input's (3x3 averaged) luma, in input levels, at and
    above which a pixel is taken as moving; a frame's own is ``noise_scale`` times the median change
    since the last frame, at least ``least``; ``strength``: the weight of the running average where the
    input did not change (0.85: on a still scene as little noise as an average of 12 frames).

    Chosen on the synthetic night clips (zero-dce++ smoothed, 16 frames, one scene a shot, a fixed
    threshold; GT-mean PSNR / SSIM, and the static shot's temporal noise, plain gain 9.55): without
    22.74 / 0.563, 6.37; threshold 3, strength 0.75: 23.21 / 0.625, 4.63; 4 and 0.85: 23.31 / 0.643,
    4.03. With the threshold following the noise (``benchmarks/eval_burst.py --frames 24``, two scenes
    a shot, smoothing and deblocking too): static 24.76 / 0.574 and 6.30 levels, 0.48x the plain gain's
    (23.46 / 0.470 and 9.37 without). Later, with the tone's exposure part at half (the same runs, the
    static and panning shots, the static shot's temporal noise): a weight falling linearly, 4 levels
    at most, 6 times the median 26.38 / 0.616, 23.93 / 0.594, 5.66; the same, 6 levels at most 26.44 /
    0.621, 24.29 / 0.639; 8 levels, 10 times the median 26.71 / 0.647, 24.48 / 0.665; strength 0.95
    with it 26.71 / 0.648, 24.56 / 0.671; the weight ``1 - r ** 2`` 26.59 / 0.636, 24.14 / 0.618;
    ``1 - r ** 3`` 26.65 / 0.642, 24.21 / 0.626, with 6 levels at most and 8 times the median (shipped then)
    **26.82 / 0.661**, 24.62 / 0.685, 4.28 (the gain + nlmeans anchor: 26.32 / 0.656, 27.04 / 0.723),
    with 8 and 10 26.85 / 0.666, 24.74 / 0.707; strength 0.95 smeared (26.16 / 0.605). On the moving
    headlights of ``benchmarks/eval_ghost.py`` what it changes along the lights' trail (6.8-7.9 levels
    at 4-16 px a frame; 3.8-4.7 before) is less than what it changes elsewhere (its denoising, 11.8;
    7.7 before): no copy of the lights is left behind. The dark phone clip's blacks and files stayed
    within ``benchmarks/eval_real.py``'s targets (its threshold is the 1-level floor: H.264 repeats
    its still blocks).

    ``follow_camera``: line the average up with the camera's motion (a shift of the frame to a fraction
    of a pixel, :mod:`models.runtime.camera_motion`) before comparing and averaging, so that a panning
    or hand-held camera's still scene is averaged too; without it only a fixed camera's is. Measured
    (``benchmarks/eval_burst.py --frames 24``, the panning shot at 4 px a frame, GT-mean PSNR / SSIM):
    22.57 / 0.525 without, 22.97 / 0.566 with; the static and infrared shots are unchanged (the
    motion estimate keeps them at no shift), and so are the lights of ``benchmarks/eval_ghost.py``.
    On the hand-held phone clip of the night clips (``benchmarks/eval_real.py``) its output's bitrate
    fell from 0.56x to 0.53x the plain gain's. Later the shift got its fraction of a pixel: the panning
    shot (a vertical bob of up to a pixel a frame) 25.62 / 0.704 -> 25.88 / 0.737.

    Measured, not shipped: a spatial share, 0.3 of a 3x3 Gaussian (sigma 0.7) spread over the running
    average after each frame (a spatio-temporal recursive filter; the newest frame's share stays
    sharp). On the night clips (static, panning, infrared shots, with the curve's toe) it gave 28.30 /
    0.727, 25.95 / 0.757, 24.57 / 0.558 against 27.54 / 0.657, 25.91 / 0.733, 23.79 / 0.523, but on
    LOL's dark photos as a clip (``benchmarks/eval_real.py``, each still held 6 frames, so its noise
    repeats and the blur compounds) it lifted the darkest 2 % from 23.9 to 24.6 of 235, over the 24
    that keeps blacks black (0.15 of it: 24.6 too). On a sharp synthetic texture it also raised the
    error it was meant to lower (4.3 -> 6.0 levels RMS).

    Later, with the chroma floor's spread of colour (:data:`models.runtime.tone.CHROMA_SPREAD`, here k 1
    from 0 levels; the same runs, 24 frames, static then pan, the gain + nlmeans anchor 26.32 / 0.656,
    27.04 / 0.723): 8 levels and 10 times the median 27.41 / 0.655, 27.16 / 0.770 (the static SSIM under
    the anchor's); with the warm-up (``warm_up``: the plain mean of the first frames) 27.62 / 0.669,
    27.27 / 0.781; the warm-up with 6 and 8 27.54 / 0.662, 27.06 / 0.755. 8 levels lifted LOL's dark
    photos as a clip (``benchmarks/eval_real.py``, each still held 6 frames) to p2 24.6 of 235, over
    the 24 that keeps blacks black (7 levels 24.05; 6 levels 23.75 with 8 or 10 times the median): where
    the camera's black is rectified noise, more averaging lifts its darkest pixels. Shipped: 6 levels, 10
    times the median (the static shot's threshold grows, the clip's cap does not), the warm-up: with the
    spread as shipped **27.54 / 0.668, 27.12 / 0.755**.

    ``warm_up``: the average of the first frames (since it started, or since a cut: a median change of
    at least ``threshold``) is their plain mean, the weight of the average at most ``n / (n + 1)``
    after ``n`` frames.
    """

    threshold: float = 6.0
    strength: float = 0.85
    noise_scale: float = 10.0
    least: float = 1.0
    follow_camera: bool = True
    warm_up: bool = True

    def __post_init__(self) -> None:
        if not (0.0 < self.least <= self.threshold <= 255.0 and 0.0 <= self.strength < 1.0 and self.noise_scale >= 0.0):
            raise ConfigError(f"temporal denoising needs 0 < least <= threshold <= 255, 0 <= strength < 1 and "
                              f"noise_scale >= 0, not {self.least}, {self.threshold}, {self.strength}, {self.noise_scale}")


class TemporalDenoiser:
    """``__call__(out, inp) -> frame``: the enhanced frame ``out`` denoised over time, steered by its
    input frame ``inp`` (both (H, W, 3) uint8 RGB, one size). Keeps the state of one video: call it
    once per frame, in order; a new frame size starts afresh. The C loop of ``_denoise.c`` (built
    with the package), in bands of rows on every core."""

    def __init__(self, config: TemporalDenoiseConfig = TemporalDenoiseConfig()) -> None:
        from models.runtime import _denoise

        self.config = config
        self._run = _denoise.run
        self._motion = CameraMotion() if config.follow_camera else None
        self._last_luma: np.ndarray | None = None
        self._average = np.empty(0, np.uint16)
        self._spare = np.empty(0, np.uint16)
        self.shift = (0.0, 0.0)  # the camera's motion at the last frame, to a fraction of a pixel
        self._frames = 0  # the frames in the average since it started

    @staticmethod
    def _luma(inp: np.ndarray) -> np.ndarray:
        grey = cv2.cvtColor(np.ascontiguousarray(inp), cv2.COLOR_RGB2GRAY)
        return cv2.boxFilter(grey, cv2.CV_32F, (3, 3), borderType=cv2.BORDER_REPLICATE)

    def threshold(self, luma: np.ndarray, last: np.ndarray, dx: int = 0, dy: int = 0) -> float:
        """This frame's motion threshold (input levels): ``noise_scale`` times the median change of the
        averaged luma since the last frame, lined up by the camera's shift (on the camera motion's grid:
        every 8th row and column at 720p, 14,000 pixels; every 4th took 0.8 ms a 720p frame for the same
        median, this 0.04), within ``[least, threshold]``."""
        return self._threshold(self.median_change(luma, last, dx, dy))

    def median_change(self, luma: np.ndarray, last: np.ndarray, dx: int = 0, dy: int = 0) -> float:
        """The median change of the averaged luma since the last frame (input levels), lined up by the
        camera's shift, on the camera motion's grid."""
        changed = change(luma, last, dx, dy, max(abs(dx), abs(dy)), step=grid_step(*luma.shape))
        return float(np.median(changed)) if changed.size else self.config.threshold

    def _threshold(self, median: float) -> float:
        cfg = self.config
        return float(np.clip(cfg.noise_scale * median, cfg.least, cfg.threshold))

    def __call__(self, out: np.ndarray, inp: np.ndarray) -> np.ndarray:
        if out.shape != inp.shape or out.ndim != 3 or out.shape[2] != 3:
            raise ConfigError(f"temporal denoising needs input and output frames of one (H, W, 3) size, "
                              f"not {inp.shape} and {out.shape}")
        out = np.ascontiguousarray(out, np.uint8)
        strength = self.config.strength * exposure_strength(inp)
        if strength <= 0.0:  # an exposed frame: the model's own, and the average starts again after it
            self._last_luma, self.shift = None, (0.0, 0.0)
            return out
        luma = self._luma(inp)
        last = self._last_luma if self._last_luma is not None and self._last_luma.shape == luma.shape else None
        if self._motion is not None:
            self._motion.shift(luma, last)
            self.shift = self._motion.fine
        dx, dy = round(self.shift[0]), round(self.shift[1])  # to the whole pixel, for the threshold's median
        if last is None:
            self._last_luma = luma
            self._average = np.left_shift(out, 8, dtype=np.uint16)
            self._spare = np.empty_like(self._average)
            self._frames = 1
            return out.copy()
        median = self.median_change(luma, last, dx, dy)
        threshold = self._threshold(median)
        cut = median >= self.config.threshold  # most of the frame changed: the average starts again
        dst = np.empty_like(out)
        height, width = luma.shape
        flat = [a.reshape(-1) for a in (luma, self._last_luma, out, self._average, self._spare, dst)]

        fx, fy = self.shift
        if self.config.warm_up:  # the plain mean while the average holds fewer frames than strength asks
            strength = min(strength, self._frames / (self._frames + 1.0))
        self._frames = 1 if cut else self._frames + 1

        def rows(begin: int, end: int) -> None:
            self._run(*flat, width, begin, end, fx, fy, threshold, strength)

        run_bands(rows, height, width)
        self._last_luma = luma
        self._average, self._spare = self._spare, self._average
        return dst
