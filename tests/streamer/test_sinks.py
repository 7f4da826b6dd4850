"""Outputs by address: the sink table, and the H.264 stream every video sink encodes with.

x264's threading follows the mode (frame threads for files, slices for live); odd sizes and frames
of another size still make a valid file; network addresses that have no sink are refused in one
line with their credentials masked; the publishing outputs are live.
"""

from __future__ import annotations

import re
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from streamer.errors import ConfigError
from streamer.frame import Frame, StreamInfo
from streamer.sinks import SinkOptions, open_sink, sink_entry
from streamer.sinks.folder import FolderSink
from streamer.sinks.image import ImageSink
from streamer.sinks.video_file import VideoFileSink
from streamer.sources import SourceKind
from tests.conftest import decode


def _x264_settings(path: Path) -> str:
    """x264 writes its settings into the stream (an SEI message): 'x264 - core ... options: ...'."""
    match = re.search(rb"x264 - core [^\x00]*", path.read_bytes())
    assert match, "no x264 settings in the stream"
    return match.group(0).decode("ascii", "replace")


def info(kind: SourceKind = SourceKind.VIDEO, width: int = 320, height: int = 240, live: bool = False) -> StreamInfo:
    return StreamInfo(kind=kind, width=width, height=height, fps=30.0, time_base=Fraction(1, 30), live=live)


def frame(i: int, width: int = 320, height: int = 240) -> tuple[Frame, np.ndarray]:
    rng = np.random.default_rng(i)
    return (Frame(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), i, i / 30, time.monotonic_ns(), i),
            rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


@pytest.mark.parametrize(("low_latency", "sliced"), [(False, 0), (True, 1)])
def test_files_use_frame_threads_and_live_recordings_slices(low_latency: bool, sliced: int, tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    sink = open_sink(str(out), info(live=low_latency), SinkOptions(low_latency=low_latency))
    for i in range(10):
        sink.write(*frame(i))
    sink.close(complete=True)
    assert f"sliced_threads={sliced}" in _x264_settings(out)
    frames, _ = decode(out)
    assert len(frames) == 10


def test_odd_sizes_and_frames_of_another_size_are_fitted_to_the_stream(tmp_path: Path) -> None:
    out = tmp_path / "odd.mkv"
    sink = open_sink(str(out), info(width=161, height=91), SinkOptions())
    sink.write(*frame(0, 161, 91))
    sink.write(*frame(1, 320, 180))  # a camera that came back at another resolution
    sink.write(*frame(2, 161, 91))
    sink.close()
    frames, times = decode(out)
    assert [f.shape for f in frames] == [(90, 160, 3)] * 3
    assert times == pytest.approx([0, 1 / 30, 2 / 30], abs=1e-3)


@pytest.mark.parametrize("height", [850, 360])
def test_a_height_of_two_mod_four_keeps_its_rows_and_its_colour(height: int, tmp_path: Path) -> None:
    # 850 rows (a portrait phone clip): each chroma plane has an odd number of rows.
    out = tmp_path / "tall.mp4"
    grey = np.full((height, 478, 3), 120, np.uint8)
    sink = open_sink(str(out), info(width=478, height=height), SinkOptions(crf=0))
    for i in range(3):
        sink.write(Frame(grey, i, i / 30, time.monotonic_ns(), i), grey)
    sink.close()
    frames, _ = decode(out)
    assert frames[0].shape == (height, 478, 3)
    assert np.abs(frames[0].astype(int) - 120).max() <= 2  # no green band along the top, no shifted chroma


def test_the_address_picks_the_sink(tmp_path: Path) -> None:
    video = open_sink(str(tmp_path / "a.mov"), info(), SinkOptions())
    assert isinstance(video, VideoFileSink) and video.address == str((tmp_path / "a.mov").resolve())
    video.close()
    image = open_sink(str(tmp_path / "a.png"), info(SourceKind.IMAGE), SinkOptions())
    assert isinstance(image, ImageSink) and image.address == str((tmp_path / "a.png").resolve())
    folder = open_sink(str(tmp_path / "frames"), info(SourceKind.IMAGES), SinkOptions())
    assert isinstance(folder, FolderSink) and (tmp_path / "frames").is_dir()


@pytest.mark.parametrize("address", ["rtmp://cam:s3cret@127.0.0.1/live", "srt://127.0.0.1:9000", "http://cam:s3cret@h/x"])
def test_network_outputs_other_than_rtsp_are_refused_with_credentials_masked(address: str) -> None:
    with pytest.raises(ConfigError, match="is not supported; use .*rtsp://HOST:PORT/PATH") as e:
        open_sink(address, info(), SinkOptions())
    assert "s3cret" not in str(e.value)
    if "@" in address:
        assert "cam:***@" in str(e.value)


def test_publishing_outputs_are_live_and_files_are_not() -> None:
    assert sink_entry("rtsp://cam:s3cret@127.0.0.1:8554/out").live
    assert sink_entry("-").live and sink_entry("pipe:1").live
    assert not any(sink_entry(a).live for a in ("a.mp4", "a.png", "frames"))


def test_outputs_that_do_not_fit_the_input_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown output type '.txt'"):
        open_sink(str(tmp_path / "o.txt"), info(), SinkOptions())
    with pytest.raises(ConfigError, match="images in, video out"):
        open_sink(str(tmp_path / "o.mp4"), info(SourceKind.IMAGES), SinkOptions())
    with pytest.raises(ConfigError, match="single image but the input has many frames"):
        open_sink(str(tmp_path / "o.png"), info(SourceKind.VIDEO), SinkOptions())
    assert not list(tmp_path.iterdir()), "a refused output left a file behind"
