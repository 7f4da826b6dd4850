"""``streamer run CAMERAS.toml`` and the camera flags of ``streamer serve``, as a user runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import dark_frames, decode, run_cli, write_clip


def one_line_error(result, code: int = 2) -> str:
    assert result.returncode == code, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("streamer: error: ")
    return lines[0]


CAMERA = '[[camera]]\nname = "{name}"\nsource = "rtsp://admin:hunter2@10.0.0.9/live"\noutput = "{name}.mp4"\n'


@pytest.mark.parametrize(("text", "expected"), [
    (CAMERA.format(name="porch") * 2, "camera name 'porch' is used twice"),
    ('[[camera]]\nname = "porch"\noutput = "porch.mp4"\n', "camera 1 ('porch') has no 'source'"),
    (CAMERA.format(name="porch") + 'modle = "zero-dce"\n', "unknown key 'modle'"),
    (CAMERA.format(name="porch") + 'model = "nope"\n', "unknown model 'nope'"),
    ('[[camera]]\nname = "porch"\nsource = "rtsp://admin:hunter2@10.0.0.9/live"\n', "camera 'porch' has no output"),
])
def test_a_bad_camera_list_is_one_line_exit_2_and_no_password(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "cameras.toml"
    path.write_text(text)
    line = one_line_error(run_cli("run", str(path), timeout=60))
    assert expected in line and str(path) in line and "hunter2" not in line


def test_serve_refuses_unnamed_sources_among_named_ones_and_flags_the_file_sets(tmp_path: Path) -> None:
    line = one_line_error(run_cli("serve", "--source", "a=demo", "--source", "rtsp://admin:hunter2@cam/x", timeout=60))
    assert "--source NAME=SPEC" in line and "hunter2" not in line
    path = tmp_path / "cameras.toml"
    path.write_text('[[camera]]\nname = "a"\nsource = "demo"\n')
    assert "drop --backend" in one_line_error(run_cli("serve", "--cameras", str(path), "--backend", "torch", timeout=60))
    assert "not both" in one_line_error(run_cli("serve", "--cameras", str(path), "--source", "b=demo", timeout=60))
    assert "used twice" in one_line_error(run_cli("serve", "--source", "a=demo", "--source", "a=0", timeout=60))


def test_a_camera_file_that_is_not_there_is_an_input_error_before_anything_runs(tmp_path: Path) -> None:
    path = tmp_path / "cameras.toml"
    path.write_text(f'[[camera]]\nname = "a"\nsource = "{tmp_path / "nope.mp4"}"\noutput = "{tmp_path / "a.mp4"}"\n')
    line = one_line_error(run_cli("run", str(path), timeout=60), code=3)
    assert "camera a: input not found" in line


@pytest.mark.slow
def test_run_records_every_camera_for_the_duration(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "night.mp4", dark_frames(30, 320, 180), audio=False)
    path = tmp_path / "cameras.toml"
    path.write_text(f'threads = 1\n\n[[camera]]\nname = "street"\nsource = "demo"\noutput = "{tmp_path / "street.mp4"}"\n\n'
                    f'[[camera]]\nname = "clip"\nsource = "{clip.path}"\noutput = "{tmp_path / "clip.mkv"}"\n'
                    'night_gate = "on"\n')
    r = run_cli("run", str(path), "--duration", "3", timeout=120)
    assert r.returncode == 0, r.stderr
    assert "camera street: demo -> " in r.stderr and "camera clip" in r.stderr and "Traceback" not in r.stderr
    assert r.stderr.count("loaded zero-dce++ on") == 1, r.stderr
    for name in ("street.mp4", "clip.mkv"):
        frames, times = decode(tmp_path / name)
        assert len(frames) >= 15 and times[-1] > 1.5, (name, len(frames), times[-1:])
