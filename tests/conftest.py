"""Shared fixtures: synthetic dark clips written with PyAV into tmp_path, and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("STREAMER_DATA", REPO.parent / "shared" / "data"))


@dataclass(frozen=True)
class Clip:
    path: Path
    frames: int
    pts_s: tuple[float, ...]
    width: int
    height: int


def dark_frames(n: int, width: int, height: int, seed: int = 0) -> list[np.ndarray]:
    """Frames of the built-in night street, resized: (H, W, 3) uint8 RGB, dark and noisy."""
    from streamer.sources.demo import DemoSource

    demo = DemoSource(duration_s=n / 30 + 1, seed=seed, width=width, height=height)
    return [demo.render(i) for i in range(n)]


def hunting_clip(n: int, width: int, height: int) -> list[np.ndarray]:
    """A static night scene whose exposure hunts +-15 % from frame to frame (auto-exposure, mains
    flicker): the first demo frame, scaled by a seeded random gain per frame."""
    base = dark_frames(1, width, height)[0].astype(np.float32)
    gains = 1.0 + np.random.default_rng(0).uniform(-0.15, 0.15, n)
    return [np.clip(base * g, 0, 255).astype(np.uint8) for g in gains]


def flicker(frames: list[np.ndarray]) -> float:
    """Brightness flicker: the mean absolute frame-to-frame change of the mean luma (8-bit levels)."""
    return float(np.abs(np.diff([luma(f) for f in frames])).mean())


def write_clip(path: Path, frames: list[np.ndarray], fps: int = 30, audio: bool = True,
               pts: list[int] | None = None, time_base: Fraction | None = None) -> Clip:
    """Encode ``frames`` as H.264 (+ a 440 Hz AAC track) with explicit timestamps."""
    h, w = frames[0].shape[:2]
    tb = time_base or Fraction(1, fps * 512)
    pts = pts or [round(i / fps / tb) for i in range(len(frames))]
    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=fps)
        v.width, v.height, v.pix_fmt = w, h, "yuv420p"
        v.codec_context.time_base = tb
        v.options = {"crf": "12", "preset": "ultrafast"}
        a = None
        if audio:
            a = out.add_stream("aac", rate=48000)
            a.layout = "mono"
        for rgb, p in zip(frames, pts, strict=True):
            vf = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
            vf.pts, vf.time_base = p, tb
            for packet in v.encode(vf):
                out.mux(packet)
        for packet in v.encode(None):
            out.mux(packet)
        if a is not None:
            seconds = (pts[-1] * tb) + Fraction(1, fps)
            samples = int(48000 * seconds)
            t = np.arange(samples) / 48000
            tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
            for start in range(0, samples, 1024):
                chunk = tone[start : start + 1024]
                af = av.AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
                af.sample_rate, af.pts, af.time_base = 48000, start, Fraction(1, 48000)
                for packet in a.encode(af):
                    out.mux(packet)
            for packet in a.encode(None):
                out.mux(packet)
    return Clip(path, len(frames), tuple(float(p * tb) for p in pts), w, h)


def decode(path: Path) -> tuple[list[np.ndarray], list[float]]:
    """All frames (RGB uint8) and their timestamps in seconds."""
    with av.open(str(path)) as c:
        frames, times = [], []
        for f in c.decode(video=0):
            frames.append(f.to_ndarray(format="rgb24"))
            times.append(float(f.pts * f.time_base))
    return frames, times


def luma(rgb: np.ndarray) -> float:
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    return float((0.299 * r + 0.587 * g + 0.114 * b).mean())


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


def as_foreground_job() -> None:
    """``preexec_fn`` for a child that stands for a job in a terminal's foreground: Ctrl-C (SIGINT)
    reaches it. A shell starts background jobs with SIGINT ignored and children inherit that, so
    without this a test run started with ``&`` would see Ctrl-C do nothing."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_cli(*args: str, timeout: float = 300, cwd: Path | None = None) -> Result:
    """Run ``python -m streamer ARGS`` as a user would and capture its output."""
    p = subprocess.run([sys.executable, "-m", "streamer", *args], capture_output=True, text=True,
                       timeout=timeout, cwd=cwd)
    return Result(p.returncode, p.stdout, p.stderr)


@pytest.fixture(scope="session")
def dark_clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    """A 2 s, 640x360, 30 fps dark clip with an AAC track."""
    path = tmp_path_factory.mktemp("clips") / "dark.mp4"
    return write_clip(path, dark_frames(60, 640, 360))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED_DATA / "lol_our485").is_dir():
        pytest.skip(f"training data not found at {SHARED_DATA} (set STREAMER_DATA)")
    return SHARED_DATA

