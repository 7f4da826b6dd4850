"""The colour-true rule (models.nets.tone) and its CPU mirror (models.runtime.tone)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from models.runtime.tone import ColourTrueCurves, exposure_strength

torch = pytest.importorskip("torch")

from models.nets import tone  # noqa: E402
from models.nets.frame import to_uint8  # noqa: E402


def _thumbnail(rgb: np.ndarray, alphas: np.ndarray) -> np.ndarray:
    """The frame averaged to the map's size, (3, h, w) float32 in [0, 1] (what sets step 5's gain)."""
    small = cv2.resize(rgb, alphas.shape[:0:-1], interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(small.transpose(2, 0, 1), np.float32) / np.float32(255.0)


def _torch_rule(rgb: np.ndarray, alphas: np.ndarray) -> np.ndarray:
    """The reference: the torch rule on (H, W, 3) uint8 with a low-resolution (3, h, w) map, upsampled
    bilinearly as Zero-DCE++ does, and FrameModel's rounding."""
    import torch.nn.functional as F

    x = torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255.0
    small = torch.from_numpy(alphas)[None]
    a = F.interpolate(small, size=rgb.shape[:2], mode="bilinear", align_corners=False)
    thumbnail = (torch.from_numpy(_thumbnail(rgb, alphas))[None], small)
    return to_uint8(tone.apply_colour_true(x, a, 8, thumbnail)).numpy()


def _cpu_rule(rgb: np.ndarray, alphas: np.ndarray) -> np.ndarray:
    s = exposure_strength(rgb)
    return ColourTrueCurves().apply(rgb, alphas * s, s, _thumbnail(rgb, alphas))


