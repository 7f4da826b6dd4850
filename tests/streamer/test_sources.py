"""Capture: the demo scene, video files, images, and how specs are classified."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from streamer.errors import SourceError
from streamer.sources import SourceOptions, open_source, source_kind
from streamer.sources.demo import DemoSource
from tests.conftest import Clip, dark_frames, luma


def test_source_kinds(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").touch()
    assert source_kind("demo") == "demo"
    assert source_kind("0") == "camera"
    assert source_kind("rtsp://cam/1") == "url"
    assert source_kind(str(tmp_path)) == "images"
    assert source_kind(str(tmp_path / "a.jpg")) == "image"
    assert source_kind(str(tmp_path / "clip.mkv")) == "video"


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


def test_realtime_demo_is_live_and_paced() -> None:
    import time

    src = open_source("demo", SourceOptions(demo_duration_s=0.5, demo_realtime=True))
    assert src.info.live
    t0 = time.monotonic()
    n = 0
    while src.read() is not None:
        n += 1
    assert n == 15
    assert time.monotonic() - t0 >= 0.4


def test_video_file_frames_and_timestamps(dark_clip: Clip) -> None:
    src = open_source(str(dark_clip.path))
    assert not src.info.live and src.info.width == 640 and src.info.height == 360
    assert src.info.media_path == dark_clip.path
    frames = []
    while (f := src.read()) is not None:
        frames.append(f)
    src.close()
    assert len(frames) == dark_clip.frames
    assert [f.index for f in frames] == list(range(dark_clip.frames))
    assert max(abs(f.pts_s - t) for f, t in zip(frames, dark_clip.pts_s, strict=True)) < 1e-6


def test_image_folder_is_numerically_ordered(tmp_path: Path) -> None:
    for name, rgb in zip(["10.png", "9.png", "100.png"], dark_frames(3, 32, 24), strict=True):
        cv2.imwrite(str(tmp_path / name), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    src = open_source(str(tmp_path))
    assert src.info.names == ("9.png", "10.png", "100.png")
    assert sum(1 for _ in iter(src.read, None)) == 3


def test_unreadable_image_and_empty_folder(tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"nope")
    with pytest.raises(SourceError, match="not a readable image"):
        open_source(str(bad))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SourceError, match="no images"):
        open_source(str(empty))


def test_missing_camera_is_a_clear_error() -> None:
    with pytest.raises(SourceError, match="camera 97 could not be opened"):
        open_source("97")
