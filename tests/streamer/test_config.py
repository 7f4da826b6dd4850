"""What the ``enhance`` config decides once: the input's kind, the default output, live or file mode."""

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
