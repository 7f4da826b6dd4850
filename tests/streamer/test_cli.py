"""The ``streamer`` command end to end, as a user runs it, on clips made in the tests."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from tests.conftest import (
    Clip,
    as_foreground_job,
    dark_frames,
    decode,
    flicker,
    free_port,
    hunting_clip,
    luma,
    run_cli,
    write_clip,
)


def one_line_error(result) -> str:
    """The error must be one line, no traceback, and a non-zero exit."""
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("streamer: error: ")
    return lines[0]


def test_help_is_instant_and_lists_commands() -> None:
    t0 = time.perf_counter()
    r = run_cli("--help")
    assert r.returncode == 0
    for command in ("enhance", "models", "train", "export"):
        assert command in r.stdout
    assert time.perf_counter() - t0 < 5.0  # a fresh interpreter, no torch/onnxruntime import


def test_enhance_clip_keeps_frames_timestamps_audio_and_brightens(dark_clip: Clip, tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    r = run_cli("enhance", str(dark_clip.path), "-o", str(out), "--model", "zero-dce++")
    assert r.returncode == 0, r.stderr
    frames, times = decode(out)
    assert len(frames) == dark_clip.frames
    assert max(abs(a - b) for a, b in zip(times, dark_clip.pts_s, strict=True)) <= 0.002
    with av.open(str(out)) as c:
        assert [s.type for s in c.streams].count("audio") == 1
        assert c.streams.audio[0].codec_context.name == "aac"
        assert c.streams.video[0].codec_context.name == "h264"
    src, _ = decode(dark_clip.path)
    assert np.mean([luma(f) for f in frames]) >= 2.5 * np.mean([luma(f) for f in src])
    assert not list(tmp_path.glob("*.partial.*"))


def test_variable_frame_rate_timestamps_are_kept(tmp_path: Path) -> None:
    frames = dark_frames(12, 320, 180)
    pts = [0, 512, 1024, 2048, 2560, 4096, 4608, 5120, 7168, 7680, 8192, 9216]  # gaps of 1-4 frames
    clip = write_clip(tmp_path / "vfr.mp4", frames, pts=pts, audio=False)
    out = tmp_path / "vfr_out.mp4"
    r = run_cli("enhance", str(clip.path), "-o", str(out))
    assert r.returncode == 0, r.stderr
    _, times = decode(out)
    assert len(times) == 12
    assert max(abs(a - b) for a, b in zip(times, clip.pts_s, strict=True)) <= 0.002


@pytest.mark.parametrize("model", ["zero-dce", "zero-dce++"])
def test_enhance_folder_to_folder_keeps_names(model: str, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    names = ["2.png", "10.jpg", "img_3.png"]
    for name, rgb in zip(names, dark_frames(3, 200, 120), strict=True):
        cv2.imwrite(str(src / name), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 98])
    out = tmp_path / "out"
    r = run_cli("enhance", str(src), "-o", str(out), "--model", model)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    for name in names:
        before = cv2.imread(str(src / name))
        after = cv2.imread(str(out / name))
        assert after.shape == before.shape
        # brightened: 2.0x (zero-dce++) and 2.1x (zero-dce) measured; the curve's toe keeps the darkest
        # levels of these frames down, so not much over 2x
        assert after.mean() > 1.8 * before.mean()


def test_enhance_image_to_image(tmp_path: Path) -> None:
    img = tmp_path / "night.png"
    # Half the demo street's level (at 160x96 its lamps give it a luma of 48, which the models half leave alone).
    cv2.imwrite(str(img), cv2.cvtColor(dark_frames(1, 160, 96)[0] // 2, cv2.COLOR_RGB2BGR))
    out = tmp_path / "bright.png"
    r = run_cli("enhance", str(img), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert cv2.imread(str(out)).mean() > 2.0 * cv2.imread(str(img)).mean()


def test_demo_runs_without_any_input(tmp_path: Path) -> None:
    r = run_cli("enhance", "demo", "--duration", "1", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    frames, times = decode(tmp_path / "demo_enhanced.mp4")
    assert len(frames) == 30
    assert "demo_enhanced.mp4" in r.stderr


def test_models_lists_models_and_backend_reasons() -> None:
    r = run_cli("models")
    assert r.returncode == 0
    assert "zero-dce++" in r.stdout and "zero-dce " in r.stdout
    assert "onnxruntime" in r.stdout and "available" in r.stdout
    assert "tensorrt" in r.stdout


# -- bad input: one line, non-zero exit, nothing else ----------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    line = one_line_error(run_cli("enhance", str(tmp_path / "nope.mp4"), "-o", str(tmp_path / "o.mp4")))
    assert "not found" in line and "nope.mp4" in line


def test_garbage_file(tmp_path: Path) -> None:
    bad = tmp_path / "garbage.mp4"
    bad.write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    line = one_line_error(run_cli("enhance", str(bad), "-o", str(tmp_path / "o.mp4")))
    assert "garbage.mp4" in line and "not a readable video" in line


def test_truncated_file(dark_clip: Clip, tmp_path: Path) -> None:
    cut = tmp_path / "cut.mp4"
    data = dark_clip.path.read_bytes()
    cut.write_bytes(data[: len(data) // 3])  # the index (moov) is at the end: gone
    line = one_line_error(run_cli("enhance", str(cut), "-o", str(tmp_path / "o.mp4")))
    assert "cut.mp4" in line


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    assert "empty.mp4" in one_line_error(run_cli("enhance", str(empty), "-o", str(tmp_path / "o.mp4")))


def test_unknown_model(dark_clip: Clip, tmp_path: Path) -> None:
    line = one_line_error(run_cli("enhance", str(dark_clip.path), "-o", str(tmp_path / "o.mp4"), "--model", "magic"))
    assert "unknown model 'magic'" in line and "zero-dce++" in line


def test_unknown_backend(dark_clip: Clip, tmp_path: Path) -> None:
    line = one_line_error(run_cli("enhance", str(dark_clip.path), "-o", str(tmp_path / "o.mp4"), "--backend", "cuda9"))
    assert "unknown backend 'cuda9'" in line and "onnxruntime" in line


def test_unwritable_output(dark_clip: Clip, tmp_path: Path) -> None:
    line = one_line_error(run_cli("enhance", str(dark_clip.path), "-o", str(tmp_path / "no" / "such" / "o.mp4")))
    assert "cannot write" in line


def test_read_only_output_folder(dark_clip: Clip, tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        import os

        if os.access(ro, os.W_OK):  # root ignores permissions
            pytest.skip("running as root: permissions are not enforced")
        one_line_error(run_cli("enhance", str(dark_clip.path), "-o", str(ro / "o.mp4")))
    finally:
        ro.chmod(0o755)


def test_rtsp_nobody_listening_masks_password(tmp_path: Path) -> None:
    url = f"rtsp://admin:hunter2@127.0.0.1:{free_port()}/stream"
    t0 = time.monotonic()
    r = run_cli("enhance", url, "-o", str(tmp_path / "o.mp4"))
    line = one_line_error(r)
    assert time.monotonic() - t0 < 15
    assert "hunter2" not in r.stderr + r.stdout
    assert "admin:***@127.0.0.1" in line


def test_rtsp_server_that_never_answers_fails_within_timeout(tmp_path: Path) -> None:
    """A TCP peer that accepts and stays silent: the open timeout must fire."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    port = server.getsockname()[1]
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        t0 = time.monotonic()
        r = run_cli("enhance", f"rtsp://cam:s3cret@127.0.0.1:{port}/live", "-o", str(tmp_path / "o.mp4"),
                    "--open-timeout", "3", timeout=60)
        elapsed = time.monotonic() - t0
    finally:
        stop.set()
        thread.join()
        for s in held:
            s.close()
        server.close()
    line = one_line_error(r)
    assert elapsed < 15
    assert "s3cret" not in r.stderr
    assert "cannot open stream" in line


