"""The deblocking filter around a backend (:mod:`models.runtime.deblock`): the model's output with the
input's codec block steps, which brightening made visible, smoothed away.

Frames are (T, H, W, 3) uint8 RGB in, (H, W, 3) uint8 RGB out, as for every backend; the newest
input frame steers the filter. No state: one per video only because the layers around it keep some.
"""

from __future__ import annotations

import numpy as np

from models.runtime.deblock import DeblockConfig, deblock


class DeblockedBackend:
    """``inner``'s output deblocked against the newest input frame."""

    def __init__(self, inner, config: DeblockConfig) -> None:
        self.inner = inner
        self.name, self.device, self.burst, self.path = inner.name, inner.device, inner.burst, inner.path
        self.config = config

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        out = self.inner.enhance(frames)
        return deblock(out, frames[-1], self.config)

    def close(self) -> None:
        self.inner.close()
