"""``streamer.jobs.run_enhance`` directly, on real video through PyAV and a real loopback stream."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import cv2
import pytest

from streamer.config import EnhanceConfig
from streamer.errors import ConfigError, SinkError
from streamer.jobs import run_enhance
from tests.conftest import Clip, dark_frames, decode, free_port, luma
from tests.streamer.stream_server import running


def test_a_file_job_keeps_every_frame_and_timestamp_and_reports_progress(dark_clip: Clip, tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    progress: list[tuple[int, int | None]] = []
    stats = run_enhance(EnhanceConfig(input=str(dark_clip.path), output=str(out)), show_progress=False,
                        on_progress=lambda done, total: progress.append((done, total)))
    assert stats.frames_written == dark_clip.frames and stats.dropped == 0 and not stats.interrupted
    frames, times = decode(out)
    assert len(frames) == dark_clip.frames
    assert max(abs(a - b) for a, b in zip(times, dark_clip.pts_s, strict=True)) <= 0.002
    assert progress == [(i, dark_clip.frames) for i in range(1, dark_clip.frames + 1)]


def test_duration_cuts_a_file_job_by_stream_time(dark_clip: Clip, tmp_path: Path) -> None:
    out = tmp_path / "second.mp4"
    progress: list[tuple[int, int | None]] = []
    stats = run_enhance(EnhanceConfig(input=str(dark_clip.path), output=str(out), duration_s=1.0), show_progress=False,
                        on_progress=lambda done, total: progress.append((done, total)))
    assert stats.frames_written == 30 and len(decode(out)[0]) == 30
    assert progress[-1] == (30, 30)


def test_an_image_job_writes_beside_the_input_by_default(tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="streamer")
    image = tmp_path / "night.png"
    # Half the demo street's level (at 160x96 its lamps give it a luma of 48, which the models half leave alone).
    cv2.imwrite(str(image), cv2.cvtColor(dark_frames(1, 160, 96)[0] // 2, cv2.COLOR_RGB2BGR))
    stats = run_enhance(EnhanceConfig(input=str(image)), show_progress=False)
    out = tmp_path / "night_enhanced.png"
    assert stats.frames_written == 1 and out.is_file()
    assert cv2.imread(str(out)).mean() > 2.0 * cv2.imread(str(image)).mean()
    assert "temporal smoothing off" in caplog.text and f"wrote 1 frame to {out}" in caplog.text


def test_a_live_job_ends_at_its_duration_while_the_stream_is_down(tmp_path: Path, caplog) -> None:
    """The stream ends after 1.5 s and never comes back; the 4 s recording still ends on time."""
    caplog.set_level(logging.INFO, logger="streamer")
    out = tmp_path / "live.mp4"
    with running(1.5) as port:
        cfg = EnhanceConfig(input=f"tcp://127.0.0.1:{port}", output=str(out), duration_s=4.0)
        assert cfg.live
        t0 = time.monotonic()
        stats = run_enhance(cfg, show_progress=False)
        elapsed = time.monotonic() - t0
    assert 3.0 < elapsed < 7.0, f"the recording took {elapsed:.1f} s"
    frames, times = decode(out)
    assert len(frames) == stats.frames_written >= 20
    assert times[-1] < 2.5, "frames after the outage began?"
    assert luma(frames[-1]) > 40
    assert "live mode" in caplog.text and "1 outage" in caplog.text


def test_outputs_that_cannot_be_written_are_refused_with_their_password_masked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not supported") as e:
        run_enhance(EnhanceConfig(input="demo", output="rtmp://pub:hunter2@127.0.0.1/live", duration_s=1.0),
                    show_progress=False)
    assert "hunter2" not in str(e.value) and "pub:***@" in str(e.value)
    with pytest.raises(SinkError, match="cannot publish to rtsp://pub:\\*\\*\\*@127.0.0.1") as e:
        run_enhance(EnhanceConfig(input="demo", output=f"rtsp://pub:hunter2@127.0.0.1:{free_port()}/out",
                                  duration_s=1.0), show_progress=False)
    assert "hunter2" not in str(e.value)


def test_the_night_gate_leaves_a_day_scene_untouched_and_enhances_a_night_one(tmp_path: Path, caplog) -> None:
    from tests.conftest import write_clip

    caplog.set_level(logging.INFO, logger="streamer")
    night = [f // 4 for f in dark_frames(20, 160, 96)]
    day = [(f.astype(int) * 2).clip(0, 255).astype("uint8") for f in dark_frames(20, 160, 96, seed=2)]
    for name, frames in (("night", night), ("day", day)):
        clip = write_clip(tmp_path / f"{name}.mp4", frames, audio=False)
        out = tmp_path / f"{name}_out.mp4"
        run_enhance(EnhanceConfig(input=str(clip.path), output=str(out), night_gate="on", crf=0), show_progress=False)
        got, _ = decode(out)
        src, _ = decode(clip.path)
        assert len(got) == 20
        ratio = luma(got[-1]) / luma(src[-1])
        if name == "night":
            assert ratio > 2.0
        else:  # passed through untouched (lossless re-encode: within rounding of the colour conversions)
            assert abs(ratio - 1.0) < 0.02
    assert "night gate on" in caplog.text


def test_an_output_that_is_the_input_is_refused_before_the_source_or_the_model_is_opened(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    from streamer import jobs
    from streamer.errors import SinkError
    from tests.conftest import write_clip

    def never(*args, **kwargs):
        raise AssertionError("work started before the output was checked")

    monkeypatch.setattr(jobs, "open_source", never)
    monkeypatch.setattr(jobs.backends, "open_backend", never)
    clip = write_clip(tmp_path / "cam.mp4", dark_frames(2, 64, 48), audio=False).path
    original = hashlib.sha256(clip.read_bytes()).hexdigest()
    with pytest.raises(SinkError, match="is the input"):
        run_enhance(EnhanceConfig(input=str(clip), output=str(clip)), show_progress=False)
    assert hashlib.sha256(clip.read_bytes()).hexdigest() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cam.mp4"]
