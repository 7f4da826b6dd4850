"""The H.264 file sink: x264 threading follows the mode (frame threads for files, slices for live)."""

from __future__ import annotations

import re
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from streamer.frame import Frame, StreamInfo
from streamer.sinks import SinkOptions, open_sink
from streamer.sources import SourceKind
from tests.conftest import decode


def _x264_settings(path: Path) -> str:
    """x264 writes its settings into the stream (an SEI message): 'x264 - core ... options: ...'."""
    match = re.search(rb"x264 - core [^\x00]*", path.read_bytes())
    assert match, "no x264 settings in the stream"
    return match.group(0).decode("ascii", "replace")


@pytest.mark.parametrize(("low_latency", "sliced"), [(False, 0), (True, 1)])
def test_files_use_frame_threads_and_live_recordings_slices(low_latency: bool, sliced: int, tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    info = StreamInfo(kind=SourceKind.VIDEO, width=320, height=240, fps=30.0, time_base=Fraction(1, 30), live=low_latency)
    sink = open_sink(out, info, SinkOptions(low_latency=low_latency))
    rng = np.random.default_rng(0)
    for i in range(10):
        sink.write(Frame(rng.integers(0, 256, (240, 320, 3), dtype=np.uint8), i, i / 30, time.monotonic_ns(), i),
                   rng.integers(0, 256, (240, 320, 3), dtype=np.uint8))
    sink.close(complete=True)
    assert f"sliced_threads={sliced}" in _x264_settings(out)
    frames, _ = decode(out)
    assert len(frames) == 10
