"""The colour-true curve rule on the CPU: one fused pass per frame (OpenCV and a small C loop).

Mirrors :func:`models.nets.tone.apply_colour_true` (read its docstring for what the rule does and
why) for frames as they travel, (H, W, 3) uint8 RGB: per pixel the brightest channel goes through
the curve (the upsampled curve map, already scaled by the frame's exposure strength), the colour
is shrunk towards grey near black, small luma steps to the neighbourhood (noise) are smoothed, and
all three channels get the curve's gain. The
same float32 arithmetic as the torch rule, so the two agree to one uint8 level (rounding order).

One pass with no temporaries (the C loop of ``_tone.c``, built with the package, in bands of pixels
on every core, :mod:`models.runtime.parallel`) after the 5x5 box sums of the frame (OpenCV, exact in
16 bits). The loop is vectorized (AVX2 where the CPU has it, ``_simd.h``): at 720p it takes about
4 ms of one core (13-14 ms as one scalar loop, which was the largest share of the main thread).
"""

from __future__ import annotations

import cv2
import numpy as np

from models.runtime.parallel import run_bands

# The rule's numbers, here so that the CPU path needs no torch (models.nets.tone imports them).

# Rec. 601 luma weights (what a video encoder's Y is made of).
LUMA = (0.299, 0.587, 0.114)
# Mean luma (of 1) at or below which the curve runs at full strength, and at or above which the
# frame is left as it is. LOL's darkest validation frames have a mean of 0.014, its brightest 0.14;
# a mean of 0.2 (50 of 255) is already-watchable footage.
DARK = 30.0 / 255.0
BRIGHT = 55.0 / 255.0
# The same fade for the burst model, which predicts the frame itself and was trained without it: from
# 40 to 65 of 255. With 30 to 55 two of LOL's 50 held-out dark images (luma 36) were pulled half-way
# back to the input: 19.83 dB against 20.08 (SSIM 0.712 both); with 40 to 65, 20.08 / 0.712.
BURST_DARK = 40.0 / 255.0
BURST_BRIGHT = 65.0 / 255.0
# Input luma at which half of a pixel's colour is kept (6 levels of 255), and at which its colour is
# half its own and half its 5x5 neighbourhood's (24 levels).
CHROMA_FLOOR = 6.0 / 255.0
CHROMA_SMOOTH = 24.0 / 255.0
CHROMA_BOX = 5
# Luma steps from the 5x5 neighbourhood's luma (input levels) at which half of the difference is
# smoothed away (a full-strength curve only): smaller steps are the sensor's noise, which the curve
# would brighten, larger ones the scene's edges and texture. Measured with the shipped curve maps
# (zero-dce++ as streamer enhance runs it: LOL's 50 held-out pairs PSNR / SSIM; the night clips'
# static shot GT-mean PSNR / SSIM and temporal noise, 16 frames): off 20.752 / 0.6924, 21.17 / 0.326,
# 13.8; 3 levels 20.947 / 0.7257, 22.85 / 0.432, 10.1; 4 levels 20.934 / 0.7088, 23.58 / 0.480, 8.6;
# 5 levels 20.889 / 0.6900, 24.06 / 0.514, 7.4; 8 levels 20.668 / 0.6384, 24.36 / 0.528, 6.0.
LUMA_NOISE = 4.0 / 255.0


def strength_of_mean(mean: float) -> float:
    """The exposure strength of a frame whose mean luma is ``mean`` (of 1): 1 dark, 0 exposed."""
    return float(np.clip((BRIGHT - mean) / (BRIGHT - DARK), 0.0, 1.0))


def exposure_strength(rgb: np.ndarray) -> float:
    """:func:`models.nets.tone.exposure_strength` of an (H, W, 3) uint8 RGB frame: 1 dark, 0 exposed."""
    means = cv2.mean(rgb)[:3]
    return strength_of_mean(sum(w * m for w, m in zip(LUMA, means, strict=True)) / 255.0)


class ColourTrueCurves:
    """``apply(rgb, alphas, strength)``: the colour-true rule with a low-resolution curve map.

    ``rgb`` (H, W, 3) uint8 RGB; ``alphas`` (C, h, w) float32 in [-1, 1] (C = 3, their mean is the
    map; or 1), already multiplied by ``strength`` (:func:`exposure_strength`), which also sets the
    colour fade. The map is upsampled bilinearly (half-pixel centres, as torch's
    ``align_corners=False``). Returns a new (H, W, 3) uint8 RGB frame. Reuses one buffer between
    frames of a size: not thread-safe.
    """

    def __init__(self, iterations: int = 8) -> None:
        from models.runtime import _tone

        self.iterations = iterations
        self._kernel = _tone.apply
        self._alpha = np.empty(0, np.float32)
        self._sums = np.empty(0, np.uint16)

    def apply(self, rgb: np.ndarray, alphas: np.ndarray, strength: float) -> np.ndarray:
        height, width, _ = rgb.shape
        small = np.ascontiguousarray(alphas.mean(0), dtype=np.float32)
        if self._alpha.shape != (height, width):
            self._alpha = np.empty((height, width), np.float32)
        cv2.resize(small, (width, height), dst=self._alpha, interpolation=cv2.INTER_LINEAR)
        rgb = np.ascontiguousarray(rgb)
        if self._sums.shape != rgb.shape:
            self._sums = np.empty(rgb.shape, np.uint16)
        # The box's sums, exact in 16 bits (a uint8 average would round the colour it brings in); the
        # kernel divides. (A blur of the frame at 256 x took 1.7 ms at 720p, this 0.7.)
        blurred = cv2.boxFilter(rgb, cv2.CV_16U, (CHROMA_BOX, CHROMA_BOX), dst=self._sums, normalize=False,
                                borderType=cv2.BORDER_REPLICATE)
        out = np.empty_like(rgb)
        flat_rgb, flat_blurred, flat_alpha, flat_out = (a.reshape(-1) for a in (rgb, blurred, self._alpha, out))
        floor4, smooth2, noise4 = (CHROMA_FLOOR * 255.0) ** 4, (CHROMA_SMOOTH * 255.0) ** 2, (LUMA_NOISE * 255.0) ** 4

        def pixels(begin: int, end: int) -> None:
            self._kernel(flat_rgb[3 * begin : 3 * end], flat_blurred[3 * begin : 3 * end], flat_alpha[begin:end],
                         flat_out[3 * begin : 3 * end], float(strength), floor4, smooth2, self.iterations, noise4,
                         1.0 / CHROMA_BOX**2)

        run_bands(pixels, height * width)
        return out
