"""Real RTSP servers that take a published stream (ANNOUNCE, SETUP, RECORD), on loopback, for tests.

- :class:`RtspReceiver`: FFmpeg in RTSP listen mode, ``ffmpeg -rtsp_flags listen -i
  rtsp://127.0.0.1:PORT/x -c copy OUT``. It takes one connection, copies what the publisher sends
  (video and audio) into ``OUT`` without re-encoding, and exits when the publisher ends the
  session. One connection only: a TCP probe of its port would be taken for the publisher.
- :class:`RecordingServer`: Debian's gst-rtsp-server in RECORD mode, driven by the system Python
  (``/usr/bin/python3 tests/streamer/rtsp_receiver.py PORT OUT``, as ``rtsp_server.py`` serves a
  camera). It serves any number of connections, as MediaMTX or go2rtc do, and writes the H.264 of
  the stream published to ``/x`` into ``OUT`` (MPEG-TS). Killing it is a server that goes away;
  starting another on the same port is the server coming back.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

# Run as a script by the system Python, this file needs only the standard library and gi: what
# comes from the tests is imported where it is used.


def unavailable() -> str | None:
    """Why the FFmpeg receiver cannot run here, or ``None``."""
    if shutil.which("ffmpeg") is None:
        return "ffmpeg is not installed (apt-get install ffmpeg)"
    if not Path("/proc/net/tcp").exists():
        return "needs Linux /proc/net/tcp to see when the receiver listens"
    return None


def recording_unavailable() -> str | None:
    """Why the gst-rtsp-server recording server cannot run here, or ``None``."""
    from tests.streamer.rtsp_server import unavailable as gst_unavailable

    return gst_unavailable()


class _Listener:
    """A server subprocess on 127.0.0.1:``port``: started, waited for, killed."""

    def __init__(self, port: int, path: str = "/x") -> None:
        self.port = port
        self.path = path
        self._proc: subprocess.Popen | None = None

    def url(self, credentials: str = "") -> str:
        return f"rtsp://{credentials + '@' if credentials else ''}127.0.0.1:{self.port}{self.path}"

    def _run(self, args: list[str], timeout_s: float) -> None:
        from tests.streamer.rtsp_server import is_listening

        self._proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + timeout_s
        while not is_listening(self.port):
            if self._proc.poll() is not None:
                raise RuntimeError(f"the RTSP server exited: {self._proc.stderr.read()[-2000:]}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError("the RTSP server did not listen in time")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: the server goes away without a word (the kernel closes its connections)."""
        from tests.streamer.rtsp_server import is_listening

        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGKILL)
            self._proc.wait(timeout=30)
        self._proc = None
        deadline = time.monotonic() + 10
        while is_listening(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()


class RtspReceiver(_Listener):
    """One ``ffmpeg -rtsp_flags listen`` session: ``start(out)``, then ``wait()`` for the publisher to end it."""

    def start(self, out: Path, timeout_s: float = 30.0) -> None:
        """Listen; what a publisher sends is copied into ``out`` (the container follows its suffix)."""
        self._run(["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-rtsp_flags", "listen", "-i",
                   f"rtsp://127.0.0.1:{self.port}{self.path}", "-c", "copy", "-y", str(out)], timeout_s)

    def wait(self, timeout_s: float = 30.0) -> str:
        """Until the publisher has ended the session and the receiver has finished its file: what the
        receiver said if it failed, else ``""``."""
        assert self._proc is not None
        _, err = self._proc.communicate(timeout=timeout_s)
        return f"the receiver exited with {self._proc.returncode}: {err[-2000:]}" if self._proc.returncode else ""


class RecordingServer(_Listener):
    """gst-rtsp-server in RECORD mode: ``start(out)`` records what is published to ``/x`` into ``out``."""

    def start(self, out: Path, timeout_s: float = 30.0, audio: bool = False) -> None:
        """Record into ``out``; with ``audio``, a stream with AAC audio beside its video (and only such a stream)."""
        from tests.streamer.rtsp_server import SYSTEM_PYTHON

        self._run([SYSTEM_PYTHON, __file__, str(self.port), str(out), "--path", self.path,
                   *(["--audio"] if audio else [])], timeout_s)


def serve(port: int, out: str, path: str, audio: bool = False) -> None:
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer

    Gst.init(None)
    server = GstRtspServer.RTSPServer.new()
    server.set_address("127.0.0.1")
    server.set_service(str(port))
    factory = GstRtspServer.RTSPMediaFactory.new()
    factory.set_transport_mode(GstRtspServer.RTSPTransportMode.RECORD)
    # The published H.264 as it came (depayloaded, not decoded), in MPEG-TS: readable even when killed.
    # With audio: the AAC depayloaded and parsed into the same MPEG-TS.
    sound = "rtpmp4gdepay name=depay1 ! aacparse ! mux. " if audio else ""
    factory.set_launch(f"( rtph264depay name=depay0 ! h264parse ! mpegtsmux name=mux ! filesink location={out} {sound})")
    server.get_mount_points().add_factory(path, factory)
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on 127.0.0.1:{port}")
    GLib.MainLoop().run()


if __name__ == "__main__":
    import argparse
    import os

    p = argparse.ArgumentParser(description="gst-rtsp-server in RECORD mode: " + __doc__.splitlines()[0])
    p.add_argument("port", type=int)
    p.add_argument("out")
    p.add_argument("--path", default="/x")
    p.add_argument("--audio", action="store_true")
    a = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    serve(a.port, a.out, a.path, a.audio)
