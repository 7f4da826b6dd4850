"""A live camera's audio: demuxed from the same connection as its video, handed to the sink as it comes.

The network source (:mod:`streamer.sources.network`) reads the camera's audio packets alongside its
video, from the same PyAV container (no second connection to the camera), and puts them here; the
sink takes them, stream-copied (no decoding, no re-encoding), as the enhanced video advances
(:class:`streamer.sinks.stream_copy.LiveAudioCopy`). One feed lasts for the whole job: every
connection a reconnecting source opens (:mod:`streamer.sources.reconnect`) feeds the same one.

Timing. Live video frames are stamped with when they arrived (the capture clock,
``time.monotonic_ns``). Audio is stamped the same way, but without the arrival jitter, which would
tear audio apart: a packet's capture time is its own stream time plus an offset, the smallest
``arrival - stream time`` seen on this connection (a packet can arrive late, never early). The
packets FFmpeg buffered while probing the stream arrive in one burst at the start and pull the
offset down to the latest of them; a packet later than the offset by more than
:data:`REANCHOR_S` (the stream stalled, or the camera's clock fell behind ours) moves it up: the
audio then has a gap, as the video has. A reconnect starts a new offset, so the outage is a gap in
the audio too. The sink maps capture times to the output's clock with the video's own origin and
drops packets that would overlap the one before (the collapsed start-up burst).

Audio is forwarded for the whole capture time, whether or not the video frames of that time were
dropped to keep up: its timeline is the video's, so dropped frames do not move it out of sync.

The feed is bounded (:data:`MAX_PACKETS`, oldest dropped) and keeps nothing until a sink takes the
audio (:meth:`AudioFeed.start`), so ``--no-audio`` costs only the demuxing.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass
from fractions import Fraction

import av

log = logging.getLogger(__name__)

# A packet this much later than the offset says re-anchors it (seconds).
REANCHOR_S = 0.5
# At most this many packets wait for the sink (at least 10 s of AAC, Opus or G.711).
MAX_PACKETS = 512


@dataclass(frozen=True)
class AudioPacket:
    """One audio packet as it came: its bytes, ``pts``/``duration`` in ``time_base`` units, and
    ``offset_ns``: the capture time (``time.monotonic_ns``) of stream time 0 on its timeline."""

    data: bytes
    pts: int
    duration: int
    time_base: Fraction
    offset_ns: int

    @property
    def start_ns(self) -> int:
        return self.offset_ns + round(self.pts * self.time_base * 1_000_000_000)


def _signature(stream: av.AudioStream) -> tuple:
    ctx = stream.codec_context
    return ctx.name, ctx.sample_rate, ctx.channels, bytes(ctx.extradata or b"")


class AudioFeed:
    """The audio of one camera for one job (see the module docstring); thread-safe: the source's
    reader thread puts, the sink's writer thread takes.

    ``template``: a stream with the audio's codec parameters, for the sink to add its own from
    (kept in a container of FFmpeg's ``null`` muxer, which writes nothing, so it outlives the
    connection it was copied from). ``codec``: the codec's FFmpeg name (``aac``, ``pcm_alaw``, ...).
    """

    def __init__(self, description: str) -> None:
        self.description = description
        self.template: av.AudioStream | None = None
        self.codec: str | None = None
        self._signature: tuple | None = None
        self._holder: av.container.OutputContainer | None = None
        self._lock = threading.Lock()
        self._packets: deque[AudioPacket] = deque(maxlen=MAX_PACKETS)
        self._taken = False
        self._carried = True
        self._offset_ns: int | None = None
        self.dropped = 0  # packets the sink did not take in time

    def connect(self, stream: av.AudioStream | None) -> bool:
        """A new connection to the camera, whose audio stream is ``stream`` (``None``: it sends none).
        The first connection with audio decides what the feed carries; a later one whose audio
        differs (another codec or sample rate) is not carried, said once. Whether to put its packets."""
        with self._lock:
            self._offset_ns = None
            if stream is None or not self._carried:
                return False
            if self.template is None:
                try:
                    self._holder = av.open("null", "w", format="null")
                    self.template = self._holder.add_stream_from_template(stream)
                except (av.FFmpegError, ValueError) as e:
                    log.warning("audio of %s is not carried: %s", self.description, e)
                    self._carried = False
                    return False
                self.codec = stream.codec_context.name
                self._signature = _signature(stream)
                return True
            if _signature(stream) != self._signature:
                ctx = stream.codec_context
                log.warning("%s came back with other audio (%s, %d Hz; was %s): its audio is not carried any more",
                            self.description, ctx.name, ctx.sample_rate, self.codec)
                self._carried = False
                self._packets.clear()
                return False
            return True

    def put(self, packet: av.Packet, arrival_ns: int) -> None:
        """A packet of the current connection's audio stream, read at ``arrival_ns`` (``time.monotonic_ns``)."""
        if packet.pts is None or not packet.size:
            return
        with self._lock:
            if not self._taken or not self._carried:
                return
            tb = packet.time_base
            offset = arrival_ns - round(packet.pts * tb * 1_000_000_000)
            if self._offset_ns is None or offset < self._offset_ns or offset > self._offset_ns + REANCHOR_S * 1e9:
                self._offset_ns = offset
            if len(self._packets) == self._packets.maxlen:
                self.dropped += 1
            self._packets.append(AudioPacket(bytes(packet), packet.pts, packet.duration or 0, tb, self._offset_ns))

    def start(self) -> None:
        """A sink takes the audio: keep packets from now on."""
        with self._lock:
            self._taken = True

    def take_until(self, limit_ns: int) -> list[AudioPacket]:
        """The waiting packets that start before capture time ``limit_ns``, oldest first."""
        out = []
        with self._lock:
            while self._packets and self._packets[0].start_ns < limit_ns:
                out.append(self._packets.popleft())
        return out
