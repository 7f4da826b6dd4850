"""The no-reference video measures of benchmarks/eval_real.py on closed-form cases."""

from __future__ import annotations

import av
import cv2
import numpy as np
import pytest

from benchmarks.video_metrics import (
    GroupNoise,
    LumaStats,
    NoisePlan,
    TemporalNoise,
    align,
    blockiness,
    colourfulness,
    gain,
    gain_for_mean,
    global_shift,
    luma601,
    near_black_chroma,
    newly_clipped,
    still_mask,
    ycbcr601,
)


def _smooth_field(h: int, w: int, seed: int = 0, sigma: float = 6.0) -> np.ndarray:
    """(H, W) float32 smooth random texture, about 30..220."""
    noise = np.random.default_rng(seed).normal(0, 1, (h, w)).astype(np.float32)
    f = cv2.GaussianBlur(noise, (0, 0), sigma)
    return (125 + 95 * f / np.abs(f).max()).astype(np.float32)


def test_bt601_limited_range_levels() -> None:
    frame = np.array([[[0, 0, 0], [255, 255, 255], [255, 0, 0], [128, 128, 128]]], np.uint8)
    ycc = ycbcr601(frame)
    np.testing.assert_allclose(ycc[0, 0], [16, 128, 128], atol=1e-3)
    np.testing.assert_allclose(ycc[0, 1], [235, 128, 128], atol=1e-3)
    np.testing.assert_allclose(ycc[0, 2], [81.481, 90.203, 240.0], atol=1e-3)  # pure red
    np.testing.assert_allclose(luma601(frame)[0], ycc[0, :, 0], atol=1e-4)


def test_bt601_matches_what_video_stores() -> None:
    """swscale's default rgb24 -> yuv444p (what an encoder is fed) agrees to rounding."""
    rgb = np.random.default_rng(1).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    planes = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv444p").to_ndarray()
    stored = np.moveaxis(planes.reshape(3, 16, 16), 0, -1).astype(np.float32)
    assert np.abs(ycbcr601(rgb) - stored).max() <= 1.01


def test_near_black_chroma_of_grey_colour_and_bright_frames() -> None:
    grey = np.full((8, 8, 3), 20, np.uint8)
    assert near_black_chroma(ycbcr601(grey)) == (0.0, 64)
    blue = np.zeros((8, 8, 3), np.uint8)
    blue[..., 2] = 60  # Y 21.9: near black; Cb 128 + 112 * 60 / 255, Cr 128 - 18.214 * 60 / 255
    value, n = near_black_chroma(ycbcr601(blue))
    assert n == 64
    assert value == pytest.approx(112 * 60 / 255 + 18.214 * 60 / 255, abs=1e-3)
    value, n = near_black_chroma(ycbcr601(np.full((8, 8, 3), 200, np.uint8)))
    assert n == 0 and np.isnan(value)


def test_blockiness_of_block_steps_and_smooth_pictures() -> None:
    rng = np.random.default_rng(0)
    steps = np.kron(rng.uniform(40, 200, (24, 32)), np.ones((8, 8))).astype(np.float32)
    steps += rng.normal(0, 1, steps.shape).astype(np.float32)  # a little texture inside blocks
    assert blockiness(steps) > 10
    ramp = np.add.outer(np.arange(192), np.arange(256)).astype(np.float32) * 0.5
    assert blockiness(ramp) == pytest.approx(1.0, abs=1e-6)
    assert blockiness(_smooth_field(192, 256)) == pytest.approx(1.0, abs=0.05)
    assert np.isnan(blockiness(np.full((64, 64), 50, np.float32)))


