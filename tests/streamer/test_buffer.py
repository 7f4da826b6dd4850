"""The sliding burst buffer: order, warm-up, zero-copy views, resets."""

from __future__ import annotations

import numpy as np
import pytest

from streamer.buffer import BurstBuffer
from streamer.errors import ConfigError


def frame(value: int, shape: tuple[int, int] = (4, 6)) -> np.ndarray:
    return np.full((*shape, 3), value, np.uint8)


def values(burst: np.ndarray) -> list[int]:
    return [int(f[0, 0, 0]) for f in burst]


def test_single_frame_buffer_returns_the_latest() -> None:
    b = BurstBuffer(1)
    for v in range(5):
        b.push(frame(v))
        assert values(b.burst()) == [v]


def test_burst_is_the_last_n_frames_oldest_first() -> None:
    b = BurstBuffer(4)
    for v in range(11):
        b.push(frame(v))
        expected = [max(v - 3 + i, 0) for i in range(4)]
        assert values(b.burst()) == expected


def test_warm_up_repeats_the_first_frame() -> None:
    b = BurstBuffer(3)
    b.push(frame(9))
    assert values(b.burst()) == [9, 9, 9]
    b.push(frame(10))
    assert values(b.burst()) == [9, 9, 10]


def test_burst_is_a_contiguous_view_not_a_copy() -> None:
    b = BurstBuffer(5)
    for v in range(7):
        b.push(frame(v))
    burst = b.burst()
    assert burst.flags["C_CONTIGUOUS"]
    assert not burst.flags["OWNDATA"]
    assert burst.shape == (5, 4, 6, 3)


def test_no_allocation_per_frame() -> None:
    b = BurstBuffer(3)
    b.push(frame(0))
    base = b.burst().base
    for v in range(1, 10):
        b.push(frame(v))
        assert b.burst().base is base


def test_new_frame_size_resets_the_buffer() -> None:
    b = BurstBuffer(3)
    for v in range(4):
        b.push(frame(v))
    b.push(frame(50, shape=(8, 8)))
    assert b.shape == (8, 8, 3)
    assert values(b.burst()) == [50, 50, 50]
    assert b.count == 1


def test_invalid_length_and_empty_buffer() -> None:
    with pytest.raises(ConfigError):
        BurstBuffer(0)
    with pytest.raises(ConfigError, match="empty"):
        BurstBuffer(2).burst()
