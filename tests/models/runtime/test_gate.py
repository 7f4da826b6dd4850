"""The night gate's state: hysteresis, fade, the first frame, bad settings."""

from __future__ import annotations

import numpy as np
import pytest

from models.errors import ConfigError
from models.runtime.gate import GateConfig, NightGate, mean_luma


def _grey(level: float) -> np.ndarray:
    return np.full((8, 8, 3), round(level * 255), np.uint8)


def test_mean_luma_is_rec601() -> None:
    rgb = np.zeros((2, 2, 3), np.uint8)
    rgb[..., 1] = 255
    assert mean_luma(rgb) == pytest.approx(0.587)


def test_the_first_frame_decides_without_a_fade() -> None:
    assert NightGate().weight(_grey(0.05), 1 / 30) == 1.0
    assert NightGate().weight(_grey(0.5), 1 / 30) == 0.0


def test_dawn_fades_out_and_a_scene_hovering_between_the_levels_does_not_toggle() -> None:
    cfg = GateConfig(night_level=0.18, day_level=0.24, fade_s=2.0, smoothing_s=1.0)
    gate, dt = NightGate(cfg), 1 / 10
    weights = [gate.weight(_grey(0.05), dt) for _ in range(10)]
    assert weights == [1.0] * 10
    # Hovering between the two levels (with a flicker across them): still night.
    for k in range(100):
        weights.append(gate.weight(_grey(0.21 + 0.025 * (-1) ** k), dt))
    assert gate.switches == 0 and weights[-1] == 1.0
    # Day: the weight falls, by at most dt / fade_s a frame, to 0.
    day = [gate.weight(_grey(0.5), dt) for _ in range(60)]
    assert gate.switches == 1 and day[-1] == 0.0
    steps = np.diff([1.0, *day])
    assert (steps <= 1e-9).all() and (np.abs(steps) <= dt / cfg.fade_s + 1e-9).all()
    assert 0.0 < day[5] < 1.0  # a cross-fade, not a jump


def test_bad_levels_are_a_config_error() -> None:
    with pytest.raises(ConfigError):
        GateConfig(night_level=0.3, day_level=0.2)
    with pytest.raises(ConfigError):
        GateConfig(fade_s=0)
