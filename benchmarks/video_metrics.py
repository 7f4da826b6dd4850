"""No-reference measures of how an enhanced video looks, for :mod:`benchmarks.eval_real`.

Frames are (H, W, 3) uint8 RGB, as decoded by PyAV (``to_ndarray(format="rgb24")``). Luma and
chroma are BT.601 limited range, computed from RGB with the BT.601 matrix (not OpenCV's
``COLOR_RGB2YCrCb``, which is full range): Y 16 (black) .. 235 (white), Cb/Cr 16 .. 240 with 128
neutral, as float32 "8-bit levels" (no rounding).

- :func:`near_black_chroma`: mean |Cb-128| + |Cr-128| where Y < 48 (colour noise in the blacks);
- :func:`blockiness`: gradient across 8x8 block boundaries over gradient inside blocks (1 = none);
- :func:`colourfulness`: Hasler & Suesstrunk (2003), on 0..255 RGB;
- :func:`clipped` / :func:`newly_clipped`: pixels with a channel at 255;
- :class:`LumaStats`: the mean and percentiles of luma over many frames (a 0.1-level histogram);
- :class:`TemporalNoise`: per-pixel temporal standard deviation of luma after removing each
  frame's mean (static shots); :class:`GroupNoise` takes it over a :class:`NoisePlan`: groups of
  frames, each frame aligned on the camera's shift (:func:`align`), over pixels that do not move
  (:func:`still_mask`) or clip;
- :func:`global_shift`: camera motion between two frames (phase correlation refined by ECC), to
  tell a fixed camera from a moving one and to align frames;
- :func:`gain` / :func:`gain_for_mean`: the "plain gain" reference, one factor on the code values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

# BT.601 limited range (ITU-R BT.601, "studio swing"): [Y, Cb, Cr] = M @ [R, G, B] / 255 + offset.
BT601_LIMITED = np.array([
    [65.481, 128.553, 24.966],
    [-37.797, -74.203, 112.0],
    [112.0, -93.786, -18.214],
], np.float32) / 255.0
BT601_OFFSET = np.array([16.0, 128.0, 128.0], np.float32)
# The same as one 3x4 affine transform for cv2.transform.
_AFFINE = np.concatenate([BT601_LIMITED, BT601_OFFSET[:, None]], axis=1)

NEAR_BLACK_LUMA = 48.0
BLOCK = 8


def ycbcr601(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> (H, W, 3) float32 [Y, Cb, Cr], BT.601 limited range, unrounded."""
    return cv2.transform(rgb.astype(np.float32), _AFFINE)


