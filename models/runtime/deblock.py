"""Codec blocks that brightening would reveal, smoothed away: a deblocking filter on the enhanced
frame, steered by the input frame.

Cameras send H.264/HEVC. In dark flat areas (sky, road, walls) their encoder spends few bits, and
each 8x8 block comes out nearly flat at its own level: steps of one to a few code values along the
block grid, invisible in the dark input. Any brightening multiplies them (a gain of 5 turns a 2-level
step into a visible 10-level edge), and re-encoding the result keeps them.

The filter looks at every boundary of the 8x8 grid (from the top-left pixel, where the codec's grid
is) in the *input*: where the step across it is small (at most ``alpha`` input levels) and both
sides are flat (neighbouring pixels within ``beta`` levels over three pixels each side), it is a
codec step, not an edge of the scene, and the *output*'s step there is spread over those six
pixels as a ramp. Steps larger than ``alpha`` in the input (real edges, lights) and textured sides
(detail) are left alone. Because the test is made in input levels and the correction on the output,
the filter does more where the model's gain is high, where the blocks would show, and next to
nothing where the gain is about 1. A frame whose size is not a whole number of blocks keeps its last,
partial block as it is.

Measured on the real night clips (``benchmarks/eval_real.py``; 24 frames, zero-dce++, libx264 CRF
18): blockiness (gradient across the grid over gradient inside blocks) on the dark phone clip 2.105
-> 1.056, on LOL's dark photos as a clip 1.191 -> 0.925; edges (lights, railings) kept.

Frames are (H, W, 3) uint8 RGB; the input is never changed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.errors import ConfigError
from models.runtime.parallel import run_bands

BLOCK = 8
# The ramp: what share of the output's step each of the six pixels p2 p1 p0 | q0 q1 q2 moves by.
_RAMP = (1.0 / 8.0, 2.0 / 8.0, 3.0 / 8.0, -3.0 / 8.0, -2.0 / 8.0, -1.0 / 8.0)


@dataclass(frozen=True)
class DeblockConfig:
    """``alpha``: the largest step across a block boundary (input levels, 0..255) taken for a codec
    step; ``beta``: the largest step between neighbouring pixels of a side taken as flat."""

    alpha: float = 6.0
    beta: float = 2.0

    def __post_init__(self) -> None:
        if not (0.0 < self.alpha <= 255.0 and 0.0 <= self.beta <= 255.0):
            raise ConfigError(f"deblocking thresholds must be in (0, 255], not alpha={self.alpha}, beta={self.beta}")


def _guide(frame: np.ndarray) -> np.ndarray:
    """The input's level per pixel, three times over (H, W) int32: the sum of the three channels."""
    return frame.astype(np.int32).sum(2)


def _boundaries(out: np.ndarray, guide: np.ndarray, alpha3: int, beta3: int) -> None:
    """Deblock the boundaries between rows (axis 0) of ``out`` in place; ``guide`` is the input's level."""
    n = out.shape[0]
    q0 = np.arange(BLOCK, n - 2, BLOCK)  # the first row of each block after the first
    if q0.size == 0:
        return
    g = [guide[q0 + k] for k in (-3, -2, -1, 0, 1, 2)]  # (boundaries, W) each
    codec = np.abs(g[3] - g[2]) <= alpha3
    for a, b in ((0, 1), (1, 2), (3, 4), (4, 5)):
        codec &= np.abs(g[b] - g[a]) <= beta3
    o = [out[q0 + k].astype(np.float32) for k in (-3, -2, -1, 0, 1, 2)]
    step = (o[3] - o[2]) * codec[..., None]
    for k, share in enumerate(_RAMP):
        out[q0 + k - 3] = np.clip(o[k] + step * np.float32(share) + np.float32(0.5), 0.0, 255.0).astype(np.uint8)


def _thresholds(cfg: DeblockConfig) -> tuple[int, int]:
    """The thresholds on the guide (a sum of three channels of whole levels), as whole numbers."""
    return int(np.floor(3.0 * cfg.alpha)), int(np.floor(3.0 * cfg.beta))


def deblock_reference(out: np.ndarray, inp: np.ndarray, cfg: DeblockConfig = DeblockConfig()) -> np.ndarray:
    """:func:`deblock` in numpy (the C kernel's reference, for tests: about 80 ms a 720p frame)."""
    guide = _guide(inp)
    alpha3, beta3 = _thresholds(cfg)
    result = out.copy()
    _boundaries(result, guide, alpha3, beta3)  # boundaries between rows
    _boundaries(result.transpose(1, 0, 2), guide.T, alpha3, beta3)  # between columns, written through the view
    return result


def deblock(out: np.ndarray, inp: np.ndarray, cfg: DeblockConfig = DeblockConfig()) -> np.ndarray:
    """``out`` (the enhanced frame) with the codec's block steps of ``inp`` (the input frame, same
    size) smoothed: a new (H, W, 3) uint8 array (the C loop of ``_deblock.c``, built with the package, in
    bands on every core)."""
    from models.runtime import _deblock

    if out.shape != inp.shape or out.ndim != 3 or out.shape[2] != 3:
        raise ConfigError(f"deblocking needs input and output frames of one (H, W, 3) size, not {inp.shape} and {out.shape}")
    result = np.array(out, np.uint8, order="C", copy=True)
    alpha3, beta3 = _thresholds(cfg)
    guide = np.ascontiguousarray(inp, np.uint8)
    height, width = out.shape[:2]
    # Between rows in bands of columns, then between columns in bands of rows (models.runtime.parallel).
    run_bands(lambda b, e: _deblock.run(guide, result, height, width, alpha3, beta3, 0, b, e), width, height)
    run_bands(lambda b, e: _deblock.run(guide, result, height, width, alpha3, beta3, 1, b, e), height, width)
    return result
