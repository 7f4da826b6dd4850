"""The built-in ``demo`` scene: dark, noisy, moving, deterministic; paced and live when asked."""

from __future__ import annotations

import time

import numpy as np
import pytest

from streamer.sources import SourceKind, SourceOptions, open_source
from streamer.sources.demo import DemoSource
from tests.conftest import luma


def test_demo_is_dark_noisy_moving_and_deterministic() -> None:
    a = DemoSource(duration_s=1.0)
    frames = [a.read() for _ in range(30)]
    assert a.read() is None
    assert all(f.rgb.shape == (360, 640, 3) and f.rgb.dtype == np.uint8 for f in frames)
    assert [f.index for f in frames] == list(range(30))
    assert frames[15].pts_s == pytest.approx(0.5)
    assert luma(frames[0].rgb) < 0.15 * 255  # night
    # Sensor noise: two renders of the same instant differ, but only by noise.
    b = DemoSource(duration_s=1.0, seed=99)
    diff = frames[0].rgb.astype(int) - b.render(0).astype(int)
    assert 0 < np.abs(diff).mean() < 10
    # Motion: the scene changes between frames beyond noise.
    assert np.abs(frames[0].rgb.astype(int) - frames[29].rgb.astype(int)).max() > 100
    c = DemoSource(duration_s=1.0)
    assert np.array_equal(c.read().rgb, frames[0].rgb)
    assert a.info.kind is SourceKind.DEMO


def test_realtime_demo_is_live_and_paced() -> None:
    src = open_source("demo", SourceOptions(demo_duration_s=0.5, demo_realtime=True))
    assert src.info.live
    t0 = time.monotonic()
    n = 0
    while src.read() is not None:
        n += 1
    assert n == 15
    assert time.monotonic() - t0 >= 0.4
