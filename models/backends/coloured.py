"""Colour from the input around a backend (:mod:`models.runtime.colour`): the network's brightness
with the input's own colour where the input holds it.

Frames are (T, H, W, 3) uint8 RGB in, (H, W, 3) uint8 RGB out, as for every backend; the newest
input frame gives the colour. No state. Where the network applies only a share of its change to a
frame (its strength: the burst model fades back to its input as the frame gets exposed), the layer
applies its own in that share too: a frame the network leaves nearly as it is, the layer does too
(the exposed 1080p night clip, at mean luma 64 of 65 for the burst model's full fade, had its colour
averaged over 9x9 pixels all the same).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from models.backends.output_layer import OutputLayer
from models.runtime.colour import ColourConfig, colour_from_input


class ColourKeptBackend(OutputLayer):
    """``inner``'s output coloured like the newest input frame, in the share ``strength`` gives it."""

    def __init__(self, inner, config: ColourConfig, strength: Callable[[np.ndarray], float] | None = None) -> None:
        super().__init__(inner)
        self.config = config
        self.strength = strength

    def post(self, out: np.ndarray, newest: np.ndarray) -> np.ndarray:
        amount = 1.0 if self.strength is None else self.strength(newest)
        return colour_from_input(out, newest, self.config, amount)
