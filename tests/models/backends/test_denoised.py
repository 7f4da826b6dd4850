"""The temporal denoising layer: around the single-frame models that restore their input, when asked."""

from __future__ import annotations

import numpy as np

from models import backends, catalog
from models.backends.denoised import TemporallyDenoisedBackend
from models.runtime.temporal_denoise import TemporalDenoiseConfig, TemporalDenoiser
from tests.conftest import dark_frames


def _has_layer(backend) -> bool:
    return any(isinstance(layer, TemporallyDenoisedBackend) for layer in backends.layers(backend))


def test_the_layer_wraps_the_curve_models_and_the_chain_when_asked() -> None:
    options = backends.BackendOptions(device="cpu", denoise=TemporalDenoiseConfig())
    for name in ("zero-dce++", "zero-dce", "zero-dce++-clean"):
        backend = backends.open_backend("onnxruntime", catalog.get(name), options)
        assert _has_layer(backend), name
        backend.close()
    plain = backends.open_backend("onnxruntime", catalog.get("zero-dce++"), backends.BackendOptions(device="cpu"))
    assert not _has_layer(plain)
    plain.close()


def test_not_around_the_burst_model_nor_a_translation() -> None:
    options = backends.BackendOptions(device="cpu", denoise=TemporalDenoiseConfig())
    for name in ("burst", "night2day"):
        backend = backends.open_backend("onnxruntime", catalog.get(name), options)
        assert not _has_layer(backend), name
        backend.close()


def test_the_layer_denoises_the_models_output_against_its_input() -> None:
    weights = catalog.get("zero-dce++")
    plain = backends.open_backend("onnxruntime", weights, backends.BackendOptions(device="cpu"))
    options = backends.BackendOptions(device="cpu", denoise=TemporalDenoiseConfig())
    layered = backends.open_backend("onnxruntime", weights, options)
    reference = TemporalDenoiser()
    # A still dark scene with fresh noise in every frame.
    base = dark_frames(1, 160, 96)[0].astype(np.float32) // 3
    rng = np.random.default_rng(1)
    for _ in range(4):
        frame = np.clip(base + rng.normal(0.0, 1.0, base.shape) + 0.5, 0, 255).astype(np.uint8)[None]
        got = layered.enhance(frame)
        assert np.array_equal(got, reference(plain.enhance(frame), frame[-1]))
    plain.close()
    layered.close()
