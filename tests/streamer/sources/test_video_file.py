"""Video files through PyAV: every frame, in order, with the file's own timestamps."""

from __future__ import annotations

from pathlib import Path

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
