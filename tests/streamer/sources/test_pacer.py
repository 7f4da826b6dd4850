"""Real-time pacing: frames on time, and no burst after a stall; a file played as a live stream by its
own timestamps."""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np
import pytest

from streamer.errors import ConfigError
from streamer.frame import Frame, StreamInfo
from streamer.sources import SourceKind
from streamer.sources.pacer import Paced, Pacer


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


class Timestamps:
    """A file-like source whose frames carry the given timestamps (variable frame rate), read instantly."""

    def __init__(self, pts_s: list[float]) -> None:
        self._pts = list(pts_s)
        self.info = StreamInfo(kind=SourceKind.VIDEO, width=4, height=4, fps=10.0, time_base=Fraction(1, 1000),
                               live=False)
        self.closed = False

    def read(self) -> Frame | None:
        if not self._pts:
            return None
        t = self._pts.pop(0)
        return Frame(np.zeros((4, 4, 3), np.uint8), 0, t, time.monotonic_ns(), round(t * 1000))

    def close(self) -> None:
        self.closed = True


def test_a_file_played_live_hands_out_each_frame_when_its_timestamp_is_due() -> None:
    file = Timestamps([5.0, 5.1, 5.4, 5.45])  # starts at 5 s, variable frame rate
    source = Paced(file)
    assert source.info.live
    t0 = time.monotonic()
    offsets, stamps = [], []
    while (frame := source.read()) is not None:
        offsets.append(time.monotonic() - t0)
        stamps.append(frame.captured_ns)
    assert offsets == pytest.approx([0.0, 0.1, 0.4, 0.45], abs=0.05)
    assert stamps[-1] - stamps[0] >= 0.44e9  # stamped with the time they were handed out
    source.close()
    assert file.closed
