"""Temporal smoothing of curve maps: less flicker on a jittering static clip, reset on a cut."""

from __future__ import annotations

import numpy as np
import pytest

from models.errors import ConfigError
from models.runtime.temporal import CurveSmoother, SmoothingConfig, ema_step, scene_change
from tests.conftest import dark_frames, flicker, hunting_clip


def test_ema_step_and_scene_change() -> None:
    a, b = np.zeros((3, 4, 4), np.float32), np.ones((3, 4, 4), np.float32)
    assert np.allclose(ema_step(a, b, 0.75), 0.25)
    pic = np.random.default_rng(0).random((8, 8, 3)).astype(np.float32) + 0.1
    assert scene_change(pic, pic * 3.0) < 1e-6  # brighter, same picture: no cut
    other = np.random.default_rng(1).random((8, 8, 3)).astype(np.float32) + 0.1
    assert scene_change(pic, other) > 0.3


def test_smoother_stabilises_brightness_and_resets_on_a_cut_or_new_size() -> None:
    s = CurveSmoother(SmoothingConfig(strength=0.5, max_gain=4.0))
    thumb = np.random.default_rng(0).random((3, 6, 8)).astype(np.float32) * 0.2 + 0.05
    zero = np.zeros((3, 6, 8), np.float32)  # identity curve: the enhanced thumbnail is the thumbnail
    curve, gain = s(zero, thumb)
    assert np.array_equal(curve, zero) and np.allclose(gain, 1.0)
    curve, gain = s(zero, thumb * 1.2)  # 20 % brighter, same picture: pulled back half way
    assert np.allclose(thumb * 1.2 * gain, (thumb + thumb * 1.2) / 2, rtol=1e-4)
    cut = np.random.default_rng(5).random((3, 6, 8)).astype(np.float32) * 0.2 + 0.05
    curve, gain = s(zero, cut)  # a new scene: no gain from the old one
    assert s.cuts == 1 and np.allclose(gain, 1.0)
    curve, gain = s(np.zeros((3, 3, 4), np.float32), cut[:, :3, :4])  # size change: restart
    assert gain.shape == (1, 3, 4) and np.allclose(gain, 1.0)  # one gain for the three channels


def test_gain_is_bounded_and_curve_ema_is_optional() -> None:
    s = CurveSmoother(SmoothingConfig(strength=0.9, max_gain=1.25, curve_strength=0.5))
    thumb = np.full((3, 4, 4), 0.2, np.float32)
    s(np.zeros((3, 4, 4), np.float32), thumb)
    curve, gain = s(np.ones((3, 4, 4), np.float32), thumb * 0.5)
    assert np.allclose(curve, 0.5)
    assert gain.max() <= 1.25 + 1e-6


def test_bad_config_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        SmoothingConfig(strength=1.0)
    with pytest.raises(ConfigError):
        SmoothingConfig(max_gain=0.5)
    with pytest.raises(ConfigError):
        SmoothingConfig(cut_threshold=0.0)


def _zero_dce_pp():
    """The frame-by-frame model (torch, exact) and a factory of the fast-path backend ``streamer
    enhance`` runs on a CPU, with the given smoothing."""
    torch = pytest.importorskip("torch")
    from models import backends
    from models.catalog import get
    from models.checkpoint import load_checkpoint, network_from_checkpoint
    from models.nets.frame import FrameModel

    weights = get("zero-dce++")
    if not weights.checkpoint_path().is_file():
        pytest.skip(f"shipped zero-dce++ weights not found at {weights.checkpoint_path()}")
    model = FrameModel(network_from_checkpoint(load_checkpoint(weights.checkpoint_path()))).eval()

    def plain(frame: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(torch.from_numpy(frame[None])).numpy()

    def smoothed(config: SmoothingConfig):
        backend = backends.open_backend("onnxruntime", weights, backends.BackendOptions(device="cpu", smoothing=config))
        assert backend.path == "lut"
        return backend

    return smoothed, plain


def _static_noisy_clip(n: int = 24) -> list[np.ndarray]:
    from models.training.synth import Exposure, expose
    from tests.models.training.test_synth import textured

    clean, rng = textured(144, 192), np.random.default_rng(0)
    return [expose(clean, Exposure(ratio=15.0, photons=300.0, read_sigma=0.002), rng) for _ in range(n)]


def _jittering_clip(n: int = 24) -> list[np.ndarray]:
    return hunting_clip(n, 192, 144)


@pytest.mark.parametrize("clip", [_static_noisy_clip, _jittering_clip], ids=["sensor-noise", "exposure-jitter"])
def test_smoothing_reduces_flicker_of_zero_dce_pp_on_a_static_clip(clip) -> None:
    smoothed, plain = _zero_dce_pp()
    frames = clip()
    off = [plain(f) for f in frames]
    smooth = smoothed(SmoothingConfig())  # the defaults
    on = [smooth.enhance(f[None]) for f in frames]
    assert smooth.smoother.cuts == 0
    assert flicker(on) < 0.5 * flicker(off)
    # Smoothing off is exactly the frame-by-frame model.
    none = smoothed(SmoothingConfig(strength=0.0))
    assert all(np.abs(none.enhance(f[None]).astype(int) - o.astype(int)).max() <= 1 for f, o in zip(frames, off, strict=True))


def test_averaging_the_curve_alone_is_why_it_is_off_by_default() -> None:
    # Why curve_strength is off by default. Measured with the colour-true weights: on sensor noise
    # averaging the curve map alone adds flicker (the map follows the noise less than the output
    # does); on exposure hunting it removes some, but far less than the default brightness smoothing.
    smoothed, plain = _zero_dce_pp()
    noisy = _static_noisy_clip()
    curve_only = smoothed(SmoothingConfig(strength=0.0, curve_strength=0.8))
    assert flicker([curve_only.enhance(f[None]) for f in noisy]) > flicker([plain(f) for f in noisy])
    hunting = _jittering_clip()
    curve_only = smoothed(SmoothingConfig(strength=0.0, curve_strength=0.8))
    default = smoothed(SmoothingConfig())
    # (above 2x with the curve alone as the tone; less since most of the tone is the exposure gain, which
    # follows the averaged map too)
    assert flicker([curve_only.enhance(f[None]) for f in hunting]) > 1.5 * flicker([default.enhance(f[None]) for f in hunting])


def test_a_scene_cut_is_not_smoothed_across() -> None:
    smoothed, plain = _zero_dce_pp()
    a = dark_frames(1, 192, 144, seed=0)[0]
    b = np.ascontiguousarray(np.clip(a[::-1, ::-1].astype(np.int32) * 3, 0, 255).astype(np.uint8))  # another picture
    smooth = smoothed(SmoothingConfig())
    for _ in range(5):
        smooth.enhance(a[None])
    after_cut = smooth.enhance(b[None])
    assert smooth.smoother.cuts == 1
    assert np.abs(after_cut.astype(int) - plain(b).astype(int)).max() <= 1
