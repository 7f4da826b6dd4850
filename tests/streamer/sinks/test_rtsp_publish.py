"""``-o rtsp://...``: the enhanced stream published to real RTSP servers on loopback
(``tests/streamer/rtsp_receiver.py``): FFmpeg in listen mode takes a file's video and audio;
gst-rtsp-server in RECORD mode goes away and comes back. And the addresses and servers that are
refused at start, in one line, with the password masked."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import av
import numpy as np
import pytest

from tests.conftest import dark_frames, decode, free_port, luma, run_cli, write_clip
from tests.streamer.rtsp_receiver import RecordingServer, RtspReceiver, recording_unavailable, unavailable

CREDENTIALS = "user:secret"


@pytest.fixture
def receiver():
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    with RtspReceiver(free_port()) as r:
        yield r


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    assert "secret" not in stderr
    return lines[0]


@pytest.fixture
def recording_server():
    reason = recording_unavailable()
    if reason:
        pytest.skip(reason)
    with RecordingServer(free_port()) as r:
        yield r


@pytest.mark.rtsp
def test_a_file_is_published_at_its_size_and_rate_with_its_audio(receiver: RtspReceiver, tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "in.mp4", dark_frames(60, 320, 240))  # 2 s, with AAC
    got = tmp_path / "got.mkv"
    receiver.start(got)
    r = run_cli("enhance", str(clip.path), "-o", receiver.url(CREDENTIALS), timeout=180)
    assert r.returncode == 0, r.stderr
    assert receiver.wait() == ""  # the publisher ended the session (TEARDOWN) and the receiver finished its file
    assert "secret" not in r.stderr and f"rtsp://user:***@127.0.0.1:{receiver.port}/x" in r.stderr
    with av.open(str(got)) as c:
        video = c.streams.video[0]
        assert (video.codec_context.name, video.codec_context.width, video.codec_context.height) == ("h264", 320, 240)
        assert [a.codec_context.name for a in c.streams.audio] == ["aac"]
    frames, times = decode(got)
    assert 40 <= len(frames) <= 60, r.stderr  # live: a loaded machine may drop a few
    assert float(np.median(np.diff(times))) == pytest.approx(1 / 30, abs=0.004)  # the source's frame rate
    assert luma(frames[-1]) > 2 * luma(dark_frames(1, 320, 240)[0])


def received_frames(path: Path) -> list[np.ndarray]:
    """The frames a recording server wrote to ``path`` (MPEG-TS). Its file sink writes in blocks and
    can end in the middle of the last frame when the publisher goes: that frame is left out."""
    frames = []
    with av.open(str(path)) as c:
        try:
            for f in c.decode(video=0):
                frames.append(f.to_ndarray(format="rgb24"))
        except av.error.InvalidDataError:
            pass
    return frames


def wait_for_bytes(path: Path, proc: subprocess.Popen, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists() or path.stat().st_size < 20_000:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"nothing was published: {proc.communicate()[1]}")
        time.sleep(0.05)


@pytest.mark.rtsp
def test_a_server_that_goes_away_is_published_to_again_when_it_is_back(recording_server: RecordingServer,
                                                                       tmp_path: Path) -> None:
    receiver = recording_server
    first, second = tmp_path / "first.ts", tmp_path / "second.ts"
    receiver.start(first)
    proc = subprocess.Popen([sys.executable, "-m", "streamer", "enhance", "demo", "--duration", "14", "-o",
                             receiver.url(CREDENTIALS)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_bytes(first, proc)
    time.sleep(2)
    receiver.kill()  # the server restarts
    time.sleep(2)
    receiver.start(second)
    try:
        out, log = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"the job did not end: {proc.communicate()[1]}")
    assert proc.returncode == 0, log
    assert out == "" and "Traceback" not in log and "secret" not in log
    shown = f"rtsp://user:***@127.0.0.1:{receiver.port}/x"
    assert len(re.findall(rf"publishing to {re.escape(shown)} lost at [\d.]+ s", log)) == 1, log  # logged once
    back = re.findall(rf"publishing to {re.escape(shown)} is back after [\d.]+ s \((\d+) attempts?, (\d+) probes?; "
                      r"(\d+) frames dropped meanwhile\)", log)
    assert len(back) == 1, log
    attempts, probes, dropped = (int(v) for v in back[0])
    assert attempts <= 3 and probes >= 2  # probed while the port was closed, not reconnected again and again
    assert dropped >= 10  # the capture side kept running: about 2 s of frames came and were dropped
    assert re.search(rf"publishing to {re.escape(shown)}: 1 outage, [\d.]+ s without output in all", log), log
    receiver.kill()  # the recording is finished: read it without the server writing to it
    before, after = received_frames(first), received_frames(second)
    assert len(before) >= 10 and len(after) >= 30, log  # the demo renders at 10-30 fps on a loaded 2-core machine
    with av.open(str(second)) as c:  # a new connection starts with a keyframe: a receiver can decode at once
        packet = next(p for p in c.demux(video=0) if p.size)
        assert packet.is_keyframe


@pytest.mark.parametrize(("address", "message"), [
    ("rtsp://", "output rtsp://: no host to publish to"),
    ("rtsp://user:secret@cam:notaport/x", "output rtsp://user:***@cam:notaport/x: the port must be a number"),
    ("rtsp://user:secret@cam:8554", "output rtsp://user:***@cam:8554: no path to publish to"),
    ("rtmp://user:secret@cam/live", "output rtmp://user:***@cam/live: a network stream of this kind is not supported"),
    ("foo://bar", "output foo://bar: a network stream of this kind is not supported"),
    ("pipe:2", "output 'pipe:2': only stdout is supported as a pipe"),
])
def test_malformed_and_unknown_output_addresses_are_one_line(address: str, message: str, tmp_path: Path) -> None:
    r = run_cli("enhance", "demo", "-o", address, "--duration", "1", timeout=60, cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    assert one_error_line(r.stderr).startswith(f"streamer: error: {message}")
    assert not list(tmp_path.iterdir()), "a refused output left something behind"


def test_a_server_nobody_runs_fails_at_start_in_one_line() -> None:
    url = f"rtsp://{CREDENTIALS}@127.0.0.1:{free_port()}/x"
    r = run_cli("enhance", "demo", "-o", url, "--duration", "5", timeout=60)
    assert r.returncode == 4
    line = one_error_line(r.stderr)
    assert line.startswith("streamer: error: cannot publish to rtsp://user:***@127.0.0.1:")
    assert "Connection refused" in line


def test_a_server_that_never_answers_fails_within_the_open_timeout() -> None:
    with socket.socket() as server:  # accepts the connection, then says nothing
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        accepted: list[socket.socket] = []
        threading.Thread(target=lambda: accepted.append(server.accept()[0]), daemon=True).start()
        url = f"rtsp://{CREDENTIALS}@127.0.0.1:{port}/x"
        t0 = time.monotonic()
        r = run_cli("enhance", "demo", "-o", url, "--open-timeout", "2", "--duration", "5", timeout=60)
        elapsed = time.monotonic() - t0
        for conn in accepted:
            conn.close()
    assert r.returncode == 4, r.stderr
    assert one_error_line(r.stderr).startswith(f"streamer: error: cannot publish to rtsp://user:***@127.0.0.1:{port}/x: "
                                               "no answer within 2 s")
    assert elapsed < 30
