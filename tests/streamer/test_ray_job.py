"""``streamer enhance DIR -o OUT --ray``: a folder of videos over a local Ray instance, one task per file."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from streamer.config import EnhanceConfig
from streamer.errors import ConfigError
from streamer.ray_job import FilesProgress, output_name, plan
from tests.conftest import as_foreground_job, dark_frames, decode, run_cli, write_clip


@pytest.mark.parametrize("source", ["0", "rtsp://user:secret@127.0.0.1:8554/cam", "demo", "FILE"])
def test_ray_takes_a_folder_only(source: str, tmp_path: Path) -> None:
    if source == "FILE":
        source = str(write_clip(tmp_path / "in.mp4", dark_frames(2, 64, 48), audio=False).path)
    result = run_cli("enhance", source, "-o", str(tmp_path / "out"), "--ray", timeout=60)
    assert result.returncode == 2
    assert "--ray spreads the videos of a folder over a Ray cluster" in result.stderr
    assert "secret" not in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_ray_writes_into_a_folder_outside_the_input(tmp_path: Path) -> None:
    (tmp_path / "videos").mkdir()
    write_clip(tmp_path / "videos" / "a.mp4", dark_frames(2, 64, 48), audio=False)
    with pytest.raises(ConfigError, match="-o takes a folder"):
        EnhanceConfig(input=str(tmp_path / "videos"), output=str(tmp_path / "out.mp4"), ray=True)
    with pytest.raises(Exception, match="inside the input folder"):
        plan(EnhanceConfig(input=str(tmp_path / "videos"), output=str(tmp_path / "videos" / "out"), ray=True))


def test_outputs_keep_the_name_in_a_container_the_encoder_writes() -> None:
    assert output_name(Path("cam 1.mkv")) == "cam 1.mkv"
    assert output_name(Path("dashcam.AVI")) == "dashcam.mp4"


def test_the_bar_counts_files_and_frames() -> None:
    bar = FilesProgress(5, stream=io.StringIO(), enabled=True)
    bar.frames, bar.failed = 340, 1
    line = bar.line(2)
    assert "2/5 files" in line and "340 frames" in line and "1 failed" in line


@pytest.mark.slow
def test_a_folder_over_local_ray_reports_the_broken_file_and_finishes_the_others(tmp_path: Path) -> None:
    pytest.importorskip("ray", reason="ray is not installed (pip install 'streamer[ray]')")
    videos, out = tmp_path / "videos", tmp_path / "out"
    videos.mkdir()
    write_clip(videos / "1.mp4", dark_frames(6, 96, 64, seed=1))
    write_clip(videos / "2.mkv", dark_frames(9, 96, 64, seed=2), audio=False)
    (videos / "3.mp4").write_bytes(b"not a video at all" * 100)
    (videos / "notes.txt").write_text("not a video either")
    result = run_cli("enhance", str(videos), "-o", str(out), "--ray", "--threads", "1", timeout=240)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert f"enhanced 2 of 3 videos into {out} (15 frames); failed: 3.mp4" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["1.mp4", "2.mkv"]
    assert len(decode(out / "1.mp4")[0]) == 6 and len(decode(out / "2.mkv")[0]) == 9


@pytest.mark.slow
def test_sigterm_finishes_each_file_with_the_frames_done(tmp_path: Path) -> None:
    """Ray installs a SIGTERM handler that ends the driver at once; ours must win, so every running task
    finishes its file (renamed, playable) and the job exits 130."""
    pytest.importorskip("ray", reason="ray is not installed (pip install 'streamer[ray]')")
    videos, out = tmp_path / "videos", tmp_path / "out"
    videos.mkdir()
    write_clip(videos / "long.mp4", dark_frames(30, 320, 180) * 40, audio=False)
    proc = subprocess.Popen([sys.executable, "-m", "streamer", "enhance", str(videos), "-o", str(out), "--ray",
                             "--threads", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            # Ray stops a task with SIGINT: a test run started in the background (its children
                            # ignore SIGINT) must not make the task deaf to it.
                            preexec_fn=as_foreground_job)
    try:
        deadline = time.monotonic() + 120
        while not (out / "long.partial.mp4").exists():
            assert proc.poll() is None and time.monotonic() < deadline, "the task never started writing"
            time.sleep(0.1)
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "SIGTERM received" not in stderr
    assert "long.mp4: interrupted after" in stderr
    assert sorted(p.name for p in out.iterdir()) == ["long.mp4"]
    assert 0 < len(decode(out / "long.mp4")[0]) < 1200
