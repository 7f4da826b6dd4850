"""The greyscale rule around a backend (:mod:`models.runtime.greyscale`): when the newest input frame is
grey (an infrared camera), the model's output is made grey too.

Frames are (T, H, W, 3) uint8 RGB in, (H, W, 3) uint8 RGB out, as for every backend. No state.
"""

from __future__ import annotations

import numpy as np

from models.backends.output_layer import OutputLayer
from models.runtime.greyscale import grey_like, is_grey


class GreyKeptBackend(OutputLayer):
    """``inner``, whose output is grey whenever its newest input frame is."""

    def post(self, out: np.ndarray, newest: np.ndarray) -> np.ndarray:
        return grey_like(out) if is_grey(newest) else out