def _frame(seed: int, mean: float, shape=(45, 61)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.uniform(0, 2 * mean, (*shape, 1)) * rng.uniform(0.3, 1.0, (1, 1, 3))
    return np.clip(base + rng.normal(0, 2, (*shape, 3)), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("mean", [3.0, 12.0, 40.0, 90.0])
def test_the_table_path_equals_the_torch_rule(mean: float) -> None:
    rgb = _frame(0, mean)
    alphas = np.random.default_rng(1).uniform(-0.2, 0.8, (3, 4, 5)).astype(np.float32)
    diff = np.abs(_cpu_rule(rgb, alphas).astype(int) - _torch_rule(rgb, alphas).astype(int))
    assert diff.max() <= 1 and diff.mean() < 0.01  # the same float32 arithmetic, rounded in another order


def test_the_smoothing_gain_is_multiplied_on_in_the_same_pass() -> None:
    from models.backends.stabilized import GainApplier

    rgb = _frame(4, 12.0)
    alphas = np.random.default_rng(2).uniform(0.2, 0.8, (3, 4, 5)).astype(np.float32)
    s = exposure_strength(rgb)
    gain = np.random.default_rng(3).uniform(0.8, 1.25, (1, 4, 5)).astype(np.float32)
    fused = ColourTrueCurves().apply(rgb, alphas * s, s, _thumbnail(rgb, alphas), gain)
    apart = GainApplier().apply(ColourTrueCurves().apply(rgb, alphas * s, s, _thumbnail(rgb, alphas)), gain)
    diff = np.abs(fused.astype(int) - apart.astype(int))
    assert diff.max() <= 1  # one rounding instead of two
    # Neither takes a highlight to white.
    lamp = rgb.copy()
    lamp[20:25, 30:35] = (150, 140, 90)
    hot = ColourTrueCurves().apply(lamp, alphas * s, s, _thumbnail(lamp, alphas))
    pushed = ColourTrueCurves().apply(lamp, alphas * s, s, _thumbnail(lamp, alphas), np.full_like(gain, 1.25))
    assert (hot.max(2) < 255).all() and (pushed.max(2) < 255).all() and pushed.mean() > hot.mean()
    assert np.array_equal(ColourTrueCurves().apply(rgb, alphas * s, s, _thumbnail(rgb, alphas), np.ones_like(gain)),
                          ColourTrueCurves().apply(rgb, alphas * s, s, _thumbnail(rgb, alphas)))


def test_an_exposed_frame_is_left_as_it_is_and_a_dark_one_is_brightened() -> None:
    alphas = np.full((3, 2, 2), 0.6, np.float32)
    exposed = _frame(2, 80.0)
    assert exposure_strength(exposed) == 0.0
    assert np.array_equal(_cpu_rule(exposed, alphas), exposed)
    assert np.array_equal(_torch_rule(exposed, alphas), exposed)
    dark = _frame(3, 8.0)
    assert exposure_strength(dark) == 1.0
    assert _cpu_rule(dark, alphas).mean() > 3 * dark.mean()


def test_hue_and_saturation_are_kept_and_nothing_new_clips() -> None:
    # An orange suit and a red cup in a dark room: the colour survives brightening. Part of the output
    # keeps the channels' ratios in sRGB values (the curve's one gain a pixel), most of it those in
    # linear light (a longer exposure: the same light, more of it, which in sRGB values lifts the
    # smallest channel most): the saturation lies between the two, the hue order is the input's.
    from models.runtime.srgb import linear_to_srgb, srgb_to_linear

    rgb = np.zeros((60, 40, 3), np.uint8)
    rgb[:30] = (40, 20, 6)  # luma 24 of 255
    rgb[30:] = (30, 4, 4)  # luma 12
    out = _cpu_rule(rgb, np.full((3, 2, 2), 0.5, np.float32)).astype(float)
    saturation = lambda c: (c.max() - c.min()) / c.max()  # noqa: E731
    for block, colour in ((out[5:25], (40, 20, 6)), (out[35:55], (30, 4, 4))):
        got, want = block.reshape(-1, 3).mean(0), np.array(colour, float)
        assert got.max() > 4 * want.max()  # brightened
        assert np.argsort(got).tolist() == np.argsort(want).tolist()  # the same hue order
        lit = srgb_to_linear(want / 255.0)
        exposure = 255.0 * linear_to_srgb(lit * float(srgb_to_linear(got.max() / 255.0) / lit.max()))
        assert 0.97 * saturation(exposure) < saturation(got) < 1.03 * saturation(want)
        assert saturation(got) > 0.75 * saturation(want)  # the orange keeps 0.80, as a longer exposure would
    bright = np.full((8, 8, 3), (250, 120, 40), np.uint8)
    bright[0, 0] = (10, 10, 10)  # keeps the frame mean dark enough to enhance
    out = _cpu_rule(bright, np.full((3, 1, 1), 0.9, np.float32))
    assert not (out == 255).any()


def test_near_black_colour_fades_to_grey() -> None:
    # A camera's blue-ish noise floor (1, 0, 5) must not become a violet sky.
    rgb = np.full((20, 20, 3), (1, 0, 5), np.uint8)
    rgb[:2] = (60, 60, 60)
    out = _cpu_rule(rgb, np.full((3, 2, 2), 0.8, np.float32)).astype(int)
    floor = out[10:, :]
    assert floor.mean() > 5  # brightened
    assert np.ptp(floor.reshape(-1, 3).mean(0)) <= 4  # but grey (the input's blue is 5x its red)


def test_a_dark_but_clearly_coloured_area_keeps_its_colour() -> None:
    # A dark blue floor (luma 6, its channels 10 levels apart in every 5x5 box): the scene's colour,
    # not a camera's offset of a few levels, so the floor does not grey it.
    rng = np.random.default_rng(0)
    rgb = np.clip(np.array([2.6, 6.5, 12.4]) + rng.normal(0.0, 1.0, (20, 20, 3)) + 0.5, 0, 255).astype(np.uint8)
    rgb[:2] = (60, 60, 60)
    floor = _cpu_rule(rgb, np.full((3, 2, 2), 0.8, np.float32)).astype(float)[10:].reshape(-1, 3).mean(0)
    want = rgb[10:].reshape(-1, 3).mean(0)
    saturation = lambda c: (c.max() - c.min()) / c.max()  # noqa: E731
    assert floor.mean() > 3 * want.mean()  # brightened
    assert np.argsort(floor).tolist() == [0, 1, 2]  # still blue, then green, then red
    assert saturation(floor) > 0.6 * saturation(want)


@pytest.mark.parametrize("value", [0, 255, 128])
def test_flat_frames_give_no_nan_noise_or_cast(value: int) -> None:
    rgb = np.full((16, 16, 3), value, np.uint8)
    out = _cpu_rule(rgb, np.full((3, 2, 2), 0.7, np.float32))
    assert np.ptp(out) == 0
    with torch.no_grad():
        ref = _torch_rule(rgb, np.full((3, 2, 2), 0.7, np.float32))
    assert np.ptp(ref) == 0 and not np.isnan(ref.astype(float)).any()


def test_step_5_gain_is_the_curves_own_brightening_in_linear_light() -> None:
    from models.runtime.srgb import srgb_to_linear
    from models.runtime.temporal import apply_curves_np
    from models.runtime.tone import exposure_gain

    thumbnail = np.random.default_rng(4).uniform(0.0, 0.15, (3, 6, 8)).astype(np.float32)
    value = thumbnail.max(0)
    assert exposure_gain(thumbnail, value) == pytest.approx(1.0, abs=1e-6)  # idle curve
    black = np.zeros_like(thumbnail)
    assert exposure_gain(black, apply_curves_np(black.max(0), np.full((6, 8), 0.8, np.float32), 8)) == 0.0  # black frame
    alpha = np.full((6, 8), 0.6, np.float32)
    curve = apply_curves_np(value[None], alpha[None], 8)[0]
    gain = exposure_gain(thumbnail, curve)
    curved = thumbnail * curve / value
    assert gain == pytest.approx(float(srgb_to_linear(curved).mean() / srgb_to_linear(thumbnail).mean()), rel=1e-5)
    small = torch.from_numpy(thumbnail)[None]
    ref = tone.exposure_gain(small, tone._curve(small.amax(1, keepdim=True), torch.from_numpy(alpha)[None, None].expand(
        1, 3, 6, 8), 8, torch.ones(1, 1, 1, 1)))
    assert float(ref) == pytest.approx(gain, rel=1e-4)


def test_step_5_curve_is_a_linear_light_gain_above_the_toe_keeps_black_and_never_clips() -> None:
    from models.runtime.srgb import linear_to_srgb, srgb_to_linear
    from models.runtime.tone import LIFT, TOE, exposure_curve, shoulder_start

    v = np.linspace(0.0, 1.0, 1021, dtype=np.float32)
    np.testing.assert_allclose(exposure_curve(v, 1.0), v, atol=1e-6)  # a frame the curve leaves alone
    for gain in (1.5, 8.0, 40.0):
        out = exposure_curve(v, gain)
        assert (np.diff(out) >= 0).all() and out[0] == 0.0 and out[-1] < 1.0  # monotonic, black stays, white not reached
        mid = (v > TOE) & (linear_to_srgb(srgb_to_linear(v) * gain) < shoulder_start(gain))
        np.testing.assert_allclose(out[mid], linear_to_srgb(srgb_to_linear(v[mid]) * gain), atol=2e-5)
        knee = gain ** (1 / 2.4) * (TOE + 0.055) - 0.055  # the linear-light gain's value at the toe's end
        line = knee * v / TOE  # the straight line from black to it
        black = v <= LIFT[0]
        np.testing.assert_allclose(out[black], line[black], rtol=1e-4)  # a camera's black and noise stay down
        lifted = (v >= LIFT[1]) & (v <= TOE)
        assert (out[lifted] > line[lifted]).all()  # the shadows lifted, as a longer exposure lifts them
        torch_out = tone.exposure_curve(torch.from_numpy(v), torch.tensor(gain)).numpy()
        np.testing.assert_allclose(torch_out, out, atol=2e-6)


def test_step_5_keeps_the_contrast_of_an_underexposed_scene(monkeypatch) -> None:
    # The same scene exposed 12x shorter (linear light / 12, rounded to 8 bits): the exposure gain's share
    # of the output brings it closer to the truth, after matching brightness, than the curve alone,
    # which lifts the dark regions more than the bright ones.
    from models.runtime import tone as tone_module
    from models.runtime.srgb import linear_to_srgb, srgb_to_linear

    rng = np.random.default_rng(5)
    truth = np.clip(cv2.GaussianBlur(rng.uniform(0, 255, (90, 120, 3)).astype(np.float32), (0, 0), 6) * 2.5 - 190, 5, 235)
    truth = cv2.resize(truth, (240, 180)).astype(np.uint8)
    dark = (255.0 * linear_to_srgb(srgb_to_linear(truth / 255.0) / 12.0) + 0.5).astype(np.uint8)
    alphas = np.full((3, 15, 20), 0.75, np.float32)

    shipped = tone_module.EXPOSURE_MIX

    def error(mix: float) -> float:
        monkeypatch.setattr(tone_module, "EXPOSURE_MIX", mix)
        out = _cpu_rule(dark, alphas).astype(np.float32)
        out *= truth.mean() / out.mean()
        return float(np.abs(out - truth).mean())

    assert error(shipped) < 0.8 * error(0.0)


def test_a_cameras_black_stays_dark_under_a_strong_curve(monkeypatch) -> None:
    # The curve's toe: a Zero-DCE curve's slope at black is up to 70x, which made a camera's black of
    # 1-2 levels a grey fog; its gain fades to none at black (both rules, which agree).
    from models.runtime import tone as tone_module

    rgb = np.full((24, 24, 3), 1, np.uint8)
    rgb[::2, ::2] = 2
    rgb[:6] = 40  # something lit, which the frame's exposure gain is set from
    alphas = np.full((3, 2, 2), 1.0, np.float32)
    black = (slice(12, None), slice(None))
    toed = _cpu_rule(rgb, alphas)[black].astype(float).mean()
    assert abs(toed - _torch_rule(rgb, alphas)[black].astype(float).mean()) <= 0.5
    monkeypatch.setattr(tone_module, "CURVE_TOE", 0.0)
    untoed = _cpu_rule(rgb, alphas)[black].astype(float).mean()
    assert toed < 0.5 * untoed, (toed, untoed)


def test_highlight_shoulder_keeps_unclipped_highlights_below_white_and_clipped_ones_white() -> None:
    from models.runtime.tone import BURST_SHOULDER

    x = torch.tensor([0.2, 0.5, 0.9])[None, :, None, None]  # three channels, none clipped
    y = torch.tensor([0.3, 1.4, 3.0])[None, :, None, None]
    out = tone.highlight_shoulder(x, y)
    assert out[0, 0].item() == pytest.approx(0.3)  # below the shoulder: as predicted
    assert BURST_SHOULDER < out[0, 1].item() < out[0, 2].item() < 254.5 / 255.0  # bent, in order, never 255
    clipped = torch.tensor([1.0, 0.5, 1.0])[None, :, None, None]
    kept = tone.highlight_shoulder(clipped, y)
    assert kept[0, 0].item() == pytest.approx(0.3) and kept[0, 2].item() == 3.0  # a white input channel: as predicted
    assert kept[0, 1].item() == out[0, 1].item()
    ramp = torch.linspace(0.0, 3.0, 301)[None, None, :, None].expand(1, 3, 301, 1)
    bent = tone.highlight_shoulder(torch.zeros_like(ramp), ramp)[0, 0, :, 0]
    assert bool((bent[1:] > bent[:-1]).all())  # monotonic: highlights keep their order
