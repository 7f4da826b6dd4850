"""The temporal denoiser around a single-frame model (:mod:`models.runtime.temporal_denoise`): noise
that stays still averaged away over the frames, steered by the input.

Frames are (T, H, W, 3) uint8 RGB in, (H, W, 3) uint8 RGB out, as for every backend; the newest
input frame steers the denoiser. Keeps the state of one video.
"""

from __future__ import annotations

import numpy as np

from models.backends.output_layer import OutputLayer
from models.runtime.temporal_denoise import TemporalDenoiseConfig, TemporalDenoiser


class TemporallyDenoisedBackend(OutputLayer):
    """``inner``'s output averaged over time where the input stays still."""

    def __init__(self, inner, config: TemporalDenoiseConfig) -> None:
        super().__init__(inner)
        self.denoiser = TemporalDenoiser(config)

    def post(self, out: np.ndarray, newest: np.ndarray) -> np.ndarray:
        return self.denoiser(out, newest)