def test_colourfulness_of_grey_and_pure_colour() -> None:
    assert colourfulness(np.full((10, 10, 3), 77, np.uint8)) == pytest.approx(0.0, abs=1e-6)
    # rg = 100, yb = 100 everywhere: no spread, M = 0.3 * sqrt(100^2 + 100^2)
    assert colourfulness(np.full((10, 10, 3), (200, 100, 50), np.uint8)) == pytest.approx(0.3 * np.hypot(100, 100), rel=1e-5)
    # half red (rg 255, yb 127.5), half black: sd = half the span, mean = half the value
    half = np.zeros((10, 10, 3), np.uint8)
    half[:5, :, 0] = 255
    expect = np.hypot(127.5, 63.75) + 0.3 * np.hypot(127.5, 63.75)
    assert colourfulness(half) == pytest.approx(expect, rel=1e-5)


def test_newly_clipped_counts_only_pixels_that_were_not_clipped_before() -> None:
    inp = np.full((10, 10, 3), 100, np.uint8)
    inp[0, :, 1] = 255  # row 0 already clipped
    out = inp.copy()
    out[0, :, :] = 255  # still clipped: not new
    out[1, :5, 0] = 255  # 5 new pixels
    assert newly_clipped(out, inp) == pytest.approx(0.05)
    assert newly_clipped(inp, inp) == 0.0


def test_temporal_noise_of_gaussian_noise_is_its_sigma() -> None:
    rng = np.random.default_rng(0)
    base = _smooth_field(64, 80)
    noise = TemporalNoise()
    for t in range(200):
        flicker = 5.0 * np.sin(t)  # a brightness change of the whole frame is not noise
        noise.add(base + flicker + rng.normal(0, 3.0, base.shape).astype(np.float32))
    assert noise.frames == 200
    assert noise.mean() == pytest.approx(3.0, rel=0.02)
    mask = np.zeros(base.shape, bool)
    mask[:10] = True
    assert noise.mean(mask) == pytest.approx(3.0, rel=0.05)
    still = TemporalNoise()
    for _ in range(3):
        still.add(base)
    assert still.mean() == pytest.approx(0.0, abs=1e-4)


def test_luma_stats_mean_and_percentiles() -> None:
    stats = LumaStats()
    for lo in (16, 66):  # two frames: 16..65.9 and 66..115.9, uniform
        stats.add(np.linspace(lo, lo + 49.99, 10_000, dtype=np.float32).reshape(100, 100))
    assert stats.mean == pytest.approx(66.0, abs=0.01)
    assert stats.percentile(2) == pytest.approx(16 + 0.02 * 100, abs=0.15)
    assert stats.percentile(50) == pytest.approx(66.0, abs=0.15)


def test_global_shift_finds_a_camera_move_and_none_without_one() -> None:
    scene = _smooth_field(220, 300, sigma=3.0)
    a = scene[10:190, 10:250]
    moved = scene[13:193, 5:245]  # the view moved: content shifts by dx = +5, dy = -3
    rng = np.random.default_rng(2)
    dx, dy = global_shift(a, moved + rng.normal(0, 2, a.shape).astype(np.float32))
    assert dx == pytest.approx(5.0, abs=0.1) and dy == pytest.approx(-3.0, abs=0.1)
    dx, dy = global_shift(a, a + rng.normal(0, 2, a.shape).astype(np.float32))
    assert abs(dx) < 0.2 and abs(dy) < 0.2


def test_gain_and_the_gain_that_reaches_a_mean() -> None:
    rgb = np.random.default_rng(3).integers(0, 60, (30, 40, 3), dtype=np.uint8)
    doubled = gain(rgb, 2.0)
    assert np.array_equal(doubled, (rgb.astype(int) * 2).clip(0, 255))
    assert gain(np.full((1, 1, 3), 200, np.uint8), 2.0)[0, 0, 0] == 255
    k = gain_for_mean([rgb], 80.0)
    assert luma601(gain(rgb, k)).mean() == pytest.approx(80.0, abs=0.1)
    assert gain_for_mean([rgb], float(luma601(rgb).mean())) == pytest.approx(1.0, abs=0.02)


