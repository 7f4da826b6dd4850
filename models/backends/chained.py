"""A chain of shipped models run one after the other on each frame (:attr:`models.catalog.Weights.chain`):
Zero-DCE++ brightens, then the restorer removes the noise that brightening revealed.

Each stage is loaded on the same backend and device as any model would be, with the layers of its own
architecture that hold no per-video state (on a CPU, its working size: the curve model runs at the
frame's size, the restorer at 640x360 for a 720p frame). Smoothing and the night gate wrap the chain as
a whole, as they wrap one model. Frames are (T, H, W, 3) uint8 RGB in, (H, W, 3) uint8 RGB out; every
stage is a single-frame model, so the newest frame goes through.
"""

from __future__ import annotations

import numpy as np

from models.catalog import Weights
from models.errors import ConfigError


class ChainedBackend:
    """``stages`` (loaded backends) applied in order to the newest frame. ``path`` joins theirs with ``+``."""

    def __init__(self, stages: list) -> None:
        self.stages = stages
        first = stages[0]
        self.name, self.device, self.burst = first.name, first.device, 1
        self.path = "+".join(s.path for s in stages)

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        frame = frames[-1:]
        for stage in self.stages:
            frame = stage.enhance(frame)[None]
        return frame[0]

    def close(self) -> None:
        for stage in self.stages:
            stage.close()


def load_chain(name: str, weights: Weights, options) -> ChainedBackend:
    """Every stage of ``weights`` on backend ``name`` with ``options`` (smoothing and gate left to the caller)."""
    from models import backends

    stages = weights.stages()
    multi = [w.name for w in stages if w.burst != 1]
    if multi:
        raise ConfigError(f"{weights.name}: {multi[0]} reads several frames and cannot be chained")
    loaded: list = []
    try:
        for stage in stages:
            loaded.append(backends.wrap(backends.load(name, stage, options), stage, backends.BackendOptions()))
    except BaseException:
        for b in loaded:
            b.close()
        raise
    return ChainedBackend(loaded)
