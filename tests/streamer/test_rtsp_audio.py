"""A camera's audio passed through: a real RTSP camera on loopback (gst-rtsp-server, a 440 Hz tone as
AAC or G.711 A-law beside the video) recorded to a file, written as MPEG-TS to stdout and published
to a real RTSP server, as a user runs it. The audio is stream-copied (same codec), starts with the
video and lasts as long. A publish target that restarts gets the audio again; the camera killed and
restarted is in test_rtsp.py."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest

from tests.conftest import dark_frames, free_port, run_cli
from tests.streamer.rtsp_receiver import RecordingServer, RtspReceiver, recording_unavailable
from tests.streamer.rtsp_receiver import unavailable as receiver_unavailable
from tests.streamer.rtsp_server import RtspServer, unavailable, write_annexb

pytestmark = pytest.mark.rtsp


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    return write_annexb(tmp_path_factory.mktemp("rtsp_audio") / "night.h264", dark_frames(60, 320, 240))


@pytest.fixture(scope="module")
def aac_camera(clip: Path):
    with RtspServer(free_port(), path="/cam") as s:
        s.start(clip, audio="aac")
        yield s


@pytest.fixture(scope="module")
def g711_camera(clip: Path):
    with RtspServer(free_port(), path="/cam") as s:
        s.start(clip, audio="pcma")
        yield s


@pytest.fixture
def receiver():
    reason = receiver_unavailable()
    if reason:
        pytest.skip(reason)
    with RtspReceiver(free_port()) as r:
        yield r


def spans(media: Path | io.BytesIO, fmt: str | None = None) -> dict[str, tuple[str, float, float, float]]:
    """Per stream type: codec, first timestamp, end of the last packet (s), and the largest step between
    packets (s)."""
    out = {}
    with av.open(media, format=fmt) as c:
        streams = (c.streams.video[0], *c.streams.audio[:1])
        demuxed = [p for p in c.demux(*streams) if p.pts is not None and p.size]
        for stream in streams:
            ps = sorted((p for p in demuxed if p.stream.index == stream.index), key=lambda p: p.pts)
            times = [float(p.pts * p.time_base) for p in ps]
            end = times[-1] + float((ps[-1].duration or 0) * ps[-1].time_base)
            step = max(b - a for a, b in zip(times, times[1:], strict=False))
            out[stream.type] = (stream.codec_context.name, times[0], end, step)
    return out


def assert_in_step(got: dict, codec: str, seconds: float = 3.0) -> None:
    """The audio is ``codec``, starts with the video (within 0.2 s), lasts as long and has no hole."""
    assert "audio" in got, got
    (_, v0, v1, _), (name, a0, a1, step) = got["video"], got["audio"]
    assert name == codec
    assert abs(a0 - v0) < 0.2, got
    assert abs(a1 - v1) < 0.3 and v1 - v0 >= seconds - 0.5, got
    assert step < 0.2, got  # one packet after another (G.711 from the camera: 128 ms each)


def test_a_camera_recorded_to_mp4_keeps_its_aac_audio_in_step(aac_camera: RtspServer, tmp_path: Path) -> None:
    out = tmp_path / "cam.mp4"
    r = run_cli("enhance", aac_camera.url(), "-o", str(out), "--duration", "3", timeout=120)
    assert r.returncode == 0, r.stderr
    assert_in_step(spans(out), "aac")


def test_mpegts_on_stdout_carries_the_camera_audio(aac_camera: RtspServer) -> None:
    p = subprocess.run([sys.executable, "-m", "streamer", "enhance", aac_camera.url(), "-o", "-", "--duration", "3"],
                       capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr.decode()
    assert_in_step(spans(io.BytesIO(p.stdout), "mpegts"), "aac")


def test_a_published_stream_carries_the_camera_audio(aac_camera: RtspServer, receiver: RtspReceiver,
                                                       tmp_path: Path) -> None:
    got = tmp_path / "got.mkv"
    receiver.start(got)
    r = run_cli("enhance", aac_camera.url(), "-o", receiver.url(), "--duration", "3", timeout=120)
    assert r.returncode == 0, r.stderr
    assert receiver.wait() == ""
    assert_in_step(spans(got), "aac")


def test_g711_is_published_as_it_comes_and_left_out_of_mp4_with_one_warning(
        g711_camera: RtspServer, receiver: RtspReceiver, tmp_path: Path) -> None:
    got = tmp_path / "got.mov"
    receiver.start(got)
    r = run_cli("enhance", g711_camera.url(), "-o", receiver.url(), "--duration", "3", timeout=120)
    assert r.returncode == 0, r.stderr
    assert receiver.wait() == ""
    assert_in_step(spans(got), "pcm_alaw")

    out = tmp_path / "cam.mp4"
    r = run_cli("enhance", g711_camera.url(), "-o", str(out), "--duration", "2", timeout=120)
    assert r.returncode == 0, r.stderr
    warnings = [line for line in r.stderr.splitlines() if "audio" in line]
    assert warnings == [f"streamer: audio of {g711_camera.url()} is not carried: mp4 output cannot carry pcm_alaw "
                        "audio (a .mov file holds G.711)"], r.stderr
    with av.open(str(out)) as c:
        assert not c.streams.audio and c.streams.video


def test_no_audio_leaves_the_camera_audio_out(aac_camera: RtspServer, tmp_path: Path) -> None:
    out = tmp_path / "cam.mp4"
    r = run_cli("enhance", aac_camera.url(), "-o", str(out), "--duration", "1", "--no-audio", timeout=120)
    assert r.returncode == 0, r.stderr
    with av.open(str(out)) as c:
        assert not c.streams.audio and c.streams.video


def test_a_publish_target_that_restarts_gets_the_camera_audio_again(aac_camera: RtspServer, tmp_path: Path) -> None:
    reason = recording_unavailable()
    if reason:
        pytest.skip(reason)
    with RecordingServer(free_port()) as server:
        server.start(tmp_path / "first.ts", audio=True)
        proc = subprocess.Popen([sys.executable, "-m", "streamer", "enhance", aac_camera.url(), "-o", server.url(),
                                 "--duration", "6"], stderr=subprocess.PIPE, text=True)
        time.sleep(3.5)
        server.kill()
        time.sleep(1)
        again = tmp_path / "again.ts"
        server.start(again, audio=True)
        _, log = proc.communicate(timeout=60)
    assert proc.returncode == 0, log
    assert "is back after" in log and "Traceback" not in log, log
    with av.open(str(again)) as c:
        assert [a.codec_context.name for a in c.streams.audio] == ["aac"]
        sound = [p for p in c.demux(audio=0) if p.size]
    assert len(sound) * 1024 / 48000 >= 0.5, log  # the audio goes on over the new connection