def luma601(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> (H, W) float32 BT.601 limited-range luma (16 black .. 235 white)."""
    return cv2.transform(rgb.astype(np.float32), _AFFINE[:1])


def near_black_chroma(ycc: np.ndarray, max_luma: float = NEAR_BLACK_LUMA) -> tuple[float, int]:
    """Mean |Cb - 128| + |Cr - 128| over the pixels with Y < ``max_luma``, and how many there are.

    ``ycc``: (H, W, 3) float32 from :func:`ycbcr601`. ``(nan, 0)`` when no pixel is that dark.
    A grey (R = G = B) pixel has 0; colour noise in the blacks raises it.
    """
    mask = ycc[..., 0] < max_luma
    n = int(mask.sum())
    if n == 0:
        return float("nan"), 0
    c = np.abs(ycc[..., 1][mask] - 128.0) + np.abs(ycc[..., 2][mask] - 128.0)
    return float(c.mean()), n


def block_gradients(luma: np.ndarray, block: int = BLOCK) -> tuple[float, int, float, int]:
    """Sums and counts of absolute luma differences between neighbours, horizontal and vertical
    together: (across block boundaries, count, inside blocks, count).

    The block grid starts at the top-left pixel (where the codec's grid is): a boundary lies
    between column (row) ``k * block - 1`` and ``k * block``.
    """
    sums = [0.0, 0.0]
    counts = [0, 0]
    for axis in (1, 0):
        d = np.abs(np.diff(luma, axis=axis))
        lines = d.sum(axis=1 - axis, dtype=np.float64)  # one sum per column (axis 1) or row (axis 0) gap
        boundary = (np.arange(lines.size) + 1) % block == 0
        per_line = d.shape[1 - axis]
        sums[0] += float(lines[boundary].sum())
        sums[1] += float(lines[~boundary].sum())
        counts[0] += int(boundary.sum()) * per_line
        counts[1] += int((~boundary).sum()) * per_line
    return sums[0], counts[0], sums[1], counts[1]


def blockiness(luma: np.ndarray, block: int = BLOCK) -> float:
    """Mean absolute luma gradient across ``block`` x ``block`` boundaries over the mean inside
    blocks. 1.0: no block structure; codec blocks that show raise it. ``nan`` on a flat frame."""
    bs, bn, is_, in_ = block_gradients(luma, block)
    inside = is_ / max(in_, 1)
    return (bs / max(bn, 1)) / inside if inside > 0 else float("nan")


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler & Suesstrunk (2003): sqrt(sd_rg^2 + sd_yb^2) + 0.3 sqrt(mean_rg^2 + mean_yb^2), with
    rg = R - G and yb = (R + G) / 2 - B on 0..255 RGB. 0 for a grey picture."""
    f = rgb.astype(np.float32)
    rg = f[..., 0] - f[..., 1]
    yb = 0.5 * (f[..., 0] + f[..., 1]) - f[..., 2]
    m_rg, s_rg = (float(v[0, 0]) for v in cv2.meanStdDev(rg))
    m_yb, s_yb = (float(v[0, 0]) for v in cv2.meanStdDev(yb))
    return float(np.hypot(s_rg, s_yb) + 0.3 * np.hypot(m_rg, m_yb))


def clipped(rgb: np.ndarray) -> np.ndarray:
    """(H, W) bool: the pixels with any channel at 255."""
    r, g, b = cv2.split(rgb)  # 15x faster than (rgb == 255).any(axis=2) on 1080p frames
    return cv2.max(cv2.max(r, g), b) == 255


def newly_clipped(out: np.ndarray, inp: np.ndarray) -> float:
    """Fraction of pixels with a channel at 255 in ``out`` whose ``inp`` pixel had none at 255."""
    return float((clipped(out) & ~clipped(inp)).mean())


class LumaStats:
    """Mean and percentiles of luma over many frames, from a histogram of 0.1-level bins."""

    BINS_PER_LEVEL = 10

    def __init__(self) -> None:
        self.hist = np.zeros(256 * self.BINS_PER_LEVEL, np.int64)
        self.total = 0.0
        self.count = 0

    def add(self, luma: np.ndarray) -> None:
        """One frame's (H, W) float32 luma."""
        idx = np.clip(luma * self.BINS_PER_LEVEL, 0, self.hist.size - 1).astype(np.int32)
        self.hist += np.bincount(idx.ravel(), minlength=self.hist.size)
        self.total += float(luma.sum(dtype=np.float64))
        self.count += luma.size

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else float("nan")

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile (0..100), to 0.1 level (the bin's centre)."""
        cum = np.cumsum(self.hist)
        i = int(np.searchsorted(cum, q / 100.0 * cum[-1]))
        return (i + 0.5) / self.BINS_PER_LEVEL


class TemporalNoise:
    """Per-pixel standard deviation over time of luma minus each frame's mean (8-bit levels).

    Feed frames with :meth:`add`; :meth:`std_map` gives the (H, W) map and :meth:`mean` its mean
    over a mask (e.g. pixels that neither move nor clip). Sums are kept in float64, shifted by
    the first frame, so a long clip loses no precision. Removing each frame's mean takes a
    brightness change of the whole frame (auto-exposure, smoothing) out of the measure.
    """

    def __init__(self) -> None:
        self._ref: np.ndarray | None = None
        self._s1: np.ndarray | None = None
        self._s2: np.ndarray | None = None
        self.frames = 0

    def add(self, luma: np.ndarray, mean: float | None = None) -> None:
        """One frame's (H, W) luma; ``mean``: the frame mean to remove, if not that of all of it
        (e.g. of the part every aligned frame covers)."""
        m = float(luma.mean(dtype=np.float64)) if mean is None else mean
        x = luma.astype(np.float64) - m
        if self._ref is None:
            self._ref = x
            self._s1 = np.zeros_like(x)
            self._s2 = np.zeros_like(x)
        d = x - self._ref
        self._s1 += d
        self._s2 += d * d
        self.frames += 1

    def std_map(self) -> np.ndarray:
        """(H, W) float32 sample standard deviation (n - 1); needs two frames."""
        if self.frames < 2 or self._s1 is None or self._s2 is None:
            raise ValueError("temporal noise needs at least two frames")
        n = self.frames
        var = (self._s2 - self._s1 * self._s1 / n) / (n - 1)
        return np.sqrt(np.maximum(var, 0.0)).astype(np.float32)

    def mean(self, mask: np.ndarray | None = None) -> float:
        m = self.std_map()
        return float(m[mask].mean() if mask is not None else m.mean())


@dataclass
class NoisePlan:
    """Where :class:`GroupNoise` measures: groups of frames ([start, end) indices), each frame's
    camera shift (dx, dy) in px relative to its group's first frame, and per group the (H, W)
    bool mask of pixels that do not move. A static shot: one group, every shift (0, 0)."""

    groups: list[tuple[int, int]] = field(default_factory=list)
    shifts: list[tuple[float, float]] = field(default_factory=list)
    still: list[np.ndarray] = field(default_factory=list)

    def group_of(self, t: int) -> int | None:
        for g, (a, b) in enumerate(self.groups):
            if a <= t < b:
                return g
        return None


def align(img: np.ndarray, shift: tuple[float, float], interpolation: int = cv2.INTER_LANCZOS4,
          border: float = np.nan) -> np.ndarray:
    """``img`` (H, W) moved back by ``shift`` = (dx, dy) px, the content at x + shift coming to x,
    as :func:`global_shift` measures it; what comes from outside the frame is ``border``. A zero
    shift returns ``img`` itself."""
    dx, dy = shift
    if dx == 0 and dy == 0:
        return img
    m = np.float32([[1, 0, -dx], [0, 1, -dy]])
    return cv2.warpAffine(img, m, (img.shape[1], img.shape[0]), flags=interpolation,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=border)


def still_mask(blurred_std: np.ndarray, valid: np.ndarray | None = None, factor: float = 3.0,
               floor: float = 0.75) -> np.ndarray:
    """(H, W) bool: the pixels that do not move, from the temporal std of a blurred luma (a blur
    averages noise away but keeps moving objects): under ``factor`` x its median and at least
    ``floor`` levels, dilated 7 px. ``valid`` (the overlap of aligned frames) is shrunk by 4 px
    (Lanczos reaches that far); an 8-px frame border is left out too."""
    ok = np.ones(blurred_std.shape, bool) if valid is None else valid
    thr = max(floor, factor * float(np.median(blurred_std[ok])))
    moving = cv2.dilate((blurred_std > thr).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    if valid is not None:
        ok = cv2.erode(valid.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    ok = ok & ~moving
    ok[:8], ok[-8:], ok[:, :8], ok[:, -8:] = False, False, False, False
    return ok


class GroupNoise:
    """Temporal noise under a :class:`NoisePlan`: per group, the per-pixel temporal std
    (:class:`TemporalNoise`) of the aligned luma, averaged over pixels that are still, inside
    every aligned frame and never clip in the group; pooled over groups (8-bit levels). Each
    frame's mean is taken over the part of the picture every frame of its group covers, so what
    comes into view does not count as a brightness change.

    Sub-pixel alignment interpolates (Lanczos), which lowers noise a little; the same for every
    video measured under the same plan. ``keep_maps`` keeps each group's std map and the mask of
    pixels left out (outside or clipping) in :attr:`maps`.
    """

    MARGIN = 5  # px: how far Lanczos-4 interpolation reaches, rounded up

    def __init__(self, plan: NoisePlan, keep_maps: bool = False) -> None:
        self.plan = plan
        self.keep_maps = keep_maps
        self.maps: list[tuple[np.ndarray, np.ndarray]] = []
        self._acc = TemporalNoise()
        self._bad: np.ndarray | None = None
        self._common: tuple[slice, slice] = (slice(None), slice(None))
        self.total = 0.0
        self.pixels = 0
        self.area = 0

    def _covered(self, g: int, shape: tuple[int, ...]) -> tuple[slice, slice]:
        """Rows and columns inside every aligned frame of group ``g``."""
        start, end = self.plan.groups[g]
        dx = [s[0] for s in self.plan.shifts[start:end]]
        dy = [s[1] for s in self.plan.shifts[start:end]]
        if not any(dx) and not any(dy):
            return slice(None), slice(None)
        m = self.MARGIN
        h, w = shape[:2]
        rows = slice(int(np.ceil(max(0.0, -min(dy)))) + m, h - int(np.ceil(max(0.0, max(dy)))) - m)
        cols = slice(int(np.ceil(max(0.0, -min(dx)))) + m, w - int(np.ceil(max(0.0, max(dx)))) - m)
        return rows, cols

    def add(self, t: int, luma: np.ndarray, clip: np.ndarray | None = None) -> None:
        """Frame ``t``: (H, W) float32 luma and its (H, W) bool :func:`clipped` mask."""
        g = self.plan.group_of(t)
        if g is None:
            return
        start, end = self.plan.groups[g]
        if t == start or self._bad is None:
            self._acc, self._bad = TemporalNoise(), np.zeros(luma.shape, bool)
            self._common = self._covered(g, luma.shape)
        shift = self.plan.shifts[t]
        y = align(luma, shift)
        self._bad |= np.isnan(y)
        if clip is not None:
            self._bad |= align(clip.view(np.uint8), shift, cv2.INTER_NEAREST, 1) > 0
        self._acc.add(np.nan_to_num(y, nan=0.0), mean=float(np.nanmean(y[self._common])))
        if t == end - 1:
            std = self._acc.std_map()
            mask = self.plan.still[g] & ~self._bad
            self.total += float(std[mask].sum(dtype=np.float64))
            self.pixels += int(mask.sum())
            self.area += mask.size
            if self.keep_maps:
                self.maps.append((std, self._bad))
            self._bad = None

    @property
    def mean(self) -> float:
        """Mean per-pixel std over the measured pixels; ``nan`` if none."""
        return self.total / self.pixels if self.pixels else float("nan")

    @property
    def fraction(self) -> float:
        """Share of the groups' pixels that were measured."""
        return self.pixels / self.area if self.area else 0.0


def global_shift(a: np.ndarray, b: np.ndarray, refine: bool = True) -> tuple[float, float]:
    """How far the picture moved from luma ``a`` to luma ``b`` ((H, W) float32), in pixels (dx, dy):
    ``b(x) = a(x - shift)``. A fixed camera gives about 0.

    Phase correlation of the two frames (each with its mean removed and multiplied by a Hann
    window, done here: this OpenCV's ``phaseCorrelate`` ignores its ``window`` argument) finds the
    shift; it weighs every frequency alike, so on noisy frames its sub-pixel part is off by up to
    a pixel or two. ``refine`` then fits the translation by ECC (``cv2.findTransformECC``, 5-px
    Gaussian prefilter) from there: a few hundredths of a pixel on the tests' noisy pans.
    """
    win = cv2.createHanningWindow((a.shape[1], a.shape[0]), cv2.CV_32F)
    a = a.astype(np.float32)
    b = b.astype(np.float32)
    (dx, dy), _ = cv2.phaseCorrelate((a - float(a.mean())) * win, (b - float(b.mean())) * win)
    if not refine:
        return float(dx), float(dy)
    warp = np.float32([[1, 0, dx], [0, 1, dy]])
    try:
        criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 50, 1e-4)
        _, warp = cv2.findTransformECC(a, b, warp, cv2.MOTION_TRANSLATION, criteria, None, 5)
    except cv2.error:  # ECC did not converge (a flat or changing picture): keep phase correlation's answer
        return float(dx), float(dy)
    return float(warp[0, 2]), float(warp[1, 2])


def gain(rgb: np.ndarray, k: float) -> np.ndarray:
    """The plain gain: every code value (gamma-encoded, as stored) times ``k``, rounded, clipped to 255."""
    return cv2.convertScaleAbs(rgb, alpha=k)


def gain_for_mean(frames: list[np.ndarray], target: float, iterations: int = 30) -> float:
    """The factor ``k`` for which :func:`gain` gives ``frames`` a mean BT.601 luma of ``target``.

    ``frames``: (H, W, 3) uint8 RGB (a subsample is enough). Bisection: the mean is monotone in
    ``k`` but not linear (rounding, clipping at 255).
    """

    def mean_luma(k: float) -> float:
        return float(np.mean([luma601(gain(f, k)).mean() for f in frames]))

    lo, hi = 0.0, 1.0
    while mean_luma(hi) < target and hi < 255.0:
        lo, hi = hi, hi * 2.0
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if mean_luma(mid) < target else (lo, mid)
    return 0.5 * (lo + hi)
