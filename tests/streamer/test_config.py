"""What the ``enhance`` config decides once: the input's kind, the default output and its kind, live or
file mode, pacing."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamer.config import EnhanceConfig
from streamer.errors import ConfigError
from streamer.sources import SourceKind


def test_the_kind_and_the_default_output_follow_the_input(tmp_path: Path) -> None:
    folder = tmp_path / "night"
    folder.mkdir()
    cases = {
        "demo": (SourceKind.DEMO, "demo_enhanced.mp4"),
        "0": (SourceKind.CAMERA, "capture_enhanced.mp4"),
        "rtsp://cam:pw@10.0.0.2/live": (SourceKind.URL, "capture_enhanced.mp4"),
        str(folder): (SourceKind.IMAGES, str(tmp_path / "night_enhanced")),
        str(tmp_path / "a.jpg"): (SourceKind.IMAGE, str(tmp_path / "a_enhanced.jpg")),
        str(tmp_path / "clip.mkv"): (SourceKind.VIDEO, str(tmp_path / "clip_enhanced.mp4")),
    }
    for spec, (kind, output) in cases.items():
        cfg = EnhanceConfig(input=spec)
        assert (cfg.kind, cfg.output) == (kind, output), spec
    assert EnhanceConfig(input="demo", output="elsewhere.mkv").output == "elsewhere.mkv"


def test_live_mode_by_the_source_unless_forced() -> None:
    assert EnhanceConfig(input="rtsp://cam/live").live
    assert EnhanceConfig(input="0").live
    assert not EnhanceConfig(input="demo").live
    assert not EnhanceConfig(input="rtsp://cam/live", mode="file").live
    assert EnhanceConfig(input="demo", mode="live").live


def test_publishing_is_live_and_plays_files_at_their_rate(tmp_path: Path) -> None:
    clip = str(tmp_path / "clip.mp4")
    for output in ("rtsp://nvr:8554/night", "-"):
        cfg = EnhanceConfig(input=clip, output=output)
        assert cfg.live and cfg.paced and cfg.sink.live, output
        camera = EnhanceConfig(input="rtsp://cam/live", output=output)
        assert camera.live and not camera.paced  # a camera comes in real time already
        assert EnhanceConfig(input="demo", output=output, mode="live").paced
        with pytest.raises(ConfigError, match="--mode file does not apply"):
            EnhanceConfig(input=clip, output=output, mode="file")
        with pytest.raises(ConfigError, match="images in, video out"):
            EnhanceConfig(input=str(tmp_path / "a.jpg"), output=output)
    with pytest.raises(ConfigError, match=r"-o rtsp://nvr:\*\*\*@h:8554/x: .* --mode file") as e:
        EnhanceConfig(input=clip, output="rtsp://nvr:s3cret@h:8554/x", mode="file")
    assert "s3cret" not in str(e.value)
    assert not EnhanceConfig(input=clip, output="out.mp4").paced


def test_malformed_outputs_are_refused_before_anything_opens() -> None:
    with pytest.raises(ConfigError, match="port must be a number"):
        EnhanceConfig(input="rtsp://cam/live", output="rtsp://nvr:port/x")
    with pytest.raises(ConfigError, match="is not supported"):
        EnhanceConfig(input="rtsp://cam/live", output="rtmp://nvr/live")


def test_bad_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="--mode"):
        EnhanceConfig(input="demo", mode="fast")
    with pytest.raises(ConfigError, match="--weights"):
        EnhanceConfig(input="demo", weights=Path("model.bin"))


def test_the_night_gate_is_on_for_live_jobs_unless_told() -> None:
    assert EnhanceConfig(input="rtsp://cam/live").gate
    assert not EnhanceConfig(input="demo").gate
    assert EnhanceConfig(input="demo", night_gate="on").gate
    assert not EnhanceConfig(input="rtsp://cam/live", night_gate="off").gate
    assert not EnhanceConfig(input="night.jpg", night_gate="on").gate  # one picture: nothing to fade
    with pytest.raises(ConfigError, match="--night-gate"):
        EnhanceConfig(input="demo", night_gate="sometimes")


def test_the_current_folder_as_input_gets_a_sibling_output(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "night"
    (folder / "sub").mkdir(parents=True)
    monkeypatch.chdir(folder)
    assert EnhanceConfig(input=".").output == str(tmp_path / "night_enhanced")
    assert EnhanceConfig(input="sub/..").output == str(tmp_path / "night_enhanced")
