"""Streams copied packet by packet, without re-encoding, from the input file into an output beside the video.

Every sink that writes video copies the input's audio (and, for files, subtitle and data tracks)
with :class:`StreamCopy`: a second demuxer reads the input file and its packets are muxed,
interleaved by time, as the enhanced video advances (``mux_until``). The copied streams are
added to the output from the input's own streams (codec, time base, parameters).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import av

log = logging.getLogger(__name__)

# How far ahead of the current video time copied packets are muxed (seconds).
AUDIO_LEAD_S = 0.5


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


def copy_audio(media: Path, container: av.container.OutputContainer, codecs: frozenset[str]) -> StreamCopy | None:
    """A copy of the first audio stream of ``media`` into ``container``, or ``None`` when it has none,
    it cannot be read or its codec is not one of ``codecs`` (what the output can carry; the last two
    said in a warning)."""
    try:
        source = av.open(str(media))
    except (av.FFmpegError, OSError) as e:
        log.warning("audio of %s is not copied: %s", media, e)
        return None
    if not source.streams.audio:
        source.close()
        return None
    codec = source.streams.audio[0].codec_context.name
    if codec not in codecs:
        source.close()
        log.warning("audio of %s is not copied: %s streams cannot carry %s audio", media, container.format.name, codec)
        return None
    try:
        return StreamCopy(source, container, [source.streams.audio[0]])
    except (av.FFmpegError, ValueError) as e:
        source.close()
        log.warning("audio of %s is not copied: %s", media, e)
        return None
