"""Per-viewer picture controls, applied to the shared model output: cheap, so every viewer can have their own."""

from __future__ import annotations

import numpy as np


def adjust(before: np.ndarray, after: np.ndarray, strength: float, exposure: float) -> np.ndarray:
    """Blend the model's output with the input and apply an exposure gain.

    ``out = clip(exposure * (before + strength * (after - before)))``: strength 0 shows the
    input, 1 the model's output; exposure scales the result (1 leaves it). All (H, W, 3) uint8.
    """
    if strength == 1.0 and exposure == 1.0:
        return after
    mixed = before.astype(np.float32)
    mixed += strength * (after.astype(np.float32) - mixed)
    mixed *= exposure
    return np.clip(mixed, 0, 255).astype(np.uint8)


def split_view(before: np.ndarray, after: np.ndarray, at: float = 0.5) -> np.ndarray:
    """One picture: the input left of ``at`` (fraction of the width), the output right of it,
    with a thin light divider. (H, W, 3) uint8 RGB."""
    out = after.copy()
    x = int(round(out.shape[1] * min(max(at, 0.0), 1.0)))
    out[:, :x] = before[:, :x]
    out[:, max(0, x - 1) : x + 1] = 220
    return out