def test_missing_camera(tmp_path: Path) -> None:
    line = one_line_error(run_cli("enhance", "97", "-o", str(tmp_path / "o.mp4")))
    assert "camera 97 could not be opened" in line


def test_bad_flag_values_are_one_line(dark_clip: Clip, tmp_path: Path) -> None:
    one_line_error(run_cli("enhance", str(dark_clip.path), "-o", str(tmp_path / "o.mp4"), "--crf", "99"))
    one_line_error(run_cli("enhance", str(dark_clip.path), "-o", str(tmp_path / "o.mp4"), "--preset", "warp"))
    one_line_error(run_cli("enhance", str(dark_clip.path), "-o", str(tmp_path / "o.txt")))
    one_line_error(run_cli("enhance"))


def test_ctrl_c_leaves_a_playable_partial_file(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    out = tmp_path / "long.mp4"
    proc = subprocess.Popen([sys.executable, "-m", "streamer", "enhance", "demo", "--duration", "60", "-o", str(out)],
                            stderr=subprocess.PIPE, text=True, preexec_fn=as_foreground_job)
    partial = tmp_path / "long.partial.mp4"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not partial.exists() or partial.stat().st_size < 20_000):
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    frames, _ = decode(out)
    assert 0 < len(frames) < 1800
    assert not partial.exists()


