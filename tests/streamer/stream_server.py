"""A real live stream on loopback for tests: MPEG-TS over TCP, H.264 at 30 fps, paced in real time.

Run as a script in its own process (PyAV's accept blocks while holding the GIL):
``python -m tests.streamer.stream_server PORT SECONDS``. It listens on 127.0.0.1:PORT, serves one
client the built-in night street at 320x180, and exits.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import av
import pytest

from tests.conftest import REPO, dark_frames, free_port
from tests.streamer.rtsp_server import is_listening


def serve(port: int, seconds: float) -> None:
    frames = dark_frames(round(seconds * 30), 320, 180)
    out = av.open(f"tcp://127.0.0.1:{port}?listen=1", "w", format="mpegts")
    stream = out.add_stream("libx264", rate=30)
    stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
    stream.options = {"tune": "zerolatency", "preset": "ultrafast"}
    start = time.monotonic()
    try:
        for i, rgb in enumerate(frames):
            delay = start + i / 30 - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            vf = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
            vf.pts = i
            for packet in stream.encode(vf):
                out.mux(packet)
                if i == 0:
                    start = time.monotonic()  # pace from the moment a client is connected
        out.close()
    except (av.FFmpegError, OSError):
        pass  # the client hung up: that is how a recording with --duration ends


@contextmanager
def running(seconds: float) -> Iterator[int]:
    """This server in a subprocess on a free port, for a test: yields the port once it listens."""
    if not Path("/proc/net/tcp").exists():
        pytest.skip("needs Linux /proc/net/tcp to see when the server listens")
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "tests.streamer.stream_server", str(port), str(seconds)], cwd=REPO)
    try:
        deadline = time.monotonic() + 30
        while not is_listening(port):
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail("the test stream server did not start")
            time.sleep(0.02)
        yield port
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    serve(int(sys.argv[1]), float(sys.argv[2]))
