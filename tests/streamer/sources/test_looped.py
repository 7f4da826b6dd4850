"""A file or an image played as a live source: paced, looped, indices continuing."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from streamer.sources import open_source
from streamer.sources.looped import IMAGE_FPS, Looped
from tests.conftest import dark_frames, write_clip


def test_a_clip_loops_at_its_own_rate_with_indices_that_go_on(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "six.mp4", dark_frames(6, 160, 96), audio=False)
    source = Looped(lambda: open_source(str(clip.path)))
    assert source.info.live and source.info.fps == 30.0
    t0 = time.monotonic()
    frames = [source.read() for _ in range(14)]
    elapsed = time.monotonic() - t0
    source.close()
    assert [f.index for f in frames] == list(range(14))
    assert np.array_equal(frames[0].rgb, frames[6].rgb) and np.array_equal(frames[5].rgb, frames[11].rgb)
    assert not np.array_equal(frames[0].rgb, frames[5].rgb)
    assert elapsed >= 13 / 30 - 0.01, "frames came faster than the clip's 30 fps"
    assert all(b.captured_ns > a.captured_ns for a, b in zip(frames, frames[1:], strict=False))


def test_a_still_image_repeats_at_the_image_rate(tmp_path: Path) -> None:
    path = tmp_path / "still.png"
    cv2.imwrite(str(path), cv2.cvtColor(dark_frames(1, 64, 48)[0], cv2.COLOR_RGB2BGR))
    source = Looped(lambda: open_source(str(path)))
    assert source.info.fps == IMAGE_FPS and source.info.live
    frames = [source.read() for _ in range(3)]
    source.close()
    assert [f.index for f in frames] == [0, 1, 2]
    assert all(np.array_equal(f.rgb, frames[0].rgb) for f in frames)