def test_output_never_appears_under_final_name_before_done(tmp_path: Path) -> None:
    """kill -9 mid-job: no file under the final name, only the partial one."""
    import signal
    import subprocess
    import sys

    out = tmp_path / "killed.mp4"
    proc = subprocess.Popen([sys.executable, "-m", "streamer", "enhance", "demo", "--duration", "60", "-o", str(out)],
                            stderr=subprocess.DEVNULL)
    partial = tmp_path / "killed.partial.mp4"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not partial.exists():
        time.sleep(0.1)
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert partial.exists()
    assert not out.exists()


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe (Debian package ffmpeg) is not installed")
def test_output_is_standard_h264_yuv420p(dark_clip: Clip, tmp_path: Path) -> None:
    import json
    import subprocess

    out = tmp_path / "o.mp4"
    assert run_cli("enhance", str(dark_clip.path), "-o", str(out), "--crf", "23", "--preset", "ultrafast").returncode == 0
    probe = json.loads(subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(out)],
                                      capture_output=True, text=True, check=True).stdout)
    video = [s for s in probe["streams"] if s["codec_type"] == "video"][0]
    assert video["codec_name"] == "h264" and video["pix_fmt"] == "yuv420p"
    assert int(video["nb_frames"]) == dark_clip.frames


def test_enhance_smooths_flicker_of_a_video_by_default(tmp_path: Path) -> None:
    # A static night scene whose exposure hunts +-15 % from frame to frame, as a real H.264 file.
    clip = write_clip(tmp_path / "hunting.mp4", hunting_clip(30, 320, 192), audio=False)
    on, off = tmp_path / "on.mp4", tmp_path / "off.mp4"
    r = run_cli("enhance", str(clip.path), "-o", str(on))
    assert r.returncode == 0, r.stderr
    assert "temporal smoothing 0.8" in r.stderr and "deblocking on" in r.stderr
    r = run_cli("enhance", str(clip.path), "-o", str(off), "--no-smoothing", "--no-deblock", "--no-temporal-denoise")
    assert r.returncode == 0, r.stderr
    assert "temporal smoothing off" in r.stderr and "deblocking off" in r.stderr

    def decoded(path: Path) -> list[np.ndarray]:
        frames, _ = decode(path)
        assert len(frames) == clip.frames  # file mode: every frame out
        return frames

    assert flicker(decoded(on)) < 0.5 * flicker(decoded(off))


def test_enhance_averages_still_noise_away_by_default(tmp_path: Path) -> None:
    # A fixed night camera: one dark scene, fresh sensor noise in every frame, as a real H.264 file.
    base = dark_frames(1, 320, 192)[0].astype(np.float32) * 0.6
    rng = np.random.default_rng(3)
    frames = [np.clip(base + rng.normal(0.0, 2.0, base.shape) + 0.5, 0, 255).astype(np.uint8) for _ in range(24)]
    clip = write_clip(tmp_path / "still.mp4", frames, audio=False)
    on, off = tmp_path / "on.mp4", tmp_path / "off.mp4"
    r = run_cli("enhance", str(clip.path), "-o", str(on))
    assert r.returncode == 0, r.stderr
    assert "temporal denoising on" in r.stderr
    r = run_cli("enhance", str(clip.path), "-o", str(off), "--no-temporal-denoise")
    assert r.returncode == 0, r.stderr
    assert "temporal denoising off" in r.stderr

    def noise(path: Path) -> float:
        decoded, _ = decode(path)
        assert len(decoded) == clip.frames  # file mode: every frame out
        lum = np.stack([f.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32) for f in decoded[8:]])
        return float(lum.std(0).mean())

    assert noise(on) < 0.7 * noise(off)
    assert on.stat().st_size < off.stat().st_size  # still noise is what costs the encoder its bits
    # Said only for the models it applies to: the burst model fuses frames itself.
    r = run_cli("enhance", str(clip.path), "-o", str(tmp_path / "b.mp4"), "--model", "burst", "--duration", "0.2")
    assert r.returncode == 0, r.stderr
    assert "temporal denoising" not in r.stderr


def test_smoothing_defaults_by_source_and_model() -> None:
    from streamer.config import DEFAULT_SMOOTHING, EnhanceConfig

    assert EnhanceConfig(input="demo", output="o.mp4").smoothing_strength(smooths=True) == DEFAULT_SMOOTHING
    assert EnhanceConfig(input="night.jpg", output="o.jpg").smoothing_strength(smooths=True) == 0.0
    assert EnhanceConfig(input="demo", output="o.mp4").smoothing_strength(smooths=False) == 0.0
    assert EnhanceConfig(input="demo", output="o.mp4", smoothing=0.5).smoothing_strength(smooths=True) == 0.5
    r = run_cli("enhance", "demo", "-o", "x.mp4", "--smoothing", "1.5")
    assert r.returncode == 2 and "--smoothing" in r.stderr and "Traceback" not in r.stderr


