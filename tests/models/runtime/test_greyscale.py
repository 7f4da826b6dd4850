"""Recognising a grey frame (an infrared camera's) and making an output grey."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from models.runtime.greyscale import grey_like, is_grey
from tests.conftest import dark_frames, decode, write_clip


def test_grey_frames_are_recognised_even_through_h264_and_colour_frames_are_not(tmp_path: Path) -> None:
    colour = dark_frames(3, 160, 96)
    grey = [np.repeat(f.mean(2, keepdims=True).astype(np.uint8), 3, 2) for f in colour]
    assert is_grey(grey[0]) and not is_grey(colour[0])
    # Through a real 4:2:0 H.264 round trip, as a camera in black-and-white mode sends it.
    clip = write_clip(tmp_path / "ir.mp4", grey, audio=False)
    decoded, _ = decode(clip.path)
    assert all(is_grey(f) for f in decoded)


def test_a_small_coloured_overlay_keeps_a_frame_grey_a_tint_does_not() -> None:
    frame = np.full((200, 320, 3), 40, np.uint8)
    frame[:4, :16] = (255, 0, 0)  # a red timestamp corner: under 0.1 % of the pixels
    assert is_grey(frame)
    tinted = frame.copy()
    tinted[..., 2] += 6  # a blue cast over the whole frame
    assert not is_grey(tinted)


def test_grey_like_gives_equal_channels_at_the_outputs_luma() -> None:
    out = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    g = grey_like(out)
    assert g.shape == out.shape and g.dtype == np.uint8
    assert np.array_equal(g[..., 0], g[..., 1]) and np.array_equal(g[..., 1], g[..., 2])
    luma = out.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    assert np.abs(g[..., 0].astype(np.float32) - luma).max() <= 1.0