def _panning_clip(n: int, step: tuple[float, float], sigma: float, seed: int = 0) -> list[np.ndarray]:
    """(H, W) float32 lumas of a smooth scene seen by a camera moving ``step`` px per frame (the
    content shifts by -step), with fresh Gaussian noise of ``sigma`` on every frame."""
    rng = np.random.default_rng(seed)
    scene = _smooth_field(200, 260, seed=seed, sigma=4.0)
    frames = []
    for t in range(n):
        m = np.float32([[1, 0, -(20 + step[0] * t)], [0, 1, -(20 + step[1] * t)]])
        view = cv2.warpAffine(scene, m, (160, 120), flags=cv2.INTER_CUBIC)
        frames.append(view + rng.normal(0, sigma, view.shape).astype(np.float32))
    return frames


def test_group_noise_of_a_static_shot_is_the_sensor_sigma() -> None:
    frames = _panning_clip(60, (0.0, 0.0), 3.0)
    plan = NoisePlan([(0, 60)], [(0.0, 0.0)] * 60, [np.ones(frames[0].shape, bool)])
    noise = GroupNoise(plan)
    for t, y in enumerate(frames):
        noise.add(t, y, np.zeros(y.shape, bool))
    assert noise.mean == pytest.approx(3.0, rel=0.03)
    assert noise.fraction == 1.0


def test_group_noise_aligned_on_a_pan_measures_noise_not_motion() -> None:
    step = (1.5, -0.75)
    frames = _panning_clip(16, step, 3.0)
    groups = [(a, a + 4) for a in range(0, 16, 4)]
    # The content moves by -step per frame: global_shift measures that, align undoes it.
    shifts = [(-step[0] * (t % 4), -step[1] * (t % 4)) for t in range(16)]
    dx, dy = global_shift(frames[0], frames[1])
    assert dx == pytest.approx(shifts[1][0], abs=0.1) and dy == pytest.approx(shifts[1][1], abs=0.1)
    still = [np.ones(frames[0].shape, bool)] * 4
    aligned, unaligned = GroupNoise(NoisePlan(groups, shifts, still)), GroupNoise(NoisePlan(groups, [(0.0, 0.0)] * 16, still))
    for t, y in enumerate(frames):
        aligned.add(t, y, np.zeros(y.shape, bool))
        unaligned.add(t, y, np.zeros(y.shape, bool))
    assert 2.2 < aligned.mean < 3.05  # sub-pixel interpolation (Lanczos) smooths the noise a little
    assert unaligned.mean > 1.5 * aligned.mean
    assert 0.8 < aligned.fraction < 1.0  # what the shift brings in from outside is left out


def test_group_noise_leaves_out_pixels_that_clip() -> None:
    frames = _panning_clip(8, (0.0, 0.0), 3.0)
    plan = NoisePlan([(0, 8)], [(0.0, 0.0)] * 8, [np.ones(frames[0].shape, bool)])
    noise = GroupNoise(plan)
    for t, y in enumerate(frames):
        clip = np.zeros(y.shape, bool)
        clip[:30] = t == 3  # a quarter of the frame clips once
        noise.add(t, y, clip)
    assert noise.fraction == pytest.approx(0.75)


def test_still_mask_leaves_out_what_moves_and_the_border() -> None:
    std = np.full((100, 120), 0.2, np.float32)
    std[40:50, 60:70] = 5.0  # a moving object
    mask = still_mask(std)
    assert not mask[40:50, 60:70].any() and not mask[37, 57]  # dilated by the 7-px window
    assert mask[20, 20] and not mask[3, 50] and not mask[50, 118]
    valid = np.ones_like(mask)
    valid[:, :30] = False  # outside the aligned overlap
    assert not still_mask(std, valid)[50, 32] and still_mask(std, valid)[50, 40]


def test_align_undoes_a_measured_shift() -> None:
    scene = _smooth_field(120, 160, sigma=4.0)
    moved = align(scene, (-3.0, 2.0), border=0.0)  # content at x - 3, y + 2 comes to x, y
    np.testing.assert_allclose(moved[10:100, 10:140], scene[12:102, 7:137], atol=1e-3)
    assert align(scene, (0.0, 0.0)) is scene
