"""A brightness rule for Zero-DCE++'s curve map, used as a training target (``--curve-prior``).

The rule gives each place of a frame the curve parameter

    alpha = a0 - b * ln(m / 0.05)

where ``m`` is the gray level of the frame average-pooled by the network's runtime ``scale`` (the map
it sees) and then averaged over ``cells`` x ``cells`` cells of that map (its receptive field). Dark
surroundings get a strong curve, bright ones a weak one. Trained on the four zero-reference losses,
the network's curve hardly follows the scene's brightness; a term towards this map teaches it to.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

REFERENCE_GRAY = 0.05
RECEPTIVE_CELLS = 15  # seven 3x3 layers


def brightness_rule(x: Tensor, a0: float, b: float, scale: int = 12, cells: int = RECEPTIVE_CELLS) -> Tensor:
    """The rule's curve map for (B, 3, H, W) RGB in [0, 1]: (B, 1, H, W) values in [-0.95, 0.95].

    ``scale`` is the curve-map scale the network runs at (its view of the frame), whatever scale it
    trains at; ``cells`` the side of the averaging window in cells of that map.
    """
    gray = x.mean(1, keepdim=True)
    h, w = gray.shape[-2:]
    small = F.avg_pool2d(gray, scale, scale) if scale > 1 and min(h, w) >= scale else gray
    pad = cells // 2
    if pad:
        local = F.avg_pool2d(F.pad(small, (pad, pad, pad, pad), mode="replicate"), cells, 1)
    else:
        local = small
    alpha = (a0 - b * (local.clamp_min(1e-3) / REFERENCE_GRAY).log()).clamp(-0.95, 0.95)
    if alpha.shape[-2:] != (h, w):
        alpha = F.interpolate(alpha, size=(h, w), mode="bilinear", align_corners=False)
    return alpha


def prior_loss(alphas: Tensor, x: Tensor, a0: float, b: float, scale: int = 12) -> Tensor:
    """Mean squared distance of a network's full-resolution curve maps to the rule's."""
    target = brightness_rule(x, a0, b, scale)
    return ((alphas - target) ** 2).mean()

