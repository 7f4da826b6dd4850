"""Many cameras in one process: one model load, one batched call for frames that are ready together,
each camera's own state, its own output, and a dead camera that never holds up a live one.

Real parts: the shipped models on the default backend, the built-in ``demo`` scene, clips written in
the test, a real H.264 stream on loopback (``tests/streamer/stream_server.py``), addresses where
nobody answers.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from models import backends
from models.runtime.gate import GateConfig
from models.runtime.temporal import SmoothingConfig
from streamer.camera_config import CameraConfig, CamerasConfig
from streamer.live.cameras import Cameras, make_pool, run_cameras
from streamer.live.pool import ModelPool, VideoLayers
from tests.conftest import dark_frames, decode, free_port, hunting_clip, write_clip
from tests.streamer.stream_server import running

SMOOTHED = VideoLayers(smoothing=SmoothingConfig())


class CountingSession:
    """The loaded model's ONNX Runtime session, counting its calls and the frames in them."""

    def __init__(self, session) -> None:
        self._session = session
        self.calls = 0
        self.frames = 0

    def run(self, names, feeds):
        self.calls += 1
        self.frames += next(iter(feeds.values())).shape[0]
        return self._session.run(names, feeds)

    def __getattr__(self, name):
        return getattr(self._session, name)


