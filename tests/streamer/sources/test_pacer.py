"""Real-time pacing: frames on time, and no burst after a stall."""

from __future__ import annotations

import time

import pytest

from streamer.errors import ConfigError
from streamer.sources.pacer import Pacer


def test_frames_come_one_frame_time_apart() -> None:
    pacer = Pacer(50.0)
    t0 = time.monotonic()
    for _ in range(10):
        pacer.wait()
    assert 9 / 50 - 0.005 <= time.monotonic() - t0 < 1.0


def test_a_pacer_far_behind_moves_on_instead_of_racing_to_catch_up() -> None:
    pacer = Pacer(20.0, max_lag_s=0.2)
    pacer.wait()
    time.sleep(0.5)  # a stall: ten frames late
    pacer.wait()  # late: no wait, and the schedule starts again from here
    t0 = time.monotonic()
    for _ in range(3):
        pacer.wait()
    assert time.monotonic() - t0 >= 3 / 20 - 0.01, "the pacer burst through the frames it had missed"


def test_a_rate_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="positive frame rate"):
        Pacer(0.0)
