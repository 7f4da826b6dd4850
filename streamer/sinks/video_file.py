"""H.264 video files through PyAV: every frame with its own timestamp, audio, subtitles and data copied.

The file is written under a temporary name beside the output (``NAME.partial.SUFFIX``) and
renamed when closed, so a killed job never leaves a broken file under the final name; a job
that is interrupted but closes normally still gets a playable file of what was done.

Audio is copied packet by packet, without re-encoding (:mod:`streamer.sinks.stream_copy`), from the
input file (a second demuxer reads it) or from a live camera (demuxed with its video), and
interleaved by time with the video as frames are written; audio past the last written frame is
cut. An audio codec the container cannot hold (G.711 in .mp4 or .mkv) is left out with a warning.
Subtitle and data streams of a file (a dashcam's GPS track) are copied the same way when the output
container can hold them; those it cannot are named in a warning.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import av
import numpy as np

from streamer.counts import count
from streamer.errors import ConfigError, SinkError
from streamer.frame import Frame, InputFiles, StreamInfo
from streamer.sinks.files import check_not_input, check_writable, overwrites
from streamer.sinks.h264 import H264Stream
from streamer.sinks.stream_copy import AUDIO_LEAD_S, Copy, open_copy
from streamer.urls import mask_credentials

if TYPE_CHECKING:
    from streamer.sinks import SinkOptions

log = logging.getLogger(__name__)


def partial_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.partial{path.suffix}")


class VideoFileSink:
    """An H.264 file (:class:`~streamer.sinks.h264.H264Stream`: libx264 / yuv420p at ``options.crf`` and
    ``options.preset`` by default), timestamps from the source, other streams copied from the input."""

    def __init__(self, path: Path, info: StreamInfo, options: SinkOptions) -> None:
        check_writable(path)
        self.path = path
        self.address = str(path.resolve())
        self._shown = mask_credentials(str(path))
        self._tmp = partial_path(path)
        try:
            self._container = av.open(str(self._tmp), "w")
            self._video = H264Stream(self._container, info, options)
        except (av.FFmpegError, OSError) as e:
            self._tmp.unlink(missing_ok=True)
            raise SinkError(f"cannot write {self._shown}: {e}") from e
        # audio, subtitle and data packets copied from the input
        self._audio: Copy | None = open_copy(info, self._container, None, options.copy_audio, tracks=True)
        self.frames = 0
        self._frame_s = 1.0 / info.fps if info.fps > 0 else 0.0
        self._end_s = 0.0

    def write(self, frame: Frame, rgb: np.ndarray) -> None:
        try:
            packets = self._video.encode(frame, rgb)
            if self._audio is not None:
                self._audio.follow(frame)
                self._audio.mux_until(self._video.last_s + AUDIO_LEAD_S)
            for packet in packets:
                self._container.mux(packet)
        except (av.FFmpegError, OSError) as e:
            raise SinkError(f"writing {self._shown} failed: {e}") from e
        self.frames += 1
        self._end_s = self._video.last_s + self._frame_s

    def close(self, complete: bool = True) -> None:
        """Flush the encoder, finish the file and move it to its final name.

        With ``complete=False`` (an interrupted job) the frames written so far still make a
        playable file; with no frame written there is nothing to keep and no file is left.
        """
        try:
            for packet in self._video.flush():
                self._container.mux(packet)
            if self._audio is not None:
                self._audio.mux_until(self._end_s)
                self._audio.close()
            self._container.close()
        except (av.FFmpegError, OSError) as e:
            raise SinkError(f"finishing {self._shown} failed: {e}") from e
        if self.frames == 0:
            self._tmp.unlink(missing_ok=True)
            return
        os.replace(self._tmp, self.path)
        if not complete:
            log.warning("interrupted: %s holds the %s done so far", self._shown, count(self.frames, "frame"))


def check_address(address: str, inputs: InputFiles) -> bool:
    """Refuse a file that is one of the input's files, or whose temporary ``NAME.partial.SUFFIX``
    is; whether the file exists already (it is replaced when the job is done)."""
    path = Path(address)
    check_not_input(path, (partial_path(path),), inputs)
    return overwrites(path)


def open_address(address: str, info: StreamInfo, options: SinkOptions) -> VideoFileSink:
    if info.kind.still:
        raise ConfigError("images in, video out is not supported: give an image file or a folder as output")
    return VideoFileSink(Path(address), info, options)
