"""The colour-true curve rule on the CPU: one fused pass per frame (numpy + a numba kernel).

Mirrors :func:`models.nets.tone.apply_colour_true` (read its docstring for what the rule does and
why) for frames as they travel, (H, W, 3) uint8 RGB: per pixel the brightest channel goes through
the curve (the upsampled curve map, already scaled by the frame's exposure strength), the colour
is shrunk towards grey near black, and all three channels get the curve's gain. The
same float32 arithmetic as the torch rule, so the two agree to one uint8 level (rounding order).

One pass with no temporaries after a 5x5 box blur of the frame (OpenCV, at 1/256 of a level): at
720p the two take a few ms of one core, where the per-channel lookup-table path
(:mod:`models.runtime.curve_lut`) takes about 14 ms for its gathers. The kernel
is compiled by numba on first use (about a second) and cached beside this module when the folder
is writable (``NUMBA_CACHE_DIR`` moves the cache).
"""

from __future__ import annotations

import cv2
import numpy as np

from models.nets.tone import BRIGHT, CHROMA_BOX, CHROMA_FLOOR, CHROMA_SMOOTH, DARK, LUMA

_kernel = None


def _compile():
    """The numba kernel, compiled once per process (numba is imported only here)."""
    global _kernel
    if _kernel is not None:
        return _kernel
    from numba import njit

    wr, wg, wb = (np.float32(w) for w in LUMA)

    @njit(fastmath=True, cache=True, boundscheck=False, nogil=True)
    def kernel(x, xb, alpha, strength, floor4, smooth2, iterations, out):  # pragma: no cover - compiled
        one, half, top = np.float32(1.0), np.float32(0.5), np.float32(255.0)
        s255, s256 = np.float32(1.0 / 255.0), np.float32(1.0 / 256.0)
        for p in range(alpha.shape[0]):
            r, g, b = np.float32(x[3 * p]), np.float32(x[3 * p + 1]), np.float32(x[3 * p + 2])
            v = r if r > g else g
            v = (v if v > b else b) * s255
            a = alpha[p]
            y = v
            for _ in range(iterations):
                y = y + a * y * (one - y)
            gain = y / (v if v > s255 else s255)
            lum = wr * r + wg * g + wb * b
            lum2 = lum * lum
            # The 5x5 box average of the colour (xb: the box-blurred frame, 256x, whose luma is the blur's).
            rb, gb, bb = np.float32(xb[3 * p]) * s256, np.float32(xb[3 * p + 1]) * s256, np.float32(xb[3 * p + 2]) * s256
            lumb = wr * rb + wg * gb + wb * bb
            w = strength * smooth2 / (lum2 + smooth2)
            lum4 = lum2 * lum2
            c = one - strength * (one - lum4 / (lum4 + floor4))
            cr = c * ((r - lum) + w * ((rb - lumb) - (r - lum)))
            cg = c * ((g - lum) + w * ((gb - lumb) - (g - lum)))
            cb = c * ((b - lum) + w * ((bb - lumb) - (b - lum)))
            o0 = gain * (lum + cr) + half
            o1 = gain * (lum + cg) + half
            o2 = gain * (lum + cb) + half
            o0 = o0 if o0 > np.float32(0.0) else np.float32(0.0)
            o1 = o1 if o1 > np.float32(0.0) else np.float32(0.0)
            o2 = o2 if o2 > np.float32(0.0) else np.float32(0.0)
            out[3 * p] = np.uint8(o0 if o0 < top else top)
            out[3 * p + 1] = np.uint8(o1 if o1 < top else top)
            out[3 * p + 2] = np.uint8(o2 if o2 < top else top)

    _kernel = kernel
    return kernel


def exposure_strength(rgb: np.ndarray) -> float:
    """:func:`models.nets.tone.exposure_strength` of an (H, W, 3) uint8 RGB frame: 1 dark, 0 exposed."""
    means = cv2.mean(rgb)[:3]
    mean = sum(w * m for w, m in zip(LUMA, means, strict=True)) / 255.0
    return float(np.clip((BRIGHT - mean) / (BRIGHT - DARK), 0.0, 1.0))


class ColourTrueCurves:
    """``apply(rgb, alphas, strength)``: the colour-true rule with a low-resolution curve map.

    ``rgb`` (H, W, 3) uint8 RGB; ``alphas`` (C, h, w) float32 in [-1, 1] (C = 3, their mean is the
    map; or 1), already multiplied by ``strength`` (:func:`exposure_strength`), which also sets the
    colour fade. The map is upsampled bilinearly (half-pixel centres, as torch's
    ``align_corners=False``). Returns a new (H, W, 3) uint8 RGB frame. Reuses one buffer between
    frames of a size: not thread-safe.
    """

    def __init__(self, iterations: int = 8) -> None:
        self.iterations = iterations
        self._kernel = _compile()
        self._alpha = np.empty(0, np.float32)
        self._wide = np.empty(0, np.uint16)

    def apply(self, rgb: np.ndarray, alphas: np.ndarray, strength: float) -> np.ndarray:
        height, width, _ = rgb.shape
        small = np.ascontiguousarray(alphas.mean(0), dtype=np.float32)
        if self._alpha.shape != (height, width):
            self._alpha = np.empty((height, width), np.float32)
        cv2.resize(small, (width, height), dst=self._alpha, interpolation=cv2.INTER_LINEAR)
        rgb = np.ascontiguousarray(rgb)
        if self._wide.shape != rgb.shape:
            self._wide = np.empty(rgb.shape, np.uint16)
        # The box average at 1/256 of a level (a uint8 blur would round the colour it brings in).
        np.left_shift(rgb, 8, out=self._wide, dtype=np.uint16)
        blurred = cv2.blur(self._wide, (CHROMA_BOX, CHROMA_BOX), borderType=cv2.BORDER_REPLICATE)
        out = np.empty_like(rgb)
        self._kernel(rgb.reshape(-1), blurred.reshape(-1), self._alpha.reshape(-1), np.float32(strength),
                     np.float32((CHROMA_FLOOR * 255.0) ** 4), np.float32((CHROMA_SMOOTH * 255.0) ** 2),
                     self.iterations, out.reshape(-1))
        return out
