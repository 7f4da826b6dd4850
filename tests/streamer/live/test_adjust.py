"""The per-viewer picture controls: strength, exposure and the split view."""

from __future__ import annotations

import numpy as np

from streamer.live.adjust import adjust, split_view


def test_adjust_blends_input_and_output_and_applies_exposure():
    rng = np.random.default_rng(0)
    before = rng.integers(0, 60, (8, 16, 3), dtype=np.uint8)
    after = rng.integers(100, 200, (8, 16, 3), dtype=np.uint8)
    assert np.array_equal(adjust(before, after, 0.0, 1.0), before)
    assert np.array_equal(adjust(before, after, 1.0, 1.0), after)
    half = adjust(before, after, 0.5, 1.0).astype(int)
    assert np.abs(half - (before.astype(int) + after) / 2).max() <= 1
    brighter = adjust(before, after, 1.0, 1.5)
    assert brighter.dtype == np.uint8 and brighter.shape == after.shape
    assert np.abs(brighter.astype(int) - np.clip(after * 1.5, 0, 255)).max() <= 1
    assert adjust(before, after, 1.0, 2.0).max() == 255, "a gain past white must clip, not wrap around"
    assert np.array_equal(adjust(before, after, 0.0, 0.5), (before * 0.5).astype(np.uint8))


def test_split_view_shows_input_left_and_output_right():
    before = np.full((4, 100, 3), 10, np.uint8)
    after = np.full((4, 100, 3), 200, np.uint8)
    out = split_view(before, after, 0.3)
    assert out.shape == before.shape and out.dtype == np.uint8
    assert (out[:, :29] == 10).all() and (out[:, 31:] == 200).all()
    assert (out[:, 29:31] == 220).all(), "the divider is missing"
    assert (after == 200).all() and (before == 10).all(), "split_view changed its inputs"
    assert (split_view(before, after, 0.0)[:, 1:] == 200).all()
    assert (split_view(before, after, 1.0)[:, :99] == 10).all()
