"""Temporal smoothing wired into the backends: less flicker on a static clip, nothing changed when off."""

from __future__ import annotations

import numpy as np
import pytest

from models import backends, catalog
from models.backends.stabilized import GainApplier, StabilizedBackend, stabilize
from models.errors import ConfigError
from models.runtime.temporal import CurveSmoother, SmoothingConfig
from tests.conftest import flicker, hunting_clip


def _jittering_clip(n: int = 24) -> list[np.ndarray]:
    return hunting_clip(n, 240, 144)


def _run(backend, frames: list[np.ndarray]) -> list[np.ndarray]:
    try:
        return [backend.enhance(f[None]) for f in frames]
    finally:
        backend.close()


def test_gain_applier_multiplies_and_skips_a_unit_gain() -> None:
    rgb = np.full((36, 48, 3), 100, np.uint8)
    applier = GainApplier()
    assert applier.apply(rgb, np.ones((1, 3, 4), np.float32)) is rgb
    out = applier.apply(rgb, np.full((1, 3, 4), 1.1, np.float32))
    assert out.dtype == np.uint8 and out.shape == rgb.shape and np.all(out == 110)
    # A gain never takes a highlight to white (254 at most), nor dims what the model took there itself.
    assert np.all(applier.apply(rgb, np.full((1, 3, 4), 3.0, np.float32)) == 254)
    lamp = rgb.copy()
    lamp[0, 0] = (255, 250, 120)
    out = applier.apply(lamp, np.full((1, 3, 4), 1.2, np.float32)).astype(int)
    assert tuple(out[0, 0]) == (255, 250, 120) and np.all(out[1:] == 120)
    assert np.all(applier.apply(lamp, np.full((1, 3, 4), 0.5, np.float32))[0, 0] == (128, 125, 60))
    # One gain for the three channels: a coloured pixel keeps its hue.
    coloured = np.zeros((36, 48, 3), np.uint8)
    coloured[..., 0], coloured[..., 1], coloured[..., 2] = 200, 100, 50
    ramp = np.linspace(0.8, 1.2, 12, dtype=np.float32).reshape(1, 3, 4)
    out = applier.apply(coloured, ramp).astype(int)
    assert np.all(np.abs(2 * out[..., 1] - out[..., 0]) <= 2) and np.all(np.abs(4 * out[..., 2] - out[..., 0]) <= 4)


@pytest.mark.parametrize("name, exact", [("onnxruntime", False), ("onnxruntime", True), ("torch", True)],
                         ids=["lut-fast-path", "onnx-exact", "torch"])
def test_smoothing_reduces_flicker_of_zero_dce_pp_on_every_path(name: str, exact: bool) -> None:
    reason = backends.availability()[name]
    if reason is not None:
        pytest.skip(reason)
    weights = catalog.get("zero-dce++")
    frames = _jittering_clip()
    off = _run(backends.open_backend(name, weights, backends.BackendOptions(device="cpu", exact=exact)), frames)
    smoothed = backends.open_backend(name, weights, backends.BackendOptions(device="cpu", exact=exact,
                                                                             smoothing=SmoothingConfig()))
    # The fast path smooths its own curve map; every other path pools the enhanced frame.
    assert isinstance(smoothed, StabilizedBackend)
    assert isinstance(smoothed.smoother, CurveSmoother) == (not exact and name == "onnxruntime")
    on = _run(smoothed, frames)
    assert flicker(on) < 0.5 * flicker(off)
    # The first frame has no history: it is the model's own output.
    assert np.abs(on[0].astype(int) - off[0].astype(int)).max() <= 1


def test_smoothing_also_steadies_zero_dce() -> None:
    weights = catalog.get("zero-dce")
    frames = _jittering_clip(12)
    off = _run(backends.open_backend("onnxruntime", weights, backends.BackendOptions(device="cpu")), frames)
    on = _run(backends.open_backend("onnxruntime", weights,
                                    backends.BackendOptions(device="cpu", smoothing=SmoothingConfig())), frames)
    assert flicker(on) < 0.6 * flicker(off)


def test_smoothing_off_is_the_plain_backend() -> None:
    weights = catalog.get("zero-dce++")
    for smoothing in (None, SmoothingConfig(strength=0.0)):
        backend = backends.open_backend("onnxruntime", weights, backends.BackendOptions(device="cpu", smoothing=smoothing))
        assert not isinstance(backend, StabilizedBackend) and getattr(backend, "smoother", None) is None
        backend.close()


def test_a_burst_model_is_not_smoothed_and_curve_averaging_needs_the_fast_path() -> None:
    with pytest.raises(ConfigError, match="fuses"):
        backends.open_backend("onnxruntime", catalog.get("burst"),
                              backends.BackendOptions(device="cpu", smoothing=SmoothingConfig()))
    with pytest.raises(ConfigError, match="lookup-table"):
        backends.open_backend("onnxruntime", catalog.get("zero-dce++"),
                              backends.BackendOptions(device="cpu", exact=True,
                                                      smoothing=SmoothingConfig(curve_strength=0.5)))


class _Queued:
    """A real ORT backend behind submit/fetch/drain, the interface of the TensorRT backend (which cannot run here)."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.device, self.burst, self.path = inner, inner.name, inner.device, inner.burst, inner.path
        self.pending: list[np.ndarray] = []

    def submit(self, frames: np.ndarray) -> None:
        self.pending.append(np.array(frames))

    def fetch(self) -> np.ndarray:
        return self.inner.enhance(self.pending.pop(0))

    def drain(self) -> list[np.ndarray]:
        return [self.fetch() for _ in range(len(self.pending))]

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        return self.inner.enhance(frames)

    def close(self) -> None:
        self.inner.close()


def test_submit_and_fetch_give_what_enhance_gives() -> None:
    weights = catalog.get("zero-dce++")
    opts = backends.BackendOptions(device="cpu", exact=True)
    frames = _jittering_clip(8)
    want = _run(StabilizedBackend(backends.open_backend("onnxruntime", weights, opts), SmoothingConfig()), frames)
    queued = stabilize(_Queued(backends.open_backend("onnxruntime", weights, opts)), SmoothingConfig())
    got = []
    for i, f in enumerate(frames):  # the pipeline's pattern: two in flight, then drain
        queued.submit(f[None])
        if i >= 1:
            got.append(queued.fetch())
    got += queued.drain()
    queued.close()
    assert len(got) == len(want) and all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))


def test_an_exposed_scene_is_not_smoothed_at_all() -> None:
    # A bright pan: the model leaves each frame as it is, and smoothing must not drag the brightness.
    weights = catalog.get("zero-dce++")
    smoothed = backends.open_backend("onnxruntime", weights, backends.BackendOptions(device="cpu", smoothing=SmoothingConfig()))
    frames = [np.clip(f.astype(int) * 3 + 30 + 20 * (k % 2), 0, 255).astype(np.uint8) for k, f in enumerate(_jittering_clip(8))]
    assert all(np.array_equal(smoothed.enhance(f[None]), f) for f in frames)
    smoothed.close()
