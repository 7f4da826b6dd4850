"""Zero-DCE++'s curves at full resolution through one lookup table: the CPU fast path.

Zero-DCE++ estimates one curve map ``alpha`` (3 channels) at 1/scale of the frame, upsamples it
bilinearly to the frame size and applies ``LE(x) = x + alpha * x * (1 - x)`` eight times per
pixel. After 8 iterations the output of a channel depends only on two numbers: the pixel's
uint8 value ``v`` and its (upsampled) ``alpha``. So the whole curve stack is one table
``T[alpha_row, v]`` (uint8, ``LEVELS`` alpha rows x 256 values), computed once, exactly, in
float64, with the exact path's rounding. Per frame the work is then:

1. box-average the frame by ``scale`` (OpenCV ``INTER_AREA`` on uint8; what ``avg_pool2d`` does);
2. run the small curve estimator on that (ONNX Runtime, ~2 ms at 720p);
3. upsample the map bilinearly to the frame size (OpenCV ``INTER_LINEAR``: the same half-pixel
   convention as torch's ``align_corners=False``), already scaled to table rows;
4. one gather ``T[round(row), v]`` per sample (``cv2.remap``, nearest, treating the table as an image).

The only approximations are the quantization of alpha to ``LEVELS`` rows and the rounding of
the pooled frame to uint8. Against the exact path on the 50 LOL validation pairs
(``benchmarks/eval_lol.py``): PSNR -0.001 dB, SSIM -0.0001, no sample off by more than one level,
0.08 levels on average; ``tests/models/runtime/test_curve_lut.py`` holds it to that.

Frames are (H, W, 3) uint8 RGB, C-contiguous, on the CPU. numpy and OpenCV only (no torch).
"""

from __future__ import annotations

import cv2
import numpy as np

# Rows of the table: alpha in [-1, 1] (tanh) quantized to 2/(LEVELS-1) ~ 0.001. A step of alpha
# moves an 8-iteration output by at most ~0.25 of a uint8 level at this resolution.
LEVELS = 2048
# cv2.remap wants both map dimensions below SHRT_MAX.
_MAX_SIDE = 32000


def curve_table(iterations: int = 8, levels: int = LEVELS) -> np.ndarray:
    """(levels, 256) uint8: row k, column v -> the exact path's output for alpha_k and input v.

    alpha_k = -1 + 2k / (levels - 1); the output is ``round_half_up(clamp(LE^iterations(v / 255)) * 255)``,
    the rounding of :class:`models.export.FrameModel`.
    """
    alpha = np.linspace(-1.0, 1.0, levels, dtype=np.float64)[:, None]
    x = np.broadcast_to(np.arange(256, dtype=np.float64) / 255.0, (levels, 256)).copy()
    for _ in range(iterations):
        x += alpha * x * (1.0 - x)
    return np.floor(np.clip(x, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def pool(rgb: np.ndarray, scale: int) -> np.ndarray:
    """Box-average ``rgb`` (H, W, 3) uint8 by ``scale`` -> (1, 3, H // scale, W // scale) float32 in [0, 1].

    Like ``avg_pool2d(x, scale, scale)``: the last ``H % scale`` rows and ``W % scale`` columns
    are left out; the mean is rounded to uint8 on the way (at most 0.5/255 off).
    """
    h, w = rgb.shape[0] // scale, rgb.shape[1] // scale
    if h < 1 or w < 1:
        raise ValueError(f"a {rgb.shape[1]}x{rgb.shape[0]} frame is smaller than the curve map scale {scale}")
    small = cv2.resize(rgb[: h * scale, : w * scale], (w, h), interpolation=cv2.INTER_AREA)
    return (small.transpose(2, 0, 1)[None].astype(np.float32)) * np.float32(1.0 / 255.0)


def _flat_shape(n: int, width: int) -> tuple[int, int]:
    """A 2-D shape for ``n`` samples with both sides below cv2.remap's limit (the gather is pointwise)."""
    if width < _MAX_SIDE and n // width < _MAX_SIDE:
        return n // width, width
    for cols in range(_MAX_SIDE - 1, 0, -1):
        if n % cols == 0 and n // cols < _MAX_SIDE:
            return n // cols, cols
    raise ValueError(f"cannot lay out {n} samples for the lookup")


class CurveLUT:
    """Applies an upsampled curve map to frames through :func:`curve_table`.

    ``apply(rgb, alphas)`` is not thread-safe: it reuses its map buffers between calls of the
    same frame size (only the returned frame is new).
    """

    def __init__(self, iterations: int = 8, levels: int = LEVELS) -> None:
        self.table = curve_table(iterations, levels)
        self._row_scale = np.float32((levels - 1) / 2.0)
        self._shape: tuple[int, int, int] | None = None
        self._map_x = self._map_y = np.empty(0, np.float32)

    def apply(self, rgb: np.ndarray, alphas: np.ndarray) -> np.ndarray:
        """rgb (H, W, 3) uint8 RGB; alphas (1, 3, h, w) float32 in [-1, 1] -> (H, W, 3) uint8 RGB."""
        height, width, _ = rgb.shape
        # Table rows are linear in alpha, so scaling before the (linear) upsampling is exact.
        rows_small = np.ascontiguousarray(((alphas[0] + 1.0) * self._row_scale).transpose(1, 2, 0))
        shape = _flat_shape(height * width * 3, width * 3)
        if self._shape != rgb.shape:
            # Reused between frames: a fresh 11 MB float map per 720p frame costs page faults.
            self._shape = rgb.shape
            self._map_x = np.empty(shape, np.float32)
            self._map_y = np.empty((height, width, 3), np.float32)
        cv2.resize(rows_small, (width, height), dst=self._map_y, interpolation=cv2.INTER_LINEAR)
        np.copyto(self._map_x, rgb.reshape(shape), casting="unsafe")
        out = cv2.remap(self.table, self._map_x, self._map_y.reshape(shape), cv2.INTER_NEAREST,
                        borderMode=cv2.BORDER_REPLICATE)
        return out.reshape(height, width, 3)
