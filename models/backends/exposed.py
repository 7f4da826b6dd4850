"""An exposed frame is handed back as it came in.

For a network that applies only a share of its change to a frame, falling to none as the frame gets
exposed (:attr:`models.registry.Architecture.strength`: the burst model fades back to its input, the
curve models scale their curves), a frame with no share left is the input itself, by design. The
layers after the network would still change it: the burst model's colour from the input averages
the colour over 9x9 pixels, its working size scales the picture back up. So where the share is 0
the frame goes out untouched (a copy: the caller's buffer moves on). Frames are (H, W, 3) uint8 RGB.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from models.backends.output_layer import OutputLayer


class ExposedKeptBackend(OutputLayer):
    """``inner``'s output, or the newest input frame itself where ``strength`` of it is 0."""

    def __init__(self, inner, strength: Callable[[np.ndarray], float]) -> None:
        super().__init__(inner)
        self.strength = strength

    def post(self, out: np.ndarray, kept: np.ndarray) -> np.ndarray:
        return np.array(kept) if self.strength(kept) <= 0.0 else out