def together(streams, clips: list[list[np.ndarray]]) -> list[list[np.ndarray]]:
    """Each stream enhances its clip in its own thread, frame k of every clip released together."""
    barrier = threading.Barrier(len(streams))
    out: list[list[np.ndarray]] = [[] for _ in streams]

    def camera(i: int) -> None:
        for rgb in clips[i]:
            barrier.wait(30)
            out[i].append(streams[i].enhance(rgb[None]))

    threads = [threading.Thread(target=camera, args=(i,)) for i in range(len(streams))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return out


def alone(model: str, clip: list[np.ndarray], layers: VideoLayers) -> list[np.ndarray]:
    pool = ModelPool()
    try:
        stream = pool.stream(model, layers)
        return [stream.enhance(rgb[None]) for rgb in clip]
    finally:
        pool.close()


def test_frames_ready_together_go_through_one_session_call_and_each_camera_keeps_its_own_state() -> None:
    # Four cameras with temporal smoothing, each its own picture and its own exposure hunting: their
    # smoothing states must stay apart while their curve maps are estimated in shared calls.
    clips = [hunting_clip(6, 160, 96)] + [dark_frames(6, 160, 96, seed=s) for s in (1, 2, 3)]
    pool = ModelPool(batch_window_s=1.0)  # wide: every camera's frame k is in one call
    try:
        streams = [pool.stream("zero-dce++", SMOOTHED) for _ in clips]
        shared = pool.get("zero-dce++")
        session = shared.session = CountingSession(shared.session)
        out = together(streams, clips)
        assert pool.loads == 1 and all(s.batched for s in streams)
        assert session.frames == 24 and session.calls == 6, f"{session.calls} session calls for 24 frames"
        assert pool.batch_stats("zero-dce++").largest == 4
    finally:
        pool.close()
    for clip, got in zip(clips, out, strict=True):
        want = alone("zero-dce++", clip, SMOOTHED)
        worst = max(int(np.abs(g.astype(int) - w).max()) for g, w in zip(got, want, strict=True))
        assert worst <= 1, f"a camera's output differs by {worst} levels from the same clip run alone"


def test_the_burst_model_keeps_a_feature_ring_per_camera() -> None:
    clips = [dark_frames(8, 64, 48, seed=s) for s in (0, 1)]
    pool = ModelPool()
    try:
        streams = [pool.stream("burst") for _ in clips]
        out = [[], []]
        for k in range(8):  # interleaved, as two cameras' frames reach the model
            for i, stream in enumerate(streams):
                burst = np.stack(clips[i][max(0, k - 5) : k + 1])
                burst = np.concatenate([np.repeat(burst[:1], 6 - len(burst), 0), burst]) if len(burst) < 6 else burst
                out[i].append(stream.enhance(burst))
        assert pool.loads == 1
        # The rings' own counts (under the per-video layers: working size, greyscale rule).
        encoded = [backends.layers(s._backend)[-1].streaming.encoded for s in streams]
    finally:
        pool.close()
    # Each ring follows its own camera: after filling, one encoder pass per new frame, not six.
    assert encoded == [8, 8], encoded
    for clip, got in zip(clips, out, strict=True):
        pool = ModelPool()
        try:
            ref = pool.stream("burst")  # the same per-video layers (colour from the input), a ring of its own
            for k, g in enumerate(got):
                burst = np.stack(clip[max(0, k - 5) : k + 1])
                burst = np.concatenate([np.repeat(burst[:1], 6 - len(burst), 0), burst]) if len(burst) < 6 else burst
                assert np.array_equal(g, ref.enhance(burst))
        finally:
            pool.close()


def test_n_cameras_run_in_one_process_on_one_model_load(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "night.mp4", dark_frames(20, 160, 96), audio=False)
    cfg = CamerasConfig(cameras=(CameraConfig("a", "demo"), CameraConfig("b", "demo", night_gate="on"),
                                 CameraConfig("c", str(clip.path), smoothing=0.0)), batch_window_ms=5)
    pool = make_pool(cfg)
    cameras = Cameras(cfg, pool)
    try:
        cameras.start()
        deadline = time.monotonic() + 60
        while min(s.frames for s in cameras.status()) < 10:
            assert time.monotonic() < deadline, cameras.status()
            time.sleep(0.1)
        status = {s.name: s for s in cameras.status()}
    finally:
        cameras.stop()
        pool.close()
    assert pool.loads == 1
    assert set(status) == {"a", "b", "c"} and all(s.running and s.error is None and s.batched for s in status.values())
    assert len({id(c.backend) for c in cameras.channels.values()}) == 3
    assert not any(c.running for c in cameras.channels.values())


@pytest.fixture
def silent_port():
    """A port that takes connections and never says anything (a hung camera)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield s.getsockname()[1]


def test_a_dead_camera_never_stalls_a_live_one(silent_port: int) -> None:
    with running(12) as port:
        cfg = CamerasConfig(cameras=(
            CameraConfig("live", f"tcp://127.0.0.1:{port}"),
            CameraConfig("refused", f"rtsp://admin:hunter2@127.0.0.1:{free_port()}/x"),
            CameraConfig("hung", f"tcp://127.0.0.1:{silent_port}"),
        ), open_timeout_s=1.5, read_timeout_s=1.5, reconnect_max_delay_s=1.0, batch_window_ms=30)
        pool = make_pool(cfg)
        cameras = Cameras(cfg, pool)
        live = cameras.get("live")
        seen: list[float] = []
        try:
            cameras.start()
            deadline = time.monotonic() + 30
            while live.sink.frames < 5:
                assert time.monotonic() < deadline, live.status()
                time.sleep(0.05)
            last = 0
            stop = time.monotonic() + 5.0
            while time.monotonic() < stop:  # 5 s of the live camera while the other two keep failing
                frame = live.sink.wait_after(last, 1.0)
                if frame is not None:
                    last = frame.seq
                    seen.append(time.monotonic())
            status = {s.name: s for s in cameras.status()}
        finally:
            cameras.stop()
            pool.close()
    gaps = np.diff(seen)
    assert len(seen) >= 5 * 8, f"the live camera gave {len(seen)} frames in 5 s next to two dead ones"
    assert gaps.max() < 1.0, f"the live camera stalled for {gaps.max():.2f} s"
    for name in ("refused", "hung"):
        s = status[name]
        assert s.frames == 0 and s.restarts >= 1 and s.error and "retrying" in s.error, s
    assert "hunter2" not in str(status) and "admin:***@" in status["refused"].error


def test_run_records_each_camera_into_its_output_on_one_clock_and_a_broken_output_stops_only_its_camera(
        tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "one_second.mp4", dark_frames(30, 160, 96), audio=True)
    cfg = CamerasConfig(cameras=(
        CameraConfig("loop", str(clip.path), output=str(tmp_path / "loop.mp4")),
        CameraConfig("street", "demo", output=str(tmp_path / "street.mkv")),
        CameraConfig("broken", "demo", output=str(tmp_path / "missing" / "x.mp4")),
    ))
    assert run_cameras(cfg, duration_s=3.5) == 4  # the broken output's camera failed; the others went on
    for name, shape in (("loop.mp4", (96, 160, 3)), ("street.mkv", (360, 640, 3))):
        frames, times = decode(tmp_path / name)
        assert len(frames) >= 20, name
        assert all(b > a for a, b in zip(times, times[1:], strict=False)), f"{name}: timestamps go back"
        assert times[-1] > 1.5, f"{name}: the recording stops at {times[-1]:.2f} s, before the second loop"
        assert frames[0].shape == shape
    assert not (tmp_path / "missing").exists()


def test_a_camera_of_its_own_size_and_settings_per_camera() -> None:
    pool = ModelPool()
    try:
        small, large = pool.stream("zero-dce++", SMOOTHED), pool.stream("zero-dce++", VideoLayers(gate=GateConfig()))
        out = together([small, large], [dark_frames(3, 96, 64), dark_frames(3, 192, 128)])
        assert [o[-1].shape for o in out] == [(64, 96, 3), (128, 192, 3)]
        assert pool.loads == 1
    finally:
        pool.close()
