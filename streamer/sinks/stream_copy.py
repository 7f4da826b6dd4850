"""Streams copied packet by packet, without re-encoding, into an output beside the enhanced video.

What is copied is decided here, once, for every sink that writes video (:func:`open_copy`), from
what the source says it has (:class:`~streamer.frame.StreamInfo`):

- a file input (``info.media_path``): its audio (and, for video files, its subtitle and data
  tracks) is read by a second demuxer of the same file, :class:`StreamCopy`;
- a live camera (``info.audio``): its audio packets, demuxed with its video by the source, are
  taken from the job's :class:`~streamer.sources.audio_feed.AudioFeed`, :class:`LiveAudioCopy`.

Both are muxed, interleaved by time, as the enhanced video advances (``mux_until``), into streams
added to the output from the input's own (codec, time base, parameters). A codec the output
cannot carry (``codecs``, or what the container's muxer accepts) is left out with one warning.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import av

from streamer.frame import Frame, StreamInfo

if TYPE_CHECKING:
    from streamer.sources.audio_feed import AudioFeed

log = logging.getLogger(__name__)

# How far ahead of the current video time copied packets are muxed (seconds).
AUDIO_LEAD_S = 0.5
# Outputs watched as they come: FFmpeg's interleaver holds a packet back until every stream has one
# at least as late, by default up to 10 s; a camera whose audio stops must not hold the video that long.
LIVE_MUX_OPTIONS = {"max_interleave_delta": "500000"}  # microseconds


class Copy(Protocol):
    """What a sink does with the streams copied beside its video: ``follow`` each frame it writes,
    ``mux_until`` the video's time, ``attach`` to a new output (a publisher that reconnected) and
    ``skip_until`` what that output missed, ``close`` at the end."""

    packets: int

    def follow(self, frame: Frame) -> None: ...

    def attach(self, container: av.container.OutputContainer) -> None: ...

    def mux_until(self, t_s: float) -> None: ...

    def skip_until(self, t_s: float) -> None: ...

    def close(self) -> None: ...


class StreamCopy:
    """Copies ``streams`` of ``source`` (audio, subtitles, data) into ``container`` as time advances.

    ``attach`` moves the copy to another output (a publisher that reconnected) and ``skip_until``
    drops what an output missed while it was down, so a copy never bursts out a backlog.
    """

    def __init__(self, source: av.container.InputContainer, container: av.container.OutputContainer,
                 streams: list[av.stream.Stream]) -> None:
        self._input = source
        self._templates = streams
        self._packets: Iterator[av.Packet] = self._input.demux(*streams)
        self._held: av.Packet | None = None
        self.packets = 0
        self.attach(container)

    def follow(self, frame: Frame) -> None:
        """A file's streams share its timeline with the video: nothing to learn from the frames."""

    def attach(self, container: av.container.OutputContainer) -> None:
        """Copy into ``container`` from now on (its streams are added here, before its header is written)."""
        self._container = container
        self._streams = {s.index: container.add_stream_from_template(s) for s in self._templates}

    def mux_until(self, t_s: float) -> None:
        """Mux every copied packet that starts before ``t_s`` seconds."""
        self._advance(t_s, mux=True)

    def skip_until(self, t_s: float) -> None:
        """Drop every copied packet that starts before ``t_s`` seconds."""
        self._advance(t_s, mux=False)

    def _advance(self, t_s: float, mux: bool) -> None:
        while True:
            packet = self._held or self._next()
            self._held = None
            if packet is None:
                return
            if float(packet.pts * packet.time_base) >= t_s:
                self._held = packet
                return
            if mux:
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


