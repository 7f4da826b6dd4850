"""Colour from the input around the burst model: opened by default, off when asked, and truer to
the input's colour than the network alone."""

from __future__ import annotations

import numpy as np

from models import backends, catalog
from models.backends.coloured import ColourKeptBackend
from models.runtime.srgb import srgb_to_linear
from tests.conftest import dark_frames


def chromaticity(rgb: np.ndarray) -> np.ndarray:
    """Each pixel's linear-light channels over their sum, (H, W, 3)."""
    lin = srgb_to_linear(rgb / 255.0)
    return lin / np.maximum(lin.sum(2, keepdims=True), 1e-4)


def test_the_burst_model_is_opened_with_the_inputs_colour_unless_switched_off() -> None:
    burst, curve = catalog.get("burst"), catalog.get("zero-dce++")
    cpu = backends.BackendOptions(device="cpu")
    for weights, options, expected in ((burst, cpu, True), (burst, backends.BackendOptions(device="cpu", colour=None), False),
                                       (curve, cpu, False)):
        opened = backends.open_backend("onnxruntime", weights, options)
        assert any(isinstance(layer, ColourKeptBackend) for layer in backends.layers(opened)) == expected
        opened.close()


def test_its_output_is_closer_to_the_inputs_colour_than_the_networks() -> None:
    weights = catalog.get("burst")
    frames = np.stack(dark_frames(weights.burst, 320, 192))
    backend = backends.open_backend("onnxruntime", weights, backends.BackendOptions(device="cpu"))
    layer = next(layer for layer in backends.layers(backend) if isinstance(layer, ColourKeptBackend))
    coloured, network = layer.enhance(frames), layer.inner.enhance(frames)
    backend.close()
    # Where the input is bright enough to hold colour (a smoothed luma of 16 levels and up).
    import cv2

    lit = cv2.blur(cv2.cvtColor(frames[-1], cv2.COLOR_RGB2GRAY), (9, 9)) >= 16
    assert lit.mean() > 0.05
    truth = cv2.blur(chromaticity(frames[-1]), (9, 9))[lit]
    err_coloured = np.abs(chromaticity(coloured)[lit] - truth).mean()
    err_network = np.abs(chromaticity(network)[lit] - truth).mean()
    assert err_coloured < 0.8 * err_network
    assert abs(float(coloured.mean()) - float(network.mean())) < 4  # the brightness stays the network's
