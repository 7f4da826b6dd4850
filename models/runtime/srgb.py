"""The sRGB transfer curve (IEC 61966-2-1): encoded values <-> linear light, both in [0, 1].

Frames travel sRGB-encoded; light adds up, and a camera's exposure scales it, in linear light. The
synthetic cameras (:mod:`models.training.synth`) and the colour-from-input layer
(:mod:`models.runtime.colour`) convert with these.
"""

from __future__ import annotations

import numpy as np


def srgb_to_linear(x: np.ndarray) -> np.ndarray:
    """sRGB-encoded values in [0, 1] -> linear light in [0, 1] (IEC 61966-2-1)."""
    x = np.asarray(x, np.float32)
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4).astype(np.float32)


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    """Linear light in [0, 1] -> sRGB-encoded values in [0, 1] (inputs are clipped first)."""
    x = np.clip(np.asarray(x, np.float32), 0.0, 1.0)
    return np.where(x <= 0.0031308, x * 12.92, 1.055 * np.power(x, 1 / 2.4) - 0.055).astype(np.float32)