class LiveAudioCopy:
    """A live camera's audio (``feed``) copied into ``container`` as the video advances.

    The audio's capture times (:mod:`streamer.sources.audio_feed`) are put on the output's clock
    with the video's own origin, learnt from the first frame written (live frames are stamped
    ``pts_s = (captured_ns - origin) / 1e9``, whoever restamped them): audio and video share the
    capture clock, so they stay in sync across dropped frames and outages. Audio from before the
    first frame is left out; a packet that would overlap the one before by more than half its
    length is dropped (the burst FFmpeg buffered while probing, a step of the camera's clock), a
    smaller overlap is shifted to the previous packet's end.
    """

    def __init__(self, feed: AudioFeed, container: av.container.OutputContainer) -> None:
        self._feed = feed
        self._origin_ns: int | None = None
        self._start_s = Fraction(0)
        self._end_s: Fraction | None = None  # where the last packet muxed (or skipped) ends
        self.packets = 0
        self.attach(container)  # raises ValueError when the container cannot carry the codec
        feed.start()

    def follow(self, frame: Frame) -> None:
        if self._origin_ns is None:
            self._origin_ns = frame.captured_ns - round(frame.pts_s * 1e9)
            self._start_s = Fraction(frame.pts_s)

    def attach(self, container: av.container.OutputContainer) -> None:
        assert self._feed.template is not None
        self._container = container
        self._stream = container.add_stream_from_template(self._feed.template)

    def mux_until(self, t_s: float) -> None:
        """Mux the audio captured before ``t_s`` seconds (output clock)."""
        self._advance(t_s, mux=True)

    def skip_until(self, t_s: float) -> None:
        """Drop the audio captured before ``t_s`` seconds."""
        self._advance(t_s, mux=False)

    def _advance(self, t_s: float, mux: bool) -> None:
        if self._origin_ns is None:
            return  # no frame yet: the audio waits in the feed
        for p in self._feed.take_until(self._origin_ns + round(t_s * 1e9)):
            tb = p.time_base
            pts = p.pts + round(Fraction(p.offset_ns - self._origin_ns, 1_000_000_000) / tb)
            length = p.duration * tb
            if pts * tb < self._start_s:
                continue
            if self._end_s is not None and pts * tb < self._end_s:
                if self._end_s - pts * tb > length / 2:
                    continue
                pts = math.ceil(self._end_s / tb)
            self._end_s = pts * tb + length
            if not mux:
                continue
            packet = av.Packet(p.data)
            packet.pts = packet.dts = pts
            packet.duration = p.duration
            packet.time_base = tb
            packet.stream = self._stream
            self._container.mux(packet)
            self.packets += 1

    def close(self) -> None:
        if self._feed.dropped:
            log.warning("audio of %s: %d packets were dropped because the output fell behind",
                        self._feed.description, self._feed.dropped)


def open_copy(info: StreamInfo, container: av.container.OutputContainer, codecs: frozenset[str] | None,
              copy_audio: bool, tracks: bool = False) -> Copy | None:
    """What of the input is copied beside the video into ``container``, or ``None``: the first audio
    stream (unless ``copy_audio`` is off: ``--no-audio``) of the input file or of the live camera,
    and with ``tracks`` the input file's subtitle and data tracks that ``container`` can hold.
    ``codecs``: the audio codecs the output carries, or ``None`` for what its muxer accepts. What
    cannot be copied is said in one warning."""
    if info.media_path is not None:
        return _copy_file(info.media_path, container, codecs, copy_audio, tracks)
    if info.audio is not None and copy_audio:
        return _copy_live(info.audio, container, codecs)
    return None


def _cannot_carry(container: av.container.OutputContainer, codec: str) -> str:
    fmt = container.format.name.split(",")[0]
    hint = " (a .mov file holds G.711)" if codec in ("pcm_alaw", "pcm_mulaw") and fmt in ("mp4", "matroska") else ""
    return f"{fmt} output cannot carry {codec} audio{hint}"


def _copy_live(feed: AudioFeed, container: av.container.OutputContainer,
               codecs: frozenset[str] | None) -> LiveAudioCopy | None:
    codec = feed.codec or "unknown"
    if codecs is not None and codec not in codecs:
        log.warning("audio of %s is not carried: %s", feed.description, _cannot_carry(container, codec))
        return None
    try:
        return LiveAudioCopy(feed, container)
    except ValueError:
        log.warning("audio of %s is not carried: %s", feed.description, _cannot_carry(container, codec))
        return None


def _copy_file(media: Path, container: av.container.OutputContainer, codecs: frozenset[str] | None,
               copy_audio: bool, tracks: bool) -> StreamCopy | None:
    try:
        source = av.open(str(media))
    except (av.FFmpegError, OSError) as e:
        log.warning("audio of %s is not copied: %s", media, e)
        return None
    try:
        streams = []
        if copy_audio and source.streams.audio:
            codec = source.streams.audio[0].codec_context.name
            if codecs is None or codec in codecs:
                streams.append(source.streams.audio[0])
            else:
                log.warning("audio of %s is not copied: %s streams cannot carry %s audio", media,
                            container.format.name, codec)
        fmt = container.format.name.split(",")[0]
        for s in source.streams if tracks else ():
            if s.type in ("subtitle", "data"):
                if _fits(media, s.index, fmt):
                    streams.append(s)
                else:
                    log.warning("%s stream %d (%s) of %s is not copied: %s files cannot hold it",
                                s.type, s.index, getattr(s.codec_context, "name", None) or "unknown codec", media, fmt)
        if not streams:
            source.close()
            return None
        return StreamCopy(source, container, streams)
    except (av.FFmpegError, ValueError) as e:
        source.close()
        log.warning("audio of %s is not copied: %s", media, e)
        return None


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
