"""H.264 video files through PyAV: every frame with its own timestamp, audio, subtitles and data copied.

The file is written under a temporary name beside the output (``NAME.partial.SUFFIX``) and
renamed when closed, so a killed job never leaves a broken file under the final name; a job
that is interrupted but closes normally still gets a playable file of what was done.

Audio is copied packet by packet, without re-encoding, from the input file: a second demuxer
reads it and its packets are interleaved by time with the video as frames are written; audio
past the last written frame is cut. Subtitle and data streams (a dashcam's GPS track) are copied
the same way when the output container can hold them; those it cannot are named in a warning.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from streamer.codecs import encoder_options
from streamer.errors import SinkError
from streamer.frame import Frame, StreamInfo

log = logging.getLogger(__name__)

# How far ahead of the current video time audio packets are muxed (seconds).
AUDIO_LEAD_S = 0.5


def partial_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.partial{path.suffix}")


class _StreamCopy:
    """Copies ``streams`` of ``source`` (audio, subtitles, data) into ``container`` as time advances."""

    def __init__(self, source: av.container.InputContainer, container: av.container.OutputContainer,
                 streams: list[av.stream.Stream]) -> None:
        self._input = source
        self._streams = {s.index: container.add_stream_from_template(s) for s in streams}
        self._packets: Iterator[av.Packet] = self._input.demux(*streams)
        self._held: av.Packet | None = None
        self._container = container
        self.packets = 0

    def mux_until(self, t_s: float) -> None:
        """Mux every copied packet that starts before ``t_s`` seconds."""
        while True:
            packet = self._held or self._next()
            self._held = None
            if packet is None:
                return
            if float(packet.pts * packet.time_base) >= t_s:
                self._held = packet
                return
            packet.stream = self._streams[packet.stream.index]
            self._container.mux(packet)
            self.packets += 1

    def _next(self) -> av.Packet | None:
        for packet in self._packets:
            if packet.pts is not None and packet.size:
                return packet
        return None

    def close(self) -> None:
        self._input.close()


def _yuv420p(rgb: np.ndarray) -> av.VideoFrame:
    """(H, W, 3) uint8 RGB, H and W even -> a yuv420p frame (BT.601, limited range, as swscale's default).

    OpenCV's converter took 0.9 ms against swscale's 7 ms (rgb24 -> yuv420p, 720p, 2-core development
    machine); luma matches swscale within one level, chroma differs only in how 2x2 blocks are
    averaged (0.07 levels on average). ``from_numpy_buffer`` wraps the planes without a copy.
    """
    i420 = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2YUV_I420)
    return av.VideoFrame.from_numpy_buffer(i420, format="yuv420p")


class VideoFileSink:
    """libx264 / yuv420p at ``options.crf`` and ``options.preset``, timestamps from the source."""

    def __init__(self, path: Path, info: StreamInfo, options) -> None:
        from streamer.sinks import check_writable

        check_writable(path)
        self.path = path
        self._tmp = partial_path(path)
        # yuv420p needs even sizes: an odd last row or column is dropped.
        self._w, self._h = info.width - info.width % 2, info.height - info.height % 2
        if (self._w, self._h) != (info.width, info.height):
            log.warning("odd frame size %dx%d: encoding %dx%d", info.width, info.height, self._w, self._h)
        self._time_base = info.time_base
        try:
            self._container = av.open(str(self._tmp), "w")
            rate = Fraction(info.fps).limit_denominator(1001) if info.fps > 0 else Fraction(30)
            stream = self._container.add_stream(options.encoder, rate=rate)
            stream.width, stream.height, stream.pix_fmt = self._w, self._h, "yuv420p"
            stream.codec_context.time_base = info.time_base
            stream.options = encoder_options(options.encoder, options.crf, options.preset)
            # PyAV's default (slice threads only) makes x264 use sliced threads; "AUTO" lets it use
            # frame threads like the ffmpeg command line. Slices stay for live: no frame delay.
            stream.codec_context.thread_type = "SLICE" if options.low_latency else "AUTO"
        except (av.FFmpegError, OSError) as e:
            self._tmp.unlink(missing_ok=True)
            raise SinkError(f"cannot write {path}: {e}") from e
        self._stream = stream
        self._audio: _StreamCopy | None = None  # audio, subtitle and data packets copied from the input
        if info.media_path is not None:
            self._audio = self._open_audio(info.media_path, options.copy_audio)
        self.frames = 0
        self._last_pts: int | None = None
        self._frame_s = 1.0 / info.fps if info.fps > 0 else 0.0
        self._end_s = 0.0
        self._scaled_from: tuple[int, int] | None = None

    def _open_audio(self, media: Path, copy_audio: bool) -> _StreamCopy | None:
        try:
            source = av.open(str(media))
            streams = [source.streams.audio[0]] if copy_audio and source.streams.audio else []
            fmt = self._container.format.name.split(",")[0]
            for s in source.streams:
                if s.type in ("subtitle", "data"):
                    if _fits(media, s.index, fmt):
                        streams.append(s)
                    else:
                        log.warning("%s stream %d (%s) of %s is not copied: %s files cannot hold it",
                                    s.type, s.index, getattr(s.codec_context, "name", None) or "unknown codec", media, fmt)
            if not streams:
                source.close()
                return None
            return _StreamCopy(source, self._container, streams)
        except (av.FFmpegError, ValueError) as e:
            log.warning("audio of %s is not copied: %s", media, e)
            return None

    def write(self, frame: Frame, rgb: np.ndarray) -> None:
        pts = frame.pts if frame.pts is not None else round(frame.pts_s / self._time_base)
        if self._last_pts is not None and pts <= self._last_pts:
            log.warning("frame %d repeats timestamp %s: shifted by one tick", frame.index, pts)
            pts = self._last_pts + 1
        self._last_pts = pts
        if rgb.shape[0] != self._h or rgb.shape[1] != self._w:
            rgb = self._fit(rgb)
        vf = _yuv420p(rgb)
        vf.pts = pts
        vf.time_base = self._time_base
        t_s = float(pts * self._time_base)
        try:
            if self._audio is not None:
                self._audio.mux_until(t_s + AUDIO_LEAD_S)
            for packet in self._stream.encode(vf):
                self._container.mux(packet)
        except (av.FFmpegError, OSError) as e:
            raise SinkError(f"writing {self.path} failed: {e}") from e
        self.frames += 1
        self._end_s = t_s + self._frame_s

    def _fit(self, rgb: np.ndarray) -> np.ndarray:
        """The file's frame size: drop an odd last row/column, scale a frame of another size.

        A live camera may come back from an outage at another resolution; the file keeps its own.
        """
        h, w = rgb.shape[:2]
        if h - self._h in (0, 1) and w - self._w in (0, 1):
            return np.ascontiguousarray(rgb[: self._h, : self._w])
        if (h, w) != self._scaled_from:
            log.warning("frames are now %dx%d: scaled to the file's %dx%d", w, h, self._w, self._h)
            self._scaled_from = (h, w)
        scaled = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24").reformat(
            width=self._w, height=self._h)
        return scaled.to_ndarray(format="rgb24")

    def close(self, complete: bool = True) -> None:
        """Flush the encoder, finish the file and move it to its final name.

        With ``complete=False`` (an interrupted job) the frames written so far still make a
        playable file; with no frame written there is nothing to keep and no file is left.
        """
        try:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
            if self._audio is not None:
                self._audio.mux_until(self._end_s)
                self._audio.close()
            self._container.close()
        except (av.FFmpegError, OSError) as e:
            raise SinkError(f"finishing {self.path} failed: {e}") from e
        if self.frames == 0:
            self._tmp.unlink(missing_ok=True)
            return
        os.replace(self._tmp, self.path)
        if not complete:
            log.warning("interrupted: %s holds the %d frames done so far", self.path, self.frames)


def _fits(media: Path, index: int, fmt: str) -> bool:
    """Whether a ``fmt`` file can hold a copy of stream ``index`` of ``media``.

    Tried for real on a throwaway in-memory file: header, one packet and trailer, since some
    muxers accept a stream's header and refuse it only when the file is finished.
    """
    with av.open(str(media)) as source:
        stream = source.streams[index]
        probe = av.open(io.BytesIO(), "w", format=fmt)
        try:
            out = probe.add_stream_from_template(stream)
            for packet in source.demux(stream):
                if packet.pts is not None and packet.size:
                    packet.stream = out
                    probe.mux(packet)
                    break
            probe.close()
            return True
        except (av.FFmpegError, ValueError, TypeError, NotImplementedError):
            return False
