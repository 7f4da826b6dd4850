"""The burst network's consistent max over a ring of per-frame features, on the CPU.

:func:`models.nets.burst.consistent_max` is the rule; as part of an ONNX graph it costs nine
element-wise passes over the whole ring (about 30 of the streaming decoder's 75 ms a 640x360 frame
on one core). :func:`pool` runs the same rule as one C loop (``_pool.c``, built with the package),
so the streaming decoder graph takes the pooled features (:mod:`models.runtime.burst_ring`); the frame's
pixels are pooled in bands, one per core (:mod:`models.runtime.parallel`).
"""

from __future__ import annotations

import numpy as np

from models.errors import ConfigError
from models.runtime.parallel import run_bands


def pool(ring: np.ndarray, newest: int, consistency: float) -> np.ndarray:
    """``ring`` (T, C, H, W) float32, each frame's features (ReLU outputs), ``newest`` the slot of the
    newest frame -> (1, C, H, W) float32: the newest frame's features plus, per value, the largest
    of the other frames' differences to them, each weighted by how well that frame agrees with the
    newest at that place (``consistency``: the relative difference at which the weight is 1/e)."""
    from models.runtime import _pool

    if ring.ndim != 4 or not 0 <= newest < len(ring):
        raise ConfigError(f"pooling needs a (T, C, H, W) ring and a slot in it, not {ring.shape} and slot {newest}")
    ring = np.ascontiguousarray(ring, np.float32)
    t, c, h, w = ring.shape
    out = np.empty((1, c, h, w), np.float32)
    run_bands(lambda begin, end: _pool.run(ring, out, t, c, h * w, newest, float(consistency), begin, end), h * w)
    return out
