"""Synthetic dark bursts: the camera model's statistics, motion, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from models.errors import ConfigError
from models.runtime.srgb import srgb_to_linear
from models.training.synth import (
    BurstSampler,
    Exposure,
    SynthConfig,
    draw_exposure,
    expose,
    make_burst,
    render_burst,
    well_exposed,
)


def textured(h: int = 200, w: int = 240, seed: int = 0) -> np.ndarray:
    """A clean, well-exposed test image with structure everywhere (smooth blobs + edges)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.zeros((h, w, 3), np.float32)
    for c in range(3):
        for _ in range(6):
            cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(15, 60)
            img[..., c] += rng.uniform(0.2, 0.6) * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))
    img += 0.25 * ((xx // 20 + yy // 20) % 2)[..., None]
    return np.clip(img / img.max() * 230 + 10, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("ratio", [5.0, 20.0, 50.0])
def test_mean_darkening_is_the_ratio_in_linear_light(ratio: float) -> None:
    clean = np.full((128, 128, 3), 180, np.uint8)
    dark = expose(clean, Exposure(ratio=ratio, photons=5000.0, read_sigma=0.0005), np.random.default_rng(0))
    measured = srgb_to_linear(clean / 255.0).mean() / srgb_to_linear(dark / 255.0).mean()
    # 8-bit quantization of a dark frame biases a little: within 10 %.
    assert measured == pytest.approx(ratio, rel=0.1)
    assert dark.mean() < clean.mean() / 2


def test_noise_variance_grows_with_signal() -> None:
    exp = Exposure(ratio=4.0, photons=800.0, read_sigma=0.001)
    rng = np.random.default_rng(1)
    stds = []
    for level in (40, 120, 250):
        dark = expose(np.full((128, 128, 3), level, np.uint8), exp, rng)
        stds.append(srgb_to_linear(dark / 255.0).std())  # in linear light, where shot noise is Poisson
    assert stds[0] < stds[1] < stds[2]
    # Shot noise: variance ~ signal / photons, so the brightest patch is about sqrt(ratio of means) noisier.
    assert stds[2] / stds[0] > 2.0


def test_row_noise_makes_rows_differ() -> None:
    clean = np.full((128, 128, 3), 120, np.uint8)
    base = Exposure(ratio=8.0, photons=3000.0, read_sigma=0.002)
    rows = Exposure(ratio=8.0, photons=3000.0, read_sigma=0.002, row_sigma=0.004)
    a = expose(clean, base, np.random.default_rng(0)).astype(np.float32).mean((1, 2)).std()
    b = expose(clean, rows, np.random.default_rng(0)).astype(np.float32).mean((1, 2)).std()
    assert b > 3 * a


def test_same_seed_same_burst_other_seed_other_burst() -> None:
    img, cfg = textured(), SynthConfig(frames=4, crop=64)
    a = make_burst(img, cfg, np.random.default_rng(7))
    b = make_burst(img, cfg, np.random.default_rng(7))
    c = make_burst(img, cfg, np.random.default_rng(8))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and a[2] == b[2]
    assert not np.array_equal(a[0], c[0])


def test_target_is_the_newest_frame_and_an_exact_crop() -> None:
    img = textured()
    cfg = SynthConfig(frames=5, crop=64, static_prob=0.0, patch_prob=0.0)
    frames, target = render_burst(img, cfg, np.random.default_rng(3))
    assert np.array_equal(frames[-1], target)
    # The newest frame is a crop of the image without resampling: it appears verbatim.
    hits = [(y, x) for y in range(img.shape[0] - 63) for x in range(img.shape[1] - 63)
            if np.array_equal(img[y : y + 64, x : x + 64], target)]
    assert len(hits) == 1
    # The older frames are moved versions: not equal to the target.
    assert all(not np.array_equal(f, target) for f in frames[:-1])


def test_a_pan_moves_the_older_frames_along_a_line() -> None:
    import cv2

    # Smoothed random texture: no periodic pattern to fool the phase correlation.
    noise = np.random.default_rng(0).integers(0, 256, (300, 300, 3), dtype=np.uint8)
    img = cv2.GaussianBlur(noise, (0, 0), 2.0)
    cfg = SynthConfig(frames=4, crop=96, static_prob=0.0, patch_prob=0.0, jitter=0.0, rotate_deg=0.0, zoom=0.0,
                      pan_speed=5.0)
    frames, target = render_burst(img, cfg, np.random.default_rng(5))
    shifts = []
    for f in frames[:-1]:
        (dx, dy), _ = cv2.phaseCorrelate(target.mean(2).astype(np.float64), f.mean(2).astype(np.float64))
        shifts.append((dx, dy))
    shifts = np.array(shifts)  # oldest first: 3, 2, 1 frames before the newest
    norms = np.hypot(shifts[:, 0], shifts[:, 1])
    assert norms[0] > norms[1] > norms[2] > 0.5  # the older, the further
    assert norms[0] / norms[1] == pytest.approx(1.5, rel=0.1)  # constant velocity: 3 steps vs 2
    cos = shifts[0] @ shifts[1] / (norms[0] * norms[1])
    assert cos > 0.99  # along one line


def test_static_shots_barely_move() -> None:
    cfg = SynthConfig(frames=6, crop=64, static_prob=1.0, patch_prob=0.0)
    frames, target = render_burst(textured(), cfg, np.random.default_rng(2))
    diff = np.abs(frames.astype(int) - target.astype(int)).mean()
    assert diff < 8


def test_well_exposed_filter_and_sampler(tmp_path) -> None:
    import cv2

    assert well_exposed(textured())
    assert not well_exposed((textured() * 0.1).astype(np.uint8))
    cv2.imwrite(str(tmp_path / "1.png"), textured())
    cv2.imwrite(str(tmp_path / "2.png"), (textured(seed=1) * 0.1).astype(np.uint8))  # too dark: skipped
    sampler = BurstSampler([tmp_path / "1.png", tmp_path / "2.png"], SynthConfig(frames=3, crop=64), short_side=128)
    assert len(sampler.images) == 1
    x, y = sampler.batch(2)
    assert x.shape == (2, 3, 64, 64, 3) and y.shape == (2, 64, 64, 3) and x.dtype == np.uint8
    assert x.mean() < y.mean() / 2  # dark input, bright target


def test_bad_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError):
        SynthConfig(ratio=(0.5, 2.0))
    with pytest.raises(ConfigError):
        render_burst(np.zeros((32, 32, 3), np.uint8), SynthConfig(crop=64), np.random.default_rng(0))


def test_a_colour_cast_scales_channels_in_linear_light() -> None:
    clean = np.full((64, 64, 3), 200, np.uint8)
    exp = Exposure(ratio=4.0, photons=20000.0, read_sigma=0.0002, channel_gain=(0.5, 1.0, 0.8))
    dark = srgb_to_linear(expose(clean, exp, np.random.default_rng(0)) / 255.0).mean((0, 1))
    assert dark[0] / dark[1] == pytest.approx(0.5, rel=0.05) and dark[2] / dark[1] == pytest.approx(0.8, rel=0.05)


def test_a_monochrome_camera_sends_grey_frames_and_its_target_is_the_luma() -> None:
    cfg = SynthConfig(frames=3, crop=64, mono_prob=1.0)
    burst, target, exp = make_burst(textured(), cfg, np.random.default_rng(0))
    assert exp.mono
    assert (burst[..., 0] == burst[..., 1]).all() and (burst[..., 1] == burst[..., 2]).all()  # R = G = B, noise too
    assert (target[..., 0] == target[..., 2]).all() and target.std() > 10  # a grey target with the scene's structure
    colour = textured()[:64, :64]
    assert not (colour[..., 0] == colour[..., 2]).all()  # the image was in colour


def test_420_chroma_halves_the_colour_resolution_and_keeps_the_luma() -> None:
    rng = np.random.default_rng(0)
    clean = np.full((64, 64, 3), 120, np.uint8)
    clean[::2, :, 0] = 200  # red stripes one pixel high: colour detail 4:2:0 cannot carry
    plain = expose(clean, Exposure(ratio=1.0, photons=1e7, read_sigma=0.0), rng)
    sub = expose(clean, Exposure(ratio=1.0, photons=1e7, read_sigma=0.0, chroma420=True), rng)
    def luma(x):
        return x.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    # Luma survives (up to the YCbCr round trip); the red alternates far less from row to row.
    assert np.abs(luma(sub) - luma(plain)).mean() < 6
    def row_steps(x):
        return np.abs(np.diff(x[..., 0].astype(int), axis=0)).mean()
    assert row_steps(sub) < 0.6 * row_steps(plain)


def test_mono_and_420_are_not_drawn_unless_asked_for() -> None:
    """The shipped weights' training drew without them: the same seed draws the same cameras."""
    old = [draw_exposure(SynthConfig(), np.random.default_rng(s)) for s in range(20)]
    assert not any(e.mono or e.chroma420 for e in old)
    new = [draw_exposure(SynthConfig(mono_prob=0.5, chroma420_prob=0.5), np.random.default_rng(s)) for s in range(40)]
    assert any(e.mono for e in new) and any(e.chroma420 for e in new) and not all(e.mono for e in new)
    assert [(e.ratio, e.photons) for e in old] == [(e.ratio, e.photons) for e in new[:20]]  # the earlier draws stand
