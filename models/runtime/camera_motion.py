"""The camera's motion between two frames, as one shift, to the whole pixel and to a fraction of one:
for the temporal denoiser, which averages a panning or hand-held camera's frames only once they are
lined up.

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

Where the camera moved, the whole-pixel shift is then refined to a fraction of a pixel per axis (the
vertex of the parabola through the mean change at the shift and at its two neighbours): a dashcam's
bob or a hand-held phone's drift is rarely a whole pixel, and a pixel lined up half a pixel off on a
sharp edge fails the denoiser's test for motion and is left noisy. On the night clips' panning shot
(a vertical bob of up to a pixel a frame) the estimate is within about 0.1 px of the truth.

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
# A moving camera's shift to a fraction of a pixel: a fraction under SNAP pixels is taken as none (the
# estimate's own error: the night clips' panning shot's bob is found to about 0.1 px).
SNAP = 0.15


class CameraMotion:
    """``shift(luma, last) -> (dx, dy)``: what was at (x - dx, y - dy) in ``last``, the previous frame's
    luma, is at (x, y) in ``luma`` (both (H, W) float32), to the whole pixel; (0, 0) without a previous
    frame (``last`` None or of another size) or for a shift larger than ``most`` of the frame (a scene
    cut or a whip pan: nothing to line up). After it, ``fine`` is the same shift to a fraction of a
    pixel where the camera moved ((0.0, 0.0) where it stayed: a fixed camera stays whole). The caller
    keeps the frames; this keeps the shrunk copy of the one it was last given (for the next call, when
    that frame is its ``last``) and the last shift."""

    def __init__(self, most: float = 0.25) -> None:
        self.most = most
        self._shrunk: tuple[np.ndarray, np.ndarray] | None = None  # (a frame, its shrunk copy)
        self._window: np.ndarray | None = None
        self._shift = (0, 0)
        self.fine = (0.0, 0.0)

    def shift(self, luma: np.ndarray, last: np.ndarray | None) -> tuple[int, int]:
        height, width = luma.shape
        scale = max(1, min(SCALE, min(height, width) // SMALLEST))

        def shrunk(frame: np.ndarray) -> np.ndarray:
            return cv2.resize(frame, (width // scale, height // scale), interpolation=cv2.INTER_AREA) if scale > 1 else frame

        small, cached = shrunk(luma), self._shrunk
        self._shrunk = (luma, small)
        self.fine = (0.0, 0.0)
        if last is None or last.shape != luma.shape or min(small.shape) < 8:
            self._shift = (0, 0)
            return self._shift
        last_small = cached[1] if cached is not None and cached[0] is last else shrunk(last)
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
        step = grid_step(height, width)
        changes = {c: change(luma, last, *c, margin, step) for c in candidates}
        best = min(candidates, key=lambda c: float(changes[c].mean()) if changes[c].size else float("inf"))
        # A shift that only lines up something moving (headlights on a dark street) lowers the mean
        # change but lines up fewer pixels (within AGREE levels) than no shift does: the camera stayed.
        if best != (0, 0) and (changes[best] < AGREE).mean() <= (changes[(0, 0)] < AGREE).mean():
            best = (0, 0)
        self._shift = best
        self.fine = self._refine(luma, last, best, step) if best != (0, 0) else (0.0, 0.0)
        return best

    @staticmethod
    def _refine(luma: np.ndarray, last: np.ndarray, best: tuple[int, int], step: int) -> tuple[float, float]:
        """``best`` to a fraction of a pixel: per axis, the vertex of the parabola through the mean
        change at ``best`` and its two neighbours on that axis (within half a pixel); a fraction under
        ``SNAP`` is taken as none."""
        margin = max(abs(best[0]), abs(best[1])) + 1
        mean = {}

        def at(dx: int, dy: int) -> float:
            if (dx, dy) not in mean:
                mean[dx, dy] = float(change(luma, last, dx, dy, margin, step).mean())
            return mean[dx, dy]

        fine = []
        for axis in (0, 1):
            minus, plus = [(best[0] + d * (axis == 0), best[1] + d * (axis == 1)) for d in (-1, 1)]
            centre, below, above = at(*best), at(*minus), at(*plus)
            curve = below - 2.0 * centre + above
            fraction = float(np.clip(0.5 * (below - above) / curve, -0.5, 0.5)) if curve > 1e-6 else 0.0
            fine.append(best[axis] + (fraction if abs(fraction) >= SNAP else 0.0))
        return fine[0], fine[1]


def grid_step(height: int, width: int) -> int:
    """The step of the full-size comparisons' grid for a frame of this size: every ``STEP``-th row and
    column, denser where that would leave fewer than ``SAMPLES`` rows."""
    return max(1, min(STEP, min(height, width) // SAMPLES))


def change(luma: np.ndarray, last: np.ndarray, dx: int, dy: int, margin: int, step: int = STEP) -> np.ndarray:
    """The absolute luma change since ``last``, lined up by (dx, dy), on every ``step``-th row and column
    at least ``margin`` pixels inside the frame (``margin`` at least the shift's size)."""
    height, width = luma.shape
    here = luma[margin : height - margin : step, margin : width - margin : step]
    there = last[margin - dy : height - margin - dy : step, margin - dx : width - margin - dx : step]
    return np.abs(here - there)
