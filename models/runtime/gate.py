"""The night gate: a 24/7 camera is enhanced at night and left alone by day, without flicker at dusk.

The models already leave an exposed frame (nearly) as it is (:mod:`models.nets.tone`); the gate
adds what a camera that runs all day needs on top of that:

- **hysteresis**: the scene's brightness (the mean luma, averaged over about ``smoothing_s``) must
  fall below ``night_level`` to switch the enhancement on and rise above ``day_level`` to switch it
  off, so a scene hovering at one level (dawn, dusk, a passing headlight) does not toggle;
- **a fade**: the enhancement's weight moves towards 1 (night) or 0 (day) by at most 1 / ``fade_s``
  a second, so a switch is a slow cross-fade, never a jump;
- **no work by day**: at weight 0 the frame passes through untouched and the model is not run.

Pure numpy state, one per video: ``weight(rgb, dt_s)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from models.errors import ConfigError
from models.runtime.tone import LUMA


@dataclass(frozen=True)
class GateConfig:
    """Levels are mean luma in [0, 1] (0.18 is 46 of 255); times in seconds of video."""

    night_level: float = 0.18
    day_level: float = 0.24
    fade_s: float = 3.0
    smoothing_s: float = 2.0

    def __post_init__(self) -> None:
        if not 0.0 < self.night_level < self.day_level < 1.0:
            raise ConfigError("the night gate needs 0 < night level < day level < 1")
        if self.fade_s <= 0 or self.smoothing_s <= 0:
            raise ConfigError("the night gate's fade and smoothing times must be positive")


def mean_luma(rgb: np.ndarray) -> float:
    """Mean Rec. 601 luma of an (H, W, 3) uint8 RGB frame, in [0, 1]."""
    means = cv2.mean(rgb)[:3]
    return sum(w * m for w, m in zip(LUMA, means, strict=True)) / 255.0


class NightGate:
    """The gate's state for one video. ``night`` is where hysteresis stands; ``level`` the smoothed
    brightness; ``current`` the enhancement's weight after the last frame (0 = untouched)."""

    def __init__(self, config: GateConfig = GateConfig()) -> None:
        self.config = config
        self.level: float | None = None
        self.night = True
        self.current = 1.0
        self.switches = 0

    def weight(self, rgb: np.ndarray, dt_s: float) -> float:
        """The enhancement's weight for this frame, ``dt_s`` seconds after the previous one."""
        cfg = self.config
        now = mean_luma(rgb)
        if self.level is None:  # the first frame decides where the video starts, with no fade
            self.level = now
            self.night = now < cfg.day_level
            self.current = 1.0 if self.night else 0.0
            return self.current
        k = min(max(dt_s, 0.0) / cfg.smoothing_s, 1.0)
        self.level += k * (now - self.level)
        if self.night and self.level > cfg.day_level or not self.night and self.level < cfg.night_level:
            self.night = not self.night
            self.switches += 1
        step = max(dt_s, 0.0) / cfg.fade_s
        target = 1.0 if self.night else 0.0
        self.current = min(self.current + step, target) if target > self.current else max(self.current - step, target)
        return self.current
