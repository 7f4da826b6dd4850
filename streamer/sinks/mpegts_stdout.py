"""MPEG-TS with H.264 on stdout (``-o -`` or ``-o pipe:``), for go2rtc's ``exec:`` source and ``ffmpeg -i -``.

The stream is live (the job's config makes every publishing output live): zero-latency H.264 with
a keyframe every second (:func:`streamer.codecs.live_options`), each packet flushed to the pipe as
it is muxed, the audio of the input file or of the live camera copied where it has one
(:mod:`streamer.sinks.stream_copy`).

Nothing but MPEG-TS may reach stdout. The sink takes file descriptor 1 for itself when it opens:
the muxer writes to a private duplicate of it, and fd 1 itself (``sys.stdout``, and any library
that prints) is pointed at stderr from then on. Logging and the progress bar use stderr anyway.

When the program reading the pipe goes away (``| head``, go2rtc stopping the source), the job
ends with one line: there is no one left to publish to.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING

import av
import numpy as np

from streamer.errors import ConfigError, SinkError
from streamer.frame import Frame, InputFiles, StreamInfo
from streamer.sinks.h264 import H264Stream
from streamer.sinks.stream_copy import AUDIO_LEAD_S, LIVE_MUX_OPTIONS, Copy, open_copy

if TYPE_CHECKING:
    from streamer.sinks import SinkOptions

log = logging.getLogger(__name__)

STDOUT_ADDRESSES = ("-", "pipe:", "pipe:1")
# Audio codecs an MPEG-TS stream carries (copied as they are; others are left out, with a warning).
TS_AUDIO_CODECS = frozenset({"aac", "mp3", "mp2", "ac3", "eac3", "opus"})


def check_form(address: str) -> None:
    """Only stdout, and only into a pipe or a file: MPEG-TS on a terminal is garbage on the screen."""
    if address not in STDOUT_ADDRESSES:
        raise ConfigError(f"output {address!r}: only stdout is supported as a pipe; use - (or pipe:1)")
    if sys.stdout.isatty():
        raise ConfigError("-o - writes MPEG-TS video to stdout, which is a terminal here: pipe it into a program "
                          "(streamer enhance ... -o - | ffplay -) or give a file")


def claim_stdout() -> int:
    """Take fd 1 for the stream: returns a private duplicate of it and points fd 1 at stderr, so that
    nothing printed from now on (by Python or by a C library) can reach the stream."""
    sys.stdout.flush()
    fd = os.dup(1)
    os.dup2(2, 1)
    return fd


class MpegTsSink:
    """MPEG-TS (H.264, plus the input's audio where it has one) written to file descriptor ``fd``."""

    def __init__(self, fd: int, address: str, info: StreamInfo, options: SinkOptions) -> None:
        self.address = address
        try:
            # flush_packets: every packet goes to the pipe as it is muxed, not when a 32 KiB buffer fills.
            self._container = av.open(f"pipe:{fd}", "w", format="mpegts",
                                      container_options={"flush_packets": "1", **LIVE_MUX_OPTIONS})
            self._video = H264Stream(self._container, info, options, publish=True)
        except (av.FFmpegError, OSError) as e:
            raise SinkError(f"cannot write MPEG-TS to stdout: {e}") from e
        self._audio: Copy | None = open_copy(info, self._container, TS_AUDIO_CODECS, options.copy_audio)
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
        except BrokenPipeError as e:
            raise SinkError("the program reading stdout closed it: nothing left to publish to") from e
        except (av.FFmpegError, OSError) as e:
            raise SinkError(f"writing MPEG-TS to stdout failed: {e}") from e
        self.frames += 1
        self._end_s = self._video.last_s + self._frame_s

    def close(self, complete: bool = True) -> None:
        """Flush the encoder and end the stream; a reader that is already gone is not an error here."""
        try:
            for packet in self._video.flush():
                self._container.mux(packet)
            if self._audio is not None:
                self._audio.mux_until(self._end_s)
            self._container.close()
        except BrokenPipeError:
            log.debug("stdout was closed before the end of the stream")
        except (av.FFmpegError, OSError) as e:
            raise SinkError(f"finishing the MPEG-TS stream on stdout failed: {e}") from e
        finally:
            if self._audio is not None:
                self._audio.close()


def open_address(address: str, info: StreamInfo, options: SinkOptions) -> MpegTsSink:
    if info.kind.still:
        raise ConfigError("images in, video out is not supported: give an image file or a folder as output")
    check_form(address)
    return MpegTsSink(claim_stdout(), address, info, options)


def check_address(address: str, inputs: InputFiles) -> bool:
    """A stream is no file: it cannot be the input, and it overwrites nothing."""
    check_form(address)
    return False
