"""The deblocking filter around a backend (:mod:`models.runtime.deblock`): the model's output with the
input's codec block steps, which brightening made visible, smoothed away.

Frames are (T, H, W, 3) uint8 RGB in, (H, W, 3) uint8 RGB out, as for every backend; the newest
input frame steers the filter. No state.
"""

from __future__ import annotations

import numpy as np

from models.backends.output_layer import OutputLayer
from models.runtime.deblock import DeblockConfig, deblock


class DeblockedBackend(OutputLayer):
    """``inner``'s output deblocked against the newest input frame."""

    def __init__(self, inner, config: DeblockConfig) -> None:
        super().__init__(inner)
        self.config = config

    def post(self, out: np.ndarray, newest: np.ndarray) -> np.ndarray:
        return deblock(out, newest, self.config)
