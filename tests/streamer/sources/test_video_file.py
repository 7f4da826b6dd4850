"""Video files through PyAV: every frame, in order, with the file's own timestamps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from streamer.errors import SourceError
from streamer.sources import SourceKind, open_source
from tests.conftest import Clip


def test_video_file_frames_and_timestamps(dark_clip: Clip) -> None:
    src = open_source(str(dark_clip.path))
    assert not src.info.live and src.info.width == 640 and src.info.height == 360
    assert src.info.media_path == dark_clip.path
    assert src.info.kind is SourceKind.VIDEO
    frames = []
    while (f := src.read()) is not None:
        frames.append(f)
    src.close()
    assert len(frames) == dark_clip.frames
    assert [f.index for f in frames] == list(range(dark_clip.frames))
    assert max(abs(f.pts_s - t) for f, t in zip(frames, dark_clip.pts_s, strict=True)) < 1e-6


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="input not found: .*nope.mp4"):
        open_source(str(tmp_path / "nope.mp4"))


@pytest.mark.parametrize(("pix_fmt", "full_range"), [("yuv420p", False), ("yuvj420p", True), ("yuv420p10le", False),
                                                     ("yuv420p10le", True)])
def test_limited_full_range_and_10_bit_video_is_read_with_its_own_range(tmp_path: Path, pix_fmt: str,
                                                                        full_range: bool) -> None:
    # Black, white and mid grey, stored as cameras store them (limited range, full range as yuvj420p or
    # flagged, 10 bits): read back as RGB black, white and grey, not as 16 / 235 or stretched.
    import subprocess

    path = tmp_path / f"range_{pix_fmt}_{int(full_range)}.mp4"
    rng = ",scale=out_range=pc" if full_range else ""
    graph = (f"color=c=black:s=64x32:d=0.2[a];color=c=white:s=64x32:d=0.2[b];color=c=0x808080:s=64x32:d=0.2[c];"
             f"[a][b][c]vstack=inputs=3{rng},format={pix_fmt}")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", graph, "-c:v", "libx264", "-qp", "0",
                    *(["-color_range", "pc"] if full_range else []), str(path)], check=True)
    src = open_source(str(path))
    frame = src.read()
    src.close()
    assert frame is not None
    black, white, grey = (frame.rgb[y, 32].astype(int) for y in (16, 48, 80))
    assert black.max() <= 1 and white.min() >= 252 and np.abs(grey - 128).max() <= 3
