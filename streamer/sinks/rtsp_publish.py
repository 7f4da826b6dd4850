"""Publish the enhanced stream to an RTSP server (MediaMTX, go2rtc, an NVR) as ``ffmpeg -f rtsp`` does.

The server is told about the stream (ANNOUNCE, with the H.264 parameters in its SDP) and the
stream is sent on the same TCP connection (SETUP with interleaved TCP transport, then RECORD), so
it passes firewalls and NAT the way the RTSP connection does. H.264 at the source's size and
frame rate, zero latency with a keyframe every second (:func:`streamer.codecs.live_options`); the
audio of the input file or of the live camera is copied where it has one
(:mod:`streamer.sinks.stream_copy`).

A server that cannot be reached when the job starts is an error (one line, exit 4): a typo in
the URL must not look like a server that is down. A server that goes away later (it restarts, the
network drops) is an outage: frames are dropped while it lasts (the stream is live; the capture
side does not wait), and the sink connects again with the sources' :class:`ReconnectPolicy`
(TCP probes of the server's port, full reconnects spaced by backoff; see
:mod:`streamer.sources.reconnect`). Each connection starts with a keyframe. An outage is logged
once when it starts and once when the stream is back, and summed up when the sink closes, with
the password in the URL masked.

FFmpeg's RTSP muxer notices a server that went away when it closes the connection (the next
packet fails with a broken pipe). A server that hangs with the connection open is not noticed.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import av
import numpy as np

from streamer.errors import ConfigError, SinkError
from streamer.frame import Frame, InputFiles, StreamInfo
from streamer.sinks.h264 import H264Stream
from streamer.sinks.stream_copy import AUDIO_LEAD_S, LIVE_MUX_OPTIONS, Copy, open_copy
from streamer.sources.reconnect import Outage, Retry, how_retried, tcp_probe, tries
from streamer.urls import mask_credentials, tcp_address

if TYPE_CHECKING:
    from streamer.sinks import SinkOptions

log = logging.getLogger(__name__)

# Audio codecs RTP carries (copied as they are; others are left out, with a warning).
RTP_AUDIO_CODECS = frozenset({"aac", "opus", "mp3", "mp2", "ac3", "pcm_mulaw", "pcm_alaw", "g722"})


def check_form(address: str) -> None:
    """``rtsp://[USER:PASSWORD@]HOST[:PORT]/PATH``: a host, a numeric port if any, and a path to publish to
    (the login, when given, is sent if the server asks for one)."""
    shown = mask_credentials(address)
    form = "rtsp://HOST:PORT/PATH, such as rtsp://127.0.0.1:8554/night_cam"
    try:
        parts = urlsplit(address)
        port = parts.port
    except ValueError:
        raise ConfigError(f"output {shown}: the port must be a number from 1 to 65535 ({form})") from None
    if not parts.hostname:
        raise ConfigError(f"output {shown}: no host to publish to ({form})")
    if port == 0:
        raise ConfigError(f"output {shown}: the port must be a number from 1 to 65535 ({form})")
    if parts.path in ("", "/"):
        raise ConfigError(f"output {shown}: no path to publish to ({form})")


def _reason(e: BaseException) -> str:
    return mask_credentials(getattr(e, "strerror", None) or str(e) or type(e).__name__)


class RtspPublishSink:
    """The stream published at ``url`` (see the module docstring); raises :class:`SinkError` when the
    server cannot be reached or refuses the stream at start."""

    def __init__(self, url: str, info: StreamInfo, options: SinkOptions) -> None:
        self.address = url
        self._shown = mask_credentials(url)
        self._info = info
        self._options = options
        address = tcp_address(url)
        self._probe = tcp_probe(*address, options.reconnect.probe_timeout_s) if address else None
        self._audio: Copy | None = None
        self._container: av.container.OutputContainer | None = None
        self._video: H264Stream | None = None
        self.frames = 0
        self.dropped = 0  # frames that came while the server was away
        self.outages: list[Outage] = []
        self._retry: Retry | None = None  # during an outage
        self._lost_ns = 0
        self._lost_at_s = 0.0
        self._lost_reason = ""
        self._dropped_at_loss = 0
        self._last_s = 0.0
        self._connect(first=True)

    # -- connecting -------------------------------------------------------------------------
    def _connect(self, first: bool) -> None:
        """Open a connection (ANNOUNCE, SETUP, RECORD) with a new encoder, so it starts with a keyframe."""
        timeout = self._options.open_timeout_s
        container = None
        started = time.monotonic()
        try:
            # timeout: the muxer's own socket timeout (us); PyAV's open timeout does not cover the handshake.
            container = av.open(self.address, "w", format="rtsp",
                                options={"rtsp_transport": "tcp", "timeout": str(round(timeout * 1e6))},
                                container_options=LIVE_MUX_OPTIONS)
            video = H264Stream(container, self._info, self._options, publish=True)
            if first:
                self._audio = open_copy(self._info, container, RTP_AUDIO_CODECS, self._options.copy_audio)
            elif self._audio is not None:
                self._audio.attach(container)
            container.start_encoding()  # connects: the server accepts the stream or says why not
        except (av.FFmpegError, OSError) as e:
            if container is not None:
                _close_quietly(container)
            if first and self._audio is not None:
                self._audio.close()
                self._audio = None
            waited = time.monotonic() - started
            reason = f"no answer within {timeout:g} s" if waited >= 0.9 * timeout else _reason(e)
            raise SinkError(f"cannot publish to {self._shown}: {reason} (is the RTSP server up, and the URL "
                            "right?)") from e
        self._container, self._video = container, video

    def _lose(self, e: BaseException) -> None:
        """The server went away: drop this connection and start an outage (or end the job without reconnects)."""
        assert self._container is not None
        _close_quietly(self._container)
        self._container = self._video = None
        reason = _reason(e)
        policy = self._options.reconnect
        if not policy.enabled:
            raise SinkError(f"publishing to {self._shown} failed: {reason}") from e
        self._retry = Retry(policy, self._probe)
        self._lost_ns = time.monotonic_ns()
        self._lost_at_s = self._last_s
        self._lost_reason = reason
        self._dropped_at_loss = self.dropped
        log.warning("publishing to %s lost at %.1f s (%s): dropping frames and reconnecting %s", self._shown,
                    self._last_s, reason, how_retried(policy, self._probe is not None))

    def _reconnect(self, frame: Frame) -> bool:
        """During an outage: connect again if the policy says it is time; ``True`` when back."""
        retry = self._retry
        assert retry is not None
        if retry.wait_s() > 0 or not retry.ready():
            return False
        try:
            self._connect(first=False)
        except SinkError as e:
            log.debug("publish reconnect attempt %d failed: %s", retry.attempts, e)
            retry.failed()
            return False
        self._end_outage(recovered=True)
        if self._audio is not None:
            self._audio.skip_until(frame.pts_s)  # what was missed is not sent in a burst
        return True

    def _end_outage(self, recovered: bool) -> None:
        retry = self._retry
        assert retry is not None
        duration = (time.monotonic_ns() - self._lost_ns) / 1e9
        self.outages.append(Outage(self._lost_at_s, duration, self._lost_reason, retry.attempts, retry.probes))
        self._retry = None
        if recovered:
            log.warning("publishing to %s is back after %.1f s (%s; %d frames dropped meanwhile)", self._shown,
                        duration, tries(retry.attempts, retry.probes), self.dropped - self._dropped_at_loss)

    # -- writing ----------------------------------------------------------------------------
    def write(self, frame: Frame, rgb: np.ndarray) -> None:
        if self._retry is not None and not self._reconnect(frame):
            self.dropped += 1
            return
        assert self._container is not None and self._video is not None
        try:
            packets = self._video.encode(frame, rgb)
            if self._audio is not None:
                self._audio.follow(frame)
                self._audio.mux_until(self._video.last_s + AUDIO_LEAD_S)
            for packet in packets:
                self._container.mux(packet)
        except (av.FFmpegError, OSError) as e:
            self._lose(e)
            self.dropped += 1
            return
        self._last_s = self._video.last_s
        self.frames += 1

    def close(self, complete: bool = True) -> None:
        """End the stream (TEARDOWN) and sum up the outages. A server that is gone by now is only logged:
        there is nothing left to save."""
        if self._container is not None and self._video is not None:
            try:
                for packet in self._video.flush():
                    self._container.mux(packet)
                self._container.close()
            except (av.FFmpegError, OSError) as e:
                log.warning("publishing to %s: the stream did not end cleanly (%s)", self._shown, _reason(e))
                _close_quietly(self._container)
            self._container = self._video = None
        if self._retry is not None:
            self._end_outage(recovered=False)
        if self._audio is not None:
            self._audio.close()
        if self.outages:
            lost = sum(o.duration_s for o in self.outages)
            log.warning("publishing to %s: %d outage%s, %.1f s without output in all, %d frames dropped",
                        self._shown, len(self.outages), "" if len(self.outages) == 1 else "s", lost, self.dropped)


def _close_quietly(container: av.container.OutputContainer) -> None:
    """Close a connection that already failed: what it says now is not news."""
    try:
        container.close()
    except (av.FFmpegError, OSError):
        pass


def open_address(address: str, info: StreamInfo, options: SinkOptions) -> RtspPublishSink:
    if info.kind.still:
        raise ConfigError("images in, video out is not supported: give an image file or a folder as output")
    return RtspPublishSink(address, info, options)


def check_address(address: str, inputs: InputFiles) -> bool:
    """A stream is no file: it cannot be the input, and it overwrites nothing."""
    check_form(address)
    return False