# -- never destroy the footage: an output that is the input is refused ---------------------------


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(root: Path) -> dict[str, str]:
    """Every file under ``root`` with its sha256 (symlinks as their target)."""
    import os

    return {str(p.relative_to(root)): (f"-> {os.readlink(p)}" if p.is_symlink() else _sha256(p))
            for p in sorted(root.rglob("*")) if p.is_symlink() or p.is_file()}


@pytest.mark.parametrize("output", ["cam.mp4", "./cam.mp4", "sub/../cam.mp4", "link.mp4", "hard.mp4",
                                    "dir-link/cam.mp4"])
def test_an_output_that_is_the_input_is_refused_before_any_work(output: str, tmp_path: Path) -> None:
    import os

    clip = write_clip(tmp_path / "cam.mp4", dark_frames(4, 64, 48), audio=False).path
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.mp4").symlink_to(clip)
    os.link(clip, tmp_path / "hard.mp4")
    (tmp_path / "dir-link").symlink_to(tmp_path, target_is_directory=True)
    before = _files(tmp_path)
    r = run_cli("enhance", "cam.mp4", "-o", output, cwd=tmp_path)
    line = one_line_error(r)
    assert r.returncode == 4
    shown = Path(output)  # as the user wrote it, less a leading ./ or a trailing /
    assert f"output {shown} is the input cam.mp4: writing it would destroy the input; choose another output" in line
    assert _files(tmp_path) == before  # the input's bytes, and no output or cam.partial.mp4 made


def test_an_output_whose_temporary_file_is_the_input_is_refused(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "cam.partial.mp4", dark_frames(4, 64, 48), audio=False).path
    before = _files(tmp_path)
    r = run_cli("enhance", str(clip), "-o", str(tmp_path / "cam.mp4"))
    assert r.returncode == 4
    assert "would write" in one_line_error(r) and "over the input" in r.stderr
    assert _files(tmp_path) == before


@pytest.mark.parametrize(("output", "says"), [
    ("night", "is the input folder night: it would overwrite the input images; choose another folder"),
    ("night/", "is the input folder night"),
    ("alias", "is the input folder night"),
    ("night/enhanced", "is inside the input folder night: a re-run would read the outputs as inputs"),
    ("alias/enhanced", "is inside the input folder night"),
])
def test_a_folder_job_never_writes_into_its_input_folder(output: str, says: str, tmp_path: Path) -> None:
    night = tmp_path / "night"
    night.mkdir()
    for name, rgb in zip(("1.png", "2.jpg"), dark_frames(2, 64, 48), strict=True):
        cv2.imwrite(str(night / name), rgb)
    (tmp_path / "alias").symlink_to(night, target_is_directory=True)
    before = _files(tmp_path)
    r = run_cli("enhance", "night", "-o", output, cwd=tmp_path)
    assert r.returncode == 4
    assert says in one_line_error(r)
    assert _files(tmp_path) == before


def test_an_existing_output_that_is_not_the_input_is_overwritten_and_said_so(tmp_path: Path) -> None:
    img = tmp_path / "night.png"
    cv2.imwrite(str(img), cv2.cvtColor(dark_frames(1, 64, 48)[0], cv2.COLOR_RGB2BGR))
    original = _sha256(img)
    out = tmp_path / "bright.png"
    r = run_cli("enhance", str(img), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "overwriting" not in r.stderr and "wrote 1 frame to" in r.stderr
    out.write_bytes(b"an earlier result")
    r = run_cli("enhance", str(img), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert f"-> overwriting {out} with" in r.stderr
    assert cv2.imread(str(out)).shape == (48, 64, 3)  # the enhanced picture, not the earlier bytes
    assert _sha256(img) == original


@pytest.mark.parametrize("command", ["enhance", "serve"])
def test_device_says_what_it_is(command: str) -> None:
    r = run_cli(command, "--help")
    assert r.returncode == 0
    assert "--device {auto,cpu,cuda} where the model runs: auto" in " ".join(r.stdout.split())


def test_the_burst_model_takes_the_inputs_colour_unless_told_not_to(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "cam.mp4", dark_frames(8, 160, 96), audio=False).path
    kept, own = tmp_path / "kept.mp4", tmp_path / "own.mp4"
    r = run_cli("enhance", str(clip), "-o", str(kept), "--model", "burst")
    assert r.returncode == 0, r.stderr
    assert "colour from the input on" in r.stderr
    r = run_cli("enhance", str(clip), "-o", str(own), "--model", "burst", "--network-colour")
    assert r.returncode == 0, r.stderr
    assert "colour from the input off" in r.stderr
    a, b = decode(kept)[0], decode(own)[0]
    assert len(a) == len(b) == 8
    assert np.abs(a[-1].astype(int) - b[-1]).mean() > 0.5  # the layer changed the colour
    assert "colour from the input" not in run_cli("enhance", str(clip), "-o", str(own)).stderr  # a curve model
