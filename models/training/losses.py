"""The four zero-reference losses of Zero-DCE, as the reference code trains them.

All take NCHW float32 RGB in [0, 1] and return a scalar tensor (mean over the batch).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def spatial_consistency(enhanced: Tensor, low: Tensor, pool: int = 4) -> Tensor:
    """Keep the differences between 4x4-pooled neighbours of the input (L_spa).

    Gray-level (channel mean) images are average-pooled by ``pool`` and the four neighbour
    differences (left, right, up, down) of the enhanced image must match the input's.
    """
    e = F.avg_pool2d(enhanced.mean(1, keepdim=True), pool)
    o = F.avg_pool2d(low.mean(1, keepdim=True), pool)
    loss = e.new_zeros(())
    for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        de = e - torch.roll(e, shifts=(dy, dx), dims=(2, 3))
        do = o - torch.roll(o, shifts=(dy, dx), dims=(2, 3))
        d = (de - do) ** 2
        # Drop the wrapped-around border (the reference pads with zeros; both are edge effects).
        h, w = d.shape[-2:]
        d = d[..., 1 : h - 1, 1 : w - 1]
        loss = loss + d.mean()
    return loss


def exposure_control(enhanced: Tensor, level: float = 0.6, patch: int = 16) -> Tensor:
    """Pull the mean gray level of each ``patch``x``patch`` region towards ``level`` (L_exp)."""
    m = F.avg_pool2d(enhanced.mean(1, keepdim=True), patch)
    return ((m - level) ** 2).mean()


def color_constancy(enhanced: Tensor) -> Tensor:
    """Gray-world: penalize differences between the channel means (L_col)."""
    r, g, b = enhanced.mean((2, 3)).unbind(1)
    drg, drb, dgb = (r - g) ** 2, (r - b) ** 2, (g - b) ** 2
    return torch.sqrt(drg**2 + drb**2 + dgb**2 + 1e-12).mean()


def illumination_smoothness(alphas: Tensor) -> Tensor:
    """Total variation of the curve maps (L_tvA), normalized as the reference code does.

    Squared neighbour differences summed over channels, averaged over pixel pairs, times 2.
    """
    b, _, h, w = alphas.shape
    dh = ((alphas[:, :, 1:, :] - alphas[:, :, :-1, :]) ** 2).sum() / ((h - 1) * w)
    dw = ((alphas[:, :, :, 1:] - alphas[:, :, :, :-1]) ** 2).sum() / (h * (w - 1))
    return 2.0 * (dh + dw) / b


def ssim(x: Tensor, y: Tensor, window: int = 7) -> Tensor:
    """Mean SSIM of two NCHW images in [0, 1]: uniform ``window`` and constants as scikit-image uses them.

    The validation numbers are quoted with ``skimage.metrics.structural_similarity`` (7x7 uniform
    window, sample covariance, K1=0.01, K2=0.03); this is the same measure, differentiable.
    """
    c1, c2 = 0.01**2, 0.03**2
    n = window * window
    cov_norm = n / (n - 1)

    def mean(t: Tensor) -> Tensor:
        return F.avg_pool2d(t, window, stride=1)

    ux, uy = mean(x), mean(y)
    vx = cov_norm * (mean(x * x) - ux * ux)
    vy = cov_norm * (mean(y * y) - uy * uy)
    vxy = cov_norm * (mean(x * y) - ux * uy)
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
    return s.mean()


def zero_reference_loss(
    enhanced: Tensor,
    low: Tensor,
    alphas: Tensor,
    *,
    exposure_level: float = 0.6,
    exposure_patch: int = 16,
    w_spa: float = 1.0,
    w_exp: float = 10.0,
    w_col: float = 5.0,
    w_tv: float = 200.0,
) -> tuple[Tensor, dict[str, float]]:
    """Weighted sum of the four losses and a dict of the parts (as floats, for logging)."""
    terms = {
        "spa": (w_spa, lambda: spatial_consistency(enhanced, low)),
        "exp": (w_exp, lambda: exposure_control(enhanced, exposure_level, exposure_patch)),
        "col": (w_col, lambda: color_constancy(enhanced)),
        "tv": (w_tv, lambda: illumination_smoothness(alphas)),
    }
    # A term weighted 0 is not computed (the full-resolution spatial term is the costly one).
    parts = {k: w * f() if w else enhanced.new_zeros(()) for k, (w, f) in terms.items()}
    total = sum(parts.values(), enhanced.new_zeros(()))
    return total, {k: float(v.detach()) for k, v in parts.items()}
