"""The sRGB transfer curve."""

from __future__ import annotations

import numpy as np
import pytest

from models.runtime.srgb import linear_to_srgb, srgb_to_linear


def test_srgb_curve_round_trips() -> None:
    x = np.linspace(0, 1, 1001, dtype=np.float32)
    assert np.abs(linear_to_srgb(srgb_to_linear(x)) - x).max() < 1e-5
    assert srgb_to_linear(np.float32(0.5)) == pytest.approx(0.214, abs=1e-3)
    assert linear_to_srgb(np.float32(2.0)) == pytest.approx(1.0)  # clipped first
