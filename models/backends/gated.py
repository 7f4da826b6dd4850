"""The night gate around a backend (:mod:`models.runtime.gate`): by day frames pass through untouched
and the model is not run; at night the model's output; in between a cross-fade.

Frames are (T, H, W, 3) uint8 RGB in, (H, W, 3) uint8 RGB out, as for every backend. Keeps state:
one per video, called once per frame in order. Not pipelined (``submit``/``fetch``): the gate
decides per frame whether the model runs at all.
"""

from __future__ import annotations

import cv2
import numpy as np

from models.runtime.gate import GateConfig, NightGate


class GatedBackend:
    """``inner`` behind a :class:`NightGate`; ``frame_interval_s`` is the video's frame time."""

    def __init__(self, inner, config: GateConfig, frame_interval_s: float) -> None:
        self.inner = inner
        self.name, self.device, self.burst, self.path = inner.name, inner.device, inner.burst, inner.path
        self.gate = NightGate(config)
        self._dt = frame_interval_s
        self.skipped = 0  # frames passed through by day, the model not run

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        newest = frames[-1]
        weight = self.gate.weight(newest, self._dt)
        if weight <= 0.0:
            self.skipped += 1
            return np.array(newest)  # the caller's buffer moves on: hand over a copy
        out = self.inner.enhance(frames)
        if weight >= 1.0:
            return out
        return cv2.addWeighted(out, weight, np.ascontiguousarray(newest), 1.0 - weight, 0.0)

    def close(self) -> None:
        self.inner.close()
