"""The camera's motion between two frames, as one whole-pixel shift: for the temporal denoiser, which
averages a panning or hand-held camera's frames only once they are lined up.

Phase correlation (OpenCV, FFT-based) of the two frames' luma at a quarter of their size (less
shrunk when small) gives the shift to a few pixels; then the whole-pixel shifts around it, the last
frame's shift and no shift at all are tried on the full-size luma (every 8th row and column at
720p), and the one that leaves the smallest mean change wins, if it also lines up more pixels
(within 2 levels) than no shift does. So a fixed camera keeps (0, 0) when something crosses the
picture (the correlation then follows the moving object: 2-5 px a frame on the static night clip of
``benchmarks/night_clips.py``, which lined up would have smeared the scene; the headlights of
``benchmarks/eval_ghost.py`` lowered the mean change when followed, on a street too flat to say
otherwise, but lined up 4-12 % fewer pixels), and a pan is matched to the pixel (the estimate alone
was off by one row every other frame on the panning clip; followed, 4-19 % more pixels line up
there, 4-7 % on the hand-held phone clip of the night clips). On a scene with little texture under
heavy noise the correlation can miss; then no shift, or the best of the others, is taken, and the
denoiser's own test for motion keeps what does not line up out of the average. Measured on the
night clips' panning shot (``benchmarks/eval_burst.py``): see
:class:`models.runtime.temporal_denoise.TemporalDenoiseConfig`.

About 1.3 ms a 720p frame and 2.5 ms a 1080p frame on one core (the resize, the correlation, a dozen
comparisons).
"""

from __future__ import annotations

import cv2
import numpy as np

# The correlation's scale (at most: a frame is shrunk no further than to SMALLEST pixels on its short
# side, below which the correlation loses the shift in the noise), and the grid step of the
# full-size comparisons: at most every STEP-th row and column, and at least SAMPLES rows (a 720p frame:
# every 8th, 14,000 pixels; a smaller frame is sampled more densely).
SCALE = 4
SMALLEST = 64
STEP = 8
SAMPLES = 90
# Levels of 3x3-averaged luma within which a pixel agrees with its match in the last frame.
AGREE = 2.0


class CameraMotion:
    """``shift(luma) -> (dx, dy)``: what was at (x - dx, y - dy) in the last frame given is at (x, y)
    in this one; (0, 0) for the first frame, a new size, or a shift larger than ``most`` of the frame
    (a scene cut or a whip pan: nothing to line up). ``luma``: (H, W) float32. Keeps the last frame's
    luma: call it once per frame, in order."""

    def __init__(self, most: float = 0.25) -> None:
        self.most = most
        self._last: np.ndarray | None = None
        self._last_small: np.ndarray | None = None
        self._window: np.ndarray | None = None
        self._shift = (0, 0)

    def shift(self, luma: np.ndarray) -> tuple[int, int]:
        height, width = luma.shape
        scale = max(1, min(SCALE, min(height, width) // SMALLEST))
        small = (cv2.resize(luma, (width // scale, height // scale), interpolation=cv2.INTER_AREA) if scale > 1
                 else luma)
        last, last_small = self._last, self._last_small
        self._last, self._last_small = luma, small
        if last is None or last.shape != luma.shape or min(small.shape) < 8:
            self._shift = (0, 0)
            return self._shift
        if self._window is None or self._window.shape != small.shape:
            self._window = cv2.createHanningWindow(small.shape[::-1], cv2.CV_32F)
        (sx, sy), _ = cv2.phaseCorrelate(last_small, small, self._window)
        if not (np.isfinite(sx) and np.isfinite(sy)):
            sx = sy = float(max(width, height))  # no answer (a flat frame): beyond the limit below
        gx, gy = int(round(sx * scale)), int(round(sy * scale))
        if abs(gx) + 1 > self.most * width or abs(gy) + 1 > self.most * height:
            self._shift = (0, 0)
            return self._shift
        # No shift first (a tie keeps the camera fixed), the last frame's (a camera's motion is smooth),
        # then the correlation's and its neighbours.
        candidates = list(dict.fromkeys([(0, 0), self._shift] + [(gx + i, gy + j) for j in (-1, 0, 1) for i in (-1, 0, 1)]))
        margin = max(max(abs(c[0]), abs(c[1])) for c in candidates)
        step = max(1, min(STEP, min(height, width) // SAMPLES))
        best = min(candidates, key=lambda c: mean_change(luma, last, *c, margin=margin, step=step))
        # A shift that only lines up something moving (headlights on a dark street) lowers the mean
        # change but lines up fewer pixels than no shift does: the camera stayed where it was.
        if best != (0, 0) and (agreement(luma, last, *best, margin, step)
                               <= agreement(luma, last, 0, 0, margin, step)):
            best = (0, 0)
        self._shift = best
        return best


def overlap(luma: np.ndarray, last: np.ndarray, dx: int, dy: int, margin: int,
            step: int = STEP) -> tuple[np.ndarray, np.ndarray]:
    """This frame's luma and the last frame's lined up by (dx, dy), on every ``step``-th row and column
    at least ``margin`` pixels inside the frame (``margin`` at least the shift's size)."""
    height, width = luma.shape
    here = luma[margin : height - margin : step, margin : width - margin : step]
    there = last[margin - dy : height - margin - dy : step, margin - dx : width - margin - dx : step]
    return here, there


def agreement(luma: np.ndarray, last: np.ndarray, dx: int, dy: int, margin: int, step: int = STEP) -> float:
    """The share of pixels whose luma changed by less than ``AGREE`` levels with the last frame lined up
    by (dx, dy) (see :func:`overlap`)."""
    here, there = overlap(luma, last, dx, dy, margin, step)
    return float((np.abs(here - there) < AGREE).mean()) if here.size else 0.0


def mean_change(luma: np.ndarray, last: np.ndarray, dx: int, dy: int, margin: int, step: int = STEP) -> float:
    """The mean absolute luma change with the last frame lined up by (dx, dy) (see :func:`overlap`)."""
    here, there = overlap(luma, last, dx, dy, margin, step)
    return float(np.abs(here - there).mean()) if here.size else float("inf")
