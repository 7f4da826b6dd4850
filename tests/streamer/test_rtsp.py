"""Live RTSP recordings against a real RTSP server on loopback (gst-rtsp-server) that dies, hangs and changes.

The server is killed, stopped with SIGSTOP or restarted at another frame size in the middle of a
recording; the recording must carry on, show the outage as a gap in its timestamps, log it once and
never print the URL's password. A camera that is down is probed, not reopened, and picked up once
it answers.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import av
import pytest

from streamer.sources import ReconnectPolicy, SourceOptions, open_source
from tests.conftest import dark_frames, decode, free_port, luma, run_cli
from tests.streamer.rtsp_server import RtspServer, unavailable, write_annexb

pytestmark = pytest.mark.rtsp

CREDENTIALS = "user:secret"


@pytest.fixture(scope="module")
def rtsp_ready() -> None:
    reason = unavailable()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def clip(rtsp_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 s of the night street at 320x240, looped by the server."""
    return write_annexb(tmp_path_factory.mktemp("rtsp") / "night_320x240.h264", dark_frames(60, 320, 240))


@pytest.fixture
def server(rtsp_ready: None):
    with RtspServer(free_port()) as s:
        yield s


def record(url: str, out: Path, *args: str) -> subprocess.Popen:
    """``streamer enhance URL -o OUT ARGS`` in the background, as a user would run it."""
    return subprocess.Popen([sys.executable, "-m", "streamer", "enhance", url, "-o", str(out), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_recording(out: Path, proc: subprocess.Popen, timeout_s: float = 30) -> None:
    """Until the output is open (the stream was opened and the encoder started)."""
    partial = out.with_name(f"{out.stem}.partial{out.suffix}")
    deadline = time.monotonic() + timeout_s
    while not partial.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the recording did not start: {proc.communicate()[1]}")
        time.sleep(0.05)


def finish(proc: subprocess.Popen, timeout_s: float = 60) -> tuple[int, str]:
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the recording did not finish in time: {err}")
    return proc.returncode, out + err


def largest_gap(times: list[float]) -> tuple[float, int]:
    """The largest step between consecutive timestamps, and the index of the frame after it."""
    steps = [b - a for a, b in zip(times, times[1:], strict=False)]
    i = max(range(len(steps)), key=steps.__getitem__)
    return steps[i], i + 1


def test_server_killed_mid_recording_and_restarted_recording_continues_with_a_gap(
        server: RtspServer, clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "cam.mp4"
    server.start(clip, audio="aac")  # the camera's microphone comes back with it, in the same file
    proc = record(server.url(CREDENTIALS), out, "--duration", "14")
    wait_recording(out, proc)
    time.sleep(4)
    server.kill()
    time.sleep(3)
    server.start(clip, audio="aac")
    code, log = finish(proc)
    assert code == 0, log
    assert "secret" not in log
    assert f"rtsp://user:***@127.0.0.1:{server.port}/x" in log
    assert len(re.findall(r"lost at [\d.]+ s", log)) == 1, log  # one outage, logged once
    back = re.findall(r"is back after [\d.]+ s \((\d+) attempts?, (\d+) probes?\)", log)
    assert len(back) == 1, log
    assert int(back[0][0]) <= 3 and int(back[0][1]) >= 3, log  # probed while down, reopened once it answered
    frames, times = decode(out)
    assert len(frames) >= 200, log
    assert times[-1] - times[0] >= 10
    assert all(b > a for a, b in zip(times, times[1:], strict=False))
    gap, after = largest_gap(times)
    assert gap >= 2.5  # the outage shows as a gap on the capture clock
    assert len(frames) - after >= 60  # and the camera was recorded again after it
    assert after >= 60
    assert luma(frames[-1]) > 2 * luma(dark_frames(1, 320, 240)[0])  # still enhanced
    with av.open(str(out)) as c:
        sound = [float(p.pts * p.time_base) for p in c.demux(audio=0) if p.pts is not None and p.size]
    audio_gap, audio_after = largest_gap(sound)
    assert audio_gap == pytest.approx(gap, abs=0.5)  # the audio has the video's gap, not a jump cut
    assert sound[audio_after] == pytest.approx(times[after], abs=0.5)  # and comes back with it
    assert sound[-1] >= times[-1] - 0.2


def test_a_camera_down_for_8_s_is_probed_and_picked_up_when_it_answers(server: RtspServer, clip: Path) -> None:
    """The old backoff (0.5, 1, 2, 4, 8 s) would have reopened 4 times and come back up to 4 s late; with
    probes the port is asked every 0.25 s and the stream reopened once it answers."""
    server.start(clip)
    source = open_source(server.url(CREDENTIALS), SourceOptions(reconnect=ReconnectPolicy()))
    up_at: list[float] = []

    def outage() -> None:
        time.sleep(2)
        server.kill()
        time.sleep(8)
        server.start(clip)
        up_at.append(time.monotonic())  # the port listens again

    cut = threading.Thread(target=outage)
    cut.start()
    arrivals = []
    try:
        t0 = time.monotonic()
        while time.monotonic() - t0 < 40 and not (up_at and arrivals and arrivals[-1] > up_at[0] + 1):
            frame = source.read()
            assert frame is not None
            arrivals.append(time.monotonic())
    finally:
        cut.join()
        source.close()
    assert up_at and arrivals[-1] > up_at[0], "the stream did not come back"
    (lost,) = source.outages
    assert lost.attempts <= 3  # not one reopen per backoff step while the port was closed
    assert lost.probes >= 15  # about 8 s / 0.25 s, jittered
    resumed = next(t for t in arrivals if t > up_at[0]) - up_at[0]
    assert resumed < 6  # generous for a loaded machine; benchmarks/bench_reconnect.py measures it


def test_hung_server_is_caught_by_the_read_timeout_and_recovered_after_it_resumes(
        server: RtspServer, clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "hang.mp4"
    server.start(clip)
    proc = record(server.url(CREDENTIALS), out, "--duration", "14", "--read-timeout", "2", "--open-timeout", "3")
    wait_recording(out, proc)
    time.sleep(3)
    server.pause()
    time.sleep(5)
    server.resume()
    code, log = finish(proc)
    assert code == 0, log
    lost = re.findall(r"lost at ([\d.]+) s \(([^)]*)\)", log)
    assert len(lost) == 1, log
    assert "read timeout" in lost[0][1]
    assert "is back after" in log
    frames, times = decode(out)
    gap, after = largest_gap(times)
    assert gap >= 3
    assert float(lost[0][0]) - times[after - 1] <= 2 + 1.0  # detected within the read timeout (+ slack)
    assert len(frames) - after >= 30
    assert "secret" not in log


def test_camera_back_at_another_resolution_does_not_crash(server: RtspServer, clip: Path, tmp_path: Path) -> None:
    small = write_annexb(tmp_path / "night_256x144.h264", dark_frames(60, 256, 144, seed=1))
    out = tmp_path / "resize.mp4"
    server.start(clip)
    proc = record(server.url(), out, "--duration", "10")
    wait_recording(out, proc)
    time.sleep(3)
    server.kill()
    server.start(small)
    code, log = finish(proc)
    assert code == 0, log
    assert "came back at 256x144 (was 320x240)" in log
    frames, times = decode(out)
    _, after = largest_gap(times)
    assert len(frames) - after >= 30
    assert {f.shape for f in frames} == {(240, 320, 3)}  # the file keeps its size; the new frames are scaled


def test_wrong_path_on_a_live_server_fails_at_start_with_one_line(server: RtspServer, clip: Path, tmp_path: Path) -> None:
    server.start(clip)
    url = server.url(CREDENTIALS).replace("/x", "/typo")
    t0 = time.monotonic()
    r = run_cli("enhance", url, "-o", str(tmp_path / "o.mp4"), "--duration", "5", timeout=60)
    assert time.monotonic() - t0 < 15
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode == 3 and len(lines) == 1, r.stderr
    assert lines[0].startswith("streamer: error: cannot open stream rtsp://user:***@")
    assert "secret" not in r.stderr
    assert not (tmp_path / "o.mp4").exists()


def test_dead_url_at_start_fails_within_15_s(tmp_path: Path) -> None:
    t0 = time.monotonic()
    r = run_cli("enhance", f"rtsp://{CREDENTIALS}@127.0.0.1:{free_port()}/x", "-o", str(tmp_path / "o.mp4"), timeout=60)
    assert time.monotonic() - t0 < 15
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode == 3 and len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert "cannot open stream rtsp://user:***@127.0.0.1" in lines[0]


def test_wait_for_source_waits_for_a_camera_that_is_not_up_yet(server: RtspServer, clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "late.mp4"
    proc = record(server.url(CREDENTIALS), out, "--duration", "3", "--wait-for-source", "--reconnect-max-delay", "1")
    time.sleep(3)
    assert proc.poll() is None  # still waiting, not failed
    server.start(clip)
    code, log = finish(proc)
    assert code == 0, log
    assert "waiting for it" in log and "is up" in log
    assert "secret" not in log
    frames, _ = decode(out)
    assert len(frames) >= 30


def test_sigterm_during_an_outage_finishes_a_playable_file(server: RtspServer, clip: Path, tmp_path: Path) -> None:
    """A service stop while the camera is down: the recording so far is kept, and the job ends promptly."""
    import signal

    out = tmp_path / "stopped.mp4"
    server.start(clip)
    proc = record(server.url(CREDENTIALS), out)  # no --duration: it would run forever
    wait_recording(out, proc)
    time.sleep(3)
    server.kill()
    time.sleep(2)  # now retrying with backoff
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    code, log = finish(proc, timeout_s=30)
    assert time.monotonic() - t0 < 5  # the reconnect wait is woken, not waited out
    assert code == 130, log
    assert "interrupted" in log and "Traceback" not in log and "secret" not in log
    frames, _ = decode(out)
    assert len(frames) >= 30
    assert not out.with_name("stopped.partial.mp4").exists()
