"""Grey in, grey out: an infrared camera at night (or any camera in black-and-white mode) sends frames
whose three channels are equal, and no enhancement may colour them.

The curve models keep hue by construction (one gain for all three channels); a network that predicts
its output's channels (the burst model, the restorer) does not: on a grey dark street the burst model
gave a third of the pixels a tint of more than 2 levels, up to 16. :func:`is_grey` recognises such a
frame cheaply, :func:`grey_like` makes an output grey again (its BT.601 luma in all three channels).

Frames are (H, W, 3) uint8 RGB.
"""

from __future__ import annotations

import cv2
import numpy as np

# A grey source decoded to RGB is not always exactly R = G = B: a Y-only or 4:2:0 stream whose chroma
# wobbles by a level around neutral gives channel differences of a level or two.
TOLERANCE = 3  # levels between channels
SAMPLE = 4  # every 4th row and column is looked at
ALLOWED = 0.001  # share of the sampled pixels that may be further apart (a timestamp overlay in colour)


def is_grey(frame: np.ndarray) -> bool:
    """Whether ``frame`` is a greyscale picture: its channels within :data:`TOLERANCE` levels of
    each other on all but :data:`ALLOWED` of a sample of its pixels."""
    s = frame[::SAMPLE, ::SAMPLE].astype(np.int16)
    spread = np.maximum(np.abs(s[..., 0] - s[..., 1]), np.abs(s[..., 1] - s[..., 2]))
    return float((spread > TOLERANCE).mean()) <= ALLOWED


def grey_like(out: np.ndarray) -> np.ndarray:
    """``out`` made grey: its BT.601 luma in all three channels, (H, W, 3) uint8."""
    y = cv2.cvtColor(np.ascontiguousarray(out), cv2.COLOR_RGB2GRAY)
    return cv2.merge([y, y, y])
