"""The camera list: ``[[camera]]`` tables in TOML and ``--source NAME=SPEC`` flags, and every way they can be wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamer.camera_config import CameraConfig, CamerasConfig, cameras_from_sources, load_cameras, split_source
from streamer.errors import ConfigError
from streamer.sources import SourceKind

GOOD = """
backend = "onnxruntime"
threads = 1
read_timeout = 3
batch_window_ms = 5

[[camera]]
name = "porch"
source = "rtsp://admin:hunter2@192.168.1.20/stream1"
output = "porch.mp4"
night_gate = "on"

[[camera]]
name = "yard"
source = "demo"
model = "zero-dce"
smoothing = 0
crf = 23
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cameras.toml"
    path.write_text(text)
    return path


def test_a_camera_list_is_read_typed_and_decided_once(tmp_path: Path) -> None:
    cfg = load_cameras(write(tmp_path, GOOD))
    assert isinstance(cfg, CamerasConfig)
    assert (cfg.backend, cfg.threads, cfg.read_timeout_s, cfg.open_timeout_s) == ("onnxruntime", 1, 3.0, 10.0)
    assert cfg.batch_window_ms == 5.0
    porch, yard = cfg.cameras
    assert (porch.name, porch.output, porch.model, porch.kind) == ("porch", "porch.mp4", "zero-dce++", SourceKind.URL)
    assert porch.shown == "rtsp://admin:***@192.168.1.20/stream1"
    assert porch.gate and porch.smoothing_strength(True) == 0.8 and porch.sink_options.low_latency
    assert not porch.sink_options.copy_audio
    assert (yard.output, yard.model, yard.crf, yard.kind) == (None, "zero-dce", 23, SourceKind.DEMO)
    assert not yard.gate and yard.smoothing_strength(True) == 0.0  # demo is no live source; smoothing 0 is off
    assert cfg.models == ("zero-dce++", "zero-dce")
    with pytest.raises(AttributeError):
        porch.name = "other"  # frozen


def test_the_night_gate_follows_the_source_unless_told() -> None:
    assert CameraConfig("a", "rtsp://cam/live").gate
    assert CameraConfig("a", "0").gate
    assert not CameraConfig("a", "demo").gate
    assert CameraConfig("a", "demo", night_gate="on").gate
    assert not CameraConfig("a", "rtsp://cam/live", night_gate="off").gate


@pytest.mark.parametrize(("text", "message"), [
    (GOOD + '\n[[camera]]\nname = "porch"\nsource = "demo"\n', "camera name 'porch' is used twice (cameras 1 and 3)"),
    ('[[camera]]\nname = "porch"\n', "camera 1 ('porch') has no 'source'"),
    ('[[camera]]\nsource = "rtsp://u:pw@h/x"\n', "camera 1 has no 'name'"),
    ('[[camera]]\nname = "a"\nsource = "demo"\noutptu = "a.mp4"\n', "camera 1 ('a'): unknown key 'outptu'"),
    ('[[camera]]\nname = "a"\nsource = "demo"\nmodel = "nope"\n', "camera 1 ('a'): unknown model 'nope'"),
    ('[[camera]]\nname = "a"\nsource = "demo"\nnight_gate = true\n', "night_gate must be a string"),
    ('[[camera]]\nname = "a"\nsource = "demo"\nnight_gate = "dusk"\n', "night_gate must be one of auto, on, off"),
    ('[[camera]]\nname = "a"\nsource = "demo"\nsmoothing = 1.5\n', "smoothing takes a strength from 0"),
    ('[[camera]]\nname = "a"\nsource = "demo"\ncrf = "high"\n', "crf must be a whole number, not str"),
    ('[[camera]]\nname = "a"\nsource = "demo"\noutput = "a.avi"\n', "unknown output type '.avi'"),
    ('[[camera]]\nname = "a b"\nsource = "demo"\n', "camera name 'a b' must be 1-64 letters"),
    ('[[camera]]\nname = "a"\nsource = "demo"\noutput = "x.mp4"\n[[camera]]\nname = "b"\nsource = "demo"\noutput = "x.mp4"\n',
     "cameras 'a' and 'b' write to the same output"),
    ('backend = "fast"\n[[camera]]\nname = "a"\nsource = "demo"\n', "unknown backend 'fast'"),
    ('colour = "red"\n[[camera]]\nname = "a"\nsource = "demo"\n', "unknown key 'colour'"),
    ('threads = 1\n', "no [[camera]] listed"),
    ('camera = "porch"\n', "'camera' must be an array of tables"),
    ('[[camera]]\nname = "a"\nsource = "demo\n', "not valid TOML"),
])
def test_a_bad_camera_list_is_one_line_that_names_the_file_and_the_camera(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as e:
        load_cameras(path)
    line = str(e.value)
    assert message in line and line.startswith(str(path)) and "\n" not in line


def test_a_bad_camera_never_shows_its_password(tmp_path: Path) -> None:
    # RTMP is not an output: the error names the output, its password masked.
    path = write(tmp_path, '[[camera]]\nname = "a"\nsource = "rtsp://admin:hunter2@cam/x"\noutput = "rtmp://u:s3cret@nvr/a"\n')
    with pytest.raises(ConfigError) as e:
        load_cameras(path)
    assert "s3cret" not in str(e.value) and "hunter2" not in str(e.value) and "u:***@nvr" in str(e.value)


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the camera list"):
        load_cameras(tmp_path / "nope.toml")


def test_source_flags_name_cameras_and_a_bare_spec_stays_one_source() -> None:
    assert split_source("porch=rtsp://u:p@cam/live") == ("porch", "rtsp://u:p@cam/live")
    assert split_source("rtsp://cam/live?channel=1") == (None, "rtsp://cam/live?channel=1")
    assert split_source("./a=b.mp4") == (None, "./a=b.mp4")
    assert split_source("demo") == (None, "demo")
    assert cameras_from_sources(["demo"]) is None
    cfg = cameras_from_sources(["a=demo", "b=rtsp://cam/live"], model="zero-dce", threads=1)
    assert [(c.name, c.source, c.model) for c in cfg.cameras] == [("a", "demo", "zero-dce"), ("b", "rtsp://cam/live", "zero-dce")]
    assert cfg.threads == 1
    with pytest.raises(ConfigError, match="need a name each"):
        cameras_from_sources(["a=demo", "demo"])
    with pytest.raises(ConfigError, match="--source: camera name 'a' is used twice"):
        cameras_from_sources(["a=demo", "a=0"])
