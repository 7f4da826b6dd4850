"""Files that lie: damage in the middle, and the subtitle / data tracks a dashcam keeps its GPS in."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from tests.conftest import dark_frames, decode, run_cli, write_clip

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg (Debian package ffmpeg) is not installed")

SRT = """1
00:00:00,000 --> 00:00:01,000
GPS 51.5007N 0.1246W 12 km/h

2
00:00:01,000 --> 00:00:02,000
GPS 51.5010N 0.1250W 14 km/h
"""


def test_damaged_packets_in_the_middle_are_skipped_counted_and_reported(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "dashcam.mp4", dark_frames(90, 320, 180))
    with av.open(str(clip.path)) as c:
        packets = [(p.pos, p.size) for p in c.demux(video=0) if p.size]
    data = bytearray(clip.path.read_bytes())
    rng = np.random.default_rng(0)
    damaged = (40, 45, 50)
    for i in damaged:  # three whole video packets in the middle become noise
        pos, size = packets[i]
        data[pos:pos + size] = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
    bad = tmp_path / "damaged.mp4"
    bad.write_bytes(bytes(data))
    out = tmp_path / "out.mp4"
    r = run_cli("enhance", str(bad), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "skipped 3 damaged packets" in r.stderr
    frames, times = decode(out)
    assert len(frames) == 90 - len(damaged)
    kept = [t for i, t in enumerate(clip.pts_s) if i not in damaged]
    assert max(abs(a - b) for a, b in zip(times, kept, strict=True)) <= 0.002  # the others keep their timestamps
    with av.open(str(out)) as c:
        assert len(c.streams.audio) == 1


def make_subtitled(tmp_path: Path, suffix: str, codec: str) -> Path:
    clip = write_clip(tmp_path / "plain.mp4", dark_frames(60, 320, 180))
    srt = tmp_path / "gps.srt"
    srt.write_text(SRT)
    out = tmp_path / f"dashcam{suffix}"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(clip.path), "-i", str(srt), "-map", "0", "-map", "1",
                    "-c:v", "copy", "-c:a", "copy", "-c:s", codec, str(out)], check=True, timeout=60)
    return out


def subtitle_text(path: Path) -> str:
    return subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:s:0", "-f", "srt", "-"],
                          capture_output=True, text=True, check=True, timeout=60).stdout


@needs_ffmpeg
@pytest.mark.parametrize(("suffix", "codec"), [(".mp4", "mov_text"), (".mkv", "srt")])
def test_subtitle_track_is_copied_when_the_container_allows(tmp_path: Path, suffix: str, codec: str) -> None:
    src = make_subtitled(tmp_path, suffix, codec)
    out = tmp_path / f"out{suffix}"
    r = run_cli("enhance", str(src), "-o", str(out))
    assert r.returncode == 0, r.stderr
    with av.open(str(out)) as c:
        assert [s.type for s in c.streams] == ["video", "audio", "subtitle"]
    text = subtitle_text(out)
    assert "GPS 51.5007N 0.1246W" in text and "GPS 51.5010N 0.1250W" in text
    assert text == subtitle_text(src)  # every cue, with its timing
    assert len(decode(out)[0]) == 60


@needs_ffmpeg
def test_a_track_the_output_cannot_hold_is_named_not_fatal(tmp_path: Path) -> None:
    src = make_subtitled(tmp_path, ".mkv", "srt")  # SubRip cannot go into MP4
    out = tmp_path / "out.mp4"
    r = run_cli("enhance", str(src), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "subtitle stream 2 (srt) of" in r.stderr and "not copied: mp4 files cannot hold it" in r.stderr
    with av.open(str(out)) as c:
        assert [s.type for s in c.streams] == ["video", "audio"]
