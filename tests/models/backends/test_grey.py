"""Grey in, grey out: every model but a translation keeps an infrared camera's frames grey."""

from __future__ import annotations

import numpy as np
import pytest

from models import backends, catalog
from models.backends.grey import GreyKeptBackend
from tests.conftest import dark_frames

GREY = [np.repeat(f.mean(2, keepdims=True).astype(np.uint8), 3, 2) // 3 for f in dark_frames(6, 160, 96)]


@pytest.mark.parametrize("name", [n for n in catalog.CATALOG if not catalog.get(n).architecture.translation])
def test_a_grey_dark_burst_comes_out_grey(name: str) -> None:
    weights = catalog.get(name)
    backend = backends.open_backend("onnxruntime", weights, backends.BackendOptions(device="cpu"))
    assert any(isinstance(layer, GreyKeptBackend) for layer in backends.layers(backend)) != weights.architecture.keeps_grey
    out = backend.enhance(np.stack(GREY[-weights.burst :]))
    assert np.array_equal(out[..., 0], out[..., 1]) and np.array_equal(out[..., 1], out[..., 2])
    if name != "restorer":  # the restorer denoises, it does not brighten
        assert out.mean() > 2 * GREY[-1].mean()
    backend.close()


def test_a_colour_frame_is_left_to_the_model_and_a_translation_may_colour_grey() -> None:
    weights = catalog.get("burst")
    backend = backends.open_backend("onnxruntime", weights, backends.BackendOptions(device="cpu"))
    colour = np.stack([f // 3 for f in dark_frames(weights.burst, 160, 96)])
    grey_layer = next(layer for layer in backends.layers(backend) if isinstance(layer, GreyKeptBackend))
    small = np.stack([f[::2, ::2] for f in colour])  # the layer sits under the working size: call it directly
    assert np.array_equal(grey_layer.enhance(small), grey_layer.inner.enhance(small))
    backend.close()
    n2d = catalog.get("night2day")
    assert n2d.architecture.translation
    opened = backends.open_backend("onnxruntime", n2d, backends.BackendOptions(device="cpu"))
    assert not any(isinstance(layer, GreyKeptBackend) for layer in backends.layers(opened))
