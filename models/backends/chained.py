"""A chain of shipped models run one after the other on each frame (:attr:`models.catalog.Weights.chain`):
Zero-DCE++ brightens, then the restorer removes the noise that brightening revealed.

Each stage is loaded on the same backend and device as any model would be, with the layers of its own
architecture that hold no per-video state (on a CPU, its working size: the curve model runs at the
frame's size, the restorer at 640x360 for a 720p frame). Smoothing and the night gate wrap the chain as
a whole, as they wrap one model. Frames are (T, H, W, 3) uint8 RGB in, (H, W, 3) uint8 RGB out; every
stage is a single-frame model, so the newest frame goes through.

A chain with a strength (:attr:`models.catalog.Weights.exposure`: the share of its change the first
stage applies, 1 dark, 0 exposed) applies its later stages in the same share: the restorer removes
what brightening revealed, so where Zero-DCE++ leaves an exposed frame as it is, the restorer leaves
it too (it had smoothed the exposed 1080p night clip's detail at its working size: blockiness 1.305
against the camera file's 1.283), and is not run at all; between, its output is mixed with its input.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from models.catalog import Weights
from models.errors import ConfigError


class ChainedBackend:
    """``stages`` (loaded backends) applied in order to the newest frame, the later ones in the share
    ``strength`` gives the frame (all of it without one). ``path`` joins theirs with ``+``."""

    def __init__(self, stages: list, strength: Callable[[np.ndarray], float] | None = None) -> None:
        self.stages = stages
        self.strength = strength
        first = stages[0]
        self.name, self.device, self.burst = first.name, first.device, 1
        self.path = "+".join(s.path for s in stages)

    def enhance(self, frames: np.ndarray) -> np.ndarray:
        frame = frames[-1:]
        share = 1.0 if self.strength is None else self.strength(frame[0])
        for i, stage in enumerate(self.stages):
            if i == 0 or share >= 1.0:
                frame = stage.enhance(frame)[None]
            elif share > 0.0:
                frame = cv2.addWeighted(stage.enhance(frame), share, frame[0], 1.0 - share, 0.0)[None]
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
    return ChainedBackend(loaded, weights.strength())
