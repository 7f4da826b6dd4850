"""The rolling statistics behind the stats lines: frame rate and median latency."""

from __future__ import annotations

import time

import pytest

from streamer.meter import RateMeter


def test_rate_and_latency_of_the_last_frames() -> None:
    meter = RateMeter(60)
    assert meter.fps() == 0.0 and meter.latency_ms() is None
    now = time.monotonic_ns()
    for i in range(31):  # 30 fps for the last second
        meter.add(now - (30 - i) * 1_000_000_000 // 30, latency_ms=10.0 + i % 3)
    assert meter.fps() == pytest.approx(30.0, rel=0.01)
    assert meter.latency_ms() == 11.0


def test_only_the_last_window_counts_and_a_stopped_stream_shows_zero() -> None:
    meter = RateMeter(60, window_s=2.0)
    now = time.monotonic_ns()
    for i in range(10):  # 1 fps long ago, then 10 fps in the last second
        meter.add(now - 20_000_000_000 + i * 1_000_000_000, 5.0)
    for i in range(11):
        meter.add(now - 1_000_000_000 + i * 100_000_000, 5.0)
    assert meter.fps() == pytest.approx(10.0, rel=0.01)
    stale = RateMeter(60, window_s=2.0)
    for i in range(5):
        stale.add(now - 5_000_000_000 + i * 100_000_000, 5.0)
    assert stale.fps() == 0.0
