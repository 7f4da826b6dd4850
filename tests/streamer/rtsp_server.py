"""A real RTSP camera on loopback for tests: Debian's gst-rtsp-server, driven by the system Python.

Two sides in one file:

- run as a script by the **system** Python (``/usr/bin/python3``, which has ``gi`` and
  GstRtspServer; the venv does not): ``/usr/bin/python3 tests/streamer/rtsp_server.py PORT FILE.h264``
  serves the Annex-B H.264 ``FILE`` at ``rtsp://127.0.0.1:PORT/x``, looped forever, re-encoded
  live at its own frame rate (x264, zero latency), one shared media for every client; with
  ``--audio aac`` or ``--audio pcma`` a 440 Hz tone beside it, as a camera's microphone. Any
  user/password in the URL is accepted (no authentication is asked for).
- imported from the venv by tests and benchmarks: :func:`unavailable` (why the server cannot run
  here, or ``None``), :func:`write_annexb` (make a looping clip with PyAV) and :class:`RtspServer`
  (start it as a subprocess, wait until the port listens, kill / stop / continue it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

SYSTEM_PYTHON = "/usr/bin/python3"
APT_PACKAGES = ("gstreamer1.0-rtsp gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good "
                "gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav python3-gi python3-gst-1.0")


def unavailable() -> str | None:
    """Why the loopback RTSP server cannot run here, or ``None`` when it can."""
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} not found"
    if not Path("/proc/net/tcp").exists():
        return "needs Linux /proc/net/tcp to see when the server listens"
    check = ("import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0'); "
             "from gi.repository import Gst, GstRtspServer; Gst.init(None); "
             "missing = [e for e in ('multifilesrc', 'h264parse', 'avdec_h264', 'x264enc', 'rtph264pay') "
             "if Gst.ElementFactory.find(e) is None]; print(' '.join(missing))")
    p = subprocess.run([SYSTEM_PYTHON, "-c", check], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        return f"gst-rtsp-server for the system Python is missing (apt-get install {APT_PACKAGES})"
    if p.stdout.strip():
        return f"GStreamer elements missing: {p.stdout.strip()} (apt-get install {APT_PACKAGES})"
    return None


def write_annexb(path: Path, frames: list, fps: int = 30) -> Path:
    """Encode (H, W, 3) uint8 RGB ``frames`` as a raw Annex-B H.264 file (one GOP start per loop)."""
    import av

    h, w = frames[0].shape[:2]
    with av.open(str(path), "w", format="h264") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "20", "g": str(fps)}
        for i, rgb in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
            vf.pts = i
            for packet in stream.encode(vf):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def is_listening(port: int) -> bool:
    """True once 127.0.0.1:PORT (or any address) is in LISTEN state, read from /proc without connecting."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        with open(table) as f:
            for line in f.read().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                    return True
    return False


class RtspServer:
    """The script above in a subprocess: ``start(file)``, ``kill()``, ``pause()`` / ``resume()``."""

    def __init__(self, port: int, path: str = "/x") -> None:
        self.port = port
        self.path = path
        self._proc: subprocess.Popen | None = None

    def url(self, credentials: str = "") -> str:
        return f"rtsp://{credentials + '@' if credentials else ''}127.0.0.1:{self.port}{self.path}"

    def start(self, clip: Path, fps: int = 30, timeout_s: float = 30.0, audio: str = "none") -> None:
        """Serve ``clip``; ``audio`` (``aac``, ``pcma``) adds the camera's microphone (see AUDIO_BRANCHES)."""
        self._proc = subprocess.Popen(
            [SYSTEM_PYTHON, __file__, str(self.port), str(clip), "--path", self.path, "--fps", str(fps),
             "--audio", audio],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        deadline = time.monotonic() + timeout_s
        while not is_listening(self.port):
            if self._proc.poll() is not None:
                raise RuntimeError(f"the RTSP server exited: {self._proc.stderr.read()[-2000:]}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError("the RTSP server did not listen in time")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: the camera dies without a word, as a power cut would."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGCONT)
            self._proc.kill()
            self._proc.wait(timeout=30)
        self._proc = None
        deadline = time.monotonic() + 10
        while is_listening(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def pause(self) -> None:
        """SIGSTOP: the server hangs with its connections open."""
        assert self._proc is not None
        self._proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self._proc is not None
        self._proc.send_signal(signal.SIGCONT)

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def __enter__(self) -> RtspServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()


# The camera's microphone: a 440 Hz tone, encoded as IP cameras send it (RTP payload 97: AAC as
# mpeg4-generic, 48 kHz; payload 8: G.711 A-law, 8 kHz).
AUDIO_BRANCHES = {
    "aac": ("audiotestsrc wave=sine freq=440 volume=0.3 ! audio/x-raw,rate=48000,channels=1 ! audioconvert "
            "! avenc_aac ! rtpmp4gpay name=pay1 pt=97"),
    "pcma": ("audiotestsrc wave=sine freq=440 volume=0.3 ! audio/x-raw,rate=8000,channels=1 ! audioconvert "
             "! alawenc ! rtppcmapay name=pay1"),
}


def serve(port: int, clip: str, path: str, fps: int, audio: str = "none") -> None:
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer

    Gst.init(None)
    server = GstRtspServer.RTSPServer.new()
    server.set_address("127.0.0.1")
    server.set_service(str(port))
    factory = GstRtspServer.RTSPMediaFactory.new()
    # Decode and re-encode: the loop restarts cleanly and every client gets fresh timestamps at the
    # clip's frame rate; ultrafast keeps the server cheap on a shared machine.
    factory.set_launch(
        f"( multifilesrc location={clip} loop=true caps=video/x-h264,stream-format=byte-stream,framerate={fps}/1 "
        "! h264parse ! avdec_h264 ! videoconvert ! video/x-raw,format=I420 "
        f"! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps} ! rtph264pay name=pay0 pt=96 config-interval=1 "
        f"{AUDIO_BRANCHES.get(audio, '')} )"
    )
    factory.set_shared(True)
    server.get_mount_points().add_factory(path, factory)
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on 127.0.0.1:{port}")
    GLib.MainLoop().run()


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("port", type=int)
    p.add_argument("clip")
    p.add_argument("--path", default="/x")
    p.add_argument("--fps", type=int, default=30)
    p.add_argument("--audio", choices=("none", *AUDIO_BRANCHES), default="none")
    a = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    serve(a.port, a.clip, a.path, a.fps, a.audio)
