"""Colour from the input around a backend (:mod:`models.runtime.colour`): the network's brightness
with the input's own colour where the input holds it.

Frames are (T, H, W, 3) uint8 RGB in, (H, W, 3) uint8 RGB out, as for every backend; the newest
input frame gives the colour. No state.
"""

from __future__ import annotations

import numpy as np

from models.backends.output_layer import OutputLayer
from models.runtime.colour import ColourConfig, colour_from_input


class ColourKeptBackend(OutputLayer):
    """``inner``'s output coloured like the newest input frame."""

    def __init__(self, inner, config: ColourConfig) -> None:
        super().__init__(inner)
        self.config = config

    def post(self, out: np.ndarray, newest: np.ndarray) -> np.ndarray:
        return colour_from_input(out, newest, self.config)
