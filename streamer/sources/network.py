"""RTSP / HTTP / other network streams through PyAV, timestamped by the capture clock.

The camera's audio, where it sends some, is demuxed from the same connection and put into the
job's :class:`~streamer.sources.audio_feed.AudioFeed` as it comes (one feed for every connection a
reconnect opens); ``info.audio`` hands that feed to the sink.
"""

from __future__ import annotations

import time
from collections import deque
from fractions import Fraction
from typing import TYPE_CHECKING

import av

from streamer.errors import SourceError
from streamer.frame import Frame, StreamInfo
from streamer.sources.audio_feed import AudioFeed
from streamer.sources.kind import SourceKind
from streamer.sources.reconnect import ReconnectingSource, tcp_probe
from streamer.urls import mask_credentials, tcp_address

if TYPE_CHECKING:
    from streamer.sources import SourceOptions

# Decoder in low-delay mode. Not ``fflags=nobuffer``: with it, PyAV decodes no frame at all from a
# live MPEG-TS stream (the packets read while probing are thrown away); tests/streamer/test_live.py.
_LOW_DELAY = {"flags": "low_delay"}


def _options(url: str, known: bool) -> dict[str, str]:
    opts = dict(_LOW_DELAY)
    if url.lower().startswith(("rtsp://", "rtsps://")):
        opts["rtsp_transport"] = "tcp"
    if known:
        # Reopened after an outage: the frame rate is known from the first open, so FFmpeg need not
        # read 20 frames to estimate it (0.7 s at 30 fps); it still waits for the codec's parameters.
        opts["fpsprobesize"] = "0"
    return opts


class NetworkSource:
    """A live network stream; ``read()`` returns ``None`` when the stream ends.

    ``open_timeout_s`` bounds connecting and probing, ``read_timeout_s`` each read; a server
    that never answers fails within the open timeout with one line naming the (masked) URL.
    After the stream ends, ``end_reason`` says why (masked), for the reconnect log. ``finite`` is
    true for a stream with a known duration (a file served over HTTP): its end is not an outage.

    One connection only: :class:`~streamer.sources.reconnect.ReconnectingSource` reopens it, with
    ``known=True`` (the stream was opened before: its frame rate is not probed again, and ``info.fps``
    is then only FFmpeg's guess). ``audio``: the job's feed for the camera's audio, which this
    connection's first audio stream (if any) is demuxed into.
    """

    def __init__(self, url: str, open_timeout_s: float, read_timeout_s: float, known: bool = False,
                 audio: AudioFeed | None = None) -> None:
        self.url = url
        shown = mask_credentials(url)
        try:
            self._container = av.open(url, options=_options(url, known), timeout=(open_timeout_s, read_timeout_s))
        except (av.FFmpegError, OSError) as e:
            reason = mask_credentials(getattr(e, "strerror", None) or str(e) or type(e).__name__)
            raise SourceError(
                f"cannot open stream {shown}: {reason} (is the camera or server up, and the URL right?)"
            ) from e
        if not self._container.streams.video:
            self._container.close()
            raise SourceError(f"stream {shown} has no video")
        stream = self._container.streams.video[0]
        sound = self._container.streams.audio[0] if audio is not None and self._container.streams.audio else None
        self._audio = audio if audio is not None and audio.connect(sound) else None
        self._packets = self._container.demux(stream, *([sound] if self._audio is not None else []))
        self._decoded: deque[av.VideoFrame] = deque()
        rate = stream.average_rate or stream.guessed_rate or Fraction(30)
        self.info = StreamInfo(
            kind=SourceKind.URL,
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            fps=float(rate),
            time_base=Fraction(1, 1_000_000),
            live=True,
            description=shown,
            audio=audio if audio is not None and audio.template is not None else None,
        )
        self.finite = self._container.duration is not None
        self.end_reason: str | None = None
        self._start_ns: int | None = None
        self._read_timeout_s = read_timeout_s
        self._last_ns = time.monotonic_ns()
        self._index = 0

    def _next_frame(self) -> av.VideoFrame:
        """The next decoded video frame; audio packets read on the way go to the feed. Raises
        ``StopIteration`` at the end of the stream, ``av.FFmpegError``/``OSError`` when it fails."""
        while not self._decoded:
            packet = next(self._packets)
            if packet.stream.type == "audio":
                if self._audio is not None:
                    self._audio.put(packet, time.monotonic_ns())
                continue
            self._decoded.extend(packet.decode())
        return self._decoded.popleft()

    def read(self) -> Frame | None:
        try:
            frame = self._next_frame()
        except StopIteration:
            if self._index == 0:
                raise SourceError(f"stream {self.info.description} ended before sending a frame") from None
            self.end_reason = "the stream ended"
            return None
        except (av.FFmpegError, OSError) as e:
            if self._index == 0:
                raise SourceError(f"stream {self.info.description} sent no decodable video: {mask_credentials(str(e))}") from e
            stalled_s = (time.monotonic_ns() - self._last_ns) / 1e9
            self.end_reason = (f"no data for {stalled_s:.1f} s: read timeout" if stalled_s >= 0.9 * self._read_timeout_s
                               else mask_credentials(getattr(e, "strerror", None) or str(e) or type(e).__name__))
            return None
        now = time.monotonic_ns()
        stalled_s = (now - self._last_ns) / 1e9
        if self._index > 0 and stalled_s >= self._read_timeout_s:
            # After a read timeout FFmpeg first hands out the frame its parser still held and only
            # reports the error on the next read, one more timeout later: a frame this late means
            # the connection is gone, and it would carry a wrong capture time anyway.
            self.end_reason = f"no data for {stalled_s:.1f} s: read timeout"
            return None
        self._last_ns = now
        if self._start_ns is None:
            self._start_ns = now
        elapsed_us = (now - self._start_ns) // 1000
        out = Frame(
            rgb=frame.to_ndarray(format="rgb24"),
            index=self._index,
            pts_s=elapsed_us / 1e6,
            captured_ns=now,
            pts=elapsed_us,
        )
        self._index += 1
        return out

    def close(self) -> None:
        self._container.close()


def open_spec(spec: str, kind: SourceKind, options: SourceOptions) -> ReconnectingSource:
    """The stream at URL ``spec``, reopened after outages as ``options.reconnect`` says (its TCP port
    probed between reopens, where it has one)."""
    address = tcp_address(spec)
    probe = tcp_probe(*address, options.reconnect.probe_timeout_s) if address else None
    audio = AudioFeed(mask_credentials(spec))  # one for every connection: a reconnect restarts the audio in it
    return ReconnectingSource(lambda: NetworkSource(spec, options.open_timeout_s, options.read_timeout_s, audio=audio),
                              description=mask_credentials(spec), policy=options.reconnect, probe=probe,
                              reopener=lambda: NetworkSource(spec, options.open_timeout_s, options.read_timeout_s,
                                                             known=True, audio=audio))
